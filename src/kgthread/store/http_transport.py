"""An httpx transport whose wire is the standard library's ``http.client``, for plain HTTP.

A remote store answers a lineage query in well under a millisecond, and the API sends two
requests per answer (the state token, then the query), so the HTTP client's own cost is
most of what kgthread adds over the store. On loopback the state query took 0.31 ms end to
end with httpx's default transport (httpcore over h11, pure Python), 0.23 ms with this one
(head and body in one ``send``), 0.09 ms over ``http.client`` alone. httpx stays the
client: auth flows (digest), timeouts, redirect policy, content decoding and the error types
the store maps are its; only the wire changes. HTTPS goes to httpx's own transport; with
proxies named in the environment ``RemoteStore`` uses httpx's transport throughout.

Connections are kept alive in a small pool, one request at a time each; a connection is
reused only after its answer was read to the end, and not if the peer has closed it (a
readable idle socket) or asked to close it.
"""

from __future__ import annotations

import http.client
import select
import socket
import threading
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any, cast
from urllib.parse import quote_plus

import httpx

READ_SIZE = 64 * 1024
"""How much of an answer one read asks for."""

_REMEMBERED_LINE = 512
"""Lines up to this length have their form encoding remembered."""


def form_body(params: Sequence[tuple[str, str]]) -> str:
    """``params`` as ``application/x-www-form-urlencoded``, as ``urlencode`` writes them.
    Percent-encoding works character by character in Python (about 0.1 µs each), and a
    bound named query differs from its text in one line: each value is encoded line by
    line, and the lines are remembered, so a query sent again costs only its new line."""
    return "&".join(f"{quote_plus(name)}={_form_value(value)}" for name, value in params)


def _form_value(value: str) -> str:
    return "%0A".join(
        _form_line(line) if len(line) <= _REMEMBERED_LINE else quote_plus(line)
        for line in value.split("\n")
    )


@lru_cache(maxsize=4096)
def _form_line(line: str) -> str:
    return quote_plus(line)


class KeepAliveTransport(httpx.BaseTransport):
    """HTTP/1.1 over ``http.client`` with keep-alive; ``https`` is handed to ``tls``."""

    def __init__(self, *, max_idle: int = 16, tls: httpx.BaseTransport | None = None) -> None:
        self._max_idle = max_idle
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._lock = threading.Lock()
        self._tls = tls
        self._closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "http":
            return self._tls_transport().handle_request(request)
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        key = (request.url.host, request.url.port or 80)
        connection = self._connection(request, key, timeouts.get("connect"))
        phase = "send"
        try:
            _send(connection, request, timeouts.get("write"))
            phase = "answer"
            connection.sock.settimeout(timeouts.get("read"))
            answer = connection.getresponse()
        except BaseException as exc:
            connection.close()
            raise _mapped(exc, request, phase) from exc
        return httpx.Response(
            answer.status,
            headers=answer.getheaders(),
            stream=_AnswerStream(self, key, connection, answer, request),
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": answer.reason.encode("ascii", "replace"),
            },
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle = [c for connections in self._idle.values() for c in connections]
            self._idle.clear()
        for connection in idle:
            connection.close()
        if self._tls is not None:
            self._tls.close()

    def _tls_transport(self) -> httpx.BaseTransport:
        with self._lock:
            if self._tls is None:
                self._tls = httpx.HTTPTransport()
            return self._tls

    def _connection(
        self, request: httpx.Request, key: tuple[str, int], timeout: float | None
    ) -> _Connection:
        """An idle connection to ``key`` the peer has not closed, or a new one."""
        while True:
            with self._lock:
                pooled = self._idle.get(key)
                connection = pooled.pop() if pooled else None
            if connection is None:
                break
            if connection.sock is not None and not _readable(connection.sock):
                return connection
            connection.close()
        connection = _Connection(key[0], key[1], timeout=timeout)
        try:
            connection.connect()
        except BaseException as exc:
            connection.close()
            raise _mapped(exc, request, "connect") from exc
        return connection

    def _release(
        self,
        key: tuple[str, int],
        connection: _Connection,
        answer: http.client.HTTPResponse,
    ) -> None:
        """Back to the pool when the answer was read to its end and the peer keeps it open."""
        reusable = answer.isclosed() and not answer.will_close and connection.sock is not None
        if reusable:
            with self._lock:
                pooled = self._idle.setdefault(key, [])
                if not self._closed and len(pooled) < self._max_idle:
                    pooled.append(connection)
                    return
        answer.close()
        connection.close()


class _AnswerStream(httpx.SyncByteStream):
    """An answer's body as it arrives; closing it returns the connection to the pool."""

    def __init__(
        self,
        transport: KeepAliveTransport,
        key: tuple[str, int],
        connection: _Connection,
        answer: http.client.HTTPResponse,
        request: httpx.Request,
    ) -> None:
        self._transport = transport
        self._key = key
        self._connection = connection
        self._answer = answer
        self._request = request
        self._released = False

    def __iter__(self) -> Iterator[bytes]:
        while True:
            try:
                chunk = self._answer.read(READ_SIZE)
            except BaseException as exc:
                self._connection.close()
                raise _mapped(exc, self._request, "body") from exc
            if not chunk:
                break
            yield chunk
        missing = self._answer.length
        if missing:  # http.client ends a short Content-Length body quietly: it broke off
            self._connection.close()
            raise httpx.RemoteProtocolError(
                f"peer closed connection without sending complete message body "
                f"({missing} bytes missing)",
                request=self._request,
            )

    def close(self) -> None:
        if not self._released:
            self._released = True
            self._transport._release(self._key, self._connection, self._answer)


class _Connection(http.client.HTTPConnection):
    """``http.client``'s connection, able to send a request's head and its body (bytes) in
    one ``send``: written apart, the server wakes for the head, then again for the body."""

    _gathered: list[bytes] | None = None

    def send(self, data: Any) -> None:
        if self._gathered is not None and isinstance(data, bytes):
            self._gathered.append(data)
        else:
            super().send(data)

    def end_request(self, body: bytes | Iterable[bytes] | None, *, chunked: bool) -> None:
        if not isinstance(body, bytes | None):
            self.endheaders(body, encode_chunked=chunked)
            return
        self._gathered = []
        try:
            self.endheaders(body)
            data = b"".join(self._gathered)
        finally:
            self._gathered = None
        super().send(data)


def _send(connection: _Connection, request: httpx.Request, timeout: float | None) -> None:
    """The request line, httpx's headers as they are (Host included) and the body: bytes
    in the same ``send`` as the head, a stream as it comes (chunked if httpx said so)."""
    if connection.sock is not None:
        connection.sock.settimeout(timeout)
    target = request.url.raw_path.decode("ascii")
    connection.putrequest(request.method, target, skip_host=True, skip_accept_encoding=True)
    for name, value in request.headers.raw:
        connection.putheader(name, value)
    body: bytes | Iterable[bytes] | None
    try:
        body = request.content or None
    except httpx.RequestNotRead:
        body = iter(cast(httpx.SyncByteStream, request.stream))
    chunked = request.headers.get("transfer-encoding", "").lower() == "chunked"
    connection.end_request(body, chunked=chunked)


def _readable(sock: socket.socket) -> bool:
    """Whether an idle socket has something to read: the peer closed it (or sent what it
    should not have), so it must not carry another request."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def _mapped(exc: BaseException, request: httpx.Request, phase: str) -> BaseException:
    """The httpx error for a failure of the wire, so callers see what httpx would raise."""
    if not isinstance(exc, OSError | http.client.HTTPException):
        return exc
    text = str(exc) or type(exc).__name__
    kind: Any
    if isinstance(exc, TimeoutError | socket.timeout):
        kind = {"connect": httpx.ConnectTimeout, "send": httpx.WriteTimeout}.get(
            phase, httpx.ReadTimeout
        )
    elif phase == "connect":
        kind = httpx.ConnectError
    elif isinstance(exc, http.client.RemoteDisconnected):
        kind, text = httpx.RemoteProtocolError, "Server disconnected without sending a response."
    elif isinstance(exc, http.client.IncompleteRead):
        kind = httpx.RemoteProtocolError
        text = f"peer closed connection without sending complete message body ({text})"
    elif isinstance(exc, http.client.HTTPException):
        kind = httpx.RemoteProtocolError
    elif phase == "send":
        kind = httpx.WriteError
    else:
        kind = httpx.ReadError
    error: BaseException = kind(text, request=request)
    return error
