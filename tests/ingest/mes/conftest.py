"""Fixtures for the MES adapter tests: a real pipeline over a real on-disk store."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgthread.gate import Gate
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.embedded import EmbeddedStore


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    return EmbeddedStore.open(tmp_path / "store")


@pytest.fixture
def pipeline(store: EmbeddedStore) -> Pipeline:
    return Pipeline(store, Gate.default())
