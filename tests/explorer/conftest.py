"""One live server over a 10k-triple sample factory (seed 7), shared by the explorer tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.live_server import Server
from kgthread.config import Settings
from kgthread.gate import Gate
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.rdf_files import batch_from_file
from kgthread.sample import generate
from kgthread.store.embedded import EmbeddedStore


@dataclass
class Served:
    url: str
    client: httpx.Client
    store: EmbeddedStore
    truth: dict[str, Any]


@pytest.fixture(scope="package")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("explorer")
    summary = generate(10_000, 7, folder / "factory.nt")
    store = EmbeddedStore.open(folder / "store")
    Pipeline(store, Gate.default()).ingest(batch_from_file(folder / "factory.nt", bulk_threshold=0))
    server = Server(Settings(data=folder / "store"), store)
    url = server.start()
    client = httpx.Client(base_url=url, timeout=30)
    yield Served(url, client, store, json.loads(Path(summary.truth).read_text("utf-8")))
    client.close()
    server.stop()
    store.close()
