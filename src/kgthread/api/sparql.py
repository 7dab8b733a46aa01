"""``/sparql``: the SPARQL 1.1 Protocol, query and update, with content negotiation.

Queries run on the read pool and are serialised in full before the response starts, so a
failure half way never turns into a truncated 200. Updates are off unless
``settings.enable_update``; when on they pass the gate (``ingest/update.py``) under the
single writer. A plain ``GET`` with no query answers with the Service Description.

Deviation, stated to clients: ``using-graph-uri`` and ``using-named-graph-uri`` are
refused with 400 (write ``USING``/``USING NAMED`` in the update instead), because the
embedded store cannot take an update dataset from outside the update text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import partial
from urllib.parse import parse_qsl

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pyoxigraph import NamedNode, QueryBoolean, QueryResultsFormat, QuerySolutions, RdfFormat

from kgthread import history
from kgthread.api import negotiation, service_description
from kgthread.api.auth import check_role, readable
from kgthread.api.deps import ServicesDep
from kgthread.api.guard import allow_list, refuse_unlisted
from kgthread.api.limits import Deadline, QueryLimits, limits_of, run_query, serialize_capped
from kgthread.errors import (
    BadRequest,
    Forbidden,
    PayloadTooLarge,
    StoreUnavailable,
    UnsupportedFormat,
    release_frames,
)
from kgthread.ingest import update as updates
from kgthread.store.base import GraphStore, QueryResult

router = APIRouter(tags=["sparql"])

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"

Params = dict[str, list[str]]


@router.get(
    "/sparql",
    summary="SPARQL query (or the Service Description without a query)",
    responses=negotiation.documented(negotiation.SOLUTIONS, negotiation.GRAPH),
)
async def sparql_get(request: Request, services: ServicesDep) -> Response:
    params = _params(request.url.query)
    if "update" in params:
        raise BadRequest("updates must be sent with POST, not GET")
    if "query" not in params:
        body, content_type = service_description.render(
            _endpoint(request),
            request.headers.get("accept"),
            update_enabled=services.settings.enable_update,
        )
        return Response(body, media_type=content_type, headers={"Vary": "Accept"})
    return await _query(request, services, _one(params, "query"), params)


@router.post(
    "/sparql",
    summary="SPARQL query or update (form-encoded or direct)",
    responses=negotiation.documented(
        negotiation.SOLUTIONS, negotiation.GRAPH, extra=["application/json"]
    ),
)
async def sparql_post(request: Request, services: ServicesDep) -> Response:
    content_type = request.headers.get("content-type")
    media_type = negotiation.media_type_of(content_type)
    body = await read_body(request, services.settings.max_upload_bytes)
    params = _params(request.url.query)
    if media_type == FORM:
        for name, values in _params(_utf8(body, "form body")).items():
            params.setdefault(name, []).extend(values)
        if ("query" in params) == ("update" in params):
            raise BadRequest("a form-encoded request needs exactly one of 'query' or 'update'")
        if "query" in params:
            return await _query(request, services, _one(params, "query"), params)
        return await _update(request, services, _one(params, "update"), params)
    if media_type in (SPARQL_QUERY, SPARQL_UPDATE):
        charset = negotiation.charset_of(content_type)
        if charset not in (None, "utf-8", "utf8"):
            raise UnsupportedFormat(f"{media_type} must be UTF-8, not {charset}")
        text = _utf8(body, media_type + " body")
        if media_type == SPARQL_QUERY:
            return await _query(request, services, text, params)
        return await _update(request, services, text, params)
    raise UnsupportedFormat(
        f"POST /sparql takes {FORM}, {SPARQL_QUERY} or {SPARQL_UPDATE}, "
        f"not {media_type or 'a body without Content-Type'}",
        accepted=[FORM, SPARQL_QUERY, SPARQL_UPDATE],
    )


async def _query(request: Request, services: ServicesDep, text: str, params: Params) -> Response:
    limits = limits_of(request)
    limits.check_length(text)
    refuse_unlisted(text, allow_list(services.settings.service_allow_list), _endpoint(request))
    default_graph, named_graphs = _dataset(params)
    accept = request.headers.get("accept")
    store = readable(request, services.store)
    moment = _as_of(request, params)

    def work(deadline: Deadline) -> tuple[bytes, str]:
        return execute(
            store if moment is None else history.store_at(store, moment),
            text,
            accept,
            default_graph=default_graph,
            named_graphs=named_graphs,
            base_iri=_endpoint(request),
            limits=limits,
            deadline=deadline,
        )

    body, content_type = await run_query(request, work)
    headers = {"Vary": "Accept, Accept-Datetime"}
    if moment is not None:
        headers["Memento-Datetime"] = format_datetime(moment.astimezone(UTC), usegmt=True)
    return Response(body, media_type=content_type, headers=headers)


def _as_of(request: Request, params: Params) -> datetime | None:
    """``as-of`` (ISO 8601) or the ``Accept-Datetime`` header (RFC 7089): the query runs
    over the batches current at that moment."""
    values = params.get("as-of")
    if values:
        return history.parse_moment(_one(params, "as-of"))
    header = request.headers.get("accept-datetime")
    return None if header is None else history.parse_moment(header, name="Accept-Datetime")


def execute(
    store: GraphStore,
    text: str,
    accept: str | None,
    *,
    default_graph: Sequence[NamedNode] | None = None,
    named_graphs: Sequence[NamedNode] | None = None,
    base_iri: str | None = None,
    limits: QueryLimits | None = None,
    deadline: Deadline | None = None,
) -> tuple[bytes, str]:
    """Run a query and serialise all of its results in the format ``accept`` prefers; with
    ``limits`` the result is capped and stopped at ``deadline`` (``api/limits.py``).

    Runs on a worker thread. pyoxigraph results must be dropped on the thread that made
    them, so a failure clears its traceback's frames here before it travels to the loop.
    """
    try:
        return _execute(
            store, text, accept, default_graph, named_graphs, base_iri, limits, deadline
        )
    except BaseException as exc:
        release_frames(exc)
        raise


def _execute(
    store: GraphStore,
    text: str,
    accept: str | None,
    default_graph: Sequence[NamedNode] | None,
    named_graphs: Sequence[NamedNode] | None,
    base_iri: str | None,
    limits: QueryLimits | None,
    deadline: Deadline | None,
) -> tuple[bytes, str]:
    result = store.query(
        text, default_graph=default_graph, named_graphs=named_graphs, base_iri=base_iri
    )
    offers = negotiation.SOLUTIONS if _tabular(result) else negotiation.GRAPH
    offer = negotiation.choose(accept, offers)
    try:
        body: bytes | None
        if limits is not None:
            body = serialize_capped(
                result, offer.format, limits, deadline or Deadline(limits.seconds)
            )
        elif isinstance(result, QuerySolutions | QueryBoolean):
            assert isinstance(offer.format, QueryResultsFormat)
            body = result.serialize(format=offer.format)
        else:
            assert isinstance(offer.format, RdfFormat)
            body = result.serialize(format=offer.format)
    # Results are lazy: evaluation errors surface here, outside the store wrapper.
    except (RuntimeError, ValueError) as exc:
        raise BadRequest(f"query could not be evaluated: {exc}") from exc
    except OSError as exc:
        raise StoreUnavailable(f"store read failed: {exc}") from exc
    return body or b"", offer.content_type


def _tabular(result: QueryResult) -> bool:
    return isinstance(result, QuerySolutions | QueryBoolean)


async def _update(request: Request, services: ServicesDep, text: str, params: Params) -> Response:
    caller = check_role(request, "write")
    if not services.settings.enable_update:
        raise Forbidden(
            "SPARQL update is disabled on this server (set KGTHREAD_ENABLE_UPDATE=true); "
            "load data with the Graph Store Protocol at /store or the CLI"
        )
    limits_of(request).check_length(text, "update")
    allowed = allow_list(services.settings.service_allow_list)
    refuse_unlisted(text, allowed, _endpoint(request))
    used = [name for name in ("using-graph-uri", "using-named-graph-uri") if name in params]
    if used:
        raise BadRequest(
            f"{' and '.join(used)} are not supported; write USING / USING NAMED clauses "
            "in the update instead",
            unsupported=used,
        )
    run = partial(
        updates.apply_update,
        services.store,
        services.pipeline.gate,
        text,
        base_iri=_endpoint(request),
        agent=caller.name,
        audit=services.pipeline.audit,
        reasoner=services.pipeline.reasoner,
        allowed=allowed,
    )
    async with services.writer:
        outcome = await anyio.to_thread.run_sync(run)
    return JSONResponse(outcome.to_json())


def _params(query_string: str) -> Params:
    params: Params = {}
    try:
        pairs = parse_qsl(query_string, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"parameters are not valid UTF-8 form encoding: {exc}") from exc
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


def _one(params: Mapping[str, list[str]], name: str) -> str:
    values = params[name]
    if len(values) != 1:
        raise BadRequest(f"exactly one '{name}' parameter is allowed, got {len(values)}")
    return values[0]


def _dataset(params: Params) -> tuple[list[NamedNode] | None, list[NamedNode] | None]:
    """The protocol dataset: when either list is given it replaces the query's dataset
    (a missing list is empty); when neither is, the store's default applies."""
    default = params.get("default-graph-uri")
    named = params.get("named-graph-uri")
    if default is None and named is None:
        return None, None
    return _iris(default or [], "default-graph-uri"), _iris(named or [], "named-graph-uri")


def _iris(values: list[str], name: str) -> list[NamedNode]:
    try:
        return [NamedNode(value) for value in values]
    except ValueError as exc:
        raise BadRequest(f"{name}: not an absolute IRI: {exc}") from exc


def _utf8(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"{what} is not valid UTF-8: {exc}") from exc


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it exceeds ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _endpoint(request: Request) -> str:
    """The URL the client addressed, without query: the base IRI of queries and updates
    and the ``sd:endpoint`` of the Service Description."""
    return str(request.url.replace(query="", fragment=""))
