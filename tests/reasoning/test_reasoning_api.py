"""The reasoner behind a live server (``reasoning`` on): Graph Store writes and SPARQL
updates keep the inferred closure in step, ``/api/explain`` explains what it holds, and
``/api/conformance`` answers each unit's design report in the contract the explorer uses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pyoxigraph import NamedNode

from api.live_server import Server
from kgthread import ids, vocab
from kgthread.config import Settings
from kgthread.reasoning import INFERRED_GRAPH
from kgthread.store.embedded import EmbeddedStore
from reasoning.designs import BUILT, DESIGN, LEAF, MID, TOP

TTL = {"Content-Type": "text/turtle"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[httpx.Client, EmbeddedStore]]:
    folder = tmp_path / "store"
    store = EmbeddedStore.open(folder)
    settings = Settings.from_env({"KGTHREAD_REASONING": "on"}, data=folder, enable_update=True)
    assert settings.reasoning
    server = Server(settings, store)
    url = server.start()
    http = httpx.Client(base_url=url, timeout=60)
    try:
        put = http.put(
            "/store", params={"graph": ids.batch_graph("design").value}, content=DESIGN, headers=TTL
        )
        assert put.status_code == 201, put.text
        yield http, store
    finally:
        http.close()
        server.stop()
        store.close()


def closure(store: EmbeddedStore) -> set[tuple[str, str]]:
    return {
        (q.subject.value, q.object.value)
        for q in store.quads(None, vocab.CONTAINS, None, INFERRED_GRAPH)
        if isinstance(q.subject, NamedNode) and isinstance(q.object, NamedNode)
    }


def test_graph_store_put_and_delete_move_the_closure(
    client: tuple[httpx.Client, EmbeddedStore],
) -> None:
    http, store = client
    graph = {"graph": ids.batch_graph("built").value}
    assert http.put("/store", params=graph, content=BUILT, headers=TTL).status_code == 201
    assert closure(store) == {
        (TOP.value, MID.value),
        (MID.value, LEAF.value),
        (TOP.value, LEAF.value),
    }
    # Replacing the graph without MID's component drops what went through that edge.
    fewer = BUILT.replace(f" ; kgt:hasComponent <{LEAF.value}>", "")
    assert http.put("/store", params=graph, content=fewer, headers=TTL).status_code == 204
    assert closure(store) == {(TOP.value, MID.value)}
    assert http.delete("/store", params=graph).status_code == 204
    assert closure(store) == set()


def test_sparql_update_adds_and_removes_genealogy(
    client: tuple[httpx.Client, EmbeddedStore],
) -> None:
    http, store = client
    graph = ids.batch_graph("built").value
    no_link = BUILT.replace(f" ; kgt:hasComponent <{MID.value}>", "")
    assert (
        http.put("/store", params={"graph": graph}, content=no_link, headers=TTL).status_code == 201
    )
    assert closure(store) == {(MID.value, LEAF.value)}
    edge = f"<{TOP.value}> <{vocab.HAS_COMPONENT.value}> <{MID.value}>"
    insert = http.post(
        "/sparql", data={"update": f"INSERT DATA {{ GRAPH <{graph}> {{ {edge} }} }}"}
    )
    assert insert.status_code == 200, insert.text
    assert closure(store) == {
        (TOP.value, MID.value),
        (MID.value, LEAF.value),
        (TOP.value, LEAF.value),
    }
    delete = http.post(
        "/sparql", data={"update": f"DELETE DATA {{ GRAPH <{graph}> {{ {edge} }} }}"}
    )
    assert delete.status_code == 200, delete.text
    assert closure(store) == {(MID.value, LEAF.value)}
    refused = http.post(
        "/sparql", data={"update": f"INSERT DATA {{ GRAPH <{INFERRED_GRAPH.value}> {{ {edge} }} }}"}
    )
    assert refused.status_code == 403


def test_explain_over_http(client: tuple[httpx.Client, EmbeddedStore]) -> None:
    http, _ = client
    graph = ids.batch_graph("built").value
    assert (
        http.put("/store", params={"graph": graph}, content=BUILT, headers=TTL).status_code == 201
    )
    triple = {"subject": TOP.value, "predicate": vocab.CONTAINS.value, "object": LEAF.value}
    answer = http.get("/api/explain", params=triple)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["triple"] == triple
    assert body["rule"] == "contains-transitive"
    assert [(p["subject"], p["predicate"], p["object"], p["graph"]) for p in body["premises"]] == [
        (TOP.value, vocab.HAS_COMPONENT.value, MID.value, graph),
        (MID.value, vocab.HAS_COMPONENT.value, LEAF.value, graph),
    ]
    backwards = http.get(
        "/api/explain", params={**triple, "subject": LEAF.value, "object": TOP.value}
    )
    assert backwards.status_code == 404
    assert backwards.headers["content-type"].startswith("application/problem+json")
    assert http.get("/api/explain", params={**triple, "object": "not an iri"}).status_code == 400


def test_conformance_over_http(client: tuple[httpx.Client, EmbeddedStore]) -> None:
    http, _ = client
    # MID is built without its LEAF: MID is missing one, TOP (holding MID) conforms.
    no_leaf = BUILT.replace(f" ; kgt:hasComponent <{LEAF.value}>", "")
    graph = {"graph": ids.batch_graph("built").value}
    assert http.put("/store", params=graph, content=no_leaf, headers=TTL).status_code == 201
    mid = http.get("/api/conformance", params={"unit": MID.value})
    assert mid.status_code == 200, mid.text
    assert mid.json() == {
        "unit": MID.value,
        "revision": ids.part_revision("MID", "A").value,
        "conforms": False,
        "findings": [
            {
                "kind": "missing",
                "usage": ids.assembly_usage("MID", "A", "U1").value,
                "part": ids.part("LEAF").value,
                "expected": 1,
                "actual": 0,
                "component": None,
            }
        ],
    }
    top = http.get("/api/conformance", params={"unit": TOP.value}).json()
    assert (top["conforms"], top["findings"]) == (True, [])
    # The component is built in by a batch of just the link: MID is re-checked and conforms.
    link = f"<{MID.value}> <{vocab.HAS_COMPONENT.value}> <{LEAF.value}> ."
    added = http.post("/store", params=graph, content=link, headers=TTL)
    assert added.status_code == 204, added.text
    assert http.get("/api/conformance", params={"unit": MID.value}).json()["conforms"] is True
    unknown = http.get("/api/conformance", params={"unit": ids.unit("TOP", "404").value})
    assert unknown.status_code == 404
    assert unknown.json()["status"] == 404
