"""The API keeps no state of its own: two uvicorn worker processes in front of one Oxigraph
server give the same answers, and a write through either is seen by both at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pyoxigraph import RdfFormat, Triple, serialize

from backends.oxigraph_server import free_port
from backends.stores import remote_server
from factories import product, unit
from kgthread import ids
from kgthread.config import Settings

pytestmark = pytest.mark.slow

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _children(pid: int) -> list[int]:
    """The worker processes uvicorn started (Linux: /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.fixture
def two_workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    server = remote_server(request, "oxigraph")
    server.clear()
    settings = server.settings(Settings())
    port = free_port()
    env = {
        **os.environ,
        "KGTHREAD_STORE": settings.store,
        "KGTHREAD_STORE_DIALECT": settings.store_dialect,
        "KGTHREAD_DATA": str(tmp_path / "unused"),
        "KGTHREAD_ENABLE_UPDATE": "true",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "kgthread.api.app:app_from_env",
        "--workers",
        "2",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    log = (tmp_path / "uvicorn.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "uvicorn.log").read_text(errors="replace"))
            try:
                ready = httpx.get(f"{url}/sparql", params={"query": "ASK {}"}).status_code == 200
            except httpx.TransportError:
                ready = False
            if ready and len(_children(process.pid)) >= 2:
                break
            time.sleep(0.1)
        yield url
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        log.close()


def _ntriples(triples: list[Triple]) -> bytes:
    return serialize(triples, format=RdfFormat.N_TRIPLES) or b""


def _fresh_get(url: str, path: str, **options: object) -> httpx.Response:
    """One request on a new connection: the kernel hands it to either worker."""
    with httpx.Client(base_url=url, timeout=30) as client:
        return client.get(path, **options)  # type: ignore[arg-type]


def test_two_workers_answer_alike_and_see_each_others_writes(two_workers: str) -> None:
    url = two_workers
    body = _ntriples(product("P-1") + unit("P-1", "A", "SN-1"))
    graph = ids.batch_graph("stateless")
    with httpx.Client(base_url=url, timeout=30) as client:
        answer = client.put(
            "/store",
            params={"graph": graph.value},
            content=body,
            headers={"Content-Type": "application/n-triples"},
        )
        assert answer.status_code == 201, answer.text
    counts = set()
    etags = set()
    for _ in range(24):
        counted = _fresh_get(url, "/sparql", params={"query": COUNT})
        assert counted.status_code == 200
        counts.add(counted.json()["results"]["bindings"][0]["n"]["value"])
        history = _fresh_get(
            url, "/api/queries/unit-history", params={"unit": ids.unit("P-1", "SN-1").value}
        )
        assert history.status_code == 200, history.text
        etags.add(history.headers["etag"])
    assert len(counts) == 1
    assert int(counts.pop()) > len(body.splitlines())  # the batch and its catalog entry
    assert len(etags) == 1  # the ETag comes from the store, not from a worker
    etag = etags.pop()
    for _ in range(8):
        cached = _fresh_get(
            url,
            "/api/queries/unit-history",
            params={"unit": ids.unit("P-1", "SN-1").value},
            headers={"If-None-Match": etag},
        )
        assert cached.status_code == 304
    more = _ntriples(unit("P-1", "A", "SN-2"))
    with httpx.Client(base_url=url, timeout=30) as client:
        answer = client.post(
            "/store",
            params={"graph": ids.batch_graph("stateless-2").value},
            content=more,
            headers={"Content-Type": "application/n-triples"},
        )
        assert answer.status_code in (201, 204), answer.text
    for _ in range(8):
        after = _fresh_get(
            url,
            "/api/queries/unit-history",
            params={"unit": ids.unit("P-1", "SN-1").value},
            headers={"If-None-Match": etag},
        )
        assert after.status_code == 200  # a write through either worker changed the state
        assert after.headers["etag"] != etag
