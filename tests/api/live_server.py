"""A real server for API tests: uvicorn in a thread on a free local port, over a real store."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from pyoxigraph import RdfFormat

from kgthread.api.app import create_app
from kgthread.config import Settings
from kgthread.gate import Gate
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.rdf_files import batch_from_file
from kgthread.sample import generate
from kgthread.store.base import GraphStore
from kgthread.store.embedded import EmbeddedStore


@dataclass
class Live:
    """A running server: its base URL, an HTTP client for it and the store behind it."""

    url: str
    client: httpx.Client
    store: EmbeddedStore

    def dump(self) -> set[str]:
        """Every quad in the store, as N-Quads lines, to compare states."""
        text = self.store.dump(None, RdfFormat.N_QUADS).decode()
        return {line for line in text.splitlines() if line.strip()}


class Server:
    def __init__(self, settings: Settings, store: GraphStore) -> None:
        config = uvicorn.Config(
            create_app(settings, store=store),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn-test", daemon=True)

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


LiveFactory = Callable[..., Live]


@dataclass
class Served:
    """A live server over a sample factory loaded through the gate, and its ground truth."""

    url: str
    client: httpx.Client
    server: Server
    store: EmbeddedStore
    truth: dict[str, Any]


@contextmanager
def serve_sample(folder: Path, seed: int, scale: int = 10_000) -> Iterator[Served]:
    """Generate a sample in ``folder``, load it through the gate, serve it; stop at exit."""
    sample = folder / "factory.nt"
    summary = generate(scale, seed, sample)
    store = EmbeddedStore.open(folder / "store")
    Pipeline(store, Gate.default()).ingest(batch_from_file(sample, bulk_threshold=0))
    server = Server(Settings(data=folder / "store"), store)
    url = server.start()
    client = httpx.Client(base_url=url, timeout=30)
    try:
        yield Served(url, client, server, store, json.loads(summary.truth.read_text("utf-8")))
    finally:
        client.close()
        server.stop()
        store.close()
