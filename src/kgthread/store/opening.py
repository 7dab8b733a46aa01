"""Which store the settings name: the embedded folder, or a remote store by its URL.

The one place that turns settings into a ``GraphStore``; the composition roots (the app's
lifespan, the CLI) call :func:`open_store` and never construct a store themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import httpx

from kgthread.config import Settings
from kgthread.store.base import GraphStore
from kgthread.store.dialects import AuthKind, Credentials, dialect_for
from kgthread.store.embedded import EmbeddedStore
from kgthread.store.remote import RemoteStore


def is_remote(settings: Settings) -> bool:
    return settings.store.startswith(("http://", "https://"))


def store_location(settings: Settings) -> str:
    """Where the store is, for messages: the URL or the folder."""
    return settings.store if settings.store else str(settings.data)


def open_store(settings: Settings, *, transport: httpx.BaseTransport | None = None) -> GraphStore:
    """The store ``settings`` name, opened (and recovered, as each store does on open).
    ``transport``: the HTTP transport of a remote store (tests wrap the real one)."""
    if not is_remote(settings):
        return EmbeddedStore.open(Path(settings.store) if settings.store else settings.data)
    dialect = dialect_for(settings.store_dialect)
    endpoints = dialect.endpoints(
        settings.store,
        query=settings.store_query_url or None,
        update=settings.store_update_url or None,
        graph_store=settings.store_graph_store_url or None,
    )
    credentials = Credentials(
        kind=cast(AuthKind, settings.store_auth),
        user=settings.store_user,
        password=settings.store_password,
        token=settings.store_token,
    )
    return RemoteStore.open(
        dialect,
        endpoints,
        credentials=credentials,
        timeout=float(settings.store_timeout_seconds),
        bulk_piece=settings.store_bulk_piece_statements,
        transport=transport,
    )
