"""Fuzzing the SPARQL endpoint's parameters on a real server: query and update text (mutated
real queries and generated junk), default-graph-uri, named-graph-uri, an unknown format
parameter and the Accept header, by GET, form POST and direct POST. No answer is a 500, every
refusal is problem+json with a stable code, every request ends within the deadline, and a
refused request leaves the store unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from pyoxigraph import RdfFormat

from api.live_server import Server
from factories import product, unit
from fuzz.strategies import FUZZ, mutated
from kgthread import assets
from kgthread.config import Settings
from kgthread.gate import Gate
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.embedded import EmbeddedStore

ALLOWED = {200, 204, 400, 403, 404, 406, 413, 415, 422, 503}


class Target:
    def __init__(self, client: httpx.Client, store: EmbeddedStore) -> None:
        self.client = client
        self.store = store

    def dump(self) -> bytes:
        return self.store.dump(None, RdfFormat.N_QUADS)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    folder: Path = tmp_path_factory.mktemp("sparql-fuzz") / "store"
    store = EmbeddedStore.open(folder)
    triples = [*product("P-1")]
    for n in range(5):
        triples += unit("P-1", "A", f"SN-{n}")
    batch = Batch("test", "1", [Source.of_bytes("seed.nt", b"seed")], triples=triples)
    Pipeline(store, Gate.default()).ingest(batch)
    server = Server(Settings(data=folder, enable_update=True, max_upload_bytes=256 * 1024), store)
    url = server.start()
    client = httpx.Client(base_url=url, timeout=30)
    try:
        yield Target(client, store)
    finally:
        client.close()
        server.stop()
        store.close()


def _real_queries() -> list[bytes]:
    folder = assets.root() / "queries"
    return [p.read_bytes() for p in sorted(folder.glob("*.rq"))]


SEED_TEXTS = [
    b"SELECT * WHERE { ?s ?p ?o } LIMIT 5",
    b"ASK { ?s a ?c }",
    b"CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 3",
    b"DESCRIBE <https://w3id.org/kgthread/id/part/P-1>",
    b"SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    b"INSERT DATA { GRAPH <urn:fuzz:g> { <urn:a> <urn:b> 'c' } }",
    b"DELETE WHERE { GRAPH <urn:fuzz:g> { ?s ?p ?o } }",
    b"DROP GRAPH <urn:fuzz:none>",
    b"LOAD <http://127.0.0.1:1/x>",
    b"SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
]

_TEXT = st.one_of(
    mutated([*SEED_TEXTS, *_real_queries()]).map(lambda b: b.decode("utf-8", "replace")),
    st.text(max_size=80),
)
_IRI = st.one_of(
    st.sampled_from(
        [
            "https://w3id.org/kgthread/id/catalog",
            "urn:fuzz:g",
            "",
            "not an iri",
            "http://a/b c",
            "urn:a>b",
            "http://[::1",
        ]
    ),
    st.text(max_size=30),
)
_ACCEPT = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "application/sparql-results+json",
            "application/sparql-results+xml",
            "text/csv",
            "text/tab-separated-values",
            "text/turtle",
            "application/n-triples",
            "application/ld+json",
            "application/rdf+xml",
            "text/html",
            "*/*",
            "image/png",
            "text/csv;q=0, */*;q=0",
            "application/json;q=abc",
            ";;;,,,",
        ]
    ),
    # A header value with outer spaces cannot be sent at all.
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40).map(
        lambda text: text.strip() or "*/*"
    ),
)


Call = dict[str, Any]


@st.composite
def _requests(draw: st.DrawFn) -> Call:
    """Keyword arguments of one ``httpx.Client.request`` call to ``/sparql``."""
    name = draw(st.sampled_from(["query", "update"]))
    params: list[tuple[str, str]] = [(name, draw(_TEXT))]
    for extra in ("default-graph-uri", "named-graph-uri"):
        params += [(extra, v) for v in draw(st.lists(_IRI, max_size=2))]
    if draw(st.booleans()):
        params.append(("format", draw(st.sampled_from(["json", "xml", "csv", "x", ""]))))
    if draw(st.booleans()):
        params.append((draw(st.sampled_from(["query", "update", "using-graph-uri"])), "x"))
    accept = draw(_ACCEPT)
    headers = {"Accept": accept} if accept is not None else {}
    how = draw(st.sampled_from(["get", "form", "direct"]))
    if how == "get":
        return {"method": "GET", "params": params, "headers": headers}
    if how == "form":
        return {"method": "POST", "data": dict(params), "headers": headers}
    kind = "application/sparql-query" if name == "query" else "application/sparql-update"
    return {
        "method": "POST",
        "params": [(k, v) for k, v in params if k not in ("query", "update")],
        "content": params[0][1].encode("utf-8", "surrogatepass"),
        "headers": {**headers, "Content-Type": kind},
    }


@FUZZ
@given(_requests())
def test_endpoint_parameters(target: Target, call: Call) -> None:
    before = target.dump()
    response = target.client.request(url="/sparql", **call)
    event(f"status {response.status_code}")
    assert response.status_code in ALLOWED, response.text[:500]
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["status"] == response.status_code
        assert problem["detail"]
        assert target.dump() == before


@pytest.mark.parametrize(
    ("update", "status"),
    [
        ("", 200),
        ("# nothing but a comment\n", 200),
        ("INSERT DATA { GRAPH <5rn:fuzz:g> { <urn:a> <urn:b> 'c' } }", 400),
    ],
    ids=["empty", "comment-only", "invalid-iri-scheme"],
)
def test_updates_found_by_fuzzing(target: Target, update: str, status: int) -> None:
    """Both were 500s: an update with no operation (rdflib translates it to a bare list) and an
    IRI rdflib's grammar takes but RFC 3987 (pyoxigraph) does not."""
    before = target.dump()
    response = target.client.post("/sparql", data={"update": update})
    assert response.status_code == status, response.text
    assert target.dump() == before


_RDF_TYPES = st.sampled_from(
    [
        "text/turtle",
        "application/n-triples",
        "application/rdf+xml",
        "application/ld+json",
        "application/trig",
        "application/n-quads",
        "text/turtle; charset=latin-1",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
        "",
    ]
)
_BODIES = mutated(
    [
        b"<urn:a> <urn:b> <urn:c> .\n",
        b'@prefix ex: <http://ex/> . ex:a ex:b "c"@en , 1.5e3 ; ex:d [ ex:e ( 1 2 ) ] .\n',
        b'{"@id": "http://ex/a", "http://ex/b": {"@value": "c"}}',
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        b'rdf:about="http://ex/a"/></rdf:RDF>',
        b'--x\r\nContent-Disposition: form-data; name="f"; filename="a.ttl"\r\n'
        b"Content-Type: text/turtle\r\n\r\n<urn:a> <urn:b> <urn:c> .\r\n--x--\r\n",
    ]
)


@FUZZ
@given(
    method=st.sampled_from(["GET", "HEAD", "PUT", "POST", "DELETE"]),
    graph=st.one_of(st.none(), _IRI, st.just("default")),
    content_type=_RDF_TYPES,
    body=_BODIES,
    accept=_ACCEPT,
)
def test_graph_store_parameters_and_bodies(
    target: Target,
    method: str,
    graph: str | None,
    content_type: str,
    body: bytes,
    accept: str | None,
) -> None:
    """The Graph Store takes the same hostility: names, media types and broken documents."""
    before = target.dump()
    params = {} if graph is None else ({"default": ""} if graph == "default" else {"graph": graph})
    headers = {"Content-Type": content_type} if content_type else {}
    if accept is not None:
        headers["Accept"] = accept
    sends_body = method in ("PUT", "POST")
    response = target.client.request(
        method, "/store", params=params, headers=headers, content=body if sends_body else None
    )
    event(f"{method} {response.status_code}")
    assert response.status_code in ALLOWED | {201}, response.text[:500]
    if response.status_code >= 400 and method != "HEAD":
        assert response.headers["content-type"].startswith("application/problem+json")
        assert target.dump() == before
