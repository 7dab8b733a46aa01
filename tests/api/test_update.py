"""SPARQL Update through the gate: refused outcomes leave the store as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, parse

from api.live_server import Live
from kgthread.gate import Gate
from kgthread.ingest.update import apply_update
from kgthread.store.base import CATALOG_GRAPH
from kgthread.store.embedded import EmbeddedStore
from kgthread.vocab import TARGET_GRAPH, XSD_INTEGER

UPDATE = {"content-type": "application/sparql-update"}
GRAPH = NamedNode("http://example.org/parts")
VALID = """PREFIX kgt: <https://w3id.org/kgthread/ns#>
INSERT DATA { GRAPH <http://example.org/parts> {
  <https://w3id.org/kgthread/id/part/P1> a kgt:Part ; kgt:partNumber "P1" .
} }"""
NO_PART_NUMBER = """PREFIX kgt: <https://w3id.org/kgthread/ns#>
INSERT DATA { GRAPH <http://example.org/parts> {
  <https://w3id.org/kgthread/id/part/P2> a kgt:Part .
} }"""
DROP_PART_NUMBER = """PREFIX kgt: <https://w3id.org/kgthread/ns#>
DELETE WHERE { GRAPH ?g { <https://w3id.org/kgthread/id/part/P1> kgt:partNumber ?n } }"""
ASK_P1 = "ASK { <https://w3id.org/kgthread/id/part/P1> ?p ?o }"


def _ask(live: Live, query: str) -> bool:
    response = live.client.get("/sparql", params={"query": query})
    assert response.status_code == 200, response.text
    return bool(response.json()["boolean"])


def _update(live: Live, text: str) -> int:
    response = live.client.post("/sparql", content=text, headers=UPDATE)
    return response.status_code


def test_update_disabled_is_403(read_only: Live) -> None:
    before = read_only.dump()
    response = read_only.client.post("/sparql", data={"update": VALID})
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert read_only.dump() == before


def test_conforming_update_is_visible_and_catalogued(live: Live) -> None:
    response = live.client.post("/sparql", content=VALID, headers=UPDATE)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == [GRAPH.value]
    assert _ask(live, ASK_P1)
    activities = list(live.store.quads(None, TARGET_GRAPH, GRAPH, CATALOG_GRAPH))
    assert len(activities) == 1


def test_violating_insert_is_422_and_store_unchanged(live: Live) -> None:
    assert _update(live, VALID) == 200
    before = live.dump()
    response = live.client.post("/sparql", content=NO_PART_NUMBER, headers=UPDATE)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "shacl-violation"
    assert body["report"]["conforms"] is False
    focus = {r["focusNode"] for r in body["report"]["results"]}
    assert focus == {"<https://w3id.org/kgthread/id/part/P2>"}
    assert live.dump() == before


def test_delete_that_breaks_remaining_data_is_422(live: Live) -> None:
    assert _update(live, VALID) == 200
    before = live.dump()
    assert _update(live, DROP_PART_NUMBER) == 422
    assert live.dump() == before


@pytest.mark.parametrize(
    ("text", "status", "code"),
    [
        # Targets where nothing listens: only the guard's own answer names them.
        ("LOAD <http://127.0.0.1:9/data.ttl>", 400, "target-refused"),
        (
            "LOAD SILENT <http://127.0.0.1:9/data.ttl> INTO GRAPH <http://example.org/x>",
            400,
            "target-refused",
        ),
        (
            "INSERT { GRAPH <http://example.org/x> { ?s ?p ?o } } WHERE "
            "{ SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
            400,
            "target-refused",
        ),
        (
            "INSERT DATA { GRAPH <https://w3id.org/kgthread/id/catalog> "
            "{ <http://example.org/s> <http://example.org/p> 1 } }",
            403,
            None,
        ),
        ("DROP GRAPH <https://w3id.org/kgthread/id/catalog>", 403, None),
    ],
)
def test_refused_updates(live: Live, text: str, status: int, code: str | None) -> None:
    assert _update(live, VALID) == 200
    before = live.dump()
    response = live.client.post("/sparql", content=text, headers=UPDATE)
    assert response.status_code == status, response.text
    if code is not None:
        body = response.json()
        assert body["code"] == code
        assert body["target"].startswith("http://127.0.0.1:9/")
    assert live.dump() == before


def test_update_syntax_error_names_line(live: Live) -> None:
    response = live.client.post("/sparql", content="INSERT DATA {\n  <a> <b> \n}", headers=UPDATE)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "query-syntax"
    assert body["line"] == 3


def test_clear_all_keeps_catalog_and_drop_removes_entries(live: Live) -> None:
    assert _update(live, VALID) == 200
    assert _update(live, "CLEAR ALL") == 200
    assert not _ask(live, ASK_P1)
    assert list(live.store.quads(None, TARGET_GRAPH, GRAPH, CATALOG_GRAPH))
    assert _update(live, "DROP GRAPH <http://example.org/parts>") == 200
    assert not live.store.contains_graph(GRAPH)
    assert not list(live.store.quads(None, TARGET_GRAPH, GRAPH, CATALOG_GRAPH))


def test_blank_nodes_survive_a_rewrite(live: Live) -> None:
    insert = (
        "INSERT DATA { GRAPH <http://example.org/b> { "
        "_:x <http://example.org/p> 1 . _:x <http://example.org/q> 2 . "
        "_:y <http://example.org/p> 3 } }"
    )
    assert _update(live, insert) == 200
    delete = "DELETE WHERE { GRAPH <http://example.org/b> { ?s <http://example.org/p> 3 } }"
    assert _update(live, delete) == 200
    assert _ask(live, "ASK { ?x <http://example.org/p> 1 ; <http://example.org/q> 2 }")
    assert not _ask(live, "ASK { ?x <http://example.org/p> 3 }")


def test_created_graph_survives_reopening(tmp_path: Path) -> None:
    """A graph an update creates has a catalog entry, so recovery does not drop it."""
    store = EmbeddedStore.open(tmp_path / "store")
    apply_update(store, Gate.default(), VALID)
    store.close()
    reopened = EmbeddedStore.open(tmp_path / "store")
    try:
        assert reopened.recovered_graphs == []
        assert reopened.contains_graph(GRAPH)
    finally:
        reopened.close()


def test_default_graph_updates_use_the_store_default_graph(live: Live) -> None:
    assert _update(live, "INSERT DATA { <http://example.org/s> <http://example.org/p> 7 }") == 200
    response = live.client.get(
        "/store", params={"default": ""}, headers={"accept": "application/n-triples"}
    )
    assert [t.object for t in parse(response.content, format=RdfFormat.N_TRIPLES)] == [
        Literal("7", datatype=XSD_INTEGER)
    ]
