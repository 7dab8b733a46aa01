"""An answer with the state token read beside it (``RemoteStore.speculate``) is never tagged
with a state newer than its content: on each remote backend, with the token read held back
so that a write lands before or after it, and through the REST API (ETags, 304, writes by
another process)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from api.live_server import Server
from backends.stores import REMOTE_BACKENDS, backend_settings
from factories import SERIALS, commit_unit, serials
from kgthread import ids
from kgthread.config import Settings
from kgthread.store.http_transport import KeepAliveTransport
from kgthread.store.opening import open_store
from kgthread.store.remote import RemoteStore

STATE_MARK = b"store-state%23revision"
"""How a state-token read looks in a form-encoded query body."""


class _Watching(KeepAliveTransport):
    """Records which thread sent each state read and query; can hold state reads back."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str]] = []
        self.hold_state = threading.Event()
        self.hold_state.set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        kind = "other"
        if request.method == "POST" and "graph" not in request.url.path:
            kind = "state" if STATE_MARK in request.content else "query"
        if kind == "state":
            assert self.hold_state.wait(30)
        self.sent.append((kind, threading.current_thread().name))
        return super().handle_request(request)

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.sent if kind != "other"]


def _open(settings: Settings, transport: httpx.BaseTransport | None = None) -> RemoteStore:
    store = open_store(settings, transport=transport)
    assert isinstance(store, RemoteStore)
    return store


@pytest.fixture(params=REMOTE_BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return backend_settings(request, request.param, tmp_path)


@pytest.fixture
def watching() -> _Watching:
    return _Watching()


@pytest.fixture
def reader(settings: Settings, watching: _Watching) -> Iterator[RemoteStore]:
    store = _open(settings, watching)
    yield store
    store.close()


@pytest.fixture
def writer(settings: Settings) -> Iterator[RemoteStore]:
    """Another process's store on the same server."""
    store = _open(settings)
    yield store
    store.close()


def test_nothing_written_the_answer_stands_with_its_token_read_beside_it(
    reader: RemoteStore, writer: RemoteStore, watching: _Watching
) -> None:
    commit_unit(writer, "b1", "SN-1")
    assert reader.speculate(lambda _state: None) is None  # nothing listed yet
    assert serials(reader) == {"SN-1"}
    listed = reader.last_state()
    watching.sent.clear()
    confirmed = reader.speculate(lambda state: (state, serials(reader)))
    assert confirmed is not None
    token, (guessed, found) = confirmed
    assert (token, guessed, found) == (listed, listed, {"SN-1"})
    threads = {kind: thread for kind, thread in watching.sent if kind != "other"}
    assert threads["state"].startswith("kgthread-state")
    assert threads["query"] == threading.current_thread().name
    assert token == reader.state()


def test_a_write_before_the_token_read_sends_the_caller_back(
    reader: RemoteStore, writer: RemoteStore, watching: _Watching
) -> None:
    commit_unit(writer, "b1", "SN-1")
    assert serials(reader) == {"SN-1"}
    before = reader.last_state()
    watching.hold_state.clear()

    def work(_state: str) -> set[str]:
        commit_unit(writer, "b2", "SN-2")  # lands while the token read is held back
        watching.hold_state.set()
        return serials(reader)

    assert reader.speculate(work) is None
    assert reader.state() != before
    assert serials(reader) == {"SN-1", "SN-2"}


def test_a_write_after_the_token_read_is_not_in_the_answer(
    reader: RemoteStore, writer: RemoteStore, watching: _Watching
) -> None:
    commit_unit(writer, "b1", "SN-1")
    assert serials(reader) == {"SN-1"}
    before = reader.last_state()
    done = threading.Event()
    original = watching.handle_request

    def note_state_read(request: httpx.Request) -> httpx.Response:
        answer = original(request)
        if STATE_MARK in request.content:
            answer.read()
            done.set()
        return answer

    watching.handle_request = note_state_read  # type: ignore[method-assign]

    def work(_state: str) -> set[str]:
        assert done.wait(30)  # the token is read: now a batch commits
        commit_unit(writer, "b2", "SN-2")
        return serials(reader)

    confirmed = reader.speculate(work)
    # The old token, with content never older than it: the current view is read live, so
    # the batch committed meanwhile may be in the answer too (an ETag tolerates content
    # newer than its tag: the next request reads the new token; older content it would not).
    assert confirmed is not None
    token, seen = confirmed
    assert token == before
    assert "SN-1" in seen
    assert seen <= {"SN-1", "SN-2"}
    assert reader.state() != before
    assert serials(reader) == {"SN-1", "SN-2"}


@contextmanager
def _client(
    settings: Settings, store: RemoteStore, folder: Path, cache: int
) -> Iterator[httpx.Client]:
    """A live server over ``store`` (uvicorn on 127.0.0.1) and a client for it."""
    server = Server(settings.with_(data=folder, result_cache_bytes=cache), store)
    url = server.start()
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client
    finally:
        server.stop()


def test_rest_answers_keep_true_etags_across_writes_of_another_process(
    settings: Settings,
    reader: RemoteStore,
    writer: RemoteStore,
    watching: _Watching,
    tmp_path: Path,
) -> None:
    commit_unit(writer, "b1", "SN-1")
    path, params = "/api/queries/unit-history", {"unit": ids.unit("P-1", "SN-1").value}
    with _client(settings, reader, tmp_path, cache=0) as client:
        first = client.get(path, params=params)
        assert first.status_code == 200, first.text
        watching.sent.clear()
        again = client.get(path, params=params)
        assert again.headers["etag"] == first.headers["etag"]
        assert again.json()["rows"] == first.json()["rows"]
        threads = {kind: thread for kind, thread in watching.sent if kind != "other"}
        assert threads["state"].startswith("kgthread-state")  # read beside the query
        watching.sent.clear()
        conditional = {"If-None-Match": again.headers["etag"]}
        assert client.get(path, params=params, headers=conditional).status_code == 304
        assert watching.kinds() == ["state"]  # a conditional request reads the state alone
        commit_unit(writer, "b2", "SN-2")
        changed = client.get(path, params=params)
        assert changed.headers["etag"] != first.headers["etag"]
        rows = client.get("/sparql", params={"query": SERIALS}).json()["results"]["bindings"]
        assert {b["s"]["value"] for b in rows} == {"SN-1", "SN-2"}
        conditional = {"If-None-Match": changed.headers["etag"]}
        assert client.get(path, params=params, headers=conditional).status_code == 304


def test_a_kept_answer_is_served_on_the_state_alone(
    settings: Settings,
    reader: RemoteStore,
    writer: RemoteStore,
    watching: _Watching,
    tmp_path: Path,
) -> None:
    commit_unit(writer, "b1", "SN-1")
    path, params = "/api/queries/unit-history", {"unit": ids.unit("P-1", "SN-1").value}
    with _client(settings, reader, tmp_path, cache=1 << 20) as client:
        first = client.get(path, params=params)
        watching.sent.clear()
        again = client.get(path, params=params)
        assert (again.content, again.headers["etag"]) == (first.content, first.headers["etag"])
        assert watching.kinds() == ["state"]
