"""Every fact once, on every backend: the default graph is the RDF merge of the current
graphs, however many of them assert a statement, through commits, replaces, drops, new
versions of a document, SPARQL updates and bulk loads; ``GRAPH ?g`` still shows who
asserts it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyoxigraph import Literal, QuerySolutions, RdfFormat, Triple

import factories
from backends.stores import BACKENDS, open_backend
from kgthread import ids, vocab
from kgthread.gate import Gate
from kgthread.ingest.pipeline import supersession
from kgthread.ingest.update import apply_update
from kgthread.store.base import GraphStore

PART_COUNT = (
    "PREFIX kgt: <https://w3id.org/kgthread/ns#> SELECT (COUNT(?p) AS ?n) { ?p a kgt:Part }"
)
NUMBERS = (
    "PREFIX kgt: <https://w3id.org/kgthread/ns#> SELECT (COUNT(*) AS ?n) { ?p kgt:partNumber ?x }"
)
LABELS = "SELECT ?l WHERE { ?p <http://www.w3.org/2000/01/rdf-schema#label> ?l }"


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    opened = open_backend(request, request.param, tmp_path)
    yield opened
    opened.close()


def _graphs_asserting(store: GraphStore, number: str) -> set[str]:
    result = store.query(
        "PREFIX kgt: <https://w3id.org/kgthread/ns#> "
        "SELECT DISTINCT ?g ?number { GRAPH ?g { ?p kgt:partNumber ?number } }",
        substitutions={"number": Literal(number)},
    )
    assert isinstance(result, QuerySolutions)
    return {row["g"].value for row in result}


def test_a_fact_in_three_graphs_counts_once_until_the_last_goes(store: GraphStore) -> None:
    graphs = [ids.batch_graph(f"b{i}") for i in range(3)]
    for i, graph in enumerate(graphs):
        store.commit(graph, factories.part("P-1"), factories.catalog(f"b{i}", graph))
    assert factories.count(store, PART_COUNT) == 1
    assert factories.count(store, NUMBERS) == 1
    assert _graphs_asserting(store, "P-1") == {g.value for g in graphs}
    store.drop_graph(graphs[0])
    store.drop_graph(graphs[1])
    assert factories.count(store, PART_COUNT) == 1
    store.drop_graph(graphs[2])
    assert factories.count(store, PART_COUNT) == 0


def test_replace_keeps_what_another_graph_still_asserts(store: GraphStore) -> None:
    first, second = ids.batch_graph("one"), ids.batch_graph("two")
    store.commit(first, factories.part("P-1"), factories.catalog("one", first))
    both = factories.part("P-1") + factories.part("P-2")
    store.commit(second, both, factories.catalog("two", second))
    assert factories.count(store, PART_COUNT) == 2
    store.commit(second, factories.part("P-3"), [], replace=True)
    assert factories.count(store, PART_COUNT) == 2  # P-1 (still in one) and P-3
    assert _graphs_asserting(store, "P-2") == set()
    assert factories.count(store, NUMBERS) == 2


def test_a_new_version_retires_the_old_one_into_history(store: GraphStore) -> None:
    old, new = ids.batch_graph("v1"), ids.batch_graph("v2")
    label = vocab.RDFS_LABEL
    v1 = [*factories.part("P-1"), Triple(ids.part("P-1"), label, Literal("bracket"))]
    v2 = [*factories.part("P-1"), Triple(ids.part("P-1"), label, Literal("bracket, zinc"))]
    store.commit(old, v1, factories.catalog("v1", old))
    entry = factories.catalog("v2", new) + supersession(
        ids.batch("v1"), ids.batch("v2"), datetime.now(UTC)
    )
    store.commit(new, v2, entry, retire=[old])
    result = store.query(LABELS)
    assert isinstance(result, QuerySolutions)
    assert [row["l"].value for row in result] == ["bracket, zinc"]
    assert factories.count(store, PART_COUNT) == 1
    assert len(list(store.quads(graph=old))) == 3  # history is kept, by name


def test_updates_keep_the_view(store: GraphStore) -> None:
    graph = ids.batch_graph("base")
    store.commit(graph, factories.part("P-1"), factories.catalog("base", graph))
    gate = Gate.default()
    insert = (
        "PREFIX kgt: <https://w3id.org/kgthread/ns#> INSERT DATA { GRAPH <http://example.org/u> "
        '{ <https://w3id.org/kgthread/id/part/P-1> a kgt:Part ; kgt:partNumber "P-1" } }'
    )
    apply_update(store, gate, insert)
    assert factories.count(store, PART_COUNT) == 1
    apply_update(store, gate, "DROP GRAPH <http://example.org/u>")
    assert factories.count(store, PART_COUNT) == 1  # the base batch still asserts it
    apply_update(store, gate, f"DROP GRAPH <{graph.value}>")
    assert factories.count(store, PART_COUNT) == 0


def test_a_bulk_load_overlapping_what_is_stored_counts_once(
    store: GraphStore, tmp_path: Path
) -> None:
    small = ids.batch_graph("small")
    store.commit(small, factories.part("P-7"), factories.catalog("small", small))
    lines = "".join(
        f'<{ids.part(f"P-{i}").value}> <{vocab.PART_NUMBER.value}> "P-{i}" .\n'
        for i in range(5, 2005)
    )
    source = tmp_path / "parts.nt"
    source.write_text(lines, encoding="utf-8")
    bulk = ids.batch_graph("bulk")
    store.bulk_commit(
        bulk, source, RdfFormat.N_TRIPLES, factories.catalog("bulk", bulk), lambda: None
    )
    assert factories.count(store, NUMBERS) == 2000
    store.drop_graph(bulk)
    assert factories.count(store, NUMBERS) == 1  # the small batch's P-7 stays
    second = ids.batch_graph("bulk-2")
    store.bulk_commit(
        second, source, RdfFormat.N_TRIPLES, factories.catalog("bulk-2", second), lambda: None
    )
    third = ids.batch_graph("bulk-3")
    store.bulk_commit(
        third, source, RdfFormat.N_TRIPLES, factories.catalog("bulk-3", third), lambda: None
    )
    assert factories.count(store, NUMBERS) == 2000
    store.drop_graph(second)
    assert factories.count(store, NUMBERS) == 2000
    store.drop_graph(third)
    assert factories.count(store, NUMBERS) == 1
