"""``/api/explain`` and ``/api/conformance``: why an inferred triple holds, and whether a
built unit conforms to its design (docs/reasoning.md gives both answers' shapes).

Both only read: the explanation is derived from the asserted statements on request, the
conformance report is the one the reasoner last stored for the unit.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pyoxigraph import NamedNode

from kgthread.api.deps import ServicesDep
from kgthread.api.worker import on_worker
from kgthread.errors import BadRequest, NotFound
from kgthread.reasoning import explain
from kgthread.reasoning.conformance_reports import stored_report

router = APIRouter(prefix="/api", tags=["reasoning"])

Iri = Annotated[str, Query(json_schema_extra={"format": "iri"})]


def _iri(name: str, value: str) -> NamedNode:
    try:
        return NamedNode(value)
    except ValueError as exc:
        raise BadRequest(f"{name}: not an absolute IRI: {value!r}", parameter=name) from exc


@router.get("/explain", summary="The rule and asserted premises behind an inferred triple")
async def explain_triple(
    services: ServicesDep, subject: Iri, predicate: Iri, object: Iri
) -> JSONResponse:
    s, p, o = _iri("subject", subject), _iri("predicate", predicate), _iri("object", object)

    def work() -> dict[str, Any] | None:
        why = explain(services.store, s, p, o)
        if why is None:
            return None
        doc = why.to_json()
        triple = {"subject": s.value, "predicate": p.value, "object": o.value}
        return {"triple": triple, **doc}

    found = await anyio.to_thread.run_sync(on_worker(work), limiter=services.readers)
    if found is None:
        raise NotFound(
            "not an inferred triple", subject=subject, predicate=predicate, object=object
        )
    return JSONResponse(found)


@router.get("/conformance", summary="A unit's design conformance report")
async def unit_conformance(services: ServicesDep, unit: Iri) -> JSONResponse:
    node = _iri("unit", unit)
    found = await anyio.to_thread.run_sync(
        on_worker(lambda: stored_report(services.store, node)), limiter=services.readers
    )
    if found is None:
        raise NotFound(f"no conformance report for {unit}", unit=unit)
    return JSONResponse(found.to_json())
