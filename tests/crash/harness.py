"""Running the crash driver in its own process, and judging a store after a crash."""

from __future__ import annotations

import select
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from crash.driver import acknowledged, batch_triples
from kgthread import ids, vocab
from kgthread.audit import AuditTrail, Verification, verify
from kgthread.store.base import CATALOG_GRAPH, INFERRED_GRAPH
from kgthread.store.embedded import EmbeddedStore

DRIVER = Path(__file__).with_name("driver.py")


@dataclass
class Folders:
    store: Path
    audit: Path
    acks: Path

    @classmethod
    def under(cls, root: Path) -> Folders:
        return cls(root / "store", root / "audit", root / "acks.txt")


def start_driver(folders: Folders, count: int) -> subprocess.Popen[bytes]:
    """Start the driver and wait (at most 60 s) until it has opened the store."""
    process = subprocess.Popen(
        [sys.executable, DRIVER, folders.store, folders.audit, folders.acks, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            line = process.stdout.readline()
            if line.strip() == b"ready":
                return process
            if not line:
                break
        if process.poll() is not None:
            break
    process.kill()
    _, err = process.communicate(timeout=30)
    raise AssertionError(f"driver did not start: {err.decode(errors='replace')[-2000:]}")


@dataclass(frozen=True)
class Judged:
    acknowledged: int
    committed: int
    verification: Verification
    reconciled: int


def judge(folders: Folders) -> Judged:
    """Reopen as a restart does, then check: only whole batches, every acknowledged batch
    present, a log with no open write and no batch committed twice, a chain that verifies."""
    store = EmbeddedStore.open(folders.store)
    try:
        trail = AuditTrail.open(folders.audit, store)
        reconciled = sum(1 for e in trail.entries() if "reconciled" in str(e.get("reason")))
        committed: dict[str, int] = {}
        for graph in store.graph_names():
            if graph in (CATALOG_GRAPH, INFERRED_GRAPH):
                continue
            number = int(graph.value.rsplit("-", 1)[1])
            expected = len(set(batch_triples(number)))
            found = sum(1 for _ in store.quads(graph=graph))
            assert found == expected, f"{graph.value}: {found} of {expected} triples (partial)"
            committed[graph.value] = found
            assert _catalogued(store, graph), f"{graph.value} has no catalog entry"
        for batch in acknowledged(folders.acks):
            graph = ids.batch_graph(batch).value
            assert graph in committed, f"acknowledged batch {batch} is lost"
        assert trail.unresolved() == []
        commits = Counter(
            e["batch"] for e in trail.entries() if e["state"] == "committed" and e.get("batch")
        )
        twice = [batch for batch, n in commits.items() if n > 1]
        assert not twice, f"batches committed twice in the log: {twice}"
        assert set(commits) == {g.rsplit("/", 1)[1] for g in committed}
        return Judged(
            len(set(acknowledged(folders.acks))), len(committed), verify(trail, store), reconciled
        )
    finally:
        store.close()


def _catalogued(store: EmbeddedStore, graph: NamedNode) -> bool:
    batch = graph.value.rsplit("/", 1)[1]
    return any(True for _ in store.quads(None, vocab.BATCH_ID, Literal(batch), CATALOG_GRAPH))
