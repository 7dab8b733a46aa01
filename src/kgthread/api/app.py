"""The application factory: the composition root that opens the store and mounts the routes.

Nothing is created at import time; ``create_app(settings)`` builds one app around one store,
opened in the lifespan and closed when the server stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import Depends, FastAPI

from kgthread import __version__
from kgthread.api import (
    admin,
    auth,
    errors,
    explorer,
    graph_store,
    ingest,
    limits,
    reasoning,
    resources,
    rest,
    sparql,
)
from kgthread.api import audit as audit_routes
from kgthread.api.deps import Services
from kgthread.audit import AuditTrail, audit_folder
from kgthread.config import Settings
from kgthread.gate import Gate
from kgthread.ingest.pipeline import Pipeline
from kgthread.reasoning import Reasoner
from kgthread.store.base import GraphStore
from kgthread.store.opening import open_store


def create_app(settings: Settings, store: GraphStore | None = None) -> FastAPI:
    """An app serving ``store`` (or the store ``settings`` name: ``open_store``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = store if store is not None else open_store(settings)
        # The audit trail of the store's folder (or of ``audit_dir``), reconciled before the
        # first request: writes a crash cut short are resolved against the catalog. A remote
        # store has no folder, and several processes serve it: only with ``audit_dir``.
        trail = None
        folder = audit_folder(settings)
        if folder is not None and (store is None or settings.audit_dir is not None):
            try:
                trail = AuditTrail.open(folder, opened)
            except BaseException:
                if store is None:
                    opened.close()
                raise
        pipeline = Pipeline(
            opened,
            Gate.default(settings.gate_engine),
            gate_memory_limit=settings.gate_memory_limit_bytes,
            audit=trail,
            reasoner=Reasoner() if settings.reasoning else None,
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
    auth.install(app, settings)
    # Each router needs a role (docs/security.md); write routes inside read routers (SPARQL
    # Update, Graph Store writes) ask for write themselves.
    read = [Depends(auth.require_role("read"))]
    app.include_router(sparql.router, dependencies=read)
    app.include_router(graph_store.router, dependencies=read)
    app.include_router(ingest.router, dependencies=[Depends(auth.require_role("write"))])
    app.include_router(audit_routes.router, dependencies=[Depends(auth.require_role("admin"))])
    app.include_router(admin.router)
    rest.install(app)
    app.include_router(resources.router, dependencies=read)
    app.include_router(reasoning.router, dependencies=[Depends(auth.every_graph)])
    explorer.install(app)
    limits.install(app, settings)
    return app


def app_from_env() -> FastAPI:
    """``create_app`` with settings from the environment: for ``uvicorn --factory
    kgthread.api.app:app_from_env``, which runs several worker processes over one store."""
    return create_app(Settings.from_env())
