"""Fixtures for the OPC UA tests: servers stopped by their handles, a store, a pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.sensors.opcua_servers import ServerProcess, mill_nodesets
from kgthread.gate import Gate
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.sensors.adapter import NodesetAdapter
from kgthread.store.embedded import EmbeddedStore


@pytest.fixture
def servers() -> Iterator[list[ServerProcess]]:
    """Servers a test starts; every one is stopped when the test ends, whatever happened."""
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore.open(tmp_path / "store")
    yield opened
    opened.close()


@pytest.fixture
def pipeline(store: EmbeddedStore) -> Pipeline:
    return Pipeline(store, Gate.default())


@pytest.fixture
def imported(pipeline: Pipeline) -> Pipeline:
    """The mill's equipment and sensors imported from the NodeSet files first."""
    adapter = NodesetAdapter()
    for batch in adapter.batches(mill_nodesets(), IngestOptions()):
        pipeline.ingest(batch)
    return pipeline
