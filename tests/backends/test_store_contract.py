"""The ``GraphStore`` contract, the same on every backend: embedded, Oxigraph server, Virtuoso."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import (
    Literal,
    NamedNode,
    QueryBoolean,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
)

import factories
from backends.stores import BACKENDS, open_backend
from kgthread import ids, vocab
from kgthread.errors import BadRequest, KgthreadError, QuerySyntaxError, ValidationFailed
from kgthread.store.base import CATALOG_GRAPH, GraphStore


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    opened = open_backend(request, request.param, tmp_path)
    yield opened
    opened.close()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_commit_lands_in_its_graph_and_the_union(store: GraphStore) -> None:
    graph = ids.batch_graph("b1")
    store.commit(graph, factories.part("P-1"), factories.catalog("b1", graph))
    assert store.contains_graph(graph)
    assert factories.count(store) == 4  # two data triples + two catalog triples, seen as one union
    assert len(list(store.quads(graph=graph))) == 2
    assert len(list(store.quads(graph=CATALOG_GRAPH))) == 2
    assert set(store.graph_names()) == {graph, CATALOG_GRAPH}


def test_quads_match_patterns_with_wildcards(store: GraphStore) -> None:
    graph = ids.batch_graph("b1")
    store.commit(
        graph, factories.part("P-1") + factories.part("P-2"), factories.catalog("b1", graph)
    )
    part = ids.part("P-1")
    assert {q.object for q in store.quads(part)} == {vocab.PART, Literal("P-1")}
    assert {q.subject for q in store.quads(None, vocab.PART_NUMBER, Literal("P-2"))} == {
        ids.part("P-2")
    }
    found = list(store.quads(None, vocab.RDF_TYPE, vocab.PART, graph))
    assert {q.graph_name for q in found} == {graph}
    assert len(found) == 2
    assert list(store.quads(part, graph=ids.batch_graph("elsewhere"))) == []


def test_query_binds_parameters_as_terms(store: GraphStore) -> None:
    graph = ids.batch_graph("b1")
    store.commit(
        graph, factories.part("P-1") + factories.part("P-2"), factories.catalog("b1", graph)
    )
    text = "SELECT ?part ?number WHERE { ?part <%s> ?number }" % vocab.PART_NUMBER.value  # noqa: UP031
    result = store.query(text, substitutions={"part": ids.part("P-2")})
    assert isinstance(result, QuerySolutions)
    assert [row["number"] for row in result] == [Literal("P-2")]
    hostile = Literal('P-1" } ; DROP ALL ; #')
    result = store.query(text, substitutions={"number": hostile})
    assert isinstance(result, QuerySolutions)
    assert list(result) == []
    assert factories.count(store) == 6


def test_ask_and_construct_answer_as_pyoxigraph_results(store: GraphStore) -> None:
    graph = ids.batch_graph("b1")
    store.commit(graph, factories.part("P-1"), factories.catalog("b1", graph))
    asked = store.query("ASK { ?s a ?type }")
    assert isinstance(asked, QueryBoolean)
    assert bool(asked)
    built = store.query("CONSTRUCT { ?s a ?type } WHERE { ?s a ?type }")
    assert isinstance(built, QueryTriples)
    assert {(t.subject, t.object) for t in built} == {(ids.part("P-1"), vocab.PART)}


def test_dataset_can_be_narrowed_to_one_graph(store: GraphStore) -> None:
    first, second = ids.batch_graph("b1"), ids.batch_graph("b2")
    store.commit(first, factories.part("P-1"), factories.catalog("b1", first))
    store.commit(second, factories.part("P-2"), factories.catalog("b2", second))
    assert factories.count(store) == 8
    result = store.query(factories.COUNT_ALL, default_graph=[second])
    assert isinstance(result, QuerySolutions)
    assert int(next(iter(result))["n"].value) == 2
    graphs = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s a ?t } }")
    assert isinstance(graphs, QuerySolutions)
    assert {row["g"] for row in graphs} == {first, second}


def test_replace_swaps_graph_content(store: GraphStore) -> None:
    graph = ids.batch_graph("swap")
    store.commit(graph, factories.part("OLD"), factories.catalog("b1", graph))
    store.commit(graph, factories.part("NEW"), factories.catalog("b2", graph), replace=True)
    numbers = {q.object.value for q in store.quads(None, vocab.PART_NUMBER, None, graph)}
    assert numbers == {"NEW"}


def test_commit_to_an_existing_graph_adds(store: GraphStore) -> None:
    graph = ids.batch_graph("grow")
    store.commit(graph, factories.part("A"), factories.catalog("b1", graph))
    store.commit(graph, factories.part("B"), [])
    numbers = {q.object.value for q in store.quads(None, vocab.PART_NUMBER, None, graph)}
    assert numbers == {"A", "B"}


def test_drop_removes_graph_and_its_catalog_entry(store: GraphStore) -> None:
    graph = ids.batch_graph("b1")
    catalog = factories.catalog("b1", graph)
    store.commit(graph, factories.part("P-1"), catalog)
    store.drop_graph(graph, catalog)
    assert not store.contains_graph(graph)
    assert factories.count(store) == 0


def test_dump_serialises_one_graph_and_all(store: GraphStore) -> None:
    graph = ids.batch_graph("b1")
    store.commit(graph, factories.part("P-1"), factories.catalog("b1", graph))
    one = store.dump(graph, RdfFormat.N_TRIPLES).decode().splitlines()
    assert len(one) == 2
    every = store.dump(None, RdfFormat.N_QUADS).decode().splitlines()
    assert len(every) == 4
    assert store.triple_count() == 4


def test_bulk_commit_is_invisible_until_committed(store: GraphStore, tmp_path: Path) -> None:
    lines = "".join(f'<urn:s{i}> <urn:p> "{i}" .\n' for i in range(20_000))
    source = _write(tmp_path / "big.nt", lines)
    graph = ids.batch_graph("bulk")
    seen_during_check: list[int] = []
    gate_open = threading.Event()

    def check() -> None:
        gate_open.wait(5)
        seen_during_check.append(factories.count(store))

    gate_open.set()
    store.bulk_commit(graph, source, RdfFormat.N_TRIPLES, factories.catalog("bulk", graph), check)
    assert seen_during_check == [0]  # readers never saw the half-loaded graph
    assert factories.count(store) == 20_002


def test_bulk_commit_refused_by_check_leaves_store_unchanged(
    store: GraphStore, tmp_path: Path
) -> None:
    graph = ids.batch_graph("keep")
    store.commit(graph, factories.part("P-1"), factories.catalog("keep", graph))
    before = store.dump(None, RdfFormat.N_QUADS)
    state = store.state()
    source = _write(tmp_path / "big.nt", "<urn:a> <urn:p> <urn:b> .\n" * 100)

    def refuse() -> None:
        raise ValidationFailed("refused")

    with pytest.raises(ValidationFailed):
        store.bulk_commit(ids.batch_graph("new"), source, RdfFormat.N_TRIPLES, [], refuse)
    assert store.dump(None, RdfFormat.N_QUADS) == before
    assert store.state() == state
    assert not store.contains_graph(ids.batch_graph("new"))


def test_bulk_commit_of_broken_file_is_refused_whole(store: GraphStore, tmp_path: Path) -> None:
    source = _write(tmp_path / "broken.nt", "<urn:a> <urn:p> <urn:b> .\n<urn:a> <urn:p> .\n")
    with pytest.raises(BadRequest) as info:
        store.bulk_commit(ids.batch_graph("x"), source, RdfFormat.N_TRIPLES, [], lambda: None)
    assert info.value.status == 400
    assert factories.count(store) == 0
    assert store.graph_names() == []


def test_syntax_error_in_query_reports_position(store: GraphStore) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        store.query("SELECT * WHERE { ?s ?p }")
    assert info.value.status == 400
    assert info.value.detail["line"] == 1


def test_update_runs_and_changes_the_state(store: GraphStore) -> None:
    graph = ids.batch_graph("b1")
    store.commit(graph, factories.part("P-1"), factories.catalog("b1", graph))
    before = store.state()
    store.update(
        "INSERT DATA { GRAPH <%s> { <urn:x> <urn:p> 'added' } } # a comment at the end"  # noqa: UP031
        % graph.value
    )
    assert store.state() != before
    assert [q.object for q in store.quads(NamedNode("urn:x"))] == [Literal("added")]


def test_state_token_changes_with_each_write_and_only_then(
    store: GraphStore, tmp_path: Path
) -> None:
    first = store.state()
    store.query(factories.COUNT_ALL)
    assert store.state() == first
    graph = ids.batch_graph("b1")
    store.commit(graph, factories.part("P-1"), factories.catalog("b1", graph))
    after_commit = store.state()
    assert after_commit != first
    source = _write(tmp_path / "big.nt", "<urn:a> <urn:p> <urn:b> .\n")

    def refuse() -> None:
        raise ValidationFailed("refused")

    with pytest.raises(ValidationFailed):
        store.bulk_commit(ids.batch_graph("new"), source, RdfFormat.N_TRIPLES, [], refuse)
    assert store.state() == after_commit
    store.drop_graph(graph, factories.catalog("b1", graph))
    assert store.state() != after_commit


def test_errors_are_kgthread_errors(store: GraphStore) -> None:
    with pytest.raises(KgthreadError):
        store.query("SELECT ?x WHERE { ?x <urn:p> ?y } GROUP BY ?nothing HAVING(")
