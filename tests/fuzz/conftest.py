"""Fixtures for the fuzz tests: one real on-disk store and pipeline per module (Hypothesis
runs many examples against one fixture, so they are not per function)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kgthread.gate import Gate
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.embedded import EmbeddedStore


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore.open(tmp_path_factory.mktemp("fuzz") / "store")
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def pipeline(store: EmbeddedStore) -> Pipeline:
    return Pipeline(store, Gate.default())
