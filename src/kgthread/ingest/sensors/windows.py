"""Per-node window statistics in constant memory: the flood policy lives here.

Every received value is either folded into running statistics (Welford: count, mean, M2,
min, max, first and last source timestamp) or counted under the reason it was refused;
nothing is kept per value and nothing is dropped without a count. Memory is one accumulator
per node per open window (at most ``(max_future + window + grace) / window + 1`` of them,
since values further in the future are refused) plus one per running operation.

Windows are aligned to the epoch (``floor(t / window) * window``) and close on the wall
clock ``grace`` seconds after they end; a value for a closed window is counted as late.
A value with a source timestamp before the node's last one, or equal to it with the same
value, is a re-delivery (the current value a server sends on every resubscribe) and is
counted, not summed twice. The state round-trips through JSON so a restarted watcher
continues its open windows.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

REASONS = ("accepted", "bad-status", "non-numeric", "future", "late", "duplicate", "out-of-order")


@dataclass
class Accumulator:
    start: float
    end: float
    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    bad: int = 0
    first: float | None = None
    last: float | None = None

    def add(self, value: float, at: float) -> None:
        self.count += 1
        delta = value - self.mean
        self.mean += delta / self.count
        self.m2 += delta * (value - self.mean)
        self.minimum = min(self.minimum, value)
        self.maximum = max(self.maximum, value)
        self.first = at if self.first is None else min(self.first, at)
        self.last = at if self.last is None else max(self.last, at)

    @property
    def stdev(self) -> float:
        """Population standard deviation of the window's values."""
        return math.sqrt(self.m2 / self.count) if self.count else math.nan


@dataclass(frozen=True)
class Span:
    """An operation the MES says ran on a node's equipment: [start, end], end None if open."""

    operation: str
    start: float
    end: float | None


@dataclass(frozen=True)
class Closed:
    node: str
    accumulator: Accumulator
    operation: str | None = None


class Windows:
    """Open windows for every node, and the counts of what was refused and why."""

    def __init__(self, window: float, grace: float = 2.0, max_future: float = 300.0) -> None:
        self.window = window
        self.grace = grace
        self.max_future = max_future
        self.open: dict[str, dict[float, Accumulator]] = {}
        self.closed_until: dict[str, float] = {}
        self.last: dict[str, tuple[float, float | None]] = {}
        self.spans: dict[str, list[Span]] = {}
        self.operations: dict[tuple[str, str], Accumulator] = {}
        self.finished_operations: set[tuple[str, str]] = set()
        self.counts: Counter[str] = Counter()

    def set_spans(self, node: str, spans: list[Span]) -> None:
        self.spans[node] = spans

    def observe(self, node: str, value: object, at: float, *, bad: bool = False, now: float) -> str:
        """Fold one value in (``at`` = its source timestamp, epoch seconds); the outcome."""
        reason = self._judge(node, value, at, bad, now)
        self.counts[reason] += 1
        return reason

    def _judge(self, node: str, value: object, at: float, bad: bool, now: float) -> str:
        if not math.isfinite(at) or at > now + self.max_future:
            return "future"
        number = _number(value)
        previous = self.last.get(node)
        if previous is not None:
            if at < previous[0]:
                return "out-of-order"
            if at == previous[0] and (previous[1] == number or bad):
                return "duplicate"
        start = math.floor(at / self.window) * self.window
        if start < self.closed_until.get(node, -math.inf):
            return "late"
        self.last[node] = (at, number)
        windows = self.open.setdefault(node, {})
        acc = windows.get(start)
        if acc is None:
            acc = windows[start] = Accumulator(start, start + self.window)
        spans = [
            s for s in self.spans.get(node, ()) if s.start <= at and (s.end is None or at <= s.end)
        ]
        if bad:
            acc.bad += 1
            for span in spans:
                self._operation(node, span).bad += 1
            return "bad-status"
        if number is None:
            return "non-numeric"
        acc.add(number, at)
        for span in spans:
            self._operation(node, span).add(number, at)
        return "accepted"

    def _operation(self, node: str, span: Span) -> Accumulator:
        key = (node, span.operation)
        acc = self.operations.get(key)
        if acc is None:
            acc = self.operations[key] = Accumulator(span.start, span.end or span.start)
        return acc

    def due(self, now: float) -> list[Closed]:
        """Windows and finished operations whose end plus grace has passed: remove and
        return them (the caller commits them; the watermark keeps them closed)."""
        closed: list[Closed] = []
        for node, windows in self.open.items():
            for start in sorted(windows):
                acc = windows[start]
                if acc.end + self.grace > now:
                    break
                closed.append(Closed(node, windows.pop(start)))
                self.closed_until[node] = max(self.closed_until.get(node, -math.inf), acc.end)
        for node, spans in self.spans.items():
            for span in spans:
                key = (node, span.operation)
                if (
                    span.end is None
                    or span.end + self.grace > now
                    or key in self.finished_operations
                ):
                    continue
                self.finished_operations.add(key)
                acc = self.operations.pop(key, Accumulator(span.start, span.end))
                acc.end = span.end
                closed.append(Closed(node, acc, span.operation))
        return closed

    def open_accumulators(self) -> int:
        return sum(len(w) for w in self.open.values()) + len(self.operations)

    # --- checkpoint -----------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "open": {n: [asdict(a) for a in w.values()] for n, w in self.open.items()},
            "closed_until": self.closed_until,
            "last": {n: list(v) for n, v in self.last.items()},
            "operations": [[n, o, asdict(a)] for (n, o), a in self.operations.items()],
            "finished_operations": sorted([n, o] for n, o in self.finished_operations),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from a checkpoint taken with the same window length."""
        if state.get("window") != self.window:
            return
        self.open = {
            node: {float(a["start"]): Accumulator(**a) for a in accs}
            for node, accs in state.get("open", {}).items()
        }
        self.closed_until = {n: float(v) for n, v in state.get("closed_until", {}).items()}
        self.last = {n: (float(v[0]), v[1]) for n, v in state.get("last", {}).items()}
        self.operations = {(n, o): Accumulator(**a) for n, o, a in state.get("operations", [])}
        self.finished_operations = {(n, o) for n, o in state.get("finished_operations", [])}


def _number(value: object) -> float | None:
    """The value as a finite float, or None for text, booleans, arrays, NaN and infinities."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
