"""A short run of the soak benchmark (bench/soak.py) as a test: real processes (``kgthread
load``, ``kgthread serve``) on loopback, concurrent SPARQL, lineage and ingest calls, and every
acknowledged batch found exactly once in the catalog. No timing is asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SHORT = ["--seconds", "3", "--scale", "10000", "--alone", "3"]
CLIENTS = ["--sparql", "2", "--lineage", "2", "--ingest", "2"]


@pytest.mark.slow
def test_short_soak_has_no_errors_and_no_lost_or_duplicated_batches(tmp_path: Path) -> None:
    env = {**os.environ, "KGTHREAD_BENCH_DIR": str(tmp_path / "bench")}
    done = subprocess.run(
        [sys.executable, "soak.py", *SHORT, *CLIENTS, "--json"],
        cwd=BENCH,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.stdout.strip(), done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    errors = {name: kind["errors"] for name, kind in report["kinds"].items()}
    assert report["errors"] == 0, errors
    assert report["lost"] == []
    assert report["duplicated"] == []
    assert report["phantom"] == []
    assert report["acknowledged"] > 0
    assert report["retries"] > 0
    assert all(kind["calls"] > 0 for kind in report["kinds"].values())
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| kind | calls |" in done.stdout
