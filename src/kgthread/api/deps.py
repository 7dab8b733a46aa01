"""Typed dependencies: the store, pipeline and settings the lifespan opened, per request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import anyio
from fastapi import Depends, Request

from kgthread.config import Settings
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.base import GraphStore


@dataclass
class Services:
    """What the composition root built: everything a route may use."""

    settings: Settings
    store: GraphStore
    pipeline: Pipeline
    readers: anyio.CapacityLimiter
    writer: anyio.Lock


async def get_services(request: Request) -> Services:
    """``async``: FastAPI runs a plain ``def`` dependency on a worker thread, a hop to and
    from the event loop on every request for what is an attribute read."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
