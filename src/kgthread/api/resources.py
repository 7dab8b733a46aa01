"""``/api/resources``: any resource of the graph with its links both ways, paged.

``GET /api/resources?iri=...`` takes any IRI; ``GET /api/resources/{kind}/{key}/...`` mints
the IRI from source keys with :mod:`kgthread.ids` (``part/PRD-10001``, ``unit/PRD-10001/SN1``,
``workorder/WO0000001``), so callers never build an IRI by hand. The links come from the
``links`` named query; an IRI nothing is said about is a 404 that echoes it as data.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from kgthread import ids, lineage, queries
from kgthread.api import pagination
from kgthread.api.auth import ReadServicesDep
from kgthread.api.deps import ServicesDep
from kgthread.api.limits import run_query
from kgthread.api.negotiation import choose
from kgthread.api.rest import JSON_LD, OFFERS, Cursor, Limit, dump_answer
from kgthread.api.terms import linked, plain
from kgthread.errors import IdentifierError, NotFound

router = APIRouter(prefix="/api/resources", tags=["resources"])

KINDS = {kind.segment: kind for kind in ids.Kind}


@router.get("", summary="A resource by IRI, with outgoing and incoming links")
async def resource(
    request: Request,
    services: ReadServicesDep,
    iri: Annotated[
        str, Query(description="The resource IRI.", json_schema_extra={"format": "iri"})
    ],
    limit: Limit = pagination.DEFAULT_PAGE,
    cursor: Cursor = None,
) -> Response:
    if (request.headers.get("accept") or "").lstrip().startswith("text/html"):
        target = request.url_for("explore_resource").include_query_params(iri=iri)
        return RedirectResponse(str(target), status_code=303)
    return await _answer(request, services, iri, limit, cursor)


@router.get("/{kind}/{keys:path}", summary="A resource by kind and source keys")
async def resource_by_keys(
    request: Request,
    services: ReadServicesDep,
    kind: str,
    keys: str,
    limit: Limit = pagination.DEFAULT_PAGE,
    cursor: Cursor = None,
) -> Response:
    found = KINDS.get(kind)
    if found is None:
        raise NotFound(f"no resource kind {kind!r}", kind=kind, available=sorted(KINDS))
    try:
        node = ids.mint(found, *keys.split("/"))
    except IdentifierError as exc:
        raise NotFound(f"no {kind} with key(s) {keys!r}: {exc.message}", identifier=keys) from exc
    return await _answer(request, services, node.value, limit, cursor)


async def _answer(
    request: Request, services: ServicesDep, iri: str, limit: int, cursor: str | None
) -> Response:
    offer = choose(request.headers.get("accept"), OFFERS)
    limits: lineage.Limits = request.app.state.lineage_limits

    def work() -> tuple[str, bytes | None, dict[str, str]]:
        state = pagination.store_state(services.store)
        tag = pagination.etag(state, request, offer.content_type)
        if pagination.not_modified(request, tag):
            return tag, None, {}
        table = lineage.run(services.store, queries.get("links"), {"iri": iri}, limits)
        rows, info = pagination.page(table.rows, cursor, limit, state)
        render = linked if offer.content_type == JSON_LD else plain
        doc: dict[str, Any] = {"iri": iri}
        try:
            parsed = ids.parse(iri)
            doc["kind"], doc["keys"] = parsed.kind.segment, list(parsed.keys)
        except IdentifierError:
            pass
        doc["links"] = [
            {
                "direction": row["direction"].value,
                "predicate": render(row["predicate"]),
                ("object" if row["direction"].value == "out" else "subject"): render(row["other"]),
            }
            for row in rows
        ]
        doc["page"] = {"offset": info.offset, "size": len(rows), "total": info.total}
        if info.next_cursor is not None:
            doc["next"] = pagination.next_url(request, info.next_cursor)
        return (
            tag,
            dump_answer(doc, request, offer.content_type),
            pagination.link_header(request, info),
        )

    tag, body, headers = await run_query(request, lambda _deadline: work())
    headers = {**headers, "ETag": tag, "Vary": "Accept"}
    if body is None:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=offer.content_type, headers=headers)
