"""The http.client wire under httpx: keep-alive reuse, bodies intact both ways, and every
broken answer an httpx error (never a quietly short body), against a real loopback server
whose behaviour per path is scripted here."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kgthread.errors import KgthreadError
from kgthread.store.dialects import dialect_for
from kgthread.store.http_transport import KeepAliveTransport, form_body
from kgthread.store.remote import RemoteStore


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.seen: list[str] = []
        self.closed = threading.Event()
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.server.connections += 1
        try:
            for _ in range(100):  # requests on this connection, bounded
                head = self._head()
                if head is None:
                    return
                if not self._answer(*head):
                    return
        finally:
            self.server.closed.set()

    def _head(self) -> tuple[str, str, dict[str, str], bytes] | None:
        line = self.rfile.readline(65537)
        if not line:
            return None
        method, path, _ = line.decode("ascii").split(" ", 2)
        headers: dict[str, str] = {}
        while (line := self.rfile.readline(65537)) not in (b"\r\n", b""):
            name, value = line.decode("latin-1").split(":", 1)
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while size := int(self.rfile.readline().strip(), 16):
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
        else:
            body = self.rfile.read(int(headers.get("content-length", "0")))
        return method, path, headers, body

    def _send(self, status: str, body: bytes, *extra: str, length: int | None = None) -> None:
        lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body) if length is None else length}"]
        self.wfile.write(("\r\n".join([*lines, *extra]) + "\r\n\r\n").encode() + body)
        self.wfile.flush()

    def _answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> bool:
        """Answers one request; ``False`` closes the connection."""
        self.server.seen.append(path)
        echo = json.dumps(
            {"method": method, "path": path, "headers": headers, "body": body.decode()}
        ).encode()
        if path.startswith("/echo"):
            self._send("200 OK", echo, "Content-Type: application/json")
            return True
        if path == "/then-close":  # promises keep-alive, then closes (an idle timeout)
            self._send("200 OK", echo)
            return False
        if path == "/connection-close":
            self._send("200 OK", echo, "Connection: close")
            return False
        if path == "/short":
            self._send("200 OK", b"x" * 50, length=100)
            return False
        if path == "/chunks-broken":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
            self.wfile.flush()
            return False
        if path == "/big":
            self._send("200 OK", b"y" * 300_000)
            return True
        if path == "/stall":
            self.server.release.wait(5)
            self._send("200 OK", b"late")
            return False
        self._send("404 Not Found", b"")
        return True


@pytest.fixture
def server() -> Iterator[_Server]:
    running = _Server()
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield running
    running.release.set()
    running.shutdown()
    running.server_close()
    thread.join(5)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(transport=KeepAliveTransport(), timeout=5) as opened:
        yield opened


def test_requests_reuse_one_connection_with_headers_and_bodies_intact(
    server: _Server, client: httpx.Client
) -> None:
    for i in range(5):
        answer = client.post(
            f"{server.url}/echo?n={i}&q=a%20b",
            content=f"query=ASK{i}".encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "X-Probe": str(i)},
        )
        seen = answer.json()
        assert (answer.status_code, seen["method"], seen["path"]) == (
            200,
            "POST",
            f"/echo?n={i}&q=a%20b",
        )
        assert (seen["body"], seen["headers"]["x-probe"]) == (f"query=ASK{i}", str(i))
        assert seen["headers"]["host"] == server.url.removeprefix("http://")
    assert server.connections == 1


def test_streamed_bodies_go_with_their_length_or_chunked(
    server: _Server, client: httpx.Client
) -> None:
    pieces = [b"<urn:s> <urn:p> ", b'"1" .\n', b'<urn:s> <urn:p> "2" .\n']
    whole = b"".join(pieces)
    sized = client.put(
        f"{server.url}/echo", content=iter(pieces), headers={"Content-Length": str(len(whole))}
    ).json()
    assert sized["body"] == whole.decode()
    assert "transfer-encoding" not in sized["headers"]
    chunked = client.put(f"{server.url}/echo", content=iter(pieces)).json()
    assert (chunked["body"], chunked["headers"]["transfer-encoding"]) == (whole.decode(), "chunked")
    assert server.connections == 1


def test_a_connection_the_peer_closed_is_not_reused(server: _Server, client: httpx.Client) -> None:
    assert client.get(f"{server.url}/then-close").status_code == 200
    assert server.closed.wait(5)
    time.sleep(0.05)  # the close reaches the client's socket
    assert client.get(f"{server.url}/echo").json()["method"] == "GET"
    assert server.connections == 2


def test_connection_close_and_unread_answers_are_not_pooled(
    server: _Server, client: httpx.Client
) -> None:
    assert client.get(f"{server.url}/connection-close").status_code == 200
    with client.stream("GET", f"{server.url}/big") as answer:
        assert len(next(answer.iter_bytes())) > 0  # closed before its end
    assert client.get(f"{server.url}/echo").status_code == 200
    assert server.connections == 3


def test_a_body_shorter_than_its_length_is_an_error_not_a_short_answer(
    server: _Server, client: httpx.Client
) -> None:
    with pytest.raises(httpx.RemoteProtocolError, match="50 bytes missing"):
        client.get(f"{server.url}/short")


def test_chunks_that_break_off_are_an_error(server: _Server, client: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
        client.get(f"{server.url}/chunks-broken")


def test_refused_connection_and_stalled_answer_are_httpx_errors(
    server: _Server,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with httpx.Client(transport=KeepAliveTransport(), timeout=0.3) as client:
        with pytest.raises(httpx.ConnectError):
            client.get(f"http://127.0.0.1:{closed_port}/")
        with pytest.raises(httpx.ReadTimeout):
            client.get(f"{server.url}/stall")


def test_https_goes_to_the_tls_transport() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=b"over tls")

    transport = KeepAliveTransport(tls=httpx.MockTransport(answer))
    with httpx.Client(transport=transport) as client:
        assert client.get("https://store.example/sparql").content == b"over tls"
    assert seen == ["https://store.example/sparql"]


@given(
    st.lists(
        st.tuples(st.text(max_size=20), st.text(max_size=2000)),
        max_size=4,
    )
)
def test_form_bodies_are_what_urlencode_writes(params: list[tuple[str, str]]) -> None:
    assert form_body(params) == urlencode(params)
    assert form_body(params) == urlencode(params)  # again, from remembered lines


def test_proxies_named_in_the_environment_are_honoured(
    server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    dialect = dialect_for("generic")
    store = RemoteStore(dialect, dialect.endpoints("http://store.invalid/sparql"), timeout=5)
    try:
        with pytest.raises(KgthreadError):
            store.query("ASK {}")  # the proxy answers 404
    finally:
        store.close()
    assert server.seen[0].startswith("http://store.invalid/")  # sent to the proxy
