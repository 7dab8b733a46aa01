"""The log file: chained, durable per entry, and a failed append leaves no trace."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from kgthread.audit.log import GENESIS, AuditLog, entry_hash
from kgthread.errors import StorageFull


def test_entries_chain_and_survive_reopening(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit")
    first = log.append({"action": "ingest", "state": "pending"})
    second = log.append({"action": "ingest", "state": "committed", "ref": 1})
    assert (first["seq"], first["prev"]) == (1, GENESIS)
    assert (second["seq"], second["prev"]) == (2, first["hash"])
    assert second["hash"] == entry_hash(second)
    reopened = AuditLog(tmp_path / "audit")
    assert reopened.head == (2, second["hash"])
    assert list(reopened.entries()) == [first, second]


def test_a_full_disk_during_an_append_leaves_the_log_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = AuditLog(tmp_path / "audit")
    log.append({"action": "ingest", "state": "pending"})
    before = log.path.read_bytes()
    real_write = os.write

    def half_then_full(fd: int, data: bytes | memoryview) -> int:
        if len(data) > 8:
            real_write(fd, bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(StorageFull, match="audit log write failed, nothing written"):
        log.append({"action": "ingest", "state": "committed"})
    monkeypatch.undo()
    assert log.path.read_bytes() == before
    again = log.append({"action": "ingest", "state": "committed"})
    assert again["seq"] == 2
    assert [json.loads(line)["seq"] for line in log.path.read_text().splitlines()] == [1, 2]
