"""/store: Graph Store Protocol writes are batches through the gate."""

from __future__ import annotations

from pyoxigraph import NamedNode, RdfFormat, parse

from api.live_server import Live
from kgthread.store.base import CATALOG_GRAPH
from kgthread.vocab import TARGET_GRAPH

GRAPH = "http://example.org/parts"
TURTLE = {"content-type": "text/turtle"}
P1 = b"""@prefix kgt: <https://w3id.org/kgthread/ns#> .
<https://w3id.org/kgthread/id/part/P1> a kgt:Part ; kgt:partNumber "P1" .
"""
REVISION = b"""@prefix kgt: <https://w3id.org/kgthread/ns#> .
<https://w3id.org/kgthread/id/revision/P1/A> a kgt:PartRevision ;
    kgt:revisionOf <https://w3id.org/kgthread/id/part/P1> ; kgt:revisionCode "A" .
"""
NO_PART_NUMBER = b"""@prefix kgt: <https://w3id.org/kgthread/ns#> .
<https://w3id.org/kgthread/id/part/P9> a kgt:Part .
"""


def _triples(live: Live, graph: str) -> int:
    response = live.client.get(
        "/store", params={"graph": graph}, headers={"accept": "application/n-triples"}
    )
    assert response.status_code == 200, response.text
    return len(list(parse(response.content, format=RdfFormat.N_TRIPLES)))


def test_round_trip(live: Live) -> None:
    params = {"graph": GRAPH}
    assert live.client.put("/store", params=params, content=P1, headers=TURTLE).status_code == 201
    assert live.client.put("/store", params=params, content=P1, headers=TURTLE).status_code == 204
    assert _triples(live, GRAPH) == 2
    post = live.client.post("/store", params=params, content=REVISION, headers=TURTLE)
    assert post.status_code == 204
    assert _triples(live, GRAPH) == 5
    head = live.client.head("/store", params=params)
    assert head.status_code == 200
    assert head.headers["content-type"].startswith("text/turtle")
    assert live.client.delete("/store", params=params).status_code == 204
    assert live.client.get("/store", params=params).status_code == 404
    assert live.client.delete("/store", params=params).status_code == 404
    assert not list(live.store.quads(None, TARGET_GRAPH, NamedNode(GRAPH), CATALOG_GRAPH))


def test_post_without_graph_creates_one(live: Live) -> None:
    response = live.client.post("/store", content=P1, headers=TURTLE)
    assert response.status_code == 201
    assert _triples(live, response.headers["location"]) == 2


def test_invalid_data_is_422_and_store_unchanged(live: Live) -> None:
    live.client.put("/store", params={"graph": GRAPH}, content=P1, headers=TURTLE)
    before = live.dump()
    for method in ("PUT", "POST"):
        response = live.client.request(
            method, "/store", params={"graph": GRAPH}, content=NO_PART_NUMBER, headers=TURTLE
        )
        assert response.status_code == 422
        assert response.json()["report"]["conforms"] is False
    response = live.client.put(
        "/store", params={"default": ""}, content=NO_PART_NUMBER, headers=TURTLE
    )
    assert response.status_code == 422
    assert live.dump() == before


def test_malformed_turtle_is_400_naming_the_line(live: Live) -> None:
    body = b"<http://example.org/s> <http://example.org/p> 1 .\n<http://example.org/s> oops .\n"
    response = live.client.put("/store", params={"graph": GRAPH}, content=body, headers=TURTLE)
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "rdf-syntax"
    assert problem["line"] == 2
    assert not live.store.contains_graph(NamedNode(GRAPH))


def test_unknown_content_type_is_415(live: Live) -> None:
    response = live.client.put(
        "/store", params={"graph": GRAPH}, content=b"x", headers={"content-type": "image/png"}
    )
    assert response.status_code == 415


def test_catalog_is_read_only(live: Live) -> None:
    live.client.put("/store", params={"graph": GRAPH}, content=P1, headers=TURTLE)
    params = {"graph": CATALOG_GRAPH.value}
    assert live.client.get("/store", params=params).status_code == 200
    assert live.client.delete("/store", params=params).status_code == 403
    assert live.client.put("/store", params=params, content=P1, headers=TURTLE).status_code == 403


def test_whole_dataset_and_406(live: Live) -> None:
    live.client.put("/store", params={"graph": GRAPH}, content=P1, headers=TURTLE)
    response = live.client.get("/store", headers={"accept": "application/n-quads"})
    assert response.status_code == 200
    graphs = {q.graph_name for q in parse(response.content, format=RdfFormat.N_QUADS)}
    assert graphs == {NamedNode(GRAPH), CATALOG_GRAPH}
    refused = live.client.get("/store", params={"graph": GRAPH}, headers={"accept": "image/png"})
    assert refused.status_code == 406
