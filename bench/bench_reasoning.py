"""Reasoning: full materialisation of the inferred graph, incremental inference for a 10k-
triple batch on the loaded store, and recall (``hasComponent+``) vs recall-inferred
(materialised ``kgt:contains``) latency.

Usage: python bench/bench_reasoning.py [SCALE ...]   (default: 1000000 10000000)
Each scale runs in its own process (a fresh store folder). The incremental batch is 10k
triples of new units, each consuming an existing lot and built around an existing finished
unit (so its entailments reach that unit's whole genealogy); it bypasses the gate, which
bench_lineage.py measures.
"""

from __future__ import annotations

import json
import sys
import tempfile

from common import run_child, sample_file, table

ITERATIONS = 200

CHILD = """
import json, time
from datetime import UTC, datetime
from pathlib import Path
from pyoxigraph import NamedNode, RdfFormat, Triple
from kgthread import queries, vocab
from kgthread.ingest.batch import Batch, Source, provenance
from kgthread.reasoning import INFERRED_GRAPH, Reasoner
from kgthread.store.embedded import EmbeddedStore
sys.path.insert(0, sys.argv[4])
from lineage_probe import small_batch, percentile_pair

sample, folder, iterations = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
truth = json.loads(sample.with_suffix(".truth.json").read_text())
store = EmbeddedStore.open(folder)
loader = Batch("bench", "1", [Source.of_file(sample)], batch_id="sample")
started = time.perf_counter()
store.bulk_commit(loader.graph, sample, RdfFormat.N_TRIPLES,
                  provenance(loader, 0, loader.started), lambda: None)
RESULT = {"load_s": time.perf_counter() - started}
reasoner = Reasoner(conformance=False)  # bench_conformance.py measures that
started = time.perf_counter()
full = reasoner.rebuild(store)
RESULT["full_s"] = time.perf_counter() - started
RESULT["full_quads"] = full.inferred
RESULT["contains"] = sum(1 for _ in store.quads(None, vocab.CONTAINS, None, INFERRED_GRAPH))

tops = [NamedNode(u["unit"]) for u in truth["top_units"]]
triples = small_batch(truth, 9000, 0)
units = sorted({t.subject for t in triples if t.predicate == vocab.SERIAL_NUMBER}, key=str)
triples += [Triple(u, vocab.HAS_COMPONENT, tops[i % len(tops)]) for i, u in enumerate(units)]
batch = Batch("bench", "1", [], triples=triples, batch_id="bench-incremental")
store.commit(batch.graph, triples, provenance(batch, len(triples), datetime.now(UTC)))
started = time.perf_counter()
step = reasoner.after_commit(store, batch)
RESULT["incremental_s"] = time.perf_counter() - started
RESULT["incremental_triples"] = len(triples)
RESULT["incremental_quads"] = step.inferred

lots = [lot["lot"] for lot in truth["lots"]]
for name in ("recall", "recall-inferred"):
    query, latencies, rows = queries.get(name), [], 0
    for i in range(iterations):
        t0 = time.perf_counter()
        rows += len(list(query.run(store, {"item": lots[i % len(lots)]})))
        latencies.append(time.perf_counter() - t0)
    p50, p99 = percentile_pair(latencies)
    RESULT[name + ":p50_ms"], RESULT[name + ":p99_ms"] = 1000 * p50, 1000 * p99
    RESULT[name + ":rows"] = rows / iterations
"""


def main() -> None:
    from pathlib import Path

    here = str(Path(__file__).resolve().parent)
    scales = [int(a) for a in sys.argv[1:]] or [1_000_000, 10_000_000]
    build_rows: list[list[object]] = []
    query_rows: list[list[object]] = []
    for scale in scales:
        sample = sample_file(scale)
        with tempfile.TemporaryDirectory() as folder:
            r, rss = run_child(CHILD, str(sample), folder, str(ITERATIONS), here)
        build_rows.append(
            [
                scale,
                r["full_s"],
                int(r["full_quads"]),
                int(r["contains"]),
                int(r["incremental_triples"]),
                r["incremental_s"],
                int(r["incremental_quads"]),
                rss,
            ]
        )
        for name in ("recall", "recall-inferred"):
            query_rows.append(
                [name, scale, r[name + ":p50_ms"], r[name + ":p99_ms"], r[name + ":rows"]]
            )
    print(
        table(
            [
                "store triples",
                "full materialisation s",
                "inferred quads",
                "of which kgt:contains",
                "batch triples",
                "incremental s",
                "new inferred quads",
                "peak MiB",
            ],
            build_rows,
        )
    )
    print()
    print(table(["query", "triples", "p50 ms", "p99 ms", "rows/call"], query_rows))
    print(json.dumps({"build": build_rows, "queries": query_rows}), file=sys.stderr)


if __name__ == "__main__":
    main()
