"""SIGKILL at random points of an ingest: after reopening, only whole batches, no
acknowledged batch lost, no batch committed twice, an audit log that reconciles and verifies.

Seeded and bounded: TRIALS kills of one store, each after a random delay once the driver
has opened the store (batches take tens of milliseconds, bulk ones longer, so the kills land
before, during and after commits and audit appends)."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

from crash.harness import Folders, judge, start_driver

SEED = 8_2026
TRIALS = 10
BATCHES = 400


def test_sigkill_at_random_points_loses_nothing_acknowledged(tmp_path: Path) -> None:
    folders = Folders.under(tmp_path)
    rng = random.Random(SEED)
    outcomes = []
    for _ in range(TRIALS):
        process = start_driver(folders, BATCHES)
        time.sleep(rng.uniform(0.05, 1.5))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        assert process.returncode == -signal.SIGKILL, "the driver ended before it was killed"
        judged = judge(folders)
        assert judged.verification.holds, judged.verification.findings
        outcomes.append(judged)
    last = outcomes[-1]
    assert last.committed >= last.acknowledged > 0
    assert last.reconciled > 0, "no kill landed inside a write: the trials proved little"
