"""The explorer's queries on a lot consumed into 10,000 units: counts, keyset pages both ways."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from pyoxigraph import Literal, NamedNode, Quad, Store, Variable

from kgthread import vocab
from kgthread.api import explorer_data
from kgthread.errors import BadRequest
from kgthread.store.base import INFERRED_GRAPH as INFERRED

KGT = vocab.KGT_NS
ID = "https://w3id.org/kgthread/id/"
LOT = NamedNode(ID + "lot/RM-1/L1")
UNITS = 10_000


class UnionStore:
    """Just enough of the GraphStore protocol: queries over the union of named graphs."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def query(self, sparql: str, *, substitutions: Mapping[str, Any] | None = None) -> Any:
        bound = {Variable(k): v for k, v in (substitutions or {}).items()}
        return self.store.query(sparql, substitutions=bound, use_default_graph_as_union=True)

    def state(self) -> str:
        """Changes with every write these tests make (each adds or removes a quad)."""
        return str(len(self.store))


@pytest.fixture(scope="module")
def busy() -> UnionStore:
    store = Store()
    graph = NamedNode(ID + "graph/g1")
    batch = NamedNode(ID + "batch/g1")
    source = NamedNode(ID + "source/s1")
    unit_class = NamedNode(KGT + "SerializedUnit")
    quads = [
        Quad(LOT, vocab.RDF_TYPE, NamedNode(KGT + "MaterialLot"), graph),
        Quad(LOT, NamedNode(KGT + "lotId"), Literal("L1"), graph),
        Quad(batch, NamedNode(KGT + "targetGraph"), graph, graph),
        Quad(batch, NamedNode(vocab.PROV_NS + "used"), source, graph),
        Quad(source, NamedNode(KGT + "fileName"), Literal("mes.csv"), graph),
    ]
    for i in range(UNITS):
        unit = NamedNode(f"{ID}unit/P1/SN{i:06d}")
        quads += [
            Quad(unit, NamedNode(KGT + "hasComponent"), LOT, graph),
            Quad(unit, vocab.RDF_TYPE, unit_class, graph),
            Quad(unit, NamedNode(KGT + "serialNumber"), Literal(f"SN{i:06d}"), graph),
        ]
    store.extend(quads)
    return UnionStore(store)


def test_counts_and_first_page_of_ten_thousand_consumers(busy: UnionStore) -> None:
    doc = explorer_data.summary(busy, LOT.value)
    page = explorer_data.links(busy, LOT.value, "in", KGT + "hasComponent")
    assert [(g["direction"], g["count"]) for g in doc["groups"]] == [("in", UNITS)]
    assert len(page["items"]) == explorer_data.PAGE
    assert (page["start"], page["total"], page["previous"]) == (0, UNITS, None)
    assert page["next"]
    assert page["items"][0]["label"] == "SN000000"
    assert page["items"][0]["class"] == "kgt:SerializedUnit"
    assert page["items"][0]["provenance"][0]["files"] == "mes.csv"
    assert page["items"][0]["inferred"] is False


def _walk(store: UnionStore, way: str, cursor: str | None, tail: int = 0) -> list[str]:
    """Every link reachable from ``cursor`` following ``way`` ("next" or "previous");
    ``tail``: how many links follow the cursor's page when walking back."""
    seen: list[str] = []
    for _ in range(UNITS // 500 + 2):
        page = explorer_data.links(store, LOT.value, "in", KGT + "hasComponent", cursor, 500)
        batch = [item["iri"] for item in page["items"]]
        seen = seen + batch if way == "next" else batch + seen
        assert page["start"] == (
            len(seen) - len(batch) if way == "next" else UNITS - tail - len(seen)
        )
        cursor = page[way]
        if cursor is None:
            return seen
    pytest.fail("paging did not end")


def test_cursor_pages_forward_and_back_through_every_link(busy: UnionStore) -> None:
    forward = _walk(busy, "next", None)
    assert len(forward) == len(set(forward)) == UNITS
    assert forward == sorted(forward)
    last = explorer_data.links(busy, LOT.value, "in", KGT + "hasComponent", None, 500)
    while last["next"]:
        last = explorer_data.links(busy, LOT.value, "in", KGT + "hasComponent", last["next"], 500)
    assert last["items"][-1]["iri"] == forward[-1]
    backward = _walk(busy, "previous", last["previous"], len(last["items"]))
    assert backward + [item["iri"] for item in last["items"]] == forward


def test_cursor_keeps_its_place_when_links_arrive(busy: UnionStore) -> None:
    first = explorer_data.links(busy, LOT.value, "in", KGT + "hasComponent", None, 10)
    early = NamedNode(ID + "unit/P1/SN000000a")  # sorts inside the first page
    quad = Quad(early, NamedNode(KGT + "hasComponent"), LOT, NamedNode(ID + "graph/g2"))
    busy.store.add(quad)
    try:
        second = explorer_data.links(busy, LOT.value, "in", KGT + "hasComponent", first["next"], 10)
        assert second["items"][0]["label"] == "SN000010"
        assert second["start"] == 11
        assert second["total"] == UNITS + 1
    finally:
        busy.store.remove(quad)


def test_only_inferred_links_are_marked(busy: UnionStore) -> None:
    unit = NamedNode(ID + "unit/P1/SN000001")
    quad = Quad(unit, NamedNode(KGT + "contains"), LOT, INFERRED)
    busy.store.add(quad)
    try:
        page = explorer_data.links(busy, LOT.value, "in", KGT + "contains")
        assert [(i["iri"], i["inferred"], i["provenance"]) for i in page["items"]] == [
            (unit.value, True, [])
        ]
        edges = explorer_data.neighbours(busy, LOT.value)["edges"]
        assert {e["predicate"]: e["inferred"] for e in edges} == {
            KGT + "hasComponent": False,
            KGT + "contains": True,
        }
    finally:
        busy.store.remove(quad)


def test_a_foreign_cursor_is_refused(busy: UnionStore) -> None:
    for cursor in ("not-base64!", "e30", "eyJ4IjoxfQ"):  # garbage, {}, {"x":1}
        with pytest.raises(BadRequest):
            explorer_data.links(busy, LOT.value, "in", KGT + "hasComponent", cursor)


def test_neighbours_are_capped_and_typed(busy: UnionStore) -> None:
    data = explorer_data.neighbours(busy, LOT.value)
    assert len(data["nodes"]) == 1 + explorer_data.NEIGHBOURS
    assert data["nodes"][0]["type"] == "kgt:MaterialLot"
    assert {n["typeLabel"] for n in data["nodes"][1:]} == {"serialized unit"}
