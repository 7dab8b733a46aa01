"""A write that stopped between a batch's graph and its catalog entry, on each remote store:
the graph is invisible, kept while its pending mark is recent (its writer may be at work),
and removed by the next opening once the mark is old."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, QuerySolutions, RdfFormat, Triple, serialize

from backends.stores import REMOTE_BACKENDS, open_backend
from factories import product
from kgthread import ids, vocab
from kgthread.store.remote import RemoteStore


@pytest.fixture(params=REMOTE_BACKENDS)
def remote(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RemoteStore]:
    store = open_backend(request, request.param, tmp_path)
    assert isinstance(store, RemoteStore)
    yield store
    store.close()


def _stop_between_graph_and_catalog(store: RemoteStore, graph: NamedNode) -> None:
    """The first two steps of a commit, as a writer that died before the third does them."""
    body = serialize(product("P-9"), format=RdfFormat.N_TRIPLES) or b""
    store._mark_pending(graph)
    store._graphs.put(graph, lambda: body, RdfFormat.N_TRIPLES)


def _holds_anything(store: RemoteStore, graph: NamedNode) -> bool:
    """Asked with the graph named as the dataset: what the store holds, committed or not."""
    result = store.query("ASK { ?s ?p ?o }", default_graph=[graph], named_graphs=[])
    return bool(result)


def test_an_interrupted_write_is_invisible_then_removed(remote: RemoteStore) -> None:
    kept = ids.batch_graph("kept")
    remote.commit(kept, product("P-1"), [Triple(ids.batch("kept"), vocab.TARGET_GRAPH, kept)])
    stopped = ids.batch_graph("stopped")
    _stop_between_graph_and_catalog(remote, stopped)
    assert _holds_anything(remote, stopped)  # written...
    assert stopped not in remote.graph_names()  # ...and invisible
    assert not list(remote.quads(ids.part("P-9")))
    counted = remote.query("SELECT (COUNT(*) AS ?n) WHERE { ?s a ?type }")
    assert isinstance(counted, QuerySolutions)
    assert int(next(iter(counted))["n"].value) == 2  # P-1's part and revision only
    del counted
    assert remote.recover() == []  # the mark is recent: its writer may still be at work
    assert remote.recover(timedelta(0)) == [stopped]
    assert not _holds_anything(remote, stopped)
    assert remote.recover(timedelta(0)) == []
    assert set(remote.graph_names()) >= {kept}
    assert len(list(remote.quads(ids.part("P-1")))) == 2
