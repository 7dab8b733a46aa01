"""A client that ingests numbered batches into a store and is killed by the crash tests.

Run as ``python driver.py STORE AUDIT ACKS COUNT``. It resumes two batches before the last
acknowledged one (a client retrying after a lost acknowledgement), ingests each batch with
its own client batch id, and only after ``Pipeline.ingest`` returns appends ``ID STATUS`` to
ACKS and fsyncs it: every line there is a batch the service acknowledged. Every fourth
batch is a file on the bulk path. It prints ``ready`` once the store is open.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyoxigraph import Triple

from factories import product, unit
from kgthread.audit import AuditTrail
from kgthread.gate import Gate
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.rdf_files import batch_from_file
from kgthread.store.embedded import EmbeddedStore


def batch_id(number: int) -> str:
    return f"crash-{number:04d}"


def batch_triples(number: int) -> list[Triple]:
    """Batch ``number``'s content: a part, its revision and 0 to 120 units of it."""
    part = f"CR-{number}"
    triples = product(part)
    for serial in range(number % 7 * 20):
        triples += unit(part, "A", f"SN-{number}-{serial}")
    return triples


def is_bulk(number: int) -> bool:
    return number % 4 == 3


def make_batch(number: int, scratch: Path) -> Batch:
    triples = batch_triples(number)
    if is_bulk(number):
        path = scratch / f"{batch_id(number)}.nt"
        partial = path.with_suffix(".part")
        partial.write_text("".join(f"{t} .\n" for t in triples), encoding="utf-8")
        partial.replace(path)
        return batch_from_file(path, bulk_threshold=0, batch_id=batch_id(number), agent="driver")
    source = Source.of_bytes(f"{batch_id(number)}.nt", repr(triples).encode())
    return Batch("rdf", "1.0", [source], triples=triples, batch_id=batch_id(number), agent="driver")


def acknowledged(acks: Path) -> list[str]:
    if not acks.exists():
        return []
    return [line.split()[0] for line in acks.read_text(encoding="utf-8").splitlines() if line]


def main(store_dir: Path, audit_dir: Path, acks: Path, count: int) -> None:
    store = EmbeddedStore.open(store_dir)
    pipeline = Pipeline(store, Gate.default(), audit=AuditTrail.open(audit_dir, store))
    scratch = acks.parent / "files"
    scratch.mkdir(exist_ok=True)
    print("ready", flush=True)
    done = len(acknowledged(acks))
    for number in range(max(0, done - 2), count):
        result = pipeline.ingest(make_batch(number, scratch))
        with acks.open("a", encoding="utf-8") as handle:
            handle.write(f"{result.batch_id} {result.status}\n")
            handle.flush()
            os.fsync(handle.fileno())
    store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
