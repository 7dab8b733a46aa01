"""The embedded Oxigraph store on disk, beyond the contract every backend passes
(tests/backends/test_store_contract.py): bulk-load errors, atomic replace, recovery, the lock."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import NamedNode, RdfFormat, Store

import factories
from kgthread import ids, vocab
from kgthread.errors import RdfSyntaxError, StoreLocked
from kgthread.store.base import CATALOG_GRAPH
from kgthread.store.embedded import EmbeddedStore


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    return EmbeddedStore.open(tmp_path / "store")


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
    store.commit(graph, factories.part("P-1"), factories.catalog("good", graph))
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
    assert factories.count(reopened) == 4


def test_replace_swaps_graph_content_atomically(store: EmbeddedStore) -> None:
    graph = NamedNode("http://example.org/g")
    store.commit(graph, factories.part("OLD"), factories.catalog("b1", graph))
    store.commit(graph, factories.part("NEW"), factories.catalog("b2", graph), replace=True)
    numbers = {q.object.value for q in store.quads(None, vocab.PART_NUMBER, None, graph)}
    assert numbers == {"NEW"}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_bulk_commit_of_broken_file_names_the_line(store: EmbeddedStore, tmp_path: Path) -> None:
    source = _write(tmp_path / "broken.nt", "<urn:a> <urn:p> <urn:b> .\n<urn:a> <urn:p> .\n")
    with pytest.raises(RdfSyntaxError) as info:
        store.bulk_commit(ids.batch_graph("x"), source, RdfFormat.N_TRIPLES, [], lambda: None)
    assert info.value.detail["line"] == 2
    assert "broken.nt" in info.value.message
    assert factories.count(store) == 0
    assert store.graph_names() == []
