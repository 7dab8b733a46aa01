"""/sparql: content negotiation, errors, datasets and the Service Description."""

from __future__ import annotations

import csv
import io

import pytest
from pyoxigraph import (
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    parse,
    parse_query_results,
)

from api.live_server import Live, LiveFactory

G1 = "http://example.org/g1"
G2 = "http://example.org/g2"
DATA1 = (
    b"<http://example.org/a> <http://example.org/p> 1 .\n"
    b'<http://example.org/a> <http://example.org/q> "x" .\n'
)
DATA2 = b"<http://example.org/b> <http://example.org/p> 2 .\n"
SELECT_ALL = "SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o }"
CONSTRUCT_ALL = (
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), 'http://example.org/')) }"
)


def _load(live: Live) -> None:
    for graph, data in ((G1, DATA1), (G2, DATA2)):
        response = live.client.put(
            "/store", params={"graph": graph}, content=data, headers={"content-type": "text/turtle"}
        )
        assert response.status_code == 201, response.text


def _select(live: Live, query: str, accept: str | None = None, **params: str) -> QuerySolutions:
    headers = {"accept": accept} if accept else {}
    response = live.client.get("/sparql", params={"query": query, **params}, headers=headers)
    assert response.status_code == 200, response.text
    fmt = QueryResultsFormat.from_media_type(response.headers["content-type"].split(";")[0])
    assert fmt is not None
    results = parse_query_results(response.content, format=fmt)
    assert isinstance(results, QuerySolutions)
    return results


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/sparql-results+json"),
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/*", "text/csv"),
        ("*/*", "application/sparql-results+json"),
    ],
)
def test_select_formats_are_complete(live: Live, accept: str | None, media_type: str) -> None:
    _load(live)
    headers = {"accept": accept} if accept else {}
    response = live.client.get("/sparql", params={"query": SELECT_ALL}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.headers["vary"] == "Accept, Accept-Datetime"
    if media_type == "text/csv":  # lossy, so pyoxigraph does not read it back: count lines
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows[0] == ["s", "o"]
        assert len(rows) == 3
        return
    fmt = QueryResultsFormat.from_media_type(media_type)
    assert fmt is not None
    assert len(list(parse_query_results(response.content, format=fmt))) == 2


@pytest.mark.parametrize(
    "accept", ["application/sparql-results+json", "application/sparql-results+xml"]
)
def test_ask_formats(live: Live, accept: str) -> None:
    response = live.client.post(
        "/sparql",
        content="ASK { FILTER(1 = 1) }",
        headers={"content-type": "application/sparql-query", "accept": accept},
    )
    assert response.status_code == 200
    fmt = QueryResultsFormat.from_media_type(accept)
    assert fmt is not None
    answer = parse_query_results(response.content, format=fmt)
    assert isinstance(answer, QueryBoolean)
    assert bool(answer) is True


@pytest.mark.parametrize(
    ("accept", "rdf_format"),
    [
        (None, RdfFormat.TURTLE),
        ("text/turtle", RdfFormat.TURTLE),
        ("application/n-triples", RdfFormat.N_TRIPLES),
        ("application/ld+json", RdfFormat.JSON_LD),
        ("application/rdf+xml", RdfFormat.RDF_XML),
        ("application/rdf+xml;q=0.2, application/ld+json;q=0.9", RdfFormat.JSON_LD),
    ],
)
def test_construct_formats_are_complete(
    live: Live, accept: str | None, rdf_format: RdfFormat
) -> None:
    _load(live)
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if accept:
        headers["accept"] = accept
    response = live.client.post("/sparql", data={"query": CONSTRUCT_ALL}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == rdf_format.media_type
    assert len(list(parse(response.content, format=rdf_format))) == 3


def test_nothing_acceptable_is_406(live: Live) -> None:
    response = live.client.get(
        "/sparql", params={"query": SELECT_ALL}, headers={"accept": "image/png"}
    )
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not-acceptable"
    assert "application/sparql-results+json" in body["available"]


def test_syntax_error_names_line_and_column(live: Live) -> None:
    response = live.client.get("/sparql", params={"query": "SELECT * WHERE {\n  ?s ?p \n}"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "query-syntax"
    assert body["line"] == 3
    assert isinstance(body["column"], int)


def test_unknown_body_type_is_415(live: Live) -> None:
    response = live.client.post("/sparql", content="ASK {}", headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported-format"


def test_body_over_the_limit_is_413(live_factory: LiveFactory) -> None:
    live = live_factory(max_upload_bytes=16)
    response = live.client.post(
        "/sparql",
        content="SELECT * WHERE { ?s ?p ?o }",
        headers={"content-type": "application/sparql-query"},
    )
    assert response.status_code == 413


def test_default_graph_is_the_union_and_graph_selects_one(live: Live) -> None:
    _load(live)
    assert len(list(_select(live, SELECT_ALL))) == 2
    in_g1 = "SELECT ?s ?o WHERE { GRAPH <http://example.org/g1> { ?s <http://example.org/p> ?o } }"
    assert [row["s"] for row in _select(live, in_g1)] == [NamedNode("http://example.org/a")]
    only_g2 = _select(live, SELECT_ALL, **{"default-graph-uri": G2})
    assert [row["s"] for row in only_g2] == [NamedNode("http://example.org/b")]
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert [row["g"] for row in _select(live, named, **{"named-graph-uri": G1})] == [NamedNode(G1)]


@pytest.mark.parametrize(
    ("accept", "rdf_format"),
    [
        (None, RdfFormat.TURTLE),
        ("application/ld+json", RdfFormat.JSON_LD),
        ("application/rdf+xml", RdfFormat.RDF_XML),
        ("application/n-triples", RdfFormat.N_TRIPLES),
    ],
)
def test_service_description(live: Live, accept: str | None, rdf_format: RdfFormat) -> None:
    """W3C service-description tests: returns-rdf, has-endpoint-triple, conforms-to-schema."""
    sd = "http://www.w3.org/ns/sparql-service-description#"
    response = live.client.get("/sparql", headers={"accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == rdf_format.media_type
    triples = list(parse(response.content, format=rdf_format))
    endpoint = NamedNode(live.url + "/sparql")
    services = {t.subject for t in triples if t.predicate == NamedNode(sd + "endpoint")}
    assert len(services) == 1
    service = services.pop()
    about = {(t.predicate.value, t.object) for t in triples if t.subject == service}
    assert (sd + "endpoint", endpoint) in about
    assert (sd + "feature", NamedNode(sd + "UnionDefaultGraph")) in about
    assert (sd + "supportedLanguage", NamedNode(sd + "SPARQL11Query")) in about
    assert (sd + "supportedLanguage", NamedNode(sd + "SPARQL11Update")) in about


def test_service_description_omits_update_when_disabled(read_only: Live) -> None:
    response = read_only.client.get("/sparql", headers={"accept": "application/n-triples"})
    assert b"SPARQL11Query" in response.content
    assert b"SPARQL11Update" not in response.content
