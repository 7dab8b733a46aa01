"""A bulk load on a remote store goes in pieces of a bounded number of statements (a store
holds one request as one transaction in memory), into a graph that stays invisible until the
batch's catalog entry is written. Real Oxigraph and Virtuoso servers; faults are injected by
an HTTP transport wrapped around the real one, so requests still reach the real store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import cast

import httpx
import pytest
from pyoxigraph import Literal, NamedNode, QueryBoolean, QuerySolutions, RdfFormat, Triple

from backends.stores import REMOTE_BACKENDS, backend_settings
from kgthread import ids, vocab
from kgthread.config import Settings
from kgthread.errors import BadRequest, KgthreadError
from kgthread.store.dialects import AuthKind, Credentials, dialect_for
from kgthread.store.opening import open_store
from kgthread.store.remote import STATE_GRAPH, RemoteStore

PIECE = 100
LINES = 250  # three pieces: 100, 100, 50
PREDICATE = NamedNode("urn:kgthread-test:p")
MIDDLE = b"<urn:kgthread-test:s150>"  # a statement of the second piece

Fault = Callable[[httpx.Request, Callable[[], httpx.Response]], httpx.Response]


class FaultTransport(httpx.HTTPTransport):
    """The real transport, with ``fault`` deciding per request (``None``: pass through)."""

    def __init__(self) -> None:
        super().__init__()
        self.fault: Fault | None = None
        self.pieces: list[tuple[str, int]] = []
        """(method, statements) of each Graph Store write that reached the store."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        def forward() -> httpx.Response:
            response = super(FaultTransport, self).handle_request(request)
            graph_store = any(name in request.url.params for name in ("graph", "graph-uri"))
            if request.method in ("PUT", "POST") and graph_store:
                response.read()
                if response.is_success:
                    self.pieces.append((request.method, request.content.count(b"\n")))
            return response

        if self.fault is not None:
            return self.fault(request, forward)
        return forward()


def _open(
    settings: Settings, transport: httpx.BaseTransport | None, **options: object
) -> RemoteStore:
    dialect = dialect_for(settings.store_dialect)
    credentials = Credentials(
        kind=cast(AuthKind, settings.store_auth),
        user=settings.store_user,
        password=settings.store_password,
        token=settings.store_token,
    )
    return RemoteStore.open(
        dialect,
        dialect.endpoints(settings.store),
        credentials=credentials,
        timeout=10,
        transport=transport,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture(params=REMOTE_BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return backend_settings(request, request.param, tmp_path)


@pytest.fixture
def transport() -> FaultTransport:
    return FaultTransport()


@pytest.fixture
def store(settings: Settings, transport: FaultTransport) -> Iterator[RemoteStore]:
    opened = _open(settings, transport, bulk_piece=PIECE)
    yield opened
    opened.close()


def _source(folder: Path) -> Path:
    path = folder / "bulk.nt"
    lines = "".join(f'<urn:kgthread-test:s{i}> {PREDICATE} "{i}" .\n' for i in range(LINES))
    path.write_text(lines, encoding="utf-8")
    return path


def _catalog(graph: NamedNode) -> list[Triple]:
    return [Triple(ids.batch("bulk"), vocab.TARGET_GRAPH, graph)]


def _count(store: RemoteStore, graph: NamedNode | None = None) -> int:
    """Statements with the test predicate: in the committed graphs, or (``graph`` named as
    the dataset) whatever the store holds in ``graph``, committed or not."""
    text = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s {PREDICATE} ?o }}"
    if graph is None:
        result = store.query(text)
    else:
        result = store.query(text, default_graph=[graph], named_graphs=[])
    assert isinstance(result, QuerySolutions)
    count = int(next(iter(result))["n"].value)
    del result
    return count


def _marked(store: RemoteStore, graph: NamedNode) -> bool:
    result = store.query(f"ASK {{ {graph} ?p ?o }}", default_graph=[STATE_GRAPH], named_graphs=[])
    assert isinstance(result, QueryBoolean)
    return bool(result)


def test_a_file_of_several_pieces_lands_whole_and_shows_with_its_catalog_entry(
    store: RemoteStore, transport: FaultTransport, tmp_path: Path
) -> None:
    graph = ids.batch_graph("bulk")
    before_catalog: list[tuple[int, int, bool]] = []

    def catalog() -> Iterator[Triple]:  # read after the pieces, before the entry is written
        before_catalog.append((_count(store, graph), _count(store), graph in store.graph_names()))
        yield from _catalog(graph)

    store.bulk_commit(graph, _source(tmp_path), RdfFormat.N_TRIPLES, catalog(), lambda: None)
    assert transport.pieces == [("PUT", PIECE), ("POST", PIECE), ("POST", LINES - 2 * PIECE)]
    assert before_catalog == [(LINES, 0, False)]  # all there, none of it visible
    assert _count(store) == LINES
    assert graph in store.graph_names()
    assert not _marked(store, graph)


def test_a_turtle_file_is_parsed_and_sent_as_n_triples_pieces(
    store: RemoteStore, transport: FaultTransport, tmp_path: Path
) -> None:
    source = tmp_path / "bulk.ttl"
    subjects = " , ".join(f'"{i}"' for i in range(LINES))
    source.write_text(f"<urn:kgthread-test:s> {PREDICATE} {subjects} .\n", encoding="utf-8")
    graph = ids.batch_graph("bulk")
    store.bulk_commit(graph, source, RdfFormat.TURTLE, _catalog(graph), lambda: None)
    assert [method for method, _ in transport.pieces] == ["PUT", "POST", "POST"]
    assert _count(store) == LINES


def _fail_middle_piece(
    request: httpx.Request, forward: Callable[[], httpx.Response]
) -> httpx.Response:
    if MIDDLE in request.content:
        return httpx.Response(500, text="the store failed on this piece")
    return forward()


def test_a_failed_middle_piece_leaves_nothing_visible_and_nothing_after_reopen(
    settings: Settings, store: RemoteStore, transport: FaultTransport, tmp_path: Path
) -> None:
    graph = ids.batch_graph("bulk")
    source = _source(tmp_path)
    transport.fault = _fail_middle_piece
    with pytest.raises(KgthreadError) as info:
        store.bulk_commit(graph, source, RdfFormat.N_TRIPLES, _catalog(graph), lambda: None)
    assert info.value.status == 502
    assert transport.pieces == [("PUT", PIECE)]  # the first piece landed, then the failure
    transport.fault = None
    assert _count(store) == 0
    assert _count(store, graph) == 0  # removed at once: the store still answered
    assert not _marked(store, graph)
    reopened = _open(settings, None, pending_grace=timedelta(0))
    assert reopened.recovered_graphs == []  # nothing was left to recover
    reopened.close()
    store.bulk_commit(graph, source, RdfFormat.N_TRIPLES, _catalog(graph), lambda: None)
    assert _count(store) == LINES  # the same batch, retried, lands whole


def test_a_store_gone_mid_load_leaves_an_invisible_graph_removed_on_reopen(
    settings: Settings, store: RemoteStore, transport: FaultTransport, tmp_path: Path
) -> None:
    graph = ids.batch_graph("bulk")
    gone: list[bool] = []

    def unreachable(
        request: httpx.Request, forward: Callable[[], httpx.Response]
    ) -> httpx.Response:
        if gone or MIDDLE in request.content:
            gone.append(True)
            raise httpx.ConnectError("connection refused", request=request)
        return forward()

    transport.fault = unreachable
    with pytest.raises(KgthreadError) as info:
        store.bulk_commit(
            graph, _source(tmp_path), RdfFormat.N_TRIPLES, _catalog(graph), lambda: None
        )
    assert info.value.status == 503
    transport.fault = None
    assert _count(store, graph) == PIECE  # the first piece is still there (the undo failed)...
    assert _count(store) == 0  # ...and invisible
    assert _marked(store, graph)
    reopened = _open(settings, None, pending_grace=timedelta(0))
    assert reopened.recovered_graphs == [graph]
    assert _count(reopened, graph) == 0
    assert not _marked(reopened, graph)
    reopened.close()


def test_a_piece_whose_answer_was_lost_is_sent_again_without_duplicates(
    store: RemoteStore, transport: FaultTransport, tmp_path: Path
) -> None:
    graph = ids.batch_graph("bulk")
    lost: list[int] = []

    def lose_answer_once(
        request: httpx.Request, forward: Callable[[], httpx.Response]
    ) -> httpx.Response:
        response = forward()
        if MIDDLE in request.content and response.is_success and not lost:
            lost.append(response.status_code)
            response.close()
            raise httpx.ReadError("connection reset after the store had the piece", request=request)
        return response

    transport.fault = lose_answer_once
    store.bulk_commit(graph, _source(tmp_path), RdfFormat.N_TRIPLES, _catalog(graph), lambda: None)
    assert lost  # the middle piece was stored, its answer lost, and it was sent again
    assert [method for method, _ in transport.pieces] == ["PUT", "POST", "POST", "POST"]
    assert _count(store) == LINES  # each statement once: a graph is a set
    result = store.query(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s {PREDICATE} {Literal('150')} }}",
        default_graph=[graph],
        named_graphs=[],
    )
    assert isinstance(result, QuerySolutions)
    assert int(next(iter(result))["n"].value) == 1
    del result


def test_the_piece_size_is_a_setting(settings: Settings, tmp_path: Path) -> None:
    store = open_store(settings.with_(store_bulk_piece_statements=PIECE))
    try:
        assert store.bulk_piece == PIECE  # type: ignore[attr-defined]
        graph = ids.batch_graph("bulk")
        source = _source(tmp_path)
        store.bulk_commit(graph, source, RdfFormat.N_TRIPLES, _catalog(graph), lambda: None)
        assert _count(cast(RemoteStore, store)) == LINES
    finally:
        store.close()
    with pytest.raises(BadRequest, match="store_bulk_piece_statements must be at least 1"):
        Settings.from_env({"KGTHREAD_STORE_BULK_PIECE_STATEMENTS": "0"})
