"""MES ingest benchmarks: tabular genealogy through the gate, and a streamed B2MML document.

    python bench/bench_mes.py [EVENTS...] [--xml-mb MB]

1. Genealogy CSV of N events (each a serial consuming a lot), ingested by the table adapter
   through the real pipeline (read, map, gate, commit) into a fresh on-disk store, beside a
   plain pyoxigraph load of the same triples into a fresh store (no mapping, no gate).
2. A synthetic B2MML ProductionPerformance of about MB megabytes (default 1024), built once in
   build/bench/; reading and mapping it stream in a child process whose peak RSS is measured.
   The mapped triples are counted, not committed: a commit of that size goes through the
   bulk (spill) path and is measured by bench_load.py for N-Triples of the same size.

Every measurement runs in a fresh interpreter; peak RSS is that child's ``ru_maxrss``.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import WORK, run_child, table

HEADER = "parent_part,parent_revision,parent_serial,child_part,child_lot,quantity,unit,time\n"


def genealogy_csv(events: int) -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    out = WORK / f"genealogy-{events}.csv"
    if not out.exists():
        with out.open("w", encoding="utf-8") as handle:
            handle.write(HEADER)
            for i in range(events):
                handle.write(
                    f"ASM-1,A,SN-{i // 4:07d},STOCK-{i % 7},LOT-{i % 1000:04d},1.5,KG,"
                    "2024-03-05T08:00:00Z\n"
                )
    return out


PIPELINE = """
import time, sys, tempfile
from pathlib import Path
from pyoxigraph import Literal, Triple
from kgthread import ids, vocab
from kgthread.gate import Gate
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.mes.adapter import TableAdapter
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.embedded import EmbeddedStore

path = Path(sys.argv[1])
store = EmbeddedStore.open(Path(tempfile.mkdtemp(dir=sys.argv[2])))
pipeline = Pipeline(store, Gate.default())
design = [Triple(ids.part(n), vocab.RDF_TYPE, vocab.PART) for n in ["ASM-1"]]
design += [Triple(ids.part(n), vocab.PART_NUMBER, Literal(n)) for n in ["ASM-1"]]
rev = ids.part_revision("ASM-1", "A")
design += [Triple(rev, vocab.RDF_TYPE, vocab.PART_REVISION),
           Triple(rev, vocab.REVISION_OF, ids.part("ASM-1")),
           Triple(rev, vocab.REVISION_CODE, Literal("A"))]
pipeline.ingest(Batch("bench", "1", [Source.of_bytes("d", b"d")], triples=design))
started = time.perf_counter()
batches = TableAdapter().batches([path], IngestOptions(kind="genealogy"))
batch = next(batches)  # large tables are spilled to N-Triples here, for the bulk path
mapped = time.perf_counter()
result = pipeline.ingest(batch)
done = time.perf_counter()
batches.close()
RESULT = {"map": mapped - started, "total": done - started, "triples": result.triple_count}
"""

PLAIN = """
import time, sys, tempfile
from pathlib import Path
from pyoxigraph import Store, Quad, NamedNode
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.mes.adapter import TableAdapter

path = Path(sys.argv[1])
batch = next(TableAdapter(spill_bytes=1 << 62).batches([path], IngestOptions(kind="genealogy")))
graph = NamedNode("urn:bench")
quads = [Quad(t.subject, t.predicate, t.object, graph) for t in batch.triples]
store = Store(tempfile.mkdtemp(dir=sys.argv[2]))
started = time.perf_counter()
store.bulk_extend(quads)
store.flush()
RESULT = {"total": time.perf_counter() - started, "triples": len(quads)}
"""

STREAM = """
import time, sys
from pathlib import Path
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.mes.adapter import B2mmlAdapter
from kgthread.ingest.mes.mapping import Mapper

path = Path(sys.argv[1])
started = time.perf_counter()
count = 0
mapper = Mapper(keep_locations=False)
with path.open("rb") as handle:
    for chunk in B2mmlAdapter().mapped(handle, path.name, IngestOptions(), mapper):
        count += len(chunk)
RESULT = {"seconds": time.perf_counter() - started, "triples": count}
"""

SEGMENT = """<SegmentResponse><ID>S{i}</ID><ActualStartTime>2024-03-05T08:00:00Z</ActualStartTime>
<ActualEndTime>2024-03-05T08:10:00Z</ActualEndTime><EquipmentActual><EquipmentID>LINE-{e}</EquipmentID>
</EquipmentActual><PersonnelActual><PersonID>op-{p}</PersonID></PersonnelActual>
<MaterialActual><MaterialDefinitionID>RESIN-{m}</MaterialDefinitionID><MaterialLotID>RL-{l}</MaterialLotID>
<MaterialSubLotID>RL-{l}-{s}</MaterialSubLotID><MaterialUse>Consumed</MaterialUse><Quantity>
<QuantityString>12.5</QuantityString><DataType>decimal</DataType><UnitOfMeasure>KG</UnitOfMeasure>
</Quantity></MaterialActual><MaterialActual><MaterialDefinitionID>COMPOUND</MaterialDefinitionID>
<MaterialLotID>C-{i}</MaterialLotID><MaterialUse>Produced</MaterialUse><Quantity>
<QuantityString>12</QuantityString><DataType>decimal</DataType><UnitOfMeasure>KG</UnitOfMeasure>
</Quantity></MaterialActual></SegmentResponse>
"""


def performance_xml(megabytes: int) -> tuple[Path, int]:
    WORK.mkdir(parents=True, exist_ok=True)
    out = WORK / f"performance-{megabytes}mb.xml"
    target = megabytes * 1024 * 1024
    segments = 0
    if not out.exists():
        partial = out.with_suffix(".partial")
        with partial.open("w", encoding="utf-8") as handle:
            handle.write(
                '<?xml version="1.0" encoding="utf-8"?>\n<SyncProductionPerformance '
                'xmlns="http://www.wbf.org/xml/B2MML-V0401"><DataArea><Sync/>'
                "<ProductionPerformance><ID>BENCH</ID>"
            )
            written = 0
            while written < target:
                handle.write(f"<ProductionResponse><ID>R{segments // 1000}</ID>")
                for _ in range(1000):
                    text = SEGMENT.format(
                        i=segments,
                        e=segments % 20,
                        p=segments % 50,
                        m=segments % 30,
                        l=segments % 5000,
                        s=segments % 7,
                    )
                    handle.write(text)
                    written += len(text)
                    segments += 1
                handle.write("</ProductionResponse>")
            handle.write("</ProductionPerformance></DataArea></SyncProductionPerformance>\n")
        partial.rename(out)
    return out, out.stat().st_size


def main() -> None:
    args = sys.argv[1:]
    xml_mb = 1024
    if "--xml-mb" in args:
        at = args.index("--xml-mb")
        xml_mb = int(args[at + 1])
        del args[at : at + 2]
    scales = [int(a) for a in args] or [100_000, 1_000_000]
    scratch = WORK / "stores"  # fresh stores per run, removed at the end
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True, exist_ok=True)
    rows = []
    for events in scales:
        path = genealogy_csv(events)
        ours, our_rss = run_child(PIPELINE, str(path), str(scratch))
        plain, plain_rss = run_child(PLAIN, str(path), str(scratch))
        rows.append(
            [
                f"{events:,} events",
                int(ours["triples"]),
                ours["map"],
                ours["total"],
                events / ours["total"],
                our_rss,
                plain["total"],
                plain["triples"] / plain["total"],
                plain_rss,
            ]
        )
    load = os.getloadavg()[0]
    print("## Tabular genealogy: kgthread ingest (read, map, gate, commit) vs plain pyoxigraph\n")
    print(f"load average at the end: {load:.1f} (2 cores, shared with other jobs)\n")
    print(
        table(
            [
                "input",
                "triples",
                "read+map s",
                "total s",
                "events/s",
                "peak RSS MiB",
                "pyoxigraph load s",
                "pyoxigraph triples/s",
                "pyoxigraph RSS MiB",
            ],
            rows,
        )
    )
    shutil.rmtree(scratch, ignore_errors=True)
    if xml_mb > 0:
        xml, size = performance_xml(xml_mb)
        streamed, rss = run_child(STREAM, str(xml))
        print("\n## Streaming B2MML ProductionPerformance (read + map, no commit)\n")
        print(
            table(
                ["document", "MiB", "triples", "seconds", "MiB/s", "peak RSS MiB"],
                [
                    [
                        xml.name,
                        size / 2**20,
                        int(streamed["triples"]),
                        streamed["seconds"],
                        size / 2**20 / streamed["seconds"],
                        rss,
                    ]
                ],
            )
        )


if __name__ == "__main__":
    main()
