"""The application factory: the composition root that opens the store and mounts the routes.

Nothing is created at import time; ``create_app(settings)`` builds one app around one store,
opened in the lifespan and closed when the server stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from kgthread import __version__
from kgthread.api import errors, explorer, graph_store, ingest, resources, rest, sparql
from kgthread.api.deps import Services
from kgthread.config import Settings
from kgthread.gate import Gate
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.base import GraphStore
from kgthread.store.embedded import EmbeddedStore


def create_app(settings: Settings, store: GraphStore | None = None) -> FastAPI:
    """An app serving ``store`` (or the embedded store in ``settings.data``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = store if store is not None else EmbeddedStore.open(settings.data)
        pipeline = Pipeline(
            opened,
            Gate.default(settings.gate_engine),
            gate_memory_limit=settings.gate_memory_limit_bytes,
        )
        app.state.services = Services(
            settings=settings,
            store=opened,
            pipeline=pipeline,
            readers=anyio.CapacityLimiter(settings.read_threads),
            writer=anyio.Lock(),
        )
        try:
            yield
        finally:
            if store is None:
                opened.close()

    app = FastAPI(
        title="kgthread",
        version=__version__,
        summary="Knowledge graph of the manufacturing digital thread",
        lifespan=lifespan,
    )
    errors.install(app)
    app.include_router(sparql.router)
    app.include_router(graph_store.router)
    app.include_router(ingest.router)
    rest.install(app)
    app.include_router(resources.router)
    explorer.install(app)
    return app
