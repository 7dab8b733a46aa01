"""An on-disk store with its audit trail and a pipeline that records into it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyoxigraph import Store, Triple

from kgthread.audit import AuditTrail, Verification, verify
from kgthread.gate import Gate
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.embedded import EmbeddedStore


@dataclass
class Audited:
    folder: Path
    store: EmbeddedStore
    trail: AuditTrail
    pipeline: Pipeline

    @property
    def log_path(self) -> Path:
        return self.trail.log.path

    def verify(self) -> Verification:
        return verify(self.trail, self.store)

    def tamper(self, change: Callable[[Store], None]) -> None:
        """Change the store behind the service's back (pyoxigraph directly), then reopen."""
        self.store.close()
        raw = Store(str(self.folder / "store"))
        change(raw)
        raw.flush()
        del raw
        self.store = EmbeddedStore.open(self.folder / "store")
        self.trail = AuditTrail.open(self.folder / "audit", self.store)
        self.pipeline = Pipeline(self.store, self.pipeline.gate, audit=self.trail)

    def reopen(self) -> None:
        """Close and open again, as a restart does (recovery, then reconciliation)."""
        self.store.close()
        self.store = EmbeddedStore.open(self.folder / "store")
        self.trail = AuditTrail.open(self.folder / "audit", self.store)
        self.pipeline = Pipeline(self.store, self.pipeline.gate, audit=self.trail)


@pytest.fixture(scope="session")
def gate() -> Gate:
    return Gate.default()


@pytest.fixture
def env(tmp_path: Path, gate: Gate) -> Iterator[Audited]:
    store = EmbeddedStore.open(tmp_path / "store")
    trail = AuditTrail.open(tmp_path / "audit", store)
    env = Audited(tmp_path, store, trail, Pipeline(store, gate, audit=trail))
    yield env
    env.store.close()


def batch(triples: list[Triple], batch_id: str, agent: str = "alice") -> Batch:
    return Batch(
        "rdf",
        "1.0",
        [Source.of_bytes(f"{batch_id}.nt", repr(triples).encode())],
        triples=triples,
        batch_id=batch_id,
        agent=agent,
    )
