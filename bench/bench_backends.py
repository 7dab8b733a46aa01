"""Lineage queries on the embedded store against an Oxigraph server (and Virtuoso), the API's
own overhead over the remote store, and REST throughput with one and two uvicorn workers.

Usage: python bench/bench_backends.py [SCALE] [--calls N] [--trace-calls N]
(SCALE default 1000000, sample from bench/common.py; --calls default 200, --trace-calls
default 30 or N if smaller: at 10M a call of Virtuoso's takes seconds, so use e.g. 50).
Each load's time is printed to stderr as it finishes.

The same sample is loaded (through ``bulk_commit``: a bulk load into the embedded store,
Graph Store pieces of 500,000 statements into the server, both catalogued) into a fresh
embedded store and a fresh ``oxigraph serve`` (the PyPI binary of the same Oxigraph version
as pyoxigraph) on 127.0.0.1, and into Virtuoso when the test suite's helper
(tests/backends/virtuoso.py) and ``virtuoso-t`` are there (otherwise the table says why
not); each store's triple count is printed beside its load time. Then, for each backend,
through the ``GraphStore`` interface in this process: ``recall`` and ``genealogy-down``
(``lineage.run``, ``--calls`` calls cycling through the sample's probe lots and units) and
``trace`` (``lineage.trace``, every section, ``--trace-calls`` calls); for the Oxigraph
server also the bare query (the named query's text, parameter bound, sent with httpx
straight to the server with the same dataset): what the store interface adds.

The API's overhead over the remote store: a kgthread server (uvicorn, one worker, result cache
off) over the Oxigraph server answers ``/api/queries/genealogy-down``; the same loopback
client (raw HTTP/1.1 keep-alive sockets) sends the bare query straight to the server; the
difference of the sequential p50s is what kgthread adds (target: under 2 ms). Throughput: the
same REST call on 8 connections with one and with two uvicorn workers over the Oxigraph
server. The load generator and both servers share the machine's 2 cores with other jobs:
ratios are the figures to read, not absolute times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlencode

import httpx
from pyoxigraph import RdfFormat, Variable

from common import loopback_get, percentiles, sample_file, table
from kgthread import lineage, queries
from kgthread.config import Settings
from kgthread.errors import KgthreadError
from kgthread.ingest.batch import Batch, Source, provenance
from kgthread.store import sparql_text
from kgthread.store.base import GraphStore
from kgthread.store.dialects import dialect_for
from kgthread.store.embedded import EmbeddedStore
from kgthread.store.opening import open_store
from kgthread.store.remote import RemoteStore

CALLS = 200
TRACE_CALLS = 30
REQUESTS = 2000
CONNECTIONS = 8


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def start_oxigraph(location: Path) -> tuple[subprocess.Popen[bytes], int]:
    """``oxigraph serve`` (the PyPI binary beside this Python) on a free local port, once it
    answers; the caller stops it with :func:`_stop`."""
    port = _free_port()
    binary = Path(sys.executable).with_name("oxigraph")
    command = [str(binary), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", server)
    except BaseException:
        _stop(server)
        raise
    return server, port


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _load(store: GraphStore, sample: Path) -> float:
    batch = Batch("bench", "1", [Source.of_file(sample)], batch_id="sample")
    started = time.perf_counter()
    store.bulk_commit(
        batch.graph,
        sample,
        RdfFormat.N_TRIPLES,
        provenance(batch, 0, batch.started),
        lambda: None,
    )
    return time.perf_counter() - started


def _timings(action: Callable[[str], object], values: list[str], calls: int) -> list[float]:
    for value in values[:5]:  # warm up
        action(value)
    samples = []
    for i in range(calls):
        started = time.perf_counter()
        action(values[i % len(values)])
        samples.append(time.perf_counter() - started)
    return samples


def _measured(
    label: str,
    failures: list[str],
    action: Callable[[str], object],
    values: list[str],
    calls: int,
) -> list[float]:
    """``_timings``, or no samples and a line in ``failures`` when a call is refused (a
    query over kgthread's time limit, say): the other backends are still measured."""
    try:
        return _timings(action, values, calls)
    except KgthreadError as exc:
        failures.append(f"{label}: {exc}")
        _progress(f"{label}: {exc}")
        return []


def _bare(
    remote: RemoteStore, client: httpx.Client, name: str, parameter: str
) -> Callable[[str], object]:
    """The named query sent straight to the server: same text, same dataset, rows read."""
    text = queries.get(name).text
    graphs = remote.graph_names()
    dataset = remote.dialect.dataset_params(graphs, graphs)

    def run(value: str) -> object:
        from pyoxigraph import NamedNode

        bound = sparql_text.bind(text, {parameter: NamedNode(value)})
        answer = client.post(
            remote.endpoints.query,
            content=urlencode([("query", bound), *dataset]),
            headers={
                "Accept": "application/sparql-results+json",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        answer.raise_for_status()
        return answer.json()["results"]["bindings"]

    return run


def _serve(env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "kgthread.api.app:app_from_env",
            "--workers",
            str(workers),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env={**os.environ, **env, "KGTHREAD_RESULT_CACHE_BYTES": "0"},
    )
    _wait(f"http://127.0.0.1:{port}/api/queries", process)
    return process, port


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="embedded store against remote stores")
    parser.add_argument("scale", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=CALLS, help="calls per named query")
    parser.add_argument("--trace-calls", type=int, default=None, help="calls of trace")
    return parser.parse_args()


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def _sparql_get(port: int, paths: list[str], connections: int) -> list[float]:
    """``loopback_get`` asking for SPARQL JSON results (or JSON from kgthread)."""
    accept = "Accept: application/sparql-results+json, application/json\r\n"
    return await loopback_get(port, paths, connections, accept)


def main() -> None:
    arguments = _arguments()
    scale: int = arguments.scale
    calls: int = arguments.calls
    trace_calls: int = arguments.trace_calls or min(TRACE_CALLS, calls)
    sample = sample_file(scale)
    truth = json.loads(sample.with_suffix(".truth.json").read_text())
    units = [str(u["unit"]) for u in truth["top_units"]]
    lots = [str(lot["lot"]) for lot in truth["lots"]]
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        server, server_port = start_oxigraph(folder / "oxigraph")
        server_url = f"http://127.0.0.1:{server_port}"
        try:
            dialect = dialect_for("oxigraph")
            embedded = EmbeddedStore.open(folder / "embedded")
            remote = RemoteStore.open(dialect, dialect.endpoints(server_url), timeout=600)
            loads = {"embedded": _load(embedded, sample)}
            _progress(f"embedded loaded in {loads['embedded']:.0f} s")
            loads["oxigraph server"] = _load(remote, sample)
            _progress(f"oxigraph server loaded in {loads['oxigraph server']:.0f} s")
            stores: dict[str, GraphStore] = {"embedded": embedded, "oxigraph server": remote}
            virtuoso, note = _virtuoso(folder / "virtuoso", sample, loads)
            if virtuoso is not None:
                stores["virtuoso"] = virtuoso
                _progress(f"virtuoso loaded in {loads['virtuoso']:.0f} s")
            counts = {label: store.triple_count() for label, store in stores.items()}
            plan = {"recall": ("item", lots), "genealogy-down": ("unit", units)}
            results: dict[str, dict[str, list[float]]] = {}
            failures: list[str] = []
            for label, store in stores.items():
                results[label] = {}
                for name, (parameter, values) in plan.items():
                    query = queries.get(name)
                    results[label][name] = _measured(
                        f"{label} {name}",
                        failures,
                        lambda v, s=store, q=query, p=parameter: lineage.run(s, q, {p: v}),
                        values,
                        calls,
                    )
                results[label]["trace"] = _measured(
                    f"{label} trace",
                    failures,
                    lambda v, s=store: lineage.trace(s, v),
                    units,
                    trace_calls,
                )
                _progress(f"{label} queried")
            with httpx.Client(timeout=60) as client:
                results["bare HTTP to the server"] = {
                    name: _timings(_bare(remote, client, name, parameter), values, calls)
                    for name, (parameter, values) in plan.items()
                }
            for store in stores.values():
                store.close()
            rest = _rest(server_url, server_port, units, remote, folder, calls)
        finally:
            _stop(server)
            while _VIRTUOSO:
                _VIRTUOSO.pop().stop()
    print(
        f"Backends at {scale:,} triples, {calls} calls ({trace_calls} of trace); load average "
        f"{os.getloadavg()[0]:.1f} at the end (2 cores, shared with other jobs)"
    )
    print()
    print(
        table(
            ["backend", "bulk_commit s", "triples held"],
            [[k, v, counts.get(k, 0)] for k, v in loads.items()],
        )
    )
    print()
    rows: list[list[object]] = []
    for name in ("recall", "genealogy-down", "trace"):
        e50, e99 = percentiles(results["embedded"][name])
        r50, r99 = percentiles(results["oxigraph server"][name])
        bare = results["bare HTTP to the server"].get(name)
        b50 = percentiles(bare)[0] * 1000 if bare else float("nan")
        row: list[object] = [name, e50 * 1000, e99 * 1000, r50 * 1000, r99 * 1000, b50, r50 / e50]
        if "virtuoso" in results:
            measured = results["virtuoso"][name]
            v50, v99 = percentiles(measured) if measured else (float("nan"), float("nan"))
            row += [v50 * 1000, v99 * 1000, v50 / e50]
        rows.append(row)
    headers = ["query", "embedded p50 ms", "p99 ms", "oxigraph server p50 ms", "p99 ms"]
    headers += ["bare HTTP p50 ms", "server / embedded"]
    if "virtuoso" in results:
        headers += ["virtuoso p50 ms", "p99 ms", "virtuoso / embedded"]
    print(table(headers, rows))
    if note:
        print(f"virtuoso: {note}")
    for failure in failures:
        print(f"not measured: {failure}")
    print()
    print(table(["REST over the Oxigraph server", "value"], rest))


class _Stoppable(Protocol):
    def stop(self) -> None: ...


_VIRTUOSO: list[_Stoppable] = []


def _virtuoso(folder: Path, sample: Path, loads: dict[str, float]) -> tuple[GraphStore | None, str]:
    """Virtuoso through the test suite's server helper, when it and ``virtuoso-t`` are
    there; ``None`` and why not otherwise (the rest of the benchmark runs without it)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    try:
        from backends.virtuoso import start_server

        server = start_server(folder, max_rows=10_000_000, max_seconds=600)
    except BaseException as exc:  # pytest.skip (not installed) is a BaseException
        return None, f"not measured ({type(exc).__name__}: {exc})"
    _VIRTUOSO.append(server)
    settings = server.settings(Settings()).with_(store_timeout_seconds=1800)
    store = open_store(settings)
    try:
        loads["virtuoso"] = _load(store, sample)
    except Exception as exc:
        store.close()
        return None, f"load failed: {exc}"
    return store, ""


def _rest(
    server_url: str,
    server_port: int,
    units: list[str],
    remote: RemoteStore,
    folder: Path,
    calls: int,
) -> list[list[object]]:
    env = {
        "KGTHREAD_STORE": server_url,
        "KGTHREAD_STORE_DIALECT": "oxigraph",
        "KGTHREAD_DATA": str(folder / "unused"),
    }
    paths = [
        "/api/queries/genealogy-down?" + urlencode({"unit": units[i % len(units)]})
        for i in range(calls)
    ]
    text = queries.get("genealogy-down").text
    reopened = RemoteStore(remote.dialect, remote.endpoints)
    graphs = reopened.graph_names()
    reopened.close()
    from pyoxigraph import NamedNode

    bare_paths = []
    for i in range(calls):
        bound = sparql_text.bind(text, {"unit": NamedNode(units[i % len(units)])})
        params = [("query", bound), *remote.dialect.dataset_params(graphs, graphs)]
        bare_paths.append("/query?" + urlencode(params))
    asyncio.run(_sparql_get(server_port, bare_paths[:20], 1))
    bare = percentiles(asyncio.run(_sparql_get(server_port, bare_paths, 1)))[0]
    out: list[list[object]] = [["bare query straight to the server, p50 ms", bare * 1000]]
    for workers in (1, 2):
        process, port = _serve(env, workers)
        try:
            asyncio.run(_sparql_get(port, paths[:20], 1))
            if workers == 1:
                p50, p99 = percentiles(asyncio.run(_sparql_get(port, paths, 1)))
                out.append(["REST genealogy-down, 1 worker, p50 ms", p50 * 1000])
                out.append(["REST genealogy-down, 1 worker, p99 ms", p99 * 1000])
                out.append(
                    ["API overhead over the server (REST p50 - bare p50), ms", (p50 - bare) * 1000]
                )
            many = (paths * (REQUESTS // len(paths) + 1))[:REQUESTS]
            started = time.perf_counter()
            asyncio.run(_sparql_get(port, many, CONNECTIONS))
            out.append(
                [
                    f"REST req/s, {workers} worker(s), {CONNECTIONS} connections",
                    REQUESTS / (time.perf_counter() - started),
                ]
            )
        finally:
            _stop(process)
    return out


if __name__ == "__main__":
    _ = Variable  # pyoxigraph is imported before any server starts (one runtime per process)
    main()
