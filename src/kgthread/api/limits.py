"""Query limits: a deadline per query, a bounded number of queries at once, row, byte and
length caps, and never a partial 200.

How pyoxigraph evaluates decides the design. It releases the GIL while it evaluates, while
it steps to the next solution and while it serialises, so queries on worker threads run in
parallel with each other and with the event loop. It offers no way to cancel an evaluation
from Python, and a thread cannot be killed. So:

- Each user query holds one of ``read_threads`` slots for as long as its worker thread
  really runs. A query that finds every slot taken waits up to ``query_queue_seconds``, then
  gets a 503 with ``Retry-After``.
- At its deadline the request is answered 503 at once and the worker is abandoned. The
  worker stops by itself at its next checkpoint: results are serialised into a sink that
  checks the deadline and the caps on every write (every 8 KiB of output), and lineage
  tables check between rows. A query that computes for long before its first result (an
  aggregate or a sort over a huge join) only stops when the engine is done; its slot stays
  taken until then, so a flood of such queries fills the slots and further queries get 503
  while everything else (ingest, the explorer pages, health) is still served.
- Results are buffered whole before the status line is sent: over a cap it is a 503, never
  a truncated 200. Solutions are serialised as TSV (one line per row, so rows are counted
  exactly) and triples as N-Triples, then converted to the format asked for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, TypeVar, cast

import anyio
from fastapi import FastAPI, Request
from pyoxigraph import (
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    parse,
    parse_query_results,
    serialize,
)

from kgthread import lineage
from kgthread.api.worker import on_worker
from kgthread.config import Settings
from kgthread.errors import BadRequest, QueryBusy, QueryTimeout, ResultTooLarge
from kgthread.store.base import QueryResult

T = TypeVar("T")


@dataclass(frozen=True)
class QueryLimits:
    """What one user query may cost."""

    seconds: float
    max_rows: int
    max_bytes: int
    max_chars: int
    queue_seconds: float

    @classmethod
    def of(cls, settings: Settings) -> QueryLimits:
        return cls(
            settings.query_timeout_seconds,
            settings.query_max_rows,
            settings.query_max_bytes,
            settings.query_max_chars,
            settings.query_queue_seconds,
        )

    def check_length(self, text: str, what: str = "query") -> None:
        if len(text) > self.max_chars:
            raise BadRequest(
                f"{what} is {len(text)} characters long; the limit is {self.max_chars}",
                limit=self.max_chars,
            )


class Deadline:
    """The moment a query must be done by; ``cancel`` makes it pass at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.until = time.monotonic() + seconds

    def cancel(self) -> None:
        self.until = 0.0

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.until

    def check(self) -> None:
        if self.expired:
            raise timeout(self.seconds)


def timeout(seconds: float) -> QueryTimeout:
    return QueryTimeout(
        f"the query ran longer than {seconds:g} s and was stopped; narrow it or add a LIMIT",
        seconds=seconds,
    )


class _Sink:
    """A file-like target for pyoxigraph's serialisers that stops them at a cap or the
    deadline: raising here ends the evaluation inside the engine."""

    def __init__(self, limits: QueryLimits, deadline: Deadline, header_lines: int) -> None:
        self._limits = limits
        self._deadline = deadline
        self._chunks: list[bytes] = []
        self.size = 0
        self.lines = -header_lines

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.size += len(chunk)
        self.lines += chunk.count(b"\n")
        if self.lines > self._limits.max_rows:
            raise too_many_rows(self._limits.max_rows)
        if self.size > self._limits.max_bytes:
            raise too_many_bytes(self._limits.max_bytes)
        self._deadline.check()
        self._chunks.append(chunk)
        return len(chunk)

    def flush(self) -> None:
        """Nothing to flush: the chunks are kept until the result is complete."""

    def value(self) -> bytes:
        return b"".join(self._chunks)


def too_many_rows(limit: int) -> ResultTooLarge:
    return ResultTooLarge(
        f"the result has more than {limit} rows; narrow the query or add a LIMIT", max_rows=limit
    )


def too_many_bytes(limit: int) -> ResultTooLarge:
    return ResultTooLarge(
        f"the result is larger than {limit} bytes; narrow the query or add a LIMIT",
        max_bytes=limit,
    )


def serialize_capped(
    result: QueryResult,
    target: QueryResultsFormat | RdfFormat,
    limits: QueryLimits,
    deadline: Deadline,
) -> bytes:
    """The whole result in ``target``, or a 503 error when it passes a cap or the deadline."""
    if isinstance(result, QueryBoolean):
        assert isinstance(target, QueryResultsFormat)
        return result.serialize(format=target) or b""
    if isinstance(result, QuerySolutions):
        assert isinstance(target, QueryResultsFormat)
        sink = _Sink(limits, deadline, header_lines=1)
        result.serialize(cast(IO[bytes], sink), format=QueryResultsFormat.TSV)
        body = sink.value()
        if target != QueryResultsFormat.TSV:
            body = parse_query_results(body, QueryResultsFormat.TSV).serialize(format=target) or b""
    else:
        assert isinstance(result, QueryTriples)
        assert isinstance(target, RdfFormat)
        sink = _Sink(limits, deadline, header_lines=0)
        result.serialize(cast(IO[bytes], sink), format=RdfFormat.N_TRIPLES)
        body = sink.value()
        if target != RdfFormat.N_TRIPLES:
            triples = (q.triple for q in parse(body, format=RdfFormat.N_TRIPLES))
            body = serialize(triples, format=target) or b""
    if len(body) > limits.max_bytes:
        raise too_many_bytes(limits.max_bytes)
    deadline.check()
    return body


@dataclass
class _Ticket:
    claimed: bool = False
    abandoned: bool = False
    done: bool = False
    stuck: bool = False


class QuerySlots:
    """At most ``size`` user queries evaluated at once. A slot is given back by the worker
    thread when it really ends, not when its request is answered, so queries that passed
    their deadline but are still inside the engine keep counting (``stuck``)."""

    def __init__(self, size: int, limits: QueryLimits) -> None:
        self.size = max(1, size)
        self.limits = limits
        self._free = threading.Semaphore(self.size)
        self._lock = threading.Lock()
        self._threads: anyio.CapacityLimiter | None = None
        self.running = 0
        self.stuck = 0

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {"slots": self.size, "running": self.running, "stuck": self.stuck}

    async def _acquire(self) -> None:
        until = time.monotonic() + self.limits.queue_seconds
        while not self._free.acquire(blocking=False):
            if time.monotonic() >= until:
                raise QueryBusy(
                    f"all {self.size} query slots are taken; retry shortly",
                    retry_after=max(1, round(self.limits.queue_seconds)),
                )
            await anyio.sleep(0.01)

    def _finish(self, ticket: _Ticket) -> None:
        with self._lock:
            ticket.done = True
            self.running -= 1
            if ticket.stuck:
                self.stuck -= 1
        self._free.release()

    async def run(self, work: Callable[[Deadline], T]) -> T:
        """``work`` on a worker thread within a slot, answered by its deadline."""
        await self._acquire()
        if self._threads is None:
            self._threads = anyio.CapacityLimiter(self.size)
        deadline = Deadline(self.limits.seconds)
        ticket = _Ticket()

        def in_thread() -> T | None:
            with self._lock:
                if ticket.abandoned:
                    return None
                ticket.claimed = True
                self.running += 1
            try:
                return on_worker(lambda: work(deadline))()
            finally:
                self._finish(ticket)

        answered = False
        try:
            with anyio.move_on_after(self.limits.seconds):
                result = await anyio.to_thread.run_sync(
                    in_thread, abandon_on_cancel=True, limiter=self._threads
                )
                answered = True
        finally:
            with self._lock:
                if not ticket.claimed:
                    ticket.abandoned = True
                    release = True
                else:
                    release = False
                    if not ticket.done:
                        ticket.stuck = True
                        self.stuck += 1
            if release:
                self._free.release()
            if not answered:
                deadline.cancel()
        if not answered:
            raise timeout(self.limits.seconds)
        return result  # type: ignore[return-value]


def install(app: FastAPI, settings: Settings) -> None:
    """The app's query slots, and the same limits for lineage tables (REST, resources)."""
    limits = QueryLimits.of(settings)
    app.state.query_slots = QuerySlots(settings.read_threads, limits)
    app.state.lineage_limits = lineage.Limits(limits.max_rows, limits.seconds)


def slots(request: Request) -> QuerySlots:
    """The app's query slots (built by ``install``)."""
    found: QuerySlots = request.app.state.query_slots
    return found


async def run_query(request: Request, work: Callable[[Deadline], T]) -> T:
    """``work`` under the app's query limits: the one way routes evaluate user queries."""
    return await slots(request).run(work)


def limits_of(request: Request) -> QueryLimits:
    return slots(request).limits
