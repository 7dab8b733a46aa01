"""``/api/queries``: every named query as a typed endpoint, generated from its ``.rq`` header.

One route per query is built when the app is created, with one typed query parameter per
declared parameter, so each has its own OpenAPI operation at ``/docs``. Answers are JSON
(or JSON-LD on ``Accept: application/ld+json``), paged with an opaque cursor and
``Link: rel="next"``, tagged with an ETag derived from the catalog, and with
``evidence=true`` each row carries the batches and source records of its hops. A query runs
whole on the read pool before anything is sent: over its limit it is a 503, never a
partial 200. Answers and complete tables are kept per store state
(:mod:`kgthread.api.result_cache`): a repeated request or a conditional one at an unchanged
state is answered on the event loop without evaluating, and a next page is cut from the
table already read.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from pyoxigraph import QueryResultsFormat, RdfFormat

from kgthread import assets, history, lineage, queries, vocab
from kgthread.access import ScopedStore
from kgthread.api import pagination
from kgthread.api.auth import ReadServicesDep, principal_of, require_role
from kgthread.api.deps import ServicesDep
from kgthread.api.limits import run_query
from kgthread.api.negotiation import Offer, choose
from kgthread.api.result_cache import Answer as CachedAnswer
from kgthread.api.result_cache import ResultCache
from kgthread.api.terms import linked, plain
from kgthread.errors import BadRequest
from kgthread.queries import NamedQuery, Parameter
from kgthread.store.base import GraphStore
from kgthread.store.embedded import EmbeddedStore
from kgthread.store.remote import RemoteStore

JSON = "application/json"
JSON_LD = "application/ld+json"
OFFERS = (
    Offer(JSON, (JSON,), QueryResultsFormat.JSON),
    Offer(JSON_LD, (JSON_LD,), RdfFormat.JSON_LD),
)
CONTEXT_PATH = "/api/context.jsonld"
API_VOCAB = "https://w3id.org/kgthread/api#"
_OPTIONS = ("limit", "cursor", "evidence", "as_of")
_RESERVED = {"request", "services", *_OPTIONS}
_TYPES: dict[str, type] = {
    "iri": str,
    "string": str,
    "integer": int,
    "decimal": Decimal,
    "dateTime": datetime,
}
TRACE = NamedQuery(
    "trace",
    "The closed loop for a unit reported failed in the field, in one call: its ancestry up "
    "to the shipment and customer, everything that went into it, the supplier lots, the "
    "operations with equipment and sensor summaries, failed or marginal inspections, and "
    "the design revisions and changes in force.",
    (Parameter("unit", "iri", "The unit reported failed (a kgt:SerializedUnit IRI)."),),
    "",
    assets.queries_dir(),
)

Limit = Annotated[int, Query(ge=1, le=pagination.MAX_PAGE, description="Rows per page.")]
Cursor = Annotated[str | None, Query(description="Opaque cursor from a Link header.")]
Evidence = Annotated[bool, Query(description="Add the source batches of each row's hops.")]
AsOf = Annotated[
    str | None,
    Query(
        alias="as-of",
        description="Answer as known at this moment (ISO 8601): over the batches current "
        "then. The Accept-Datetime header (RFC 7089) says the same.",
    ),
]


def install(app: FastAPI) -> None:
    """Mount the query routes; lineage limits live on ``app.state`` so tests can lower them."""
    app.state.lineage_limits = lineage.Limits()
    app.include_router(build_router(), dependencies=[Depends(require_role("read"))])


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api", tags=["named queries"])
    catalog = queries.catalog()
    router.add_api_route(
        "/queries", _listing(catalog), methods=["GET"], summary="The named queries"
    )
    router.add_api_route(
        "/context.jsonld",
        context,
        methods=["GET"],
        summary="JSON-LD context of REST answers",
        responses={200: {"description": "OK", "content": {JSON_LD: {}}}},
    )
    router.add_api_route(
        "/queries/trace",
        _typed(TRACE, _trace_answer, paged=False),
        methods=["GET"],
        summary="trace",
        description=TRACE.summary,
        operation_id="query_trace",
    )
    for query in catalog.values():
        if query.name == TRACE.name:
            continue
        router.add_api_route(
            f"/queries/{query.name}",
            _typed(query, _table_answer, paged=True),
            methods=["GET"],
            summary=query.name,
            description=query.summary,
            operation_id="query_" + query.name.replace("-", "_"),
        )
    return router


Answer = Callable[[Request, ServicesDep, NamedQuery, dict[str, str], dict[str, Any]], Any]


def _typed(query: NamedQuery, answer: Answer, *, paged: bool) -> Callable[..., Any]:
    """An endpoint whose signature declares the query's parameters with their types."""
    clash = {p.name for p in query.parameters} & _RESERVED
    if clash:
        raise BadRequest(f"{query.path.name}: parameter name(s) {sorted(clash)} are reserved")

    async def endpoint(request: Request, services: ServicesDep, **given: Any) -> Response:
        values = {p.name: _raw(given[p.name]) for p in query.parameters}
        options: dict[str, Any] = {k: given[k] for k in _OPTIONS if k in given}
        result: Response = await answer(request, services, query, values, options)
        return result

    kw = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("request", kw, annotation=Request),
        # The store as the caller may read it (only the source systems granted to it).
        inspect.Parameter("services", kw, annotation=ReadServicesDep),
    ]
    for p in query.parameters:
        extra = {"format": "iri"} if p.type == "iri" else None
        described = Query(description=p.description or p.type, json_schema_extra=extra)
        params.append(
            inspect.Parameter(p.name, kw, annotation=Annotated[_TYPES[p.type], described])
        )
    if paged:
        params += [
            inspect.Parameter("limit", kw, annotation=Limit, default=pagination.DEFAULT_PAGE),
            inspect.Parameter("cursor", kw, annotation=Cursor, default=None),
            inspect.Parameter("evidence", kw, annotation=Evidence, default=False),
        ]
    params.append(inspect.Parameter("as_of", kw, annotation=AsOf, default=None))
    endpoint.__signature__ = inspect.Signature(params, return_annotation=Response)  # type: ignore[attr-defined]
    endpoint.__name__ = "query_" + query.name.replace("-", "_")
    return endpoint


def _raw(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


async def _table_answer(
    request: Request,
    services: ServicesDep,
    query: NamedQuery,
    values: dict[str, str],
    options: dict[str, Any],
) -> Response:
    limits: lineage.Limits = request.app.state.lineage_limits
    offer = choose(request.headers.get("accept"), OFFERS)
    cache = _cache(request, services)
    moment = as_of(request, options.get("as_of"))
    table_key = (query.name, tuple(sorted(values.items())), _grants(request), limits, moment)

    def work(state: str) -> tuple[bytes, dict[str, str]]:
        store = services.store if moment is None else history.store_at(services.store, moment)
        table = cache.table(state, table_key)
        if table is None:
            table = lineage.run(store, query, values, limits)
            cache.keep_table(state, table_key, table)
        rows, info = pagination.page(table.rows, options["cursor"], options["limit"], state)
        found = lineage.evidence(store, query, rows) if options["evidence"] else None
        doc: dict[str, Any] = {"query": query.name, "parameters": values}
        doc["columns"] = table.columns
        render = linked if offer.content_type == JSON_LD else plain
        doc["rows"] = [{k: render(v) for k, v in row.items()} for row in rows]
        if found is not None:
            doc["evidence"] = found
        doc["page"] = {"offset": info.offset, "size": len(rows), "total": info.total}
        if info.next_cursor is not None:
            doc["next"] = pagination.next_url(request, info.next_cursor)
        return dump_answer(doc, request, offer.content_type), pagination.link_header(request, info)

    return await _respond(request, services, cache, offer.content_type, limits, work)


async def _trace_answer(
    request: Request,
    services: ServicesDep,
    query: NamedQuery,
    values: dict[str, str],
    options: dict[str, Any],
) -> Response:
    limits: lineage.Limits = request.app.state.lineage_limits
    offer = choose(request.headers.get("accept"), OFFERS)
    cache = _cache(request, services)
    moment = as_of(request, options.get("as_of"))

    def work(state: str) -> tuple[bytes, dict[str, str]]:
        store = services.store if moment is None else history.store_at(services.store, moment)
        found = lineage.trace(store, values["unit"], limits)
        render = linked if offer.content_type == JSON_LD else plain
        sections = {
            name: {
                "query": table.query,
                "columns": table.columns,
                "rows": [{k: render(v) for k, v in row.items()} for row in table.rows],
            }
            for name, table in found.sections.items()
        }
        doc = {"query": query.name, "parameters": values, "sections": sections}
        return dump_answer(doc, request, offer.content_type), {}

    return await _respond(request, services, cache, offer.content_type, limits, work)


def as_of(request: Request, value: str | None) -> datetime | None:
    """The moment a request asks about: ``?as-of=`` or the ``Accept-Datetime`` header."""
    if value is not None:
        return history.parse_moment(value)
    header = request.headers.get("accept-datetime")
    return None if header is None else history.parse_moment(header, name="Accept-Datetime")


def _cache(request: Request, services: ServicesDep) -> ResultCache:
    """The app's result cache, sized by the settings on first use (on the event loop)."""
    cache: ResultCache | None = getattr(request.app.state, "result_cache", None)
    if cache is None:
        cache = ResultCache(services.settings.result_cache_bytes)
        request.app.state.result_cache = cache
    return cache


def _grants(request: Request) -> frozenset[str] | None:
    """What the caller may read (its source systems; ``None``: every graph). Answers differ
    only by this, so callers with the same grants share kept answers and no others do."""
    return principal_of(request).sources


def _underlying(store: GraphStore) -> GraphStore:
    while isinstance(store, ScopedStore):
        store = store.inner
    return store


Settled = Response | tuple[str, str, tuple[object, ...]]


async def _respond(
    request: Request,
    services: ServicesDep,
    cache: ResultCache,
    content_type: str,
    limits: lineage.Limits,
    work: Callable[[str], tuple[bytes, dict[str, str]]],
) -> Response:
    """A 304, the answer kept for this exact request at this state, or ``work(state)`` run
    under the query limits and kept. The state is read before anything is evaluated; the
    ETag covers state, path, query string and media type, and the key adds the base URL
    (JSON-LD bodies name it), the caller's grants and the lineage limits."""
    scope = (
        str(request.base_url),
        _grants(request),
        limits,
        request.headers.get("accept-datetime"),
    )

    def settle() -> Settled:
        state = pagination.store_state(services.store)
        tag = pagination.etag(state, request, content_type)
        headers = {"ETag": tag, "Vary": "Accept, Accept-Datetime"}
        if pagination.not_modified(request, tag):
            return Response(status_code=304, headers=headers)
        key = (tag, *scope)
        kept = cache.answer(state, key)
        if kept is not None:
            return Response(kept.body, media_type=content_type, headers={**kept.headers, **headers})
        return state, tag, key

    def evaluate(settled: Settled) -> Response:
        if isinstance(settled, Response):
            return settled
        state, tag, key = settled
        body, extra = work(state)
        cache.keep_answer(state, key, CachedAnswer(body, extra))
        headers = {**extra, "ETag": tag, "Vary": "Accept"}
        return Response(body, media_type=content_type, headers=headers)

    def worth_speculating(remote: RemoteStore) -> bool:
        """Not for a conditional request, nor one with an answer kept at the state last
        seen: likely a 304 or a kept answer, for which the state alone is read."""
        guess = remote.last_state()
        if guess is None or request.headers.get("if-none-match"):
            return False
        tag = pagination.etag(guess, request, content_type)
        return cache.answer(guess, (tag, *scope)) is None

    def speculate(remote: RemoteStore) -> Response:
        """The answer with the state read beside it (``RemoteStore.speculate``); as
        ``settle`` then ``evaluate`` when the state turns out to have changed."""
        confirmed = remote.speculate(work)
        if confirmed is None:
            return evaluate(settle())
        state, (body, extra) = confirmed
        tag = pagination.etag(state, request, content_type)
        cache.keep_answer(state, (tag, *scope), CachedAnswer(body, extra))
        headers = {**extra, "ETag": tag, "Vary": "Accept"}
        return Response(body, media_type=content_type, headers=headers)

    store = _underlying(services.store)
    if isinstance(store, EmbeddedStore):
        settled = settle()
        if isinstance(settled, Response):  # no worker, no query slot
            return settled
        return await run_query(request, lambda _deadline: evaluate(settled))
    if isinstance(store, RemoteStore) and worth_speculating(store):
        return await run_query(request, lambda _deadline: speculate(store))
    return await run_query(request, lambda _deadline: evaluate(settle()))


def dump_answer(doc: dict[str, Any], request: Request, content_type: str) -> bytes:
    if content_type == JSON_LD:
        doc = {"@context": str(request.url_for("context")), "@id": str(request.url), **doc}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def _listing(catalog: Mapping[str, NamedQuery]) -> Callable[..., Any]:
    async def list_queries(request: Request) -> dict[str, Any]:
        entries = [TRACE, *(q for q in catalog.values() if q.name != TRACE.name)]
        return {
            "queries": [
                {
                    "name": q.name,
                    "summary": q.summary,
                    "url": str(request.url_for("query_" + q.name.replace("-", "_"))),
                    "parameters": [
                        {"name": p.name, "type": p.type, "description": p.description}
                        for p in q.parameters
                    ],
                }
                for q in entries
            ]
        }

    return list_queries


async def context() -> Response:
    """The JSON-LD context of every REST answer: API keys in their own vocabulary, rows as
    ordered lists, links as IRIs; values carry their own ``@id`` / ``@type``."""
    body = {
        "@context": {
            "@vocab": API_VOCAB,
            **vocab.PREFIXES,
            "rows": {"@container": "@list"},
            "columns": {"@container": "@list"},
            "next": {"@type": "@id"},
            "url": {"@type": "@id"},
        }
    }
    return Response(json.dumps(body, indent=1).encode(), media_type=JSON_LD)
