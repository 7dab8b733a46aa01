"""Fixtures for the STEP tests: a real pipeline over a real on-disk store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.live_server import Live, Server
from kgthread.config import Settings
from kgthread.gate import Gate
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.step.adapter import StepAdapter
from kgthread.store.embedded import EmbeddedStore


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    return EmbeddedStore.open(tmp_path / "store")


@pytest.fixture
def pipeline(store: EmbeddedStore) -> Pipeline:
    return Pipeline(store, Gate.default())


@pytest.fixture
def messages() -> list[str]:
    return []


@pytest.fixture
def adapter(messages: list[str]) -> StepAdapter:
    """The adapter with its progress lines collected instead of printed."""
    return StepAdapter(progress=messages.append)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """A real server over its own on-disk store (as tests/api/conftest.py starts them)."""
    folder = tmp_path / "server-store"
    store = EmbeddedStore.open(folder)
    server = Server(Settings(data=folder), store)
    url = server.start()
    client = httpx.Client(base_url=url, timeout=30)
    yield Live(url, client, store)
    client.close()
    server.stop()
    store.close()
