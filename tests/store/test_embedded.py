"""The embedded Oxigraph store on disk: atomic commits, hidden pending graphs, recovery."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, QuerySolutions, RdfFormat, Store, Triple

from kgthread import ids, vocab
from kgthread.errors import RdfSyntaxError, StoreLocked, ValidationFailed
from kgthread.store.base import CATALOG_GRAPH
from kgthread.store.embedded import EmbeddedStore

COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _count(store: EmbeddedStore, sparql: str = COUNT_ALL) -> int:
    result = store.query(sparql)
    assert isinstance(result, QuerySolutions)
    return int(next(iter(result))["n"].value)


def _part(number: str) -> list[Triple]:
    node = ids.part(number)
    return [
        Triple(node, vocab.RDF_TYPE, vocab.PART),
        Triple(node, vocab.PART_NUMBER, Literal(number)),
    ]


def _catalog(batch_id: str, graph: NamedNode) -> list[Triple]:
    activity = ids.batch(batch_id)
    return [
        Triple(activity, vocab.BATCH_ID, Literal(batch_id)),
        Triple(activity, vocab.TARGET_GRAPH, graph),
    ]


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    return EmbeddedStore.open(tmp_path / "store")


def test_commit_lands_in_its_graph_and_the_union(store: EmbeddedStore) -> None:
    graph = ids.batch_graph("b1")
    store.commit(graph, _part("P-1"), _catalog("b1", graph))
    assert store.contains_graph(graph)
    assert _count(store) == 4  # two data triples + two catalog triples, seen as one union
    assert len(list(store.quads(graph=graph))) == 2
    assert len(list(store.quads(graph=CATALOG_GRAPH))) == 2


def test_second_process_gets_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    first = EmbeddedStore.open(folder)
    with pytest.raises(StoreLocked, match="in use by another process"):
        EmbeddedStore.open(folder)
    first.close()


def test_graph_without_catalog_entry_is_removed_on_open(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    store = EmbeddedStore.open(folder)
    graph = ids.batch_graph("good")
    store.commit(graph, _part("P-1"), _catalog("good", graph))
    store.close()
    # Simulate a crash mid bulk load: data written, catalog entry never written.
    raw = Store(str(folder))
    raw.bulk_load(
        input=b"<urn:x> <urn:p> <urn:y> .",
        format=RdfFormat.N_TRIPLES,
        to_graph=ids.batch_graph("crashed"),
    )
    raw.flush()
    del raw
    reopened = EmbeddedStore.open(folder)
    assert reopened.recovered_graphs == [ids.batch_graph("crashed")]
    assert set(reopened.graph_names()) == {graph, CATALOG_GRAPH}
    assert _count(reopened) == 4


def test_replace_swaps_graph_content_atomically(store: EmbeddedStore) -> None:
    graph = NamedNode("http://example.org/g")
    store.commit(graph, _part("OLD"), _catalog("b1", graph))
    store.commit(graph, _part("NEW"), _catalog("b2", graph), replace=True)
    numbers = {q.object.value for q in store.quads(None, vocab.PART_NUMBER, None, graph)}
    assert numbers == {"NEW"}


def test_drop_removes_graph_and_its_catalog_entry(store: EmbeddedStore) -> None:
    graph = ids.batch_graph("b1")
    catalog = _catalog("b1", graph)
    store.commit(graph, _part("P-1"), catalog)
    store.drop_graph(graph, catalog)
    assert not store.contains_graph(graph)
    assert _count(store) == 0


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_bulk_commit_is_invisible_until_committed(store: EmbeddedStore, tmp_path: Path) -> None:
    lines = "".join(f'<urn:s{i}> <urn:p> "{i}" .\n' for i in range(20_000))
    source = _write(tmp_path / "big.nt", lines)
    graph = ids.batch_graph("bulk")
    seen_during_check: list[int] = []
    gate_open = threading.Event()

    def check() -> None:
        gate_open.wait(5)
        seen_during_check.append(_count(store))

    gate_open.set()
    store.bulk_commit(graph, source, RdfFormat.N_TRIPLES, _catalog("bulk", graph), check)
    assert seen_during_check == [0]  # readers never saw the half-loaded graph
    assert _count(store) == 20_002


def test_bulk_commit_refused_by_check_leaves_store_unchanged(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    graph = ids.batch_graph("keep")
    store.commit(graph, _part("P-1"), _catalog("keep", graph))
    before = store.dump(None, RdfFormat.N_QUADS)
    source = _write(tmp_path / "big.nt", "<urn:a> <urn:p> <urn:b> .\n" * 100)

    def refuse() -> None:
        raise ValidationFailed("refused")

    with pytest.raises(ValidationFailed):
        store.bulk_commit(ids.batch_graph("new"), source, RdfFormat.N_TRIPLES, [], refuse)
    assert store.dump(None, RdfFormat.N_QUADS) == before


def test_bulk_commit_of_broken_file_names_the_line(store: EmbeddedStore, tmp_path: Path) -> None:
    source = _write(tmp_path / "broken.nt", "<urn:a> <urn:p> <urn:b> .\n<urn:a> <urn:p> .\n")
    with pytest.raises(RdfSyntaxError) as info:
        store.bulk_commit(ids.batch_graph("x"), source, RdfFormat.N_TRIPLES, [], lambda: None)
    assert info.value.detail["line"] == 2
    assert "broken.nt" in info.value.message
    assert _count(store) == 0
    assert store.graph_names() == []


def test_syntax_error_in_query_reports_position(store: EmbeddedStore) -> None:
    from kgthread.errors import QuerySyntaxError

    with pytest.raises(QuerySyntaxError) as info:
        store.query("SELECT * WHERE { ?s ?p }")
    assert info.value.status == 400
    assert info.value.detail["line"] == 1


def test_state_token_changes_with_each_write_and_only_then(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    first = store.state()
    store.query(COUNT_ALL)
    assert store.state() == first
    graph = ids.batch_graph("b1")
    store.commit(graph, _part("P-1"), _catalog("b1", graph))
    after_commit = store.state()
    assert after_commit != first
    source = _write(tmp_path / "big.nt", "<urn:a> <urn:p> <urn:b> .\n")

    def refuse() -> None:
        raise ValidationFailed("refused")

    with pytest.raises(ValidationFailed):
        store.bulk_commit(ids.batch_graph("new"), source, RdfFormat.N_TRIPLES, [], refuse)
    assert store.state() == after_commit
    store.drop_graph(graph, _catalog("b1", graph))
    assert store.state() != after_commit
