"""A real Virtuoso (Debian ``virtuoso-opensource``) for tests, with its own config and password.

Use it from a test module as the session fixture ``virtuoso`` (import it:
``from backends.virtuoso import virtuoso``), which yields a :class:`VirtuosoServer`; or call
:func:`start_server` (``backends.stores`` does, for the backend parity tests) and
:meth:`VirtuosoServer.stop` when done. A :class:`VirtuosoServer` gives:

- ``query_url``, ``update_url`` (both ``/sparql-auth``) and ``graph_store_url``
  (``/sparql-graph-crud-auth``, graphs named with ``graph-uri=``), ``base_url``;
- ``dialect`` (``"virtuoso"``), ``user`` and ``password`` (digest auth; the user holds
  ``SPARQL_UPDATE``), ``reader`` and ``reader_password`` (a user with ``SPARQL_SELECT``
  only), ``dba_password`` (changed from the default ``dba`` before anything else);
- ``max_rows`` and ``max_seconds``: its ``ResultSetMaxRows`` (1,000,000 unless
  :func:`start_server` is given another) and ``MaxQueryExecutionTime`` (60 s);
- ``settings(base)`` (the ``store*`` settings that reach it), ``clear()`` (drop every graph
  the tests wrote, keeping Virtuoso's own), ``isql(sql)`` and ``stop()``.

Each server is one ``virtuoso-t +foreground`` process in a temporary folder with a config
written from ``virtuoso.ini.in`` (both ports on 127.0.0.1, small buffers), waited for with a
bounded loop and stopped by its own pid. Without ``virtuoso-t`` the fixture skips, saying so.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import string
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from backends.oxigraph_server import free_port
from kgthread.config import Settings

TEMPLATE = Path(__file__).with_name("virtuoso.ini.in")
DEFAULT_MAX_ROWS = 1_000_000
"""``ResultSetMaxRows`` of the test instance: above any graph the tests read whole (the
truncation tests start their own instance with a low one)."""

_ISQL_NAMES = ("isql-vt", "isql-v")


def virtuoso_binary() -> str | None:
    return shutil.which("virtuoso-t")


def isql_binary() -> str | None:
    for name in _ISQL_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class VirtuosoServer:
    """One running ``virtuoso-t`` over ``folder``; see the module docstring."""

    folder: Path
    max_rows: int = DEFAULT_MAX_ROWS
    max_seconds: int = 60
    sql_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    user: str = "kgthread"
    password: str = field(default_factory=lambda: "kg" + secrets.token_hex(12))
    reader: str = "kgreader"
    reader_password: str = field(default_factory=lambda: "kg" + secrets.token_hex(12))
    dba_password: str = field(default_factory=lambda: "kg" + secrets.token_hex(12))
    dialect: str = "virtuoso"
    process: subprocess.Popen[bytes] | None = None
    system_graphs: frozenset[str] = frozenset()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def query_url(self) -> str:
        return f"{self.base_url}/sparql-auth"

    @property
    def update_url(self) -> str:
        return f"{self.base_url}/sparql-auth"

    @property
    def graph_store_url(self) -> str:
        return f"{self.base_url}/sparql-graph-crud-auth"

    @property
    def log(self) -> Path:
        return self.folder / "virtuoso.log"

    def auth(self) -> httpx.DigestAuth:
        return httpx.DigestAuth(self.user, self.password)

    def settings(self, base: Settings) -> Settings:
        """``base`` with the ``store*`` settings that reach this server."""
        return base.with_(
            store=self.base_url,
            store_dialect=self.dialect,
            store_auth="digest",
            store_user=self.user,
            store_password=self.password,
        )

    # -- lifecycle --------------------------------------------------------------------------

    def start(self, timeout: float = 90.0) -> None:
        binary = virtuoso_binary()
        if binary is None:
            pytest.skip("virtuoso-t is not installed (Debian package virtuoso-opensource)")
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "virtuoso.ini"
        config.write_text(
            string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
                dir=str(self.folder),
                sql_port=self.sql_port,
                http_port=self.http_port,
                max_rows=self.max_rows,
                max_seconds=self.max_seconds,
            ),
            encoding="utf-8",
        )
        with (self.folder / "console.log").open("ab") as console:
            self.process = subprocess.Popen(
                [binary, "+foreground", "+configfile", str(config)],
                cwd=self.folder,
                stdout=console,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            self._wait_ready(timeout)
            self.isql(f"set password dba {self.dba_password};", password="dba")
            self.isql(
                f"DB.DBA.USER_CREATE('{self.user}', '{self.password}');\n"
                f'GRANT SPARQL_UPDATE TO "{self.user}";\n'
                f"DB.DBA.USER_CREATE('{self.reader}', '{self.reader_password}');\n"
                f'GRANT SPARQL_SELECT TO "{self.reader}";\n'
            )
            self.system_graphs = frozenset(self._graphs())
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        """Until the HTTP listener answers a query and the SQL port takes a login."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited: {self._tail()}")
            try:
                answer = httpx.get(f"{self.base_url}/sparql", params={"query": "ASK {}"}, timeout=2)
                if answer.status_code == 200:
                    self.isql("select 1;", password="dba", timeout=10)
                    return
            except (httpx.TransportError, RuntimeError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"virtuoso-t did not answer within {timeout} s: {self._tail()}")

    def _tail(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text[-2000:]

    def stop(self) -> None:
        """Stop the server by its pid (SIGTERM, then SIGKILL after a bounded wait), reap it."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=15)

    # -- administration ---------------------------------------------------------------------

    def isql(self, sql: str, *, password: str | None = None, timeout: float = 60) -> str:
        """Run SQL statements as ``dba`` through ``isql`` (a script file, so the password
        is the only secret on the command line)."""
        binary = isql_binary()
        if binary is None:
            raise RuntimeError("isql-vt is not installed (Debian package virtuoso-opensource)")
        script = self.folder / f"isql-{secrets.token_hex(4)}.sql"
        script.write_text(sql, encoding="utf-8")
        try:
            done = subprocess.run(
                [
                    binary,
                    f"127.0.0.1:{self.sql_port}",
                    "dba",
                    password or self.dba_password,
                    str(script),
                ],
                capture_output=True,
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        finally:
            script.unlink(missing_ok=True)
        out = done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")
        if done.returncode != 0 or "*** Error" in out:
            raise RuntimeError(f"isql failed ({done.returncode}): {out[-2000:]}")
        return out

    def _graphs(self) -> list[str]:
        answer = httpx.post(
            self.query_url,
            data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
            headers={"Accept": "application/sparql-results+json"},
            auth=self.auth(),
            timeout=60,
        )
        answer.raise_for_status()
        return [row["g"]["value"] for row in answer.json()["results"]["bindings"]]

    def clear(self) -> None:
        """Drop every graph written since the server started (Virtuoso's own stay)."""
        graphs = [g for g in self._graphs() if g not in self.system_graphs]
        if not graphs:
            return
        update = " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs)
        answer = httpx.post(
            self.update_url,
            data={"update": update},
            auth=self.auth(),
            timeout=120,
        )
        answer.raise_for_status()


def start_server(
    folder: Path, *, max_rows: int = DEFAULT_MAX_ROWS, max_seconds: int = 60
) -> VirtuosoServer:
    """A started server over ``folder`` (skips when ``virtuoso-t`` is not installed);
    ``max_rows`` and ``max_seconds`` are its ``ResultSetMaxRows`` and
    ``MaxQueryExecutionTime``."""
    server = VirtuosoServer(folder, max_rows=max_rows, max_seconds=max_seconds)
    server.start()
    return server


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """A Virtuoso for the whole session, stopped by its pid at the end."""
    server = start_server(tmp_path_factory.mktemp("virtuoso"))
    try:
        yield server
    finally:
        server.stop()
