"""What the audit trail costs: gated loads and small batches with and without it, same run.

A bulk load with the trail also digests the loaded graph (RDFC-1.0, streamed and sorted in
chunks); a small batch adds two fsync'ed log appends and the digest of its delta. Each side
runs in a fresh process into a fresh store, alternating so drift hits both alike.
Usage: python bench/bench_audit.py [SCALE ...]   (default: 1000000)
"""

from __future__ import annotations

import statistics
import sys
import tempfile

from common import run_child, sample_file, table

LOAD = """
import time
from pathlib import Path
from kgthread.audit import AuditTrail
from kgthread.gate import Gate
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.rdf_files import batch_from_file
from kgthread.store.embedded import EmbeddedStore
store = EmbeddedStore.open(Path(sys.argv[2]) / "store")
trail = AuditTrail.open(Path(sys.argv[2]) / "audit", store) if sys.argv[3] == "on" else None
pipeline = Pipeline(store, Gate.default(), audit=trail)
started = time.perf_counter()
result = pipeline.ingest(batch_from_file(Path(sys.argv[1]), bulk_threshold=0))
store.close()
RESULT = {"seconds": time.perf_counter() - started, "triples": result.triple_count}
"""

SMALL = """
import time
from pathlib import Path
from pyoxigraph import Literal, Triple
from kgthread import ids, vocab
from kgthread.audit import AuditTrail
from kgthread.gate import Gate
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.embedded import EmbeddedStore
store = EmbeddedStore.open(Path(sys.argv[2]) / "store")
trail = AuditTrail.open(Path(sys.argv[2]) / "audit", store) if sys.argv[3] == "on" else None
pipeline = Pipeline(store, Gate.default(), audit=trail)
times = []
for n in range(int(sys.argv[1])):
    part, rev = ids.part(f"B-{n}"), ids.part_revision(f"B-{n}", "A")
    triples = [
        Triple(part, vocab.RDF_TYPE, vocab.PART),
        Triple(part, vocab.PART_NUMBER, Literal(f"B-{n}")),
        Triple(rev, vocab.RDF_TYPE, vocab.PART_REVISION),
        Triple(rev, vocab.REVISION_OF, part),
        Triple(rev, vocab.REVISION_CODE, Literal("A")),
    ]
    batch = Batch("rdf", "1.0", [Source.of_bytes(None, str(n).encode())], triples=triples)
    started = time.perf_counter()
    pipeline.ingest(batch)
    times.append(time.perf_counter() - started)
store.close()
times.sort()
RESULT = {"p50": times[len(times) // 2], "p99": times[int(len(times) * 0.99)]}
"""


def load(scale: int, repeats: int) -> list[object]:
    sample = sample_file(scale)
    seconds: dict[str, list[float]] = {"off": [], "on": []}
    triples = 0
    for _ in range(repeats):
        for side in ("off", "on"):
            with tempfile.TemporaryDirectory() as folder:
                result, _ = run_child(LOAD, str(sample), folder, side)
                seconds[side].append(result["seconds"])
                triples = int(result["triples"])
    off, on = statistics.median(seconds["off"]), statistics.median(seconds["on"])
    return [f"bulk load {triples:,} triples", repeats, off, on, f"{on / off:.2f}x"]


def small(count: int, repeats: int) -> list[object]:
    p50: dict[str, list[float]] = {"off": [], "on": []}
    for _ in range(repeats):
        for side in ("off", "on"):
            with tempfile.TemporaryDirectory() as folder:
                result, _ = run_child(SMALL, str(count), folder, side)
                p50[side].append(result["p50"])
    off, on = statistics.median(p50["off"]), statistics.median(p50["on"])
    return [f"{count} small batches, p50 per batch", repeats, off, on, f"{on / off:.2f}x"]


def main() -> None:
    scales = [int(a) for a in sys.argv[1:]] or [1_000_000]
    rows = [small(300, 3)] + [load(s, 3 if s <= 2_000_000 else 1) for s in scales]
    print(table(["what", "runs", "without trail s", "with trail s", "ratio"], rows))


if __name__ == "__main__":
    main()
