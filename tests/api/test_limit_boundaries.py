"""Every cap the server enforces, tried exactly at the cap and one past it: result rows,
result bytes, query and update length, upload size (with and without Content-Length).
A cap is inclusive: an answer or a body of exactly the cap's size is served."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pyoxigraph import Literal, NamedNode, Triple

from api.live_server import Live, LiveFactory
from factories import product, unit
from kgthread.gate import Gate
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.base import GraphStore

EX = "http://example.org/bounds/"
HUB = NamedNode(EX + "hub")
ROWS = f"SELECT ?o WHERE {{ <{HUB.value}> <{EX}p> ?o }} ORDER BY ?o"
JSON_RESULTS = "application/sparql-results+json"


def _fill(store: GraphStore, count: int) -> None:
    triples = [Triple(HUB, NamedNode(EX + "p"), Literal(f"v{n:03d}")) for n in range(count)]
    source = Source.of_bytes("bounds.nt", str(count).encode())
    Pipeline(store, Gate.default()).ingest(Batch("rdf", "1", [source], triples=triples))


def _get(live: Live, query: str) -> httpx.Response:
    return live.client.get("/sparql", params={"query": query}, headers={"Accept": JSON_RESULTS})


def _refused(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    body: dict[str, object] = response.json()
    assert body["code"] == code
    return body


@pytest.mark.parametrize(("rows", "served"), [(9, True), (10, True), (11, False)])
def test_row_cap_at_the_cap(live_factory: LiveFactory, rows: int, served: bool) -> None:
    live = live_factory(query_max_rows=10)
    _fill(live.store, rows)
    response = _get(live, ROWS)
    if served:
        assert response.status_code == 200, response.text
        assert len(response.json()["results"]["bindings"]) == rows
    else:
        assert _refused(response, 503, "result-too-large")["max_rows"] == 10


def test_byte_cap_at_the_cap(live_factory: LiveFactory) -> None:
    measure = live_factory()
    _fill(measure.store, 12)
    size = len(_get(measure, ROWS).content)
    exact = live_factory(query_max_bytes=size)
    _fill(exact.store, 12)
    assert _get(exact, ROWS).status_code == 200
    short = live_factory(query_max_bytes=size - 1)
    _fill(short.store, 12)
    assert _refused(_get(short, ROWS), 503, "result-too-large")["max_bytes"] == size - 1


def test_query_and_update_length_at_the_cap(live_factory: LiveFactory) -> None:
    live = live_factory(query_max_chars=200, enable_update=True)
    ask = "ASK { ?s ?p ?o }"
    at_cap = ask + " " * (200 - len(ask))
    assert _get(live, at_cap).status_code == 200
    _refused(_get(live, at_cap + " "), 400, "bad-request")
    insert = f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}b> <{EX}c> }} }}"
    assert len(insert) < 200
    padded = insert + " " * (200 - len(insert))
    headers = {"content-type": "application/sparql-update"}
    before = live.dump()
    _refused(live.client.post("/sparql", content=padded + " ", headers=headers), 400, "bad-request")
    assert live.dump() == before
    assert live.client.post("/sparql", content=padded, headers=headers).status_code == 200


LIMIT = 8 * 1024


def _document(size: int) -> bytes:
    """A valid N-Triples document of exactly ``size`` bytes (a comment pads it)."""
    triples = [*product("P-1"), *unit("P-1", "A", "SN-1")]
    body = "".join(f"{t} .\n" for t in triples).encode()
    assert len(body) + 2 <= size
    return body + b"#" + b"x" * (size - len(body) - 2) + b"\n"


def _chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), 1000):
        yield data[start : start + 1000]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(("size", "served"), [(LIMIT, True), (LIMIT + 1, False)])
def test_upload_at_the_limit(
    live_factory: LiveFactory, size: int, served: bool, chunked: bool
) -> None:
    live = live_factory(max_upload_bytes=LIMIT)
    data = _document(size)
    assert len(data) == size
    before = live.dump()
    response = live.client.post(
        "/api/ingest/rdf", params={"name": "u.nt"}, content=_chunks(data) if chunked else data
    )
    if served:
        assert response.status_code == 201, response.text
    else:
        _refused(response, 413, "payload-too-large")
        assert live.dump() == before
