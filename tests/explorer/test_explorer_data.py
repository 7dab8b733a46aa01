"""The explorer's queries on a lot consumed into 10,000 units: counts and pages stay cheap."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import pytest
from pyoxigraph import Literal, NamedNode, Quad, Store, Variable

from kgthread import vocab
from kgthread.api import explorer_data

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
    started = time.perf_counter()
    doc = explorer_data.summary(busy, LOT.value)
    page = explorer_data.links(busy, LOT.value, "in", KGT + "hasComponent")
    elapsed = time.perf_counter() - started
    assert [(g["direction"], g["count"]) for g in doc["groups"]] == [("in", UNITS)]
    assert len(page["items"]) == explorer_data.PAGE
    assert page["next_offset"] == explorer_data.PAGE
    assert page["items"][0]["label"] == "SN000000"
    assert page["items"][0]["class"] == "kgt:SerializedUnit"
    assert page["items"][0]["provenance"][0]["files"] == "mes.csv"
    assert elapsed < 3.0, f"summary and first page took {elapsed:.2f} s"


def test_last_page(busy: UnionStore) -> None:
    page = explorer_data.links(busy, LOT.value, "in", KGT + "hasComponent", offset=UNITS - 10)
    assert len(page["items"]) == 10
    assert page["next_offset"] is None


def test_neighbours_are_capped(busy: UnionStore) -> None:
    data = explorer_data.neighbours(busy, LOT.value)
    assert len(data["nodes"]) == 1 + explorer_data.NEIGHBOURS
