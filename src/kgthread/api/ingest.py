"""``POST /api/ingest/{adapter}``: upload a source document; it goes through the gate.

The body is the document itself (its name in ``?name=``, which also tells formats apart
by extension). The answer is 201 with the batch id and counts, 200 when the same batch was
already committed, or 422 problem+json carrying the SHACL report.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse

from kgthread.api.auth import principal_of
from kgthread.api.deps import ServicesDep
from kgthread.api.sparql import read_body
from kgthread.errors import BadRequest
from kgthread.ingest import adapters
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.batch import class_counts

router = APIRouter(prefix="/api", tags=["ingest"])

_RESERVED = {"name", "batch_id", "kind", "failsafe", "document", "append"}
_DOCUMENT = {
    "description": "the source document itself, as bytes; read while it streams and refused "
    "with 413 past max_upload_bytes, with or without Content-Length",
    "required": True,
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}


@router.post(
    "/ingest/{adapter}",
    summary="Ingest one source document through the SHACL gate",
    status_code=201,
    responses={200: {"description": "already committed"}, 422: {"description": "refused"}},
    openapi_extra={"requestBody": _DOCUMENT},
)
async def ingest(
    adapter: Annotated[
        str, PathParam(description="the reader", json_schema_extra={"enum": adapters.names()})
    ],
    request: Request,
    services: ServicesDep,
    name: Annotated[str, Query(description="document name; its extension tells the format")],
    batch_id: Annotated[str | None, Query(description="client batch id, for safe retries")] = None,
    kind: Annotated[str | None, Query(description="record type (tabular adapter)")] = None,
    failsafe: Annotated[bool, Query(description="skip malformed records")] = False,
    document: Annotated[
        str | None,
        Query(description="identity of the source document across versions (default: name)"),
    ] = None,
    append: Annotated[
        bool, Query(description="the source only adds: replace no earlier version")
    ] = False,
) -> JSONResponse:
    chosen = adapters.get(adapter)
    body = await read_body(request, services.settings.max_upload_bytes)
    if not body:
        raise BadRequest("empty upload: send the document as the request body")
    extra = {k: v for k, v in request.query_params.items() if k not in _RESERVED}
    # The batch's agent is who sent it: the key's or token's name, "api" on an open server.
    caller = principal_of(request)
    agent = caller.name if caller.via != "open" else "api"
    options = IngestOptions(
        agent=agent, batch_id=batch_id, kind=kind, strict=not failsafe, extra=extra
    )
    key = request.headers.get("idempotency-key") or batch_id
    options = dataclasses.replace(options, batch_id=key)
    batch = await anyio.to_thread.run_sync(partial(chosen.upload, name, body, options))
    batch = dataclasses.replace(batch, document=document or batch.document, append=append)
    async with services.writer:
        result = await anyio.to_thread.run_sync(services.pipeline.ingest, batch)
    payload: dict[str, Any] = {**result.to_json(), "classes": class_counts(batch.triples)}
    return JSONResponse(payload, status_code=201 if result.status == "committed" else 200)
