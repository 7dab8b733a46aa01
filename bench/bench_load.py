"""Gated load throughput against Oxigraph's raw bulk load of the same file, same run.

Each load runs in a fresh process into a fresh store folder, so peak RSS is that load's own.
Usage: python bench/bench_load.py [SCALE ...]   (default: 1000000 10000000)
"""

from __future__ import annotations

import statistics
import sys
import tempfile

from common import run_child, sample_file, table

RAW = """
import time
from pyoxigraph import NamedNode, RdfFormat, Store
store = Store(sys.argv[2])
started = time.perf_counter()
store.bulk_load(path=sys.argv[1], format=RdfFormat.N_TRIPLES, to_graph=NamedNode("urn:bench:g"))
store.flush()
RESULT = {"seconds": time.perf_counter() - started, "triples": len(store)}
"""

GATED = """
import time
from pathlib import Path
from kgthread.gate import Gate
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.rdf_files import batch_from_file
from kgthread.store.embedded import EmbeddedStore
store = EmbeddedStore.open(Path(sys.argv[2]))
pipeline = Pipeline(store, Gate.default())
started = time.perf_counter()
result = pipeline.ingest(batch_from_file(Path(sys.argv[1]), bulk_threshold=0))
store.close()
RESULT = {"seconds": time.perf_counter() - started, "triples": result.triple_count}
"""


def measure(scale: int, repeats: int) -> list[object]:
    sample = sample_file(scale)
    raw_s, gated_s, raw_rss, gated_rss = [], [], 0.0, 0.0
    triples = 0
    for _ in range(repeats):  # alternate, so drift hits both sides alike
        with tempfile.TemporaryDirectory() as folder:
            raw, rss = run_child(RAW, str(sample), folder)
            raw_s.append(raw["seconds"])
            raw_rss = max(raw_rss, rss)
        with tempfile.TemporaryDirectory() as folder:
            gated, rss = run_child(GATED, str(sample), folder)
            gated_s.append(gated["seconds"])
            gated_rss = max(gated_rss, rss)
            triples = int(gated["triples"])
    raw_m, gated_m = statistics.median(raw_s), statistics.median(gated_s)
    return [
        triples,
        repeats,
        raw_m,
        triples / raw_m,
        raw_rss,
        gated_m,
        triples / gated_m,
        gated_rss,
        f"{100 * (gated_m / raw_m - 1):+.0f}%",
    ]


def main() -> None:
    scales = [int(a) for a in sys.argv[1:]] or [1_000_000, 10_000_000]
    rows = [measure(s, 3 if s <= 2_000_000 else 1) for s in scales]
    print(
        table(
            [
                "triples",
                "runs",
                "raw bulk s",
                "raw triples/s",
                "raw peak MiB",
                "gated s",
                "gated triples/s",
                "gated peak MiB",
                "gated vs raw",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
