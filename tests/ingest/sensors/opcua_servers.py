"""Real OPC UA servers on 127.0.0.1 for the watcher tests, each a process the test owns.

Every server is started through :class:`ServerProcess`: it binds 127.0.0.1 on a free port,
exits by itself after a timeout, and is stopped by its own handle (terminate, then kill),
never by name.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

import shared_data
from kgthread import assets

HERE = Path(__file__).resolve().parent
MILL_NODESET = HERE / "data" / "Kgthread.Test.Mill.NodeSet2.xml"
OPCUA_DATA = assets.shared_data_dir() / "opcua"
MILL = "urn:kgthread:test:mill/"
MILL_KEYS = tuple(f"nsu={MILL};i={i}" for i in (6001, 6004, 6007))


def mill_nodesets() -> list[Path]:
    """The Machinery Examples address space with its dependencies, then the test mill."""
    names = (
        "Opc.Ua.Di.NodeSet2.xml",
        "Opc.Ua.Machinery.NodeSet2.xml",
        "Opc.Ua.Machinery.Examples.NodeSet2.xml",
    )
    paths = [OPCUA_DATA / name for name in names]
    for p in paths:
        if not p.is_file():
            shared_data.missing(p)
    return [*paths, MILL_NODESET]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """One server process: started, waited for (``READY``), stopped by its handle."""

    def __init__(self, command: Sequence[str], *, cwd: Path | None = None) -> None:
        self.command = list(command)
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ready_timeout: float = 30.0) -> ServerProcess:
        self.process = subprocess.Popen(
            self.command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=self.cwd,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + ready_timeout
        line = b""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.command}")
            if selector.select(timeout=0.2):
                line = self.process.stdout.readline()
                if line.startswith(b"READY"):
                    selector.close()
                    return self
        self.stop()
        raise RuntimeError(f"server not ready after {ready_timeout} s: {self.command}")

    def kill(self) -> None:
        """Gone without goodbye, as a crashed server or a pulled cable."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._close()

    def _close(self) -> None:
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()


def asyncua_command(port: int, log: Path | None, *extra: str, timeout: float = 60.0) -> list[str]:
    command = [sys.executable, str(HERE / "asyncua_server.py"), "--port", str(port)]
    command += ["--timeout", str(timeout)]
    for nodeset in mill_nodesets():
        command += ["--nodeset", str(nodeset)]
    if log is not None:
        command += ["--log", str(log)]
    return [*command, *extra]


def node_opcua_command(port: int, log: Path, timeout: float = 60.0) -> list[str]:
    node = shutil.which("node")
    root = assets.root()
    if node is None or not (root / "node_modules" / "node-opcua").is_dir():
        pytest.skip("node or node_modules/node-opcua missing: run `make setup` (npm ci)")
    script = HERE / "node_opcua_server.js"
    return [node, str(script), str(port), str(log), str(timeout)]


def published(log: Path) -> list[dict[str, object]]:
    """The values a test server wrote, in order: the ground truth."""
    if not log.exists():
        return []
    rows = []
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue  # the last line of a killed server may be cut
    return rows
