"""One HTTP exchange with a remote store: a request retried when that is safe, its answer
read to the end before anyone parses it (spooled to disk when large), and the number of
solutions an answer holds, so that a store failing after its 200 header is caught before a
row is handed out. Every failure is the dialect's error (a 502 or 503 naming the store)."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import httpx
from pyoxigraph import QueryBoolean, QueryResultsFormat, parse_query_results

from kgthread.store.dialects import Dialect, Operation

ATTEMPTS = 3
"""Tries of one request (retried only when that is safe: see :meth:`Exchange.send`)."""
BACKOFF_SECONDS = (0.1, 0.4)
"""Seconds waited before the second and third try."""

SPOOL_BYTES = 32 * 1024 * 1024
"""Answers larger than this are spooled to a temporary file while being read."""


class Exchange:
    """Requests to one store through ``client``, failures in ``dialect``'s terms."""

    def __init__(self, client: httpx.Client, dialect: Dialect) -> None:
        self.client = client
        self.dialect = dialect
        self._urls: dict[str, httpx.URL] = {}

    def _url(self, url: str) -> httpx.URL:
        """``url`` parsed once: a store has a few endpoint URLs, asked on every request."""
        parsed = self._urls.get(url)
        if parsed is None:
            parsed = httpx.URL(url)
            if len(self._urls) < 64:
                self._urls[url] = parsed
        return parsed

    def send(
        self,
        method: str,
        url: str,
        operation: Operation,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        content: Callable[[], Any] | None,
        idempotent: bool,
    ) -> httpx.Response:
        """One request, retried when that is safe: always when no connection was made,
        and on a dropped connection or a 502/503/504 only for idempotent requests (queries,
        ``PUT``). The answer is returned unread (streaming) when its status is 2xx."""
        for attempt in range(ATTEMPTS):
            last = attempt == ATTEMPTS - 1
            request = self.client.build_request(
                method,
                self._url(url),
                params=params,
                headers=headers,
                content=content() if content is not None else None,
            )
            try:
                response = self.client.send(request, stream=True)
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if not last and (never_sent or idempotent):
                    time.sleep(BACKOFF_SECONDS[attempt])
                    continue
                raise self.dialect.error_for_transport(exc, url) from exc
            if response.is_success:
                return response
            try:
                response.read()
            except httpx.TransportError:
                pass
            finally:
                response.close()
            if idempotent and not last and response.status_code in (502, 503, 504):
                time.sleep(BACKOFF_SECONDS[attempt])
                continue
            raise self.dialect.error_for_status(response, operation)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def read(self, response: httpx.Response) -> Body:
        """The whole body of a 2xx answer; one that breaks off is the dialect's error."""
        body = Body()
        try:
            for chunk in response.iter_bytes():
                body.write(chunk)
        except httpx.TransportError as exc:
            body.discard()
            reason = f"the body broke off ({str(exc) or type(exc).__name__})"
            raise self.dialect.incomplete_response(
                response, reason, cause="truncated-result"
            ) from exc
        finally:
            response.close()
        body.finish()
        return body


class Body:
    """An answer read to its end: in memory, or in a temporary file once it is large. The
    file is unlinked as soon as the parser holding it open has started."""

    def __init__(self) -> None:
        self._data = bytearray()
        self._path: Path | None = None
        self._file: IO[bytes] | None = None

    def write(self, chunk: bytes) -> None:
        if self._file is None and len(self._data) + len(chunk) > SPOOL_BYTES:
            handle, name = tempfile.mkstemp(prefix="kgthread-answer-")
            self._path = Path(name)
            self._file = os.fdopen(handle, "wb")
            self._file.write(self._data)
            self._data = bytearray()
        if self._file is not None:
            self._file.write(chunk)
        else:
            self._data.extend(chunk)

    def finish(self) -> None:
        if self._file is not None:
            self._file.close()

    def source(self) -> dict[str, Any]:
        """Keyword arguments for pyoxigraph's ``parse`` / ``parse_query_results``."""
        if self._path is not None:
            return {"path": str(self._path)}
        return {"input": bytes(self._data)}

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
        if self._path is not None:
            self._path.unlink(missing_ok=True)
        self._data = bytearray()


def count_rows(body: Body, results_format: QueryResultsFormat) -> tuple[int | None, str | None]:
    """How many solutions the answer holds (``None`` for a boolean), or why it does not
    parse. It returns rather than raises: an error raised while a pyoxigraph iterator is
    alive in a frame keeps it in the traceback, and such objects must be dropped on the
    thread that made them."""
    try:
        checked = parse_query_results(**body.source(), format=results_format)
    except SyntaxError as exc:
        return None, str(exc)
    if isinstance(checked, QueryBoolean):
        return None, None
    count, problem = 0, None
    try:
        for _ in checked:
            count += 1
    except SyntaxError as exc:
        problem = str(exc)
    del checked
    return count, problem
