"""The command line records into the trail beside the store: loads, refusals, retries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factories import product, unit
from kgthread import ids
from kgthread.audit import AuditTrail
from kgthread.cli import main
from kgthread.store.embedded import EmbeddedStore


def _nt(path: Path, triples: list[object]) -> Path:
    path.write_text("".join(f"{t} .\n" for t in triples), encoding="utf-8")
    return path


def test_load_refusal_and_retry_are_recorded_beside_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KGTHREAD_AUDIT_DIR", raising=False)
    monkeypatch.delenv("KGTHREAD_STORE", raising=False)
    data = ["--data", str(tmp_path / "store")]
    good = _nt(tmp_path / "good.nt", product("P-1"))
    bad = _nt(tmp_path / "bad.nt", unit("P-404", "A", "SN-1"))
    assert main([*data, "load", str(good), "--batch-id", "plm-1"]) == 0
    assert main([*data, "load", str(bad)]) == 1
    assert main([*data, "load", str(good), "--batch-id", "plm-1"]) == 0
    assert "already loaded as batch plm-1" in capsys.readouterr().out
    log = tmp_path / "store.audit" / "audit.jsonl"
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(e["state"], e["principal"]) for e in entries] == [
        ("pending", "cli"),
        ("committed", "cli"),
        ("rejected", "cli"),
        ("duplicate", "cli"),
    ]
    assert main([*data, "audit", "verify"]) == 0
    assert "audit trail holds: 4 entries" in capsys.readouterr().out


def test_verify_judges_an_interrupted_write_without_writing_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KGTHREAD_AUDIT_DIR", raising=False)
    monkeypatch.delenv("KGTHREAD_STORE", raising=False)
    store = EmbeddedStore.open(tmp_path / "store")
    trail = AuditTrail.open(tmp_path / "store.audit", store)
    trail.record(store, "ingest", "cli", [ids.batch_graph("lost")], batch="lost").pending(
        None, None
    )
    store.close()  # as if the process died before the commit
    log = tmp_path / "store.audit" / "audit.jsonl"
    before = log.read_bytes()
    assert main(["--data", str(tmp_path / "store"), "audit", "verify"]) == 0
    captured = capsys.readouterr()
    assert "pending entry seq 1 (lost): aborted" in captured.err
    assert "audit trail holds: 1 entries" in captured.out
    assert log.read_bytes() == before  # verification never writes to the log it checks
