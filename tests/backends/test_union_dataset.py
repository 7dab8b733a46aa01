"""``store_union_dataset``: queries on an Oxigraph server's union of graphs instead of a list
of every batch graph. The same answers as listed datasets, never a batch that is still being
written (nor one whose write failed), also when the write lands between the state read and
the query; refused for a store without such a union."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pyoxigraph import QuerySolutions, RdfFormat, Triple, serialize

from backends.stores import backend_settings
from factories import catalog, commit_unit, product, serials, unit
from kgthread import ids, lineage, queries
from kgthread.config import Settings
from kgthread.errors import BadRequest, KgthreadError
from kgthread.ingest.batch import Batch, Source, provenance
from kgthread.sample import generate
from kgthread.store.dialects import dialect_for
from kgthread.store.http_transport import KeepAliveTransport
from kgthread.store.opening import open_store
from kgthread.store.remote import RemoteStore

STATE_MARK = b"store-state%23revision"


class _Around(KeepAliveTransport):
    """Runs ``before`` once just before the next query on the union, and ``after`` once
    just before the state read that follows it."""

    def __init__(self) -> None:
        super().__init__()
        self.before: Callable[[], None] | None = None
        self.after: Callable[[], None] | None = None
        self.union_queries = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if b"union-default-graph" in request.content:
            self.union_queries += 1
            if self.before is not None:
                action, self.before = self.before, None
                action()
        elif STATE_MARK in request.content and self.after is not None and self.union_queries:
            action, self.after = self.after, None
            action()
        return super().handle_request(request)


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return backend_settings(request, "oxigraph", tmp_path)


@pytest.fixture
def watching() -> _Around:
    return _Around()


@pytest.fixture
def union(settings: Settings, watching: _Around) -> Iterator[RemoteStore]:
    store = open_store(settings.with_(store_union_dataset=True), transport=watching)
    assert isinstance(store, RemoteStore)
    yield store
    store.close()


@pytest.fixture
def writer(settings: Settings) -> Iterator[RemoteStore]:
    store = open_store(settings)
    assert isinstance(store, RemoteStore)
    yield store
    store.close()


def test_named_queries_answer_as_on_listed_graphs(
    settings: Settings, tmp_path: Path, writer: RemoteStore
) -> None:
    summary = generate(10_000, 5, tmp_path / "factory.nt")
    batch = Batch("sample", "1", [Source.of_file(tmp_path / "factory.nt")], batch_id="sample")
    writer.bulk_commit(
        batch.graph,
        tmp_path / "factory.nt",
        RdfFormat.N_TRIPLES,
        provenance(batch, 0, batch.started),
        lambda: None,
    )
    truth: dict[str, Any] = json.loads(Path(summary.truth).read_text(encoding="utf-8"))
    unit_iri, lot_iri = truth["top_units"][0]["unit"], truth["lots"][0]["lot"]
    union = open_store(settings.with_(store_union_dataset=True))
    assert isinstance(union, RemoteStore)
    try:
        asked = [("recall", {"item": lot_iri}), ("genealogy-down", {"unit": unit_iri})]
        asked += [("unit-history", {"unit": unit_iri}), ("trace-quality", {"unit": unit_iri})]
        for name, values in asked:
            query = queries.get(name)
            listed_rows = lineage.run(writer, query, values).rows
            assert listed_rows, name
            assert lineage.run(union, query, values).rows == listed_rows, name
        count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s a ?class } }"
        assert _count(union, count) == _count(writer, count) > 0
    finally:
        union.close()


def _count(store: RemoteStore, sparql: str) -> int:
    result = store.query(sparql)
    assert isinstance(result, QuerySolutions)
    value = int(next(iter(result))["n"].value)
    del result
    return value


class _HeldWrite:
    """A batch written by ``writer`` on a thread of its own and held just before its
    catalog entry: its graph is in the store, marked pending, not catalogued. Released,
    it commits, or (``fail``) is undone."""

    def __init__(self, writer: RemoteStore, folder: Path, serial: str, *, fail: bool) -> None:
        self.held = threading.Event()
        self.release = threading.Event()
        self.failures: list[BaseException] = []
        source = folder / f"{serial}.nt"
        triples = product("P-1") + unit("P-1", "A", serial)
        source.write_bytes(serialize(triples, format=RdfFormat.N_TRIPLES) or b"")
        graph = ids.batch_graph(serial)

        def entry() -> Iterator[Triple]:
            self.held.set()
            assert self.release.wait(30)
            if fail:
                raise KgthreadError("the catalog write failed")
            yield from catalog(serial, graph)

        def write() -> None:
            try:
                writer.bulk_commit(graph, source, RdfFormat.N_TRIPLES, entry(), lambda: None)
            except KgthreadError as exc:
                if not fail:
                    self.failures.append(exc)

        self.thread = threading.Thread(target=write)

    def start(self) -> None:
        self.thread.start()
        assert self.held.wait(30)

    def finish(self) -> None:
        self.release.set()
        self.thread.join(30)
        assert not self.thread.is_alive()
        assert not self.failures


def test_a_write_landing_before_the_query_is_never_seen_half_done(
    union: RemoteStore, writer: RemoteStore, watching: _Around, tmp_path: Path
) -> None:
    commit_unit(writer, "b1", "SN-1")
    assert serials(union) == {"SN-1"}  # the state is read: no write under way
    write = _HeldWrite(writer, tmp_path, "SN-2", fail=False)
    watching.before = write.start  # between the state read and the union query
    asked = watching.union_queries
    assert serials(union) == {"SN-1"}  # SN-2's graph was in the union, half done
    assert watching.union_queries == asked + 1  # asked on the union, then on listed graphs
    write.finish()
    union.state()
    assert serials(union) == {"SN-1", "SN-2"}


def test_a_write_that_begins_and_fails_during_the_query_is_noticed(
    union: RemoteStore, writer: RemoteStore, watching: _Around, tmp_path: Path
) -> None:
    commit_unit(writer, "b1", "SN-1")
    assert serials(union) == {"SN-1"}
    token = union.state()
    write = _HeldWrite(writer, tmp_path, "SN-2", fail=True)
    watching.before = write.start  # marked and written before the query...
    watching.after = write.finish  # ...undone after it, before the state is read again
    assert serials(union) == {"SN-1"}  # the same revision, no mark: the epoch told
    assert union.state() == token  # nothing was committed: ETags stay


def test_a_store_without_a_union_is_refused_clearly() -> None:
    dialect = dialect_for("generic")
    with pytest.raises(BadRequest, match="store_union_dataset needs the oxigraph dialect"):
        RemoteStore(dialect, dialect.endpoints("http://127.0.0.1:9"), union=True)


def test_an_answer_speculated_on_the_union_stands_only_if_nothing_was_written(
    union: RemoteStore, writer: RemoteStore, watching: _Around
) -> None:
    commit_unit(writer, "b1", "SN-1")
    assert serials(union) == {"SN-1"}
    asked = watching.union_queries
    confirmed = union.speculate(lambda _state: serials(union))
    assert confirmed == (union.last_state(), {"SN-1"})
    assert watching.union_queries == asked + 1

    def work(_state: str) -> set[str]:
        found = serials(union)
        commit_unit(writer, "b2", "SN-2")  # lands after the query, before the state is read
        return found

    assert union.speculate(work) is None  # the caller asks again, on the new state
    union.state()
    assert serials(union) == {"SN-1", "SN-2"}
