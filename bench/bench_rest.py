"""REST throughput and overhead of the typed query endpoints, beside the same query sent
straight to pyoxigraph in the same run.

Usage: python bench/bench_rest.py [SCALE]   (default: 1000000; sample from bench/common.py)

A server process bulk-loads the sample, times each query in process (``lineage.run``) and
straight on pyoxigraph (``Store.query`` + reading every row: p50, and queries/s on two
threads), then serves two apps over the same store with uvicorn (uvloop and httptools when
installed): one with the result cache, one with it off (``result_cache_bytes=0``), so every
request there evaluates and serialises. This process is the load generator: raw HTTP/1.1
keep-alive sockets, a fixed number of requests on a fixed number of connections.

Reported per query: in-process p50, REST p50 with the cache off and what it adds, requests/s
with the cache off, with the cache (repeated requests at an unchanged state), and for
conditional requests answered 304, against pyoxigraph's queries/s. Set
``KGTHREAD_BENCH_PLAIN_LOOP=1`` to serve with asyncio + h11 instead, for comparison.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench_queries import _etag, probes
from common import loopback_get, percentiles, sample_file, table

QUERIES = ("recall", "genealogy-down", "unit-history", "bom")
SEQUENTIAL = 200
REQUESTS = 4000
CONNECTIONS = 8

SERVER = r"""
import json, os, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import uvicorn
from pyoxigraph import RdfFormat, Variable
from kgthread import lineage, queries
from kgthread.api.app import create_app
from kgthread.config import Settings
from kgthread.ingest.batch import Batch, Source, provenance
from kgthread.store.embedded import EmbeddedStore
sample, folder, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
probes, wanted = json.loads(sys.argv[4]), sys.argv[5].split(",")
store = EmbeddedStore.open(folder)
loader = Batch("bench", "1", [Source.of_file(sample)], batch_id="sample")
store.bulk_commit(loader.graph, sample, RdfFormat.N_TRIPLES,
                  provenance(loader, 0, loader.started), lambda: None)
raw = store._store
result = {"queries": {}}
for name in wanted:
    parameter, values = probes[name]
    query = queries.get(name)
    bound = [query.parameters[0].bind(v) for v in values]
    def direct(i):
        return len(list(raw.query(query.text, use_default_graph_as_union=True,
                                  substitutions={Variable(parameter): bound[i % len(bound)]})))
    inproc, straight = [], []
    for i in range(200):
        t0 = time.perf_counter()
        lineage.run(store, query, {parameter: values[i % len(values)]})
        inproc.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        direct(i)
        straight.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(direct, range(2000)))
    rps = 2000 / (time.perf_counter() - t0)
    result["queries"][name] = {"lineage": inproc, "direct": straight, "direct_rps": rps}
try:
    import uvloop, httptools  # noqa: F401
    loop, http = "uvloop", "httptools"
except ImportError:
    loop, http = "asyncio", "h11"
if os.environ.get("KGTHREAD_BENCH_PLAIN_LOOP"):
    loop, http = "asyncio", "h11"
result["server"] = f"uvicorn, {loop} + {http}, one process"
servers, ports = [], []
for cache_bytes in (64 * 1024 * 1024, 0):
    settings = Settings(data=folder, result_cache_bytes=cache_bytes)
    config = uvicorn.Config(create_app(settings, store=store), host="127.0.0.1", port=0,
                            log_level="warning", access_log=False, loop=loop, http=http)
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    servers.append(server)
    ports.append(server.servers[0].sockets[0].getsockname()[1])
out.write_text(json.dumps(result))
print("READY", *ports, flush=True)
sys.stdin.read()
for server in servers:
    server.should_exit = True
time.sleep(1)
store.close()
"""


def _rps(port: int, paths: list[str], extra: str = "", expect: int = 200) -> float:
    batch = (paths * (REQUESTS // len(paths) + 1))[:REQUESTS]
    started = time.perf_counter()
    asyncio.run(loopback_get(port, batch, CONNECTIONS, extra, expect))
    return REQUESTS / (time.perf_counter() - started)


def main() -> None:
    scale = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    sample = sample_file(scale)
    plan = probes(json.loads(sample.with_suffix(".truth.json").read_text()))
    wanted = {name: plan[name] for name in QUERIES}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.json"
        server = subprocess.Popen(
            [
                sys.executable,
                "-c",
                SERVER,
                str(sample),
                str(Path(folder) / "store"),
                str(out),
                json.dumps(wanted),
                ",".join(QUERIES),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None
        assert server.stdin is not None
        try:
            line = server.stdout.readline().split()
            if not line or line[0] != "READY":
                raise RuntimeError("benchmark server did not start")
            cached_port, plain_port = int(line[1]), int(line[2])
            measured: dict[str, dict[str, float]] = {}
            for name in QUERIES:
                parameter, values = wanted[name]
                paths = [
                    f"/api/queries/{name}?" + urlencode({parameter: values[i % len(values)]})
                    for i in range(SEQUENTIAL)
                ]
                asyncio.run(loopback_get(plain_port, paths[:20], 1))  # warm up
                sequential = asyncio.run(loopback_get(plain_port, paths, 1))
                uncached_rps = _rps(plain_port, paths)
                asyncio.run(loopback_get(cached_port, paths, 1))  # fill the cache
                cached = asyncio.run(loopback_get(cached_port, paths, 1))
                cached_rps = _rps(cached_port, paths)
                tag = _etag(cached_port, paths[0])
                not_modified_rps = _rps(cached_port, paths[:1], tag, 304)
                measured[name] = {
                    "rest_p50": percentiles(sequential)[0],
                    "cached_p50": percentiles(cached)[0],
                    "uncached_rps": uncached_rps,
                    "cached_rps": cached_rps,
                    "not_modified_rps": not_modified_rps,
                }
        finally:
            server.stdin.close()
            server.wait(60)
        result = json.loads(out.read_text())
    rows: list[list[object]] = []
    for name in QUERIES:
        timing, got = result["queries"][name], measured[name]
        in_process = percentiles(timing["lineage"])[0]
        direct = percentiles(timing["direct"])[0]
        rows.append(
            [
                name,
                1000 * direct,
                1000 * in_process,
                1000 * got["rest_p50"],
                1000 * (got["rest_p50"] - in_process),
                1000 * got["cached_p50"],
                timing["direct_rps"],
                got["uncached_rps"],
                got["cached_rps"],
                got["not_modified_rps"],
                got["cached_rps"] / timing["direct_rps"],
            ]
        )
    load = os.getloadavg()
    print(f"REST at {scale:,} triples; {result['server']}; load average {load[0]:.1f}")
    print(f"{REQUESTS} requests on {CONNECTIONS} connections per throughput figure")
    print()
    headers = ["query", "pyoxigraph p50 ms", "in-process p50 ms", "REST p50 ms (no cache)"]
    headers += ["REST adds ms", "REST p50 ms (cached)", "pyoxigraph q/s (2 threads)"]
    headers += ["REST req/s (no cache)", "REST req/s (cached)", "REST req/s (304)"]
    headers += ["cached / pyoxigraph"]
    print(table(headers, rows))
    print(json.dumps({"rest": rows}), file=sys.stderr)


if __name__ == "__main__":
    main()
