"""A reverse proxy on 127.0.0.1 in front of a real store that misbehaves on request.

It forwards every request to the store and can, for the requests a test picks, refuse the
credentials, cut a 200 answer short, append an error after a 200 header, answer with an
error status, drop the connection, stall past the client's time limit, or run a callable
first (to kill the store mid-write).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

import httpx

Fault = Literal["auth", "truncate", "error-after-200", "status-500", "status-503", "drop", "stall"]


@dataclass(frozen=True)
class Seen:
    """A request as the proxy received it."""

    method: str
    path: str
    body: bytes
    authorization: str | None


Picker = Callable[[Seen], Fault | None]


class FaultProxy:
    """Forwards to ``target``; ``pick`` chooses a fault per request (``None``: forward)."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.pick: Picker = lambda _: None
        self.before: Callable[[Seen], None] | None = None
        self.required_authorization: str | None = None
        self.stall_seconds = 3.0
        self.seen: list[Seen] = []
        self._client = httpx.Client(timeout=60)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._client.close()

    def forward(self, seen: Seen, path: str, headers: dict[str, str]) -> httpx.Response:
        return self._client.request(
            seen.method, self.target + path, content=seen.body, headers=headers
        )


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                parts = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(parts)
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _answer(self, status: int, body: bytes, content_type: str, **extra: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in extra.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)

        def _serve(self) -> None:
            seen = Seen(self.command, self.path, self._body(), self.headers.get("Authorization"))
            proxy.seen.append(seen)
            required = proxy.required_authorization
            fault = "auth" if required and seen.authorization != required else proxy.pick(seen)
            if fault == "auth":
                self._answer(
                    401, b"authentication required", "text/plain", WWW_Authenticate="Basic"
                )
                return
            if fault == "status-500":
                self._answer(500, b"internal failure of the store", "text/plain")
                return
            if fault == "status-503":
                self._answer(503, b"too many queries", "text/plain", Retry_After="1")
                return
            if fault == "drop":
                self.close_connection = True
                return
            if fault == "stall":  # longer than the client waits, then nothing
                time.sleep(proxy.stall_seconds)
                self.close_connection = True
                return
            if proxy.before is not None:
                proxy.before(seen)
            headers = {
                k: v for k, v in self.headers.items() if k.lower() in ("accept", "content-type")
            }
            try:
                answer = proxy.forward(seen, self.path, headers)
            except httpx.TransportError:  # the store is gone: so is the answer
                self.close_connection = True
                return
            content_type = answer.headers.get("content-type", "application/octet-stream")
            body = answer.content
            if fault == "truncate" and answer.status_code == 200:
                # Promise the whole body, send half of it, close: the answer broke off.
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if fault == "error-after-200" and answer.status_code == 200:
                # A complete HTTP answer whose content stops where the store failed and
                # carries its error text instead (as a streaming server does).
                broken = body[: len(body) // 2] + b"\nQuery evaluation error: cancelled\n"
                self._answer(200, broken, content_type)
                return
            self._answer(answer.status_code, body, content_type)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve  # noqa: N815

    return Handler
