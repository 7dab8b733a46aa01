"""Lineage query latency (p50/p99) on embedded Oxigraph at each scale, rdflib at 1M for
comparison, and the gate's time for a 1k-triple batch on the loaded store.

Usage: python bench/bench_lineage.py [SCALE ...]   (default: 1000000 10000000)
Each scale runs in its own process (a fresh store folder), so memory does not carry over.
"""

from __future__ import annotations

import json
import sys
import tempfile

from common import run_child, sample_file, table

ITERATIONS = 200
RDFLIB_MAX_SCALE = 1_000_000

CHILD = """
import json, statistics, time
from pathlib import Path
from pyoxigraph import NamedNode, RdfFormat
from kgthread import queries
from kgthread.gate import Gate
from kgthread.ingest.batch import Batch, Source, provenance
from kgthread.store.embedded import EmbeddedStore
sys.path.insert(0, sys.argv[4])
from lineage_probe import probes, small_batch, percentile_pair

sample, folder, iterations = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
truth = json.loads(sample.with_suffix(".truth.json").read_text())
store = EmbeddedStore.open(folder)
loader = Batch("bench", "1", [Source.of_file(sample)], batch_id="sample")
started = time.perf_counter()
store.bulk_commit(loader.graph, sample, RdfFormat.N_TRIPLES,
                  provenance(loader, 0, loader.started), lambda: None)
RESULT = {"load_s": time.perf_counter() - started}
for name, parameter, values in probes(truth):
    query = queries.get(name)
    latencies, rows = [], 0
    for i in range(iterations):
        value = values[i % len(values)]
        t0 = time.perf_counter()
        rows += len(list(query.run(store, {parameter: value})))
        latencies.append(time.perf_counter() - t0)
    p50, p99 = percentile_pair(latencies)
    RESULT[name + ":p50_ms"] = 1000 * p50
    RESULT[name + ":p99_ms"] = 1000 * p99
    RESULT[name + ":rows"] = rows / iterations
gate = Gate.default()
gate_times = []
for round_ in range(7):
    triples = small_batch(truth, 1000, round_)
    t0 = time.perf_counter()
    checked = gate.check_triples(triples, store)
    gate_times.append(time.perf_counter() - t0)
    assert checked.report.conforms, checked.report.to_json()["results"][:3]
RESULT["gate_1k_ms"] = 1000 * statistics.median(gate_times)
RESULT["gate_1k_triples"] = len(triples)
"""

RDFLIB_CHILD = """
import json, time
from pathlib import Path
import rdflib
sys.path.insert(0, sys.argv[3])
from lineage_probe import probes, percentile_pair
from kgthread import queries
sample, iterations = Path(sys.argv[1]), int(sys.argv[2])
truth = json.loads(sample.with_suffix(".truth.json").read_text())
graph = rdflib.Graph()
started = time.perf_counter()
graph.parse(sample, format="nt")
RESULT = {"load_s": time.perf_counter() - started}
for name, parameter, values in probes(truth):
    query = queries.get(name)
    latencies = []
    for i in range(iterations):
        value = values[i % len(values)]
        t0 = time.perf_counter()
        list(graph.query(query.text, initBindings={parameter: rdflib.URIRef(value)}))
        latencies.append(time.perf_counter() - t0)
    p50, p99 = percentile_pair(latencies)
    RESULT[name + ":p50_ms"] = 1000 * p50
    RESULT[name + ":p99_ms"] = 1000 * p99
"""


def main() -> None:
    from pathlib import Path

    here = str(Path(__file__).resolve().parent)
    scales = [int(a) for a in sys.argv[1:]] or [1_000_000, 10_000_000]
    rows: list[list[object]] = []
    gate_rows: list[list[object]] = []
    for scale in scales:
        sample = sample_file(scale)
        with tempfile.TemporaryDirectory() as folder:
            result, rss = run_child(CHILD, str(sample), folder, str(ITERATIONS), here)
        for name in ("genealogy-down", "recall"):
            rows.append(
                [
                    name,
                    scale,
                    "pyoxigraph",
                    result[name + ":p50_ms"],
                    result[name + ":p99_ms"],
                    result[name + ":rows"],
                ]
            )
        gate_rows.append([scale, int(result["gate_1k_triples"]), result["gate_1k_ms"], rss])
        if scale <= RDFLIB_MAX_SCALE:
            peer, _ = run_child(RDFLIB_CHILD, str(sample), "20", here)
            for name in ("genealogy-down", "recall"):
                rows.append(
                    [name, scale, "rdflib", peer[name + ":p50_ms"], peer[name + ":p99_ms"], "="]
                )
    print(table(["query", "triples", "engine", "p50 ms", "p99 ms", "rows/call"], rows))
    print()
    print(table(["store triples", "batch triples", "gate median ms", "peak MiB"], gate_rows))
    print(json.dumps({"lineage": rows, "gate": gate_rows}), file=sys.stderr)


if __name__ == "__main__":
    main()
