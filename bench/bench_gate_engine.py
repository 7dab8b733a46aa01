"""Native SHACL engine vs pySHACL on synthetic batches (~10k and ~100k triples).

With the project's ``shapes/`` and sample factory, the batch is sample data (valid by
construction) plus a few injected violations, and the ontology's rdfs:subClassOf triples
sit in a context graph as the gate puts them. Without them, a small built-in shapes graph
and generator stand in. Prints a markdown table; not part of the test run.

    .venv/bin/python bench/bench_gate_engine.py [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from kgthread import assets
from kgthread.validation import Report, ShapesGraph, validate
from kgthread.vocab import RDF_TYPE, RDFS_SUBCLASS_OF, WORK_ORDER, WORK_ORDER_STATUS

BATCH = ox.NamedNode("urn:bench:batch")
CONTEXT = ox.NamedNode("urn:bench:ontology")
FALLBACK_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/bench#> .
ex:UnitShape a sh:NodeShape ; sh:targetClass ex:Unit ;
  sh:property [ sh:path ex:serial ; sh:datatype xsd:string ; sh:minCount 1 ; sh:maxCount 1 ;
                sh:pattern "^SN-[0-9]+$" ] ;
  sh:property [ sh:path ex:ofPart ; sh:class ex:Part ; sh:minCount 1 ; sh:maxCount 1 ] ;
  sh:property [ sh:path [ sh:inversePath ex:hasComponent ] ; sh:maxCount 1 ] ;
  sh:property [ sh:path ex:built ; sh:datatype xsd:dateTime ; sh:maxCount 1 ] .
ex:PartShape a sh:NodeShape ; sh:targetClass ex:Part ;
  sh:property [ sh:path ex:status ; sh:in ( "active" "obsolete" ) ; sh:minCount 1 ] ;
  sh:property [ sh:path ex:weight ; sh:datatype xsd:decimal ; sh:minExclusive 0 ] .
"""


def project_batch(size: int, workdir: Path) -> tuple[ShapesGraph, ox.Store] | None:
    """Sample-factory data against the project's shapes, or None when either is missing."""
    try:
        from kgthread.sample import generate
    except ImportError:
        return None
    shapes_files = sorted(assets.shapes_dir().glob("*.ttl"))
    if not shapes_files:
        return None
    out = workdir / f"sample-{size}.nt"
    generate(size, 7, out)
    store = ox.Store()
    store.load(path=str(out), format=ox.RdfFormat.N_TRIPLES, to_graph=BATCH)
    for quad in ox.parse(path=str(assets.ontology_file()), format=ox.RdfFormat.TURTLE):
        if quad.predicate == RDFS_SUBCLASS_OF:
            store.add(ox.Quad(quad.subject, quad.predicate, quad.object, CONTEXT))
    orders = [q.subject for q in store.quads_for_pattern(None, RDF_TYPE, WORK_ORDER, BATCH)]
    for order in orders[:: max(1, len(orders) // 5)][:5]:  # five bad statuses
        store.add(ox.Quad(order, WORK_ORDER_STATUS, ox.Literal("bogus"), BATCH))
    return ShapesGraph.load(shapes_files), store


def fallback_batch(size: int, workdir: Path) -> tuple[ShapesGraph, ox.Store]:
    path = workdir / "bench-shapes.ttl"
    path.write_text(FALLBACK_SHAPES)
    ex = "http://example.org/bench#"
    store = ox.Store()
    quads = []
    parts = [ox.NamedNode(f"{ex}part/{i}") for i in range(max(1, size // 200))]
    for part in parts:
        quads += [
            ox.Quad(part, RDF_TYPE, ox.NamedNode(ex + "Part"), BATCH),
            ox.Quad(part, ox.NamedNode(ex + "status"), ox.Literal("active"), BATCH),
        ]
    for i in range(size // 6):
        unit = ox.NamedNode(f"{ex}unit/{i}")
        serial = f"SN-{i}" if i % 5000 else "bad serial"
        quads += [
            ox.Quad(unit, RDF_TYPE, ox.NamedNode(ex + "Unit"), BATCH),
            ox.Quad(unit, ox.NamedNode(ex + "serial"), ox.Literal(serial), BATCH),
            ox.Quad(unit, ox.NamedNode(ex + "ofPart"), parts[i % len(parts)], BATCH),
            ox.Quad(
                unit,
                ox.NamedNode(ex + "built"),
                ox.Literal(
                    "2024-01-01T00:00:00Z",
                    datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime"),
                ),
                BATCH,
            ),
        ]
        if i:
            parent = ox.NamedNode(f"{ex}unit/{i // 2}")
            quads.append(ox.Quad(parent, ox.NamedNode(ex + "hasComponent"), unit, BATCH))
    store.extend(quads)
    return ShapesGraph.load([path]), store


def timed(store: ox.Store, shapes: ShapesGraph, engine: str) -> tuple[float, Report]:
    start = time.perf_counter()
    report = validate(store, shapes, focus_graph=BATCH, engine=engine)  # type: ignore[arg-type]
    return time.perf_counter() - start, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--native-runs", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            built = project_batch(size, Path(tmp))
            source = "project shapes + sample" if built else "built-in shapes"
            shapes, store = built or fallback_batch(size, Path(tmp))
            triples = sum(1 for _ in store.quads_for_pattern(None, None, None, BATCH))
            native_runs = [timed(store, shapes, "native") for _ in range(args.native_runs)]
            native_seconds = statistics.median(t for t, _ in native_runs)
            native_report = native_runs[0][1]
            pyshacl_seconds, pyshacl_report = timed(store, shapes, "pyshacl")
            same = {r.key() for r in native_report.results} == {
                r.key() for r in pyshacl_report.results
            }
            rows.append(
                (
                    source,
                    triples,
                    native_seconds,
                    pyshacl_seconds,
                    len(native_report.results),
                    native_report.focus_count,
                    same,
                )
            )
    header = ["data", "engine", "triples", "seconds", "ratio", "results", "focus", "same"]
    print("| " + " | ".join(header) + " |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for source, triples, native_s, pyshacl_s, results, focus, same in rows:
        native = f"native (median of {args.native_runs})"
        cells = [source, native, triples, f"{native_s:.3f}", f"{pyshacl_s / native_s:.1f}x"]
        print("| " + " | ".join(map(str, [*cells, results, focus, same])) + " |")
        cells = [source, "pyshacl (1 run)", triples, f"{pyshacl_s:.3f}", "1.0x"]
        print("| " + " | ".join(map(str, [*cells, results, focus, same])) + " |")


if __name__ == "__main__":
    main()
