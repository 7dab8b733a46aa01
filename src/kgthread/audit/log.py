"""The append-only, hash-chained audit log: one JSON object per line, fsync'ed per entry.

Each entry names its position (``seq``), the hash of the entry before it (``prev``) and its
own hash: the SHA-256 of its canonical JSON (keys sorted, no spaces, UTF-8) without the
``hash`` field. Editing an entry breaks its own hash; deleting, inserting or reordering one
breaks the next entry's ``prev`` or the ``seq`` sequence. The log lives in its own folder,
outside the graph store, and belongs to one store (the store's folder lock keeps it to one
process).

A crash can leave a last line cut short: it was never fsync'ed whole, so the write it
announced never started (entries are written *before* the store is touched) or has already
been committed (then start-up reconciliation records it again). Opening drops that torn
tail and says so in :attr:`AuditLog.repaired_bytes`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kgthread.errors import KgthreadError, StorageFull, StoreUnavailable, is_storage_full

GENESIS = "0" * 64
"""The ``prev`` of the first entry."""
LOG_FILE = "audit.jsonl"

_log = logging.getLogger(__name__)

Entry = dict[str, Any]


def entry_hash(entry: Mapping[str, Any]) -> str:
    """The SHA-256 of ``entry``'s canonical JSON, its own ``hash`` field left out."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RawLine:
    """One line of the log as stored (``number`` counts from 1), parsed when it can be."""

    number: int
    text: str
    entry: Entry | None


class AuditLog:
    """The log file in ``folder``; appends are serialised and durable when they return."""

    def __init__(self, folder: Path, *, read_only: bool = False) -> None:
        """``read_only``: for verification, which must not change what it checks (a torn
        last line is left for verification to report, not repaired)."""
        self.folder = folder
        self.path = folder / LOG_FILE
        self.read_only = read_only
        self._lock = threading.Lock()
        self.repaired_bytes = 0
        try:
            if not read_only:
                folder.mkdir(parents=True, exist_ok=True)
                self.repaired_bytes = self._repair_torn_tail()
        except OSError as exc:
            raise _storage_error(f"cannot open the audit log in {folder}", exc) from exc
        self._seq, self._head = 0, GENESIS
        for line in self.lines():
            if line.entry is not None:
                self._seq = int(line.entry.get("seq", self._seq))
                self._head = str(line.entry.get("hash", self._head))
        self._size = self.path.stat().st_size if self.path.exists() else 0

    @property
    def head(self) -> tuple[int, str]:
        """The last entry's ``seq`` and ``hash`` (``0`` and :data:`GENESIS` when empty)."""
        return self._seq, self._head

    def append(self, fields: Mapping[str, Any]) -> Entry:
        """Chain ``fields`` onto the log and fsync it; a failed write leaves no trace."""
        if self.read_only:
            raise RuntimeError("the audit log was opened read-only, for verification")
        with self._lock:
            entry: Entry = {**fields, "seq": self._seq + 1, "prev": self._head}
            entry["hash"] = entry_hash(entry)
            data = (json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
            created = not self.path.exists()
            try:
                self._write(data)
                if created:
                    _fsync_folder(self.folder)
            except OSError as exc:
                self._truncate_to(self._size)
                raise _storage_error("audit log write failed, nothing written", exc) from exc
            self._size += len(data)
            self._seq, self._head = entry["seq"], entry["hash"]
        return entry

    def lines(self) -> Iterator[RawLine]:
        """Every line as stored, parsed where it parses (verification judges the rest)."""
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                try:
                    parsed = json.loads(text)
                except ValueError:
                    parsed = None
                yield RawLine(number, text, parsed if isinstance(parsed, dict) else None)

    def entries(self) -> Iterator[Entry]:
        for line in self.lines():
            if line.entry is not None:
                yield line.entry

    def _write(self, data: bytes) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)

    def _truncate_to(self, size: int) -> None:
        try:
            with self.path.open("r+b") as handle:
                handle.truncate(size)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:  # the torn line is dropped at the next open in any case
            _log.warning("could not cut a failed audit append back: %s", exc)

    def _repair_torn_tail(self) -> int:
        if not self.path.exists():
            return 0
        with self.path.open("rb") as handle:
            data = handle.read()
        if not data or data.endswith(b"\n"):
            return 0
        keep = data.rfind(b"\n") + 1
        self._truncate_to(keep)
        _log.warning(
            "audit log %s ended in a torn line (%d bytes, a crash mid-write): dropped",
            self.path,
            len(data) - keep,
        )
        return len(data) - keep


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _storage_error(message: str, exc: OSError) -> KgthreadError:
    if is_storage_full(exc):
        return StorageFull(f"{message}: {exc}")
    return StoreUnavailable(f"{message}: {exc}")
