"""Backend parity: the same tests over the embedded store and over real remote stores.

``BACKENDS`` parametrises a test or fixture by backend name; :func:`open_backend` gives a
fresh, empty store of that backend and :func:`backend_settings` the settings that name it
(for an app or a uvicorn process). Remote servers are started once per test session, on
first use, cleared before each store is handed out, and stopped by pid when the session ends.

A remote backend is a :class:`RemoteServer`. Oxigraph's is ``backends.oxigraph_server``.
Virtuoso's comes from ``backends.virtuoso.start_server(folder: Path) -> RemoteServer`` when
that module provides it (it may call ``pytest.skip`` with its reason, for instance when
``virtuoso-t`` is not installed); until then the virtuoso parameter is skipped, saying so.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Protocol

import pytest

from backends.oxigraph_server import OxigraphServer, oxigraph_binary
from kgthread.config import Settings
from kgthread.store.base import GraphStore
from kgthread.store.embedded import EmbeddedStore
from kgthread.store.opening import open_store

BACKENDS = ["embedded", "oxigraph", "virtuoso"]
REMOTE_BACKENDS = ["oxigraph", "virtuoso"]


class RemoteServer(Protocol):
    """A running remote store for tests."""

    def settings(self, base: Settings) -> Settings:
        """``base`` with the ``store*`` settings that reach this server."""
        ...

    def clear(self) -> None:
        """Remove everything the store holds (every graph)."""
        ...

    def stop(self) -> None:
        """Stop the server process by its pid."""
        ...


class _Oxigraph:
    def __init__(self, server: OxigraphServer) -> None:
        self.server = server

    def settings(self, base: Settings) -> Settings:
        return base.with_(store=self.server.url, store_dialect="oxigraph")

    def clear(self) -> None:
        self.server.clear()

    def stop(self) -> None:
        self.server.stop()


def _start(name: str, folder: Path) -> RemoteServer:
    if name == "oxigraph":
        binary = oxigraph_binary()
        if binary is None:
            pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)")
        server = OxigraphServer(binary, folder / "oxigraph")
        server.start()
        return _Oxigraph(server)
    if name == "virtuoso":
        try:
            module = importlib.import_module("backends.virtuoso")
        except ImportError as exc:
            pytest.skip(f"virtuoso backend unavailable: tests/backends/virtuoso.py: {exc}")
        start = getattr(module, "start_server", None)
        if start is None:
            pytest.skip(
                "virtuoso backend unavailable: tests/backends/virtuoso.py has no start_server"
            )
        server: RemoteServer = start(folder / "virtuoso")
        return server
    raise ValueError(f"unknown backend {name}")


_SKIPPED: dict[str, str] = {}


def remote_server(request: pytest.FixtureRequest, name: str) -> RemoteServer:
    """The session's server for backend ``name``, started on first use."""
    if name in _SKIPPED:
        pytest.skip(_SKIPPED[name])
    config = request.config
    servers = config.stash.setdefault(_SERVERS, {})
    if name not in servers:
        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        try:
            servers[name] = _start(name, factory.mktemp(f"server-{name}"))
        except pytest.skip.Exception as skipped:
            _SKIPPED[name] = str(skipped.msg)
            raise
        config.add_cleanup(servers[name].stop)
    return servers[name]


_SERVERS = pytest.StashKey[dict[str, RemoteServer]]()


def backend_settings(request: pytest.FixtureRequest, name: str, folder: Path) -> Settings:
    """Settings naming an empty store of backend ``name`` (``folder`` for embedded)."""
    base = Settings(data=folder / "store")
    if name == "embedded":
        return base
    server = remote_server(request, name)
    server.clear()
    return server.settings(base)


def open_backend(request: pytest.FixtureRequest, name: str, folder: Path) -> GraphStore:
    """A fresh, empty, opened store of backend ``name``; the caller closes it."""
    if name == "embedded":
        return EmbeddedStore.open(folder / "store")
    return open_store(backend_settings(request, name, folder))
