"""Fixtures for API tests: real servers over real on-disk stores, stopped at teardown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.live_server import Live, LiveFactory, Server
from kgthread.config import Settings
from kgthread.store.embedded import EmbeddedStore


@pytest.fixture
def live_factory(tmp_path: Path) -> Iterator[LiveFactory]:
    """Start servers (each on its own store folder); all are stopped at teardown."""
    started: list[tuple[Server, httpx.Client, EmbeddedStore]] = []

    def start(**settings: object) -> Live:
        folder = tmp_path / f"store{len(started)}"
        store = EmbeddedStore.open(folder)
        server = Server(Settings(data=folder).with_(**settings), store)
        url = server.start()
        client = httpx.Client(base_url=url, timeout=30)
        started.append((server, client, store))
        return Live(url, client, store)

    yield start
    for server, client, store in started:
        client.close()
        server.stop()
        store.close()


@pytest.fixture
def live(live_factory: LiveFactory) -> Live:
    """A server with SPARQL Update enabled."""
    return live_factory(enable_update=True)


@pytest.fixture
def read_only(live_factory: LiveFactory) -> Live:
    """A server with SPARQL Update disabled (the default setting)."""
    return live_factory()
