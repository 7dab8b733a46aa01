"""Named-query latency (p50/p99) at 1M sample triples, and what REST adds on top.

Usage: python bench/bench_queries.py [SCALE] [--store FOLDER]
  (default: 1000000; sample from bench/common.py). With ``--store`` an existing store of
  that sample is opened read-only instead of bulk-loading a fresh one (at 10M the load
  alone takes minutes), e.g. ``bench_queries.py 10000000 --store build/store10m``.

A server process bulk-loads the sample (as bench_lineage.py does), times every named query
in process (``lineage.run``: bind, evaluate, read every row) with probe values from the
truth file, times the same query straight on pyoxigraph (``Store.query`` + reading rows),
and its throughput on two threads, and ``trace`` (``lineage.trace``, every section) over the
top units, and ``recall`` taken apart on the same lots (its patterns counted stage by stage
in the engine from ``bench/recall_stages/*.rq``, its rows read as terms or as TSV, with
``SELECT DISTINCT``, and through ``lineage.run``; interleaved); then it serves the app with
uvicorn. This process is
the load generator: a bounded loopback client (raw HTTP/1.1 keep-alive sockets, a fixed
number of requests on a fixed number of connections) that measures REST latency
sequentially and throughput concurrently against the same query and values. The server's
result cache is off here, so every request evaluates and serialises (``bench_rest.py``
measures the cache).
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

from common import loopback_get, percentiles, sample_file, table

ITERATIONS = 200
REST_QUERIES = ("recall", "genealogy-down", "unit-history", "links")
BUDGET_S = 20  # per query in process: at least 20 calls, then stop after this long
REQUESTS = 4000
CONNECTIONS = 8
STAGES = Path(__file__).resolve().parent / "recall_stages"
"""recall's patterns counted in the engine stage by stage: where its time goes."""

SERVER = r"""
import json, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import uvicorn
from pyoxigraph import RdfFormat, Store
from kgthread import lineage, queries
from kgthread.api.app import create_app
from kgthread.config import Settings
from kgthread.ingest.batch import Batch, Source, provenance
from kgthread.store.embedded import EmbeddedStore
sample, folder, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
iterations = int(sys.argv[4])
probes = json.loads(sys.argv[5])
started = time.perf_counter()
if sys.argv[7]:
    store = EmbeddedStore(Store.read_only(sys.argv[7]), None)
else:
    store = EmbeddedStore.open(folder)
    loader = Batch("bench", "1", [Source.of_file(sample)], batch_id="sample")
    store.bulk_commit(loader.graph, sample, RdfFormat.N_TRIPLES,
                      provenance(loader, 0, loader.started), lambda: None)
result = {"load_s": time.perf_counter() - started, "queries": {}}
raw = store._store
for name, (parameter, values) in probes.items():
    query = queries.get(name)
    timings, direct, rows = [], [], 0
    began = time.perf_counter()
    for i in range(iterations):
        if i >= 20 and time.perf_counter() - began > 20:
            break
        args = {parameter: values[i % len(values)]}
        t0 = time.perf_counter()
        rows += len(lineage.run(store, query, args).rows)
        timings.append(time.perf_counter() - t0)
        bound = {k: query.parameters[0].bind(v) for k, v in args.items()}
        from pyoxigraph import Variable
        t0 = time.perf_counter()
        len(list(raw.query(query.text, use_default_graph_as_union=True,
                           substitutions={Variable(k): v for k, v in bound.items()})))
        direct.append(time.perf_counter() - t0)
    result["queries"][name] = {"lineage": timings, "direct": direct, "rows": rows / len(timings)}
def recall_stages():
    # recall taken apart on the same lots, interleaved (the order rotates every call)
    from pyoxigraph import NamedNode, QueryResultsFormat, Variable
    recall = queries.get("recall")
    lots = probes["recall"][1]
    distinct = recall.text.replace("SELECT ?item", "SELECT DISTINCT ?item", 1)
    assert distinct != recall.text
    def engine(text):
        def call(lot):
            return len(list(raw.query(text, use_default_graph_as_union=True,
                                      substitutions={Variable("item"): NamedNode(lot)})))
        return call
    def tsv(lot):
        found = raw.query(recall.text, use_default_graph_as_union=True,
                          substitutions={Variable("item"): NamedNode(lot)})
        return len(found.serialize(format=QueryResultsFormat.TSV).splitlines())
    calls = {p.stem: engine(p.read_text()) for p in sorted(Path(sys.argv[8]).glob("*.rq"))}
    calls["recall.rq, rows read as terms"] = engine(recall.text)
    calls["recall.rq, rows read as TSV"] = tsv
    calls["recall.rq with SELECT DISTINCT, rows read as terms"] = engine(distinct)
    calls["lineage.run (bind, evaluate, read, order)"] = (
        lambda lot: len(lineage.run(store, recall, {"item": lot}).rows))
    names = list(calls)
    timings = {name: [] for name in names}
    began = time.perf_counter()
    for i in range(iterations):
        if i >= 20 and time.perf_counter() - began > 60:
            break
        lot = lots[i % len(lots)]
        for name in names[i % len(names):] + names[:i % len(names)]:
            t0 = time.perf_counter()
            calls[name](lot)
            timings[name].append(time.perf_counter() - t0)
    return timings
result["recall_stages"] = recall_stages()
tops = probes["genealogy-down"][1]
timings, rows = [], 0
for i in range(min(iterations, 100)):
    t0 = time.perf_counter()
    found = lineage.trace(store, tops[i % len(tops)])
    timings.append(time.perf_counter() - t0)
    rows += sum(len(t.rows) for t in found.sections.values())
result["queries"]["trace"] = {"lineage": timings, "direct": [], "rows": rows / len(timings)}
def hammer(name, parameter, values, count):
    query = queries.get(name)
    bound = [query.parameters[0].bind(v) for v in values]
    from pyoxigraph import Variable
    def one(i):
        len(list(raw.query(query.text, use_default_graph_as_union=True,
                           substitutions={Variable(parameter): bound[i % len(bound)]})))
    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(one, range(count)))
    return count / (time.perf_counter() - t0)
wanted = sys.argv[6].split(",")
result["direct_rps"] = {n: hammer(n, *probes[n], 4000) for n in wanted}
out.write_text(json.dumps(result))
settings = Settings(data=folder, result_cache_bytes=0)  # every request evaluates
config = uvicorn.Config(create_app(settings, store=store), host="127.0.0.1",
                        port=0, log_level="warning", access_log=False)
server = uvicorn.Server(config)
thread = threading.Thread(target=server.run, daemon=True)
thread.start()
while not server.started:
    time.sleep(0.05)
print("READY", server.servers[0].sockets[0].getsockname()[1], flush=True)
sys.stdin.read()
server.should_exit = True
thread.join(10)
if not sys.argv[7]:
    store.close()
"""


def probes(truth: dict[str, object]) -> dict[str, tuple[str, list[str]]]:
    """(parameter, values) per named query, from the sample's ground truth."""
    t: dict[str, list[dict[str, object]]] = truth  # type: ignore[assignment]
    tops = [str(u["unit"]) for u in t["top_units"]]
    mids = [str(u["unit"]) for u in t["mid_units"]]
    lots = [str(lot["lot"]) for lot in t["lots"]]
    revisions = [str(r["revision"]) for r in t["revisions"]]
    parts = [str(r["part"]) for r in t["revisions"]]
    changes = [str(c["change"]) for c in t["changes"]]
    return {
        "genealogy-down": ("unit", tops),
        "genealogy-up": ("item", lots),
        "recall": ("item", lots),
        "where-used": ("part", parts),
        "bom": ("revision", revisions),
        "as-built-vs-as-designed": ("unit", tops + mids),
        "change-impact": ("change", changes),
        "unit-history": ("unit", tops + mids),
        "trace-operations": ("unit", mids),
        "trace-quality": ("unit", mids),
        "trace-design": ("unit", mids),
        "trace-suppliers": ("unit", mids),
        "supplier-exposure": ("supplier", []),  # filled from the store below
        "links": ("iri", tops),
    }


def main() -> None:
    args = sys.argv[1:]
    existing = ""
    if "--store" in args:
        at = args.index("--store")
        existing = str(Path(args[at + 1]).resolve())
        del args[at : at + 2]
    scale = int(args[0]) if args else 1_000_000
    sample = sample_file(scale)
    truth = json.loads(sample.with_suffix(".truth.json").read_text())
    plan = probes(truth)
    suppliers = sorted(set(_suppliers(sample)))[:5]
    plan["supplier-exposure"] = ("supplier", suppliers)
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
                str(ITERATIONS),
                json.dumps(plan),
                ",".join(REST_QUERIES),
                existing,
                str(STAGES),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None
        assert server.stdin is not None
        line = server.stdout.readline().split()
        if not line or line[0] != "READY":
            raise RuntimeError("benchmark server did not start")
        port = int(line[1])
        rest: dict[str, tuple[float, float, float]] = {}
        for name in REST_QUERIES:
            parameter, values = plan[name]
            paths = [
                f"/api/queries/{name}?" + urlencode({parameter: values[i % len(values)]})
                for i in range(ITERATIONS)
            ]
            asyncio.run(loopback_get(port, paths[:20], 1))  # warm up
            sequential = asyncio.run(loopback_get(port, paths, 1))
            started = time.perf_counter()
            asyncio.run(
                loopback_get(port, (paths * (REQUESTS // len(paths) + 1))[:REQUESTS], CONNECTIONS)
            )
            rps = REQUESTS / (time.perf_counter() - started)
            p50, p99 = percentiles(sequential)
            rest[name] = (p50, p99, rps)
        name = REST_QUERIES[0]
        parameter, values = plan[name]
        path = f"/api/queries/{name}?" + urlencode({parameter: values[0]})
        tag = _etag(port, path)
        cached = asyncio.run(loopback_get(port, [path] * ITERATIONS, 1, tag, 304))
        started = time.perf_counter()
        asyncio.run(loopback_get(port, [path] * REQUESTS, CONNECTIONS, tag, 304))
        rps = REQUESTS / (time.perf_counter() - started)
        rest[name + " (304, If-None-Match)"] = (*percentiles(cached), rps)
        server.stdin.close()
        server.wait(30)
        result = json.loads(out.read_text())
    rows: list[list[object]] = []
    for name, timing in result["queries"].items():
        p50, p99 = percentiles(timing["lineage"])
        d50 = percentiles(timing["direct"])[0] if timing["direct"] else float("nan")
        rows.append([name, 1000 * p50, 1000 * p99, 1000 * d50, timing["rows"]])
    load = os.getloadavg()[0]
    print(f"Named queries at {scale:,} triples (load {result['load_s']:.1f} s), {ITERATIONS} calls")
    print(f"load average at the end: {load:.1f} (2 cores, shared)")
    print()
    print(table(["query", "p50 ms", "p99 ms", "pyoxigraph p50 ms", "rows/call"], rows))
    print()
    stages = result["recall_stages"]
    whole = percentiles(stages["lineage.run (bind, evaluate, read, order)"])[0]
    stage_rows = [
        [name, 1000 * p50, 1000 * p99, p50 / whole]
        for name, samples in stages.items()
        for p50, p99 in [percentiles(samples)]
    ]
    print(f"recall taken apart ({len(next(iter(stages.values())))} calls each, interleaved)")
    print()
    print(table(["stage", "p50 ms", "p99 ms", "p50 / lineage.run"], stage_rows))
    print()
    rest_rows: list[list[object]] = []
    for name, (p50, p99, rps) in rest.items():
        query = name.split(" ")[0]
        in_process = percentiles(result["queries"][query]["lineage"])[0]
        rest_rows.append(
            [
                name,
                1000 * in_process,
                1000 * p50,
                1000 * p99,
                1000 * (p50 - in_process),
                rps,
                result["direct_rps"][query],
            ]
        )
    headers = ["query", "in-process p50 ms", "REST p50 ms", "REST p99 ms", "REST adds ms"]
    headers += [f"REST req/s ({CONNECTIONS} conns)", "pyoxigraph q/s (2 threads)"]
    print(table(headers, rest_rows))
    print(json.dumps({"queries": rows, "stages": stage_rows, "rest": rest_rows}), file=sys.stderr)


def _etag(port: int, path: str) -> str:
    """The ``If-None-Match`` header line that makes ``path`` a 304."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as answer:
        return f"If-None-Match: {answer.headers['ETag']}\r\n"


def _suppliers(sample: Path) -> list[str]:
    """Supplier IRIs from the sample's N-Triples (the truth file does not list them)."""
    found: set[str] = set()
    marker = "<https://w3id.org/kgthread/ns#suppliedBy> <"
    with sample.open(encoding="utf-8") as lines:
        for line in lines:
            if marker in line:
                found.add(line.split(marker, 1)[1].split(">", 1)[0])
                if len(found) >= 5:
                    break
    return sorted(found)


if __name__ == "__main__":
    main()
