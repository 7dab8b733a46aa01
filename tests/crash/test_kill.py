"""SIGKILL at seeded points of an ingest: after reopening, only whole batches, no
acknowledged batch lost, no batch committed twice, an audit log that reconciles and verifies.

Seeded and bounded, and paced by the driver's progress rather than by the clock: each of
TRIALS kills waits (polling, with a bound) until the driver has acknowledged a seeded number
of further batches, then lets a seeded fraction of the next batch's typical duration pass.
The driver moves straight on to the next batch after each acknowledgement, so the kills land
inside writes (before, during and after commits and audit appends) however loaded the
machine is, and the same seed gives the same sequence of kill points in batches."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

from crash.driver import acknowledged
from crash.harness import Folders, judge, start_driver

SEED = 8_2026
TRIALS = 10
BATCHES = 400
WAIT_SECONDS = 120


def _wait_for_acks(process: subprocess.Popen[bytes], folders: Folders, at_least: int) -> float:
    """Poll until the driver has acknowledged ``at_least`` batches; the seconds the last
    acknowledgement took (the pace of this machine, now)."""
    until = time.monotonic() + WAIT_SECONDS
    count, since = len(acknowledged(folders.acks)), time.monotonic()
    pace = 0.05
    while count < at_least:
        assert process.poll() is None, "the driver ended before it was killed"
        assert time.monotonic() < until, f"{count} of {at_least} batches acknowledged"
        time.sleep(0.005)
        now = len(acknowledged(folders.acks))
        if now > count:
            count, pace, since = now, time.monotonic() - since, time.monotonic()
    return pace


def test_sigkill_at_seeded_points_loses_nothing_acknowledged(tmp_path: Path) -> None:
    folders = Folders.under(tmp_path)
    rng = random.Random(SEED)
    outcomes = []
    for _ in range(TRIALS):
        process = start_driver(folders, BATCHES)
        target = len(acknowledged(folders.acks)) + rng.randint(1, 6)
        pace = _wait_for_acks(process, folders, target)
        time.sleep(pace * rng.uniform(0.0, 1.0))  # a seeded point inside the next batch
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        assert process.returncode == -signal.SIGKILL, "the driver ended before it was killed"
        judged = judge(folders)
        assert judged.verification.holds, judged.verification.findings
        outcomes.append(judged)
    last = outcomes[-1]
    assert last.committed >= last.acknowledged > 0
    assert last.reconciled > 0, "no kill landed inside a write: the trials proved little"
