"""``/store``: the SPARQL 1.1 Graph Store HTTP Protocol (indirect identification).

``?graph=<iri>`` names a graph, ``?default`` the default graph (read: every current fact
once, as queries see it; written: the store's own default graph), neither the
whole dataset (``GET``/``HEAD`` as TriG or N-Quads; ``POST`` creates a new graph and
answers with its IRI in ``Location``). Every write is ingestion: a named-graph write is a
batch through the pipeline (gate, then one commit with its catalog entry); a default-graph
write goes through the same diff-and-gate path as SPARQL Update. The catalog graph is
read-only. ``DELETE`` drops the graph and the catalog entries of the batches that landed in
it in one transaction.
"""

from __future__ import annotations

from functools import partial

import anyio
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pyoxigraph import DefaultGraph, NamedNode, Quad, QueryTriples, RdfFormat, Triple, serialize
from starlette.datastructures import UploadFile
from starlette.types import Message

from kgthread import assets
from kgthread.api import negotiation
from kgthread.api.auth import ReadServicesDep, principal_of, require_role
from kgthread.api.deps import Services, ServicesDep
from kgthread.api.limits import limits_of, run_query, too_many_bytes
from kgthread.api.sparql import read_body
from kgthread.audit.trail import audited_drop, audited_reasoning
from kgthread.errors import BadRequest, NotFound, UnsupportedFormat
from kgthread.ingest import update as updates
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.rdf_files import parse_triples
from kgthread.store.owned import refuse_owned

router = APIRouter(tags=["graph store"])


_rq = assets.internal_query


ADAPTER = "graph-store"
ADAPTER_VERSION = "1.0"
DEFAULT = DefaultGraph()

Target = NamedNode | DefaultGraph
WRITE = [Depends(require_role("write"))]


# Two routes, not one with two methods: each needs its own OpenAPI operation id.
@router.get(
    "/store",
    summary="Read a graph or the dataset",
    responses=negotiation.documented(negotiation.GRAPH, negotiation.DATASET),
)
@router.head(
    "/store",
    summary="Headers of a graph or the dataset, without the body",
    responses=negotiation.documented(negotiation.GRAPH, negotiation.DATASET),
)
async def read(request: Request, services: ReadServicesDep) -> Response:
    target = _target(request)
    accept = request.headers.get("accept")
    head = request.method == "HEAD"
    body, content_type = await run_query(
        request, lambda _deadline: _read(services, target, accept, head)
    )
    if len(body) > limits_of(request).max_bytes:
        raise too_many_bytes(limits_of(request).max_bytes)
    headers = {"Vary": "Accept"}
    if head:
        return Response(status_code=200, headers={**headers, "Content-Type": content_type})
    return Response(body, media_type=content_type, headers=headers)


def _read(
    services: Services, target: Target | None, accept: str | None, head: bool
) -> tuple[bytes, str]:
    store = services.store
    if target is None:
        offer = negotiation.choose(accept, negotiation.DATASET)
        assert isinstance(offer.format, RdfFormat)
        return (b"" if head else store.dump(None, offer.format)), offer.content_type
    if isinstance(target, NamedNode) and not store.contains_graph(target):
        raise NotFound(f"no graph {target.value} in the store", graph=target.value)
    offer = negotiation.choose(accept, negotiation.GRAPH)
    assert isinstance(offer.format, RdfFormat)
    if head:
        return b"", offer.content_type
    if isinstance(target, NamedNode):
        return store.dump(target, offer.format), offer.content_type
    # The default graph as queries see it: every current fact once (the RDF merge).
    result = store.query(_rq("default-graph.rq"))
    assert isinstance(result, QueryTriples)
    return serialize(list(result), format=offer.format) or b"", offer.content_type


@router.put("/store", summary="Replace a graph (201 created, 204 replaced)", dependencies=WRITE)
async def put(request: Request, services: ServicesDep) -> Response:
    target = _writable(_target(request), "PUT")
    body, triples = await _payload(request, services, target)
    source = Source.of_bytes(None, body)
    agent = principal_of(request).name  # who the audit trail records
    async with services.writer:
        if isinstance(target, DefaultGraph):
            await anyio.to_thread.run_sync(
                partial(_write_default, services, triples, source, agent=agent)
            )
            return Response(status_code=204)
        key = _idempotency_key(request)
        batch = _batch(target, triples, source, key, replace=True, agent=agent)
        existed = await anyio.to_thread.run_sync(services.store.contains_graph, target)
        result = await anyio.to_thread.run_sync(services.pipeline.ingest, batch)
    if existed:
        return Response(status_code=204)
    return JSONResponse(result.to_json(), status_code=201)


@router.post(
    "/store",
    summary="Add to a graph, or create a new graph without ?graph",
    dependencies=WRITE,
)
async def post(request: Request, services: ServicesDep) -> Response:
    target = _target(request)
    if target is not None:
        target = _writable(target, "POST")
    body, triples = await _payload(request, services, target)
    source = Source.of_bytes(None, body)
    agent = principal_of(request).name
    async with services.writer:
        if isinstance(target, DefaultGraph):
            await anyio.to_thread.run_sync(
                partial(_write_default, services, triples, source, append=True, agent=agent)
            )
            return Response(status_code=204)
        existed = target is not None and await anyio.to_thread.run_sync(
            services.store.contains_graph, target
        )
        # Every POST is applied (what the graph already holds is not added twice); a retry
        # is recognised only by the Idempotency-Key the client sends.
        batch = _batch(target, triples, source, _idempotency_key(request), agent=agent)
        result = await anyio.to_thread.run_sync(services.pipeline.ingest, batch)
    if existed:
        return Response(status_code=204)
    status = 201 if result.status == "committed" else 200
    return JSONResponse(
        result.to_json(), status_code=status, headers={"Location": result.graph.value}
    )


@router.delete(
    "/store", summary="Drop a graph and its batches' catalog entries", dependencies=WRITE
)
async def delete(request: Request, services: ServicesDep) -> Response:
    target = _writable(_target(request), "DELETE")
    async with services.writer:
        agent = principal_of(request).name
        await anyio.to_thread.run_sync(partial(_delete, services, target, agent))
    return Response(status_code=204)


def _delete(services: Services, target: Target, agent: str = "anonymous") -> None:
    store = services.store
    if isinstance(target, DefaultGraph):
        _write_default(services, [], Source.of_bytes(None, b""), agent=agent)
        return
    if not store.contains_graph(target):
        raise NotFound(f"no graph {target.value} in the store", graph=target.value)
    removals = updates.catalog_removals(store, target)
    drop = partial(store.drop_graph, target, removals)
    audited_drop(services.pipeline.audit, store, target, drop, agent)
    reasoner = services.pipeline.reasoner
    if reasoner is not None:  # entailments of the graph go with it
        audited_reasoning(services.pipeline.audit, store, reasoner.after_drop)


def _write_default(
    services: Services,
    triples: list[Triple],
    source: Source,
    *,
    append: bool = False,
    agent: str = "anonymous",
) -> None:
    """The default graph has no batch of its own: write it through the update path."""
    before = frozenset(services.store.quads(graph=DEFAULT))
    after = frozenset(Quad(t.subject, t.predicate, t.object, DEFAULT) for t in triples)
    change = updates.GraphChange(before, before | after if append else after)
    updates.apply_changes(
        services.store,
        services.pipeline.gate,
        {DEFAULT: change} if change.before != change.after else {},
        source=source,
        agent=agent,
        audit=services.pipeline.audit,
        action="graph-store",
        reasoner=services.pipeline.reasoner,
    )


def _batch(
    target: NamedNode | None,
    triples: list[Triple],
    source: Source,
    batch_id: str | None,
    *,
    replace: bool = False,
    agent: str = "anonymous",
) -> Batch:
    return Batch(
        ADAPTER,
        ADAPTER_VERSION,
        [source],
        triples=triples,
        batch_id=batch_id,
        target_graph=target,
        replace=replace,
        agent=agent,
    )


def _idempotency_key(request: Request) -> str | None:
    """The client's ``Idempotency-Key`` header: a retry under it is applied once."""
    key = request.headers.get("idempotency-key")
    if key is not None and not key.strip():
        raise BadRequest("Idempotency-Key: empty")
    return key.strip() if key is not None else None


def _target(request: Request) -> Target | None:
    """``?graph=<iri>`` or ``?default``; ``None`` for the whole store."""
    graphs = request.query_params.getlist("graph")
    default = "default" in request.query_params
    if not graphs and not default:
        return None
    if (default and graphs) or len(graphs) > 1:
        raise BadRequest("name exactly one graph: either ?graph=<iri> or ?default")
    if default:
        return DEFAULT
    try:
        return NamedNode(graphs[0])
    except ValueError as exc:
        raise BadRequest(f"graph: not an absolute IRI: {graphs[0]!r}") from exc


def _writable(target: Target | None, method: str) -> Target:
    if target is None:
        raise BadRequest(f"{method} needs ?graph=<iri> or ?default")
    if isinstance(target, NamedNode):
        refuse_owned([target])
    return target


async def _payload(
    request: Request, services: Services, target: Target | None
) -> tuple[bytes, list[Triple]]:
    """The request's RDF (one document, or each part of a multipart body) as triples."""
    content_type = request.headers.get("content-type")
    media_type = negotiation.media_type_of(content_type)
    endpoint = str(request.url.replace(query="", fragment=""))
    base = target.value if isinstance(target, NamedNode) else endpoint
    limit = services.settings.max_upload_bytes
    if media_type == "multipart/form-data":
        # The body is counted while it streams, then parsed: a multipart body with no
        # Content-Length is refused at the limit, never spooled whole first.
        body = await read_body(request, limit)
        documents: list[tuple[bytes, str | None, str]] = []
        async with _replayed(request, body).form() as form:
            for name, part in form.multi_items():
                if isinstance(part, UploadFile):
                    data = await part.read()
                    documents.append((data, part.content_type, part.filename or name))
    else:
        documents = [(await read_body(request, limit), content_type, "request body")]
    triples: list[Triple] = []
    for data, part_type, name in documents:
        rdf_format = _format(part_type)
        triples += await anyio.to_thread.run_sync(
            partial(parse_triples, data, rdf_format, name, base)
        )
    return b"".join(d for d, _, _ in documents), triples


def _replayed(request: Request, body: bytes) -> Request:
    """A request over the same scope whose body is ``body``, already read."""

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


def _format(content_type: str | None) -> RdfFormat:
    media_type = negotiation.media_type_of(content_type)
    charset = negotiation.charset_of(content_type)
    if charset not in (None, "utf-8", "utf8"):
        raise UnsupportedFormat(f"RDF bodies must be UTF-8, not {charset}")
    found = RdfFormat.from_media_type(media_type) if media_type else None
    if found is None:
        raise UnsupportedFormat(
            f"cannot read RDF sent as {media_type or 'a body without Content-Type'}",
            accepted=[
                "text/turtle",
                "application/n-triples",
                "application/n-quads",
                "application/trig",
                "application/ld+json",
                "application/rdf+xml",
            ],
        )
    return found
