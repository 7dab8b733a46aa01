"""Answers of the REST query routes, kept for the store state they were computed under.

A named query's answer changes only when committed content changes, and the store's state
token (``GraphStore.state``) changes exactly then. Keyed by that token, a repeated request
is served from the bytes already serialised, and the next page of a paged answer is cut
from the table already read instead of evaluating the query again. When a request arrives
under a new token everything kept under the old one is dropped at once: nothing computed
before a commit is ever served after it.

Two kinds of entry share one byte budget (least recently used goes first): serialised
answers (their exact size) and complete tables (an estimate from rows x columns).
The state is read before the answer is computed, so an answer that may already include a
commit is kept under the token from before it, which is never current again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from kgthread.lineage import Table

TERM_BYTES = 120
"""Rough cost of one cell of a kept table (a pyoxigraph term and its dict slot)."""


@dataclass(frozen=True)
class Answer:
    """A response body ready to send, with the headers that belong to it."""

    body: bytes
    headers: dict[str, str]


class ResultCache:
    """Answers and tables by (kind, key) under one state token, bounded by ``max_bytes``
    (0 keeps nothing). Safe to use from the event loop and the read threads at once."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._state: str | None = None
        self._entries: OrderedDict[Hashable, tuple[Answer | Table, int]] = OrderedDict()
        self._size = 0
        self.hits = 0
        self.misses = 0

    def answer(self, state: str, key: Hashable) -> Answer | None:
        found = self._get(state, ("answer", key))
        return found if isinstance(found, Answer) else None

    def keep_answer(self, state: str, key: Hashable, answer: Answer) -> None:
        self._put(state, ("answer", key), answer, len(answer.body) + 256)

    def table(self, state: str, key: Hashable) -> Table | None:
        found = self._get(state, ("table", key))
        return found if isinstance(found, Table) else None

    def keep_table(self, state: str, key: Hashable, table: Table) -> None:
        size = 256 + TERM_BYTES * max(1, len(table.columns)) * len(table.rows)
        self._put(state, ("table", key), table, size)

    def __len__(self) -> int:
        return len(self._entries)

    def _get(self, state: str, key: Hashable) -> Answer | Table | None:
        with self._lock:
            self._enter(state)
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0]

    def _put(self, state: str, key: Hashable, value: Answer | Table, size: int) -> None:
        if size > self.max_bytes:
            return
        with self._lock:
            if state != self._state:
                return  # computed under a state that is no longer current: never served
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._size -= previous[1]
            self._entries[key] = (value, size)
            self._size += size
            while self._size > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._size -= dropped

    def _enter(self, state: str) -> None:
        """Forget everything kept under another state (caller holds the lock)."""
        if state != self._state:
            self._entries.clear()
            self._size = 0
            self._state = state
