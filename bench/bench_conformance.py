"""Design conformance: every unit of the sample checked against its revision's derived
shapes (``kgthread.reasoning.conformance``: shapes by CONSTRUCT, the as-built view, the
native SHACL engine, reports stored per revision; median of 3) against the
``as-built-vs-as-designed`` named query run once per unit on the same store; then the
validation step alone, native against pyshacl on the same derived shapes and views; then
first, the re-check that a 10k-triple batch of new units causes (units that do not
conform, which the later full runs include).

Usage: python bench/bench_conformance.py [SCALE ...]   (default: 500000, about 12k units)
Each scale runs in its own process on a fresh store; the sample is bulk-loaded, no gate.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from common import run_child, sample_file, table

CHILD = """
import json, time
from pathlib import Path
from pyoxigraph import RdfFormat
from kgthread import queries, vocab
from kgthread.ingest.batch import Batch, Source, provenance
from kgthread.reasoning import conformance, conformance_reports
from kgthread.store.embedded import EmbeddedStore

sample, folder = Path(sys.argv[1]), Path(sys.argv[2])
store = EmbeddedStore.open(folder)
loader = Batch("bench", "1", [Source.of_file(sample)], batch_id="sample")
store.bulk_commit(loader.graph, sample, RdfFormat.N_TRIPLES,
                  provenance(loader, 0, loader.started), lambda: None)
RESULT = {}
# A 10k-triple batch of new units of one top revision, each holding only a lot (so they do
# not conform): what the reasoner re-checks after it. The full runs below include them.
sys.path.insert(0, sys.argv[3])
from datetime import UTC, datetime
from lineage_probe import small_batch
truth = json.loads(sample.with_suffix(".truth.json").read_text())
triples = small_batch(truth, 10000, 0)
batch = Batch("bench", "1", [], triples=triples, batch_id="bench-units")
store.commit(batch.graph, triples, provenance(batch, len(triples), datetime.now(UTC)))
started = time.perf_counter()
touched = conformance_reports.touched_revisions(store, batch.graph)
step = conformance_reports.check_and_store(store, touched, batch.activity)
RESULT["batch_s"] = time.perf_counter() - started
RESULT["batch_triples"] = len(triples)
RESULT["batch_units"] = step.units
RESULT["batch_flagged"] = len(step.nonconforming)
runs = []
for _ in range(3):
    started = time.perf_counter()
    checked = conformance_reports.check_all(store)
    runs.append(time.perf_counter() - started)
RESULT["native_s"] = sorted(runs)[1]
RESULT["units"] = checked.units
RESULT["revisions"] = checked.revisions
RESULT["native_flagged"] = len(checked.nonconforming)

prepared = []
started = time.perf_counter()
for revision in conformance_reports.all_revisions(store):
    prepared.append(conformance.prepare(store, revision))
RESULT["prepare_s"] = time.perf_counter() - started
for engine in ("native", "pyshacl"):
    started = time.perf_counter()
    flagged = sum(not r.conforms for p in prepared for r in conformance.judge(p, engine))
    RESULT["judge_" + engine + "_s"] = time.perf_counter() - started
    RESULT["judge_" + engine + "_flagged"] = flagged
del prepared

query = queries.get("as-built-vs-as-designed")
units = [q.subject for q in store.quads(None, vocab.UNIT_OF_REVISION, None)]
started = time.perf_counter()
flagged = 0
for unit in units:
    flagged += bool(list(query.run(store, {"unit": unit.value})))
RESULT["query_s"] = time.perf_counter() - started
RESULT["query_flagged"] = flagged

"""


def main() -> None:
    here = str(Path(__file__).resolve().parent)
    scales = [int(a) for a in sys.argv[1:]] or [500_000]
    rows: list[list[object]] = []
    batches: list[list[object]] = []
    judged: list[list[object]] = []
    for scale in scales:
        sample = sample_file(scale)
        with tempfile.TemporaryDirectory() as folder:
            r, rss = run_child(CHILD, str(sample), folder, here)
        native = r["native_s"]
        units = int(r["units"])
        for checker, key in (
            ("kgthread: derive, read, validate (native), store", "native"),
            ("as-built-vs-as-designed, once per unit", "query"),
        ):
            seconds = r[key + "_s"]
            flagged = int(r[key + "_flagged"])
            rows.append(
                [scale, units, checker, seconds, units / seconds, seconds / native, flagged]
            )
        for engine in ("native", "pyshacl"):
            seconds = r["judge_" + engine + "_s"]
            ratio = seconds / r["judge_native_s"]
            flagged = int(r["judge_" + engine + "_flagged"])
            judged.append([scale, units, engine, seconds, ratio, r["prepare_s"], flagged])
        batches.append(
            [
                scale,
                int(r["batch_triples"]),
                int(r["batch_units"]),
                r["batch_s"],
                int(r["batch_flagged"]),
                rss,
            ]
        )
    print(
        table(["triples", "units", "checker", "s", "units/s", "vs kgthread", "units flagged"], rows)
    )
    print()
    print(
        table(
            [
                "triples",
                "units",
                "SHACL engine on the derived shapes",
                "validate s",
                "vs native",
                "derive + read s (shared)",
                "units flagged",
            ],
            judged,
        )
    )
    print()
    print(
        table(
            [
                "store triples",
                "batch triples",
                "units re-checked",
                "s",
                "units flagged",
                "peak MiB",
            ],
            batches,
        )
    )
    print(json.dumps({"check": rows, "judge": judged, "batch": batches}), file=sys.stderr)


if __name__ == "__main__":
    main()
