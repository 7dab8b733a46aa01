"""What the current view and document versions cost, against the peers in the same run.

For each scale: pyoxigraph's raw bulk load of the sample; ``kgthread load`` as a user runs
it (gate, bulk load, catalog, audit trail) with this checkout and, with ``--before SRC``,
with an earlier checkout's ``src`` folder (the same command before the current view); the
named queries genealogy-down, recall, trace and bom (p50 over ``--calls`` calls) on each
loaded store; then a 100k-triple document loaded, and a new version of it (one statement in
100 changed) loaded under the same document identity: the supersession, end to end (its labels
corrected).

Every step runs in a fresh process. Usage:
python bench/bench_versions.py [SCALE ...] [--before PATH] [--calls N]   (default 1000000)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from common import sample_file, table, truth_of

RAW = """
import time
from pyoxigraph import NamedNode, RdfFormat, Store
store = Store(sys.argv[2])
started = time.perf_counter()
store.bulk_load(path=sys.argv[1], format=RdfFormat.N_TRIPLES, to_graph=NamedNode("urn:bench:g"))
store.flush()
RESULT = {"seconds": time.perf_counter() - started}
"""

LOAD = """
import time
from kgthread.cli import main
args = ["--data", sys.argv[2], "load", sys.argv[1]] + sys.argv[3:]
started = time.perf_counter()
code = main(args)
RESULT = {"seconds": time.perf_counter() - started, "exit": code}
"""

QUERIES = """
import statistics, time
from pathlib import Path
from kgthread import lineage, queries
from kgthread.store.embedded import EmbeddedStore
store = EmbeddedStore.open(Path(sys.argv[1]))
values = json.loads(sys.argv[2])
calls = int(sys.argv[3])
RESULT = {}
for name, parameters in values.items():
    query = queries.get(name) if name != "trace" else None
    samples = []
    for i in range(calls):
        given = parameters[i % len(parameters)]
        started = time.perf_counter()
        if query is None:
            lineage.trace(store, given["unit"])
        else:
            lineage.run(store, query, given)
        samples.append(time.perf_counter() - started)
    RESULT[name] = statistics.median(samples) * 1000
store.close()
"""


def _child(code: str, args: list[str], src: Path | None = None) -> dict[str, float]:
    wrapper = "import json, sys\n" + code + "\nprint(json.dumps(RESULT))\n"
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *args], capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _parameters(truth: dict[str, object], sample: Path) -> dict[str, list[dict[str, str]]]:
    tops: list[dict[str, object]] = truth["top_units"]  # type: ignore[assignment]
    units = [str(u["unit"]) for u in tops[:20]]
    lots = sorted(
        {str(d["item"]) for u in tops[:20] for d in u["descendants"] if d["kind"] == "lot"}
    )[:20]  # type: ignore[attr-defined]
    revision = ""
    with sample.open(encoding="utf-8") as lines:
        for line in lines:
            if "#usageParent>" in line:
                revision = line.split()[2].strip("<>")
                break
    return {
        "genealogy-down": [{"unit": u} for u in units],
        "recall": [{"item": lot} for lot in lots],
        "trace": [{"unit": u} for u in units[:5]],
        "bom": [{"revision": str(u["revision"])} for u in tops[:5]] or [{"revision": revision}],
    }


def _own_document(sample: Path, target: Path) -> None:
    """A sample made a document of its own: every instance IRI given its own key prefix, so
    it shares no resource with the store's sample (the gate would refuse clashing values)."""
    with sample.open(encoding="utf-8") as source, target.open("w", encoding="utf-8") as out:
        for line in source:
            out.write(_OWN.sub(r"\1D-", line))


_OWN = re.compile(r"(https://w3id\.org/kgthread/id/[a-z]+/)")


def _new_version(document: Path, target: Path) -> int:
    """The same document with its labels corrected, as a re-export would bring them; how
    many statements changed."""
    changed = 0
    with document.open(encoding="utf-8") as source, target.open("w", encoding="utf-8") as out:
        for line in source:
            if "rdf-schema#label>" in line and line.rstrip().endswith('" .'):
                line = line.replace('" .', ' (rev)" .')
                changed += 1
            out.write(line)
    return changed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scales", nargs="*", type=int, default=[1_000_000])
    parser.add_argument("--before", type=Path, help="an earlier checkout's src folder")
    parser.add_argument("--calls", type=int, default=40)
    arguments = parser.parse_args()
    loads: list[list[object]] = []
    lookups: list[list[object]] = []
    versions: list[list[object]] = []
    for scale in arguments.scales:
        sample = sample_file(scale)
        truth = truth_of(sample)
        with tempfile.TemporaryDirectory() as work:
            folder = Path(work)
            document = folder / "v1" / "document.nt"
            document.parent.mkdir()
            _own_document(sample_file(100_000, seed=11), document)
            raw = _child(RAW, [str(sample), str(folder / "raw")])["seconds"]
            codes = (
                {"now": None}
                if arguments.before is None
                else {
                    "now": None,
                    "before": arguments.before,
                }
            )
            parameters = json.dumps(_parameters(truth, sample))
            for label, src in codes.items():
                store = folder / f"store-{label}"
                loaded = _child(LOAD, [str(sample), str(store)], src)
                if loaded["exit"]:
                    raise RuntimeError(f"the sample was refused ({label})")
                loads.append([scale, label, raw, loaded["seconds"], loaded["seconds"] / raw])
                timings = _child(QUERIES, [str(store), parameters, str(arguments.calls)], src)
                lookups.append([scale, label, *(timings[n] for n in sorted(timings))])
                if label != "now":
                    continue
                second = folder / "v2" / "document.nt"
                second.parent.mkdir()
                changed = _new_version(document, second)
                options = ["--document", "bench-document"]
                first = _child(LOAD, [str(document), str(store), *options])
                again = _child(LOAD, [str(second), str(store), *options])
                if first["exit"] or again["exit"]:
                    raise RuntimeError("a document version was refused")
                versions.append([scale, changed, first["seconds"], again["seconds"]])
    names = sorted(json.loads(parameters))
    print("kgthread load (gate, bulk load, catalog, audit trail) against a raw bulk load\n")
    print(table(["triples", "code", "raw s", "load s", "load / raw"], loads))
    print("\nnamed queries, p50 ms\n")
    print(table(["triples", "code", *names], lookups))
    print("\na 100k-triple document, then a new version of it (supersession), end to end\n")
    headers = ["store triples", "statements changed", "version 1 s", "version 2 s"]
    print(table(headers, versions))
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} (2 cores, shared)")


if __name__ == "__main__":
    main()
