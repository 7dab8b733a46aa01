"""Design conformance: the sample factory, with three units broken on purpose (a component
removed, an extra one added, one swapped for a unit of a superseded revision), loaded
through the pipeline; conformance flags exactly those units with exactly those kinds, every
other unit conforms, and the as-built-vs-as-designed named query agrees unit by unit.
Later batches (a new unit, a new engineering change) re-derive the shapes and re-check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import Literal, NamedNode, QuerySolutions, RdfFormat, Store, Triple

from kgthread import ids, queries, vocab
from kgthread.gate import Gate
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.rdf_files import batch_from_file
from kgthread.reasoning import Reasoner
from kgthread.reasoning import conformance_reports as conformance
from kgthread.reasoning.conformance import PROV_WAS_INFORMED_BY, design_shapes
from kgthread.sample import generate
from kgthread.store.base import CATALOG_GRAPH
from kgthread.store.embedded import EmbeddedStore
from kgthread.validation import ShapesGraph
from kgthread.vocab import SH_NS
from reasoning.designs import design, unit

LATE = "2030-01-01T00:00:00Z"  # after every date in the sample


@dataclass
class Broken:
    missing: NamedNode  # lost one component
    missing_component: NamedNode
    extra: NamedNode  # holds a lot of a part its BOM does not use
    extra_lot: NamedNode
    swapped: NamedNode  # one component replaced by a unit of a superseded revision
    stale: NamedNode
    old_revision: NamedNode
    new_revision: NamedNode


Loaded = tuple[EmbeddedStore, Broken, Pipeline]


def objects(data: Store, s: NamedNode | None, p: NamedNode) -> list[NamedNode]:
    return [q.object for q in data.quads_for_pattern(s, p, None) if isinstance(q.object, NamedNode)]


def subjects(data: Store, p: NamedNode, o: NamedNode) -> list[NamedNode]:
    return [
        q.subject for q in data.quads_for_pattern(None, p, o) if isinstance(q.subject, NamedNode)
    ]


def bom_parts(data: Store, revision: NamedNode) -> set[NamedNode]:
    usages = subjects(data, vocab.USAGE_PARENT, revision)
    return {c for u in usages for c in objects(data, u, vocab.USAGE_CHILD)}


def break_sample(source: Path, target: Path, truth: dict[str, Any]) -> Broken:
    """Write ``source`` to ``target`` with three units broken."""
    data = Store()
    data.bulk_load(path=str(source), format=RdfFormat.N_TRIPLES)
    change = truth["changes"][0]
    old, new = (NamedNode(r) for r in (change["affected_revisions"][0], change["new_revisions"][0]))
    changed_part = objects(data, old, vocab.REVISION_OF)[0]
    units = sorted(subjects(data, vocab.RDF_TYPE, vocab.SERIALIZED_UNIT), key=str)

    def components(unit: NamedNode) -> list[NamedNode]:
        return sorted(objects(data, unit, vocab.HAS_COMPONENT), key=str)

    def part_of(item: NamedNode) -> NamedNode:
        lots = objects(data, item, vocab.LOT_OF_PART)
        return (
            lots[0]
            if lots
            else objects(data, objects(data, item, vocab.UNIT_OF_REVISION)[0], vocab.REVISION_OF)[0]
        )

    swapped = next(u for u in units if any(part_of(c) == changed_part for c in components(u)))
    replaced = next(c for c in components(swapped) if part_of(c) == changed_part)
    related = {swapped, replaced, *components(swapped)}
    missing = next(
        u
        for u in units
        if u not in related and any(objects(data, c, vocab.UNIT_OF_REVISION) for c in components(u))
    )
    missing_component = next(
        c for c in components(missing) if objects(data, c, vocab.UNIT_OF_REVISION)
    )
    related |= {missing, missing_component, *components(missing)}
    extra = next(u for u in units if u not in related)
    revision = objects(data, extra, vocab.UNIT_OF_REVISION)[0]
    used = bom_parts(data, revision)
    extra_lot = next(
        lot
        for lot in sorted(subjects(data, vocab.RDF_TYPE, vocab.MATERIAL_LOT), key=str)
        if part_of(lot) not in used
    )
    stale = ids.unit(part_of(replaced).value.rsplit("/", 1)[-1], "STALE-1")
    operation = ids.operation("WO-STALE", "0010")
    dropped = {
        (missing.value, missing_component.value),
        (swapped.value, replaced.value),
    }
    with source.open(encoding="utf-8") as lines, target.open("w", encoding="utf-8") as out:
        for line in lines:
            parts = line.split(" ", 2)
            if (
                len(parts) == 3
                and parts[1] == str(vocab.HAS_COMPONENT)
                and (parts[0][1:-1], parts[2].rsplit(" ", 1)[0].strip()[1:-1]) in dropped
            ):
                continue
            out.write(line)
        added = [
            Triple(swapped, vocab.HAS_COMPONENT, stale),
            Triple(stale, vocab.RDF_TYPE, vocab.SERIALIZED_UNIT),
            Triple(stale, vocab.SERIAL_NUMBER, Literal("STALE-1")),
            Triple(stale, vocab.UNIT_OF_REVISION, old),
            Triple(stale, vocab.PROV_WAS_GENERATED_BY, operation),
            Triple(operation, vocab.RDF_TYPE, vocab.OPERATION),
            Triple(operation, vocab.PROV_STARTED_AT, Literal(LATE, datatype=vocab.XSD_DATETIME)),
            Triple(extra, vocab.HAS_COMPONENT, extra_lot),
        ]
        # The stale unit is itself built as designed: the replaced unit's materials.
        for item in components(replaced):
            use = ids.consumption(stale, item)
            consumed = next(
                q.object
                for c in subjects(data, vocab.CONSUMED_ENTITY, item)
                if replaced in objects(data, c, vocab.CONSUMER)
                for q in data.quads_for_pattern(c, vocab.QUANTITY, None)
            )
            added += [
                Triple(stale, vocab.HAS_COMPONENT, item),
                Triple(use, vocab.CONSUMER, stale),
                Triple(use, vocab.CONSUMED_ENTITY, item),
                Triple(use, vocab.QUANTITY, consumed),
            ]
        out.writelines(f"{t} .\n" for t in added)
    return Broken(missing, missing_component, extra, extra_lot, swapped, stale, old, new)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    folder = tmp_path_factory.mktemp("conformance")
    summary = generate(10_000, 5, folder / "factory.nt")
    truth = json.loads(Path(summary.truth).read_text(encoding="utf-8"))
    broken = break_sample(folder / "factory.nt", folder / "broken.nt", truth)
    store = EmbeddedStore.open(folder / "store")
    # The gate is not under test (and would refuse an operation without a work order).
    pipeline = Pipeline(store, Gate(ShapesGraph([])), reasoner=Reasoner())
    pipeline.ingest(batch_from_file(folder / "broken.nt", bulk_threshold=1 << 40))
    yield store, broken, pipeline
    store.close()


def all_units(store: EmbeddedStore) -> list[NamedNode]:
    return sorted(
        {
            q.subject
            for q in store.quads(None, vocab.UNIT_OF_REVISION, None)
            if isinstance(q.subject, NamedNode)
        },
        key=str,
    )


def report(store: EmbeddedStore, unit: NamedNode) -> dict[str, Any]:
    found = conformance.stored_report(store, unit)
    assert found is not None, unit
    return found.to_json()


def test_exactly_the_broken_units_are_flagged(loaded: Loaded) -> None:
    store, broken, _ = loaded
    units = all_units(store)
    assert len(units) > 100
    flagged = {u for u in units if not report(store, u)["conforms"]}
    assert flagged == {broken.missing, broken.extra, broken.swapped}


def test_each_finding_names_its_kind_usage_part_and_component(loaded: Loaded) -> None:
    store, broken, _ = loaded
    missing = report(store, broken.missing)["findings"]
    assert [f["kind"] for f in missing] == ["missing"]
    assert missing[0]["component"] is None
    assert missing[0]["actual"] == missing[0]["expected"] - 1
    lost_revision = next(store.quads(broken.missing_component, vocab.UNIT_OF_REVISION, None)).object
    lost_part = next(store.quads(lost_revision, vocab.REVISION_OF, None)).object  # type: ignore[arg-type]
    assert missing[0]["part"] == lost_part.value
    usage = NamedNode(missing[0]["usage"])
    assert any(store.quads(usage, vocab.USAGE_CHILD, lost_part))

    extra = report(store, broken.extra)["findings"]
    assert [(f["kind"], f["component"], f["usage"], f["expected"], f["actual"]) for f in extra] == [
        ("extra", broken.extra_lot.value, None, 0, 1)
    ]

    swapped = report(store, broken.swapped)
    assert (
        swapped["revision"]
        == next(store.quads(broken.swapped, vocab.UNIT_OF_REVISION, None)).object.value
    )
    assert [
        (f["kind"], f["component"], f["expected"], f["actual"]) for f in swapped["findings"]
    ] == [
        ("wrong-revision", broken.stale.value, broken.new_revision.value, broken.old_revision.value)
    ]
    assert swapped["findings"][0]["usage"] is not None


def test_the_named_query_agrees_unit_by_unit(loaded: Loaded) -> None:
    store, _, _ = loaded
    query = queries.get("as-built-vs-as-designed")
    for built in all_units(store):
        rows = query.run(store, {"unit": built.value})
        assert isinstance(rows, QuerySolutions)
        assert bool(list(rows)) == (not report(store, built)["conforms"]), built


def test_reports_carry_provenance(loaded: Loaded) -> None:
    store, broken, _ = loaded
    revision = next(store.quads(broken.extra, vocab.UNIT_OF_REVISION, None)).object
    assert isinstance(revision, NamedNode)
    activity = conformance.report_activity(revision)
    catalog = {(q.predicate, q.object) for q in store.quads(activity, None, None, CATALOG_GRAPH)}
    assert (vocab.TARGET_GRAPH, conformance.report_graph(revision)) in catalog
    assert (vocab.PROV_USED, revision) in catalog
    assert any(p == vocab.PROV_ENDED_AT for p, _ in catalog)
    informed = {o for p, o in catalog if p == PROV_WAS_INFORMED_BY}
    assert ids.batch(batch_from_file_id(store)) in informed


def batch_from_file_id(store: EmbeddedStore) -> str:
    """The id of the one ingest batch in the store."""
    ids_found = [
        q.object.value
        for q in store.quads(None, vocab.BATCH_ID, None, CATALOG_GRAPH)
        if isinstance(q.object, Literal)
    ]
    assert len(ids_found) == 1
    return ids_found[0]


def ingest(pipeline: Pipeline, name: str, triples: list[Triple]) -> None:
    pipeline.ingest(
        Batch("test", "1", [Source.of_bytes(name, name.encode())], triples=triples, batch_id=name)
    )


def state(store: EmbeddedStore, *units: NamedNode) -> list[list[str]]:
    out = []
    for u in units:
        found = conformance.stored_report(store, u)
        assert found is not None
        out.append([f.kind for f in found.findings])
    return out


def test_new_units_and_changes_re_derive_and_re_check(tmp_path: Path) -> None:
    store = EmbeddedStore.open(tmp_path / "store")
    pipeline = Pipeline(store, Gate(ShapesGraph([])), reasoner=Reasoner())
    top, child = ids.unit("TOP", "1"), ids.unit("CH", "1")
    ingest(pipeline, "design", design("TOP", "A", "CH", "1"))
    ingest(
        pipeline,
        "built",
        unit("TOP", "A", "1")
        + unit("CH", "A", "1", made="2024-05-01T00:00:00Z")
        + [Triple(top, vocab.HAS_COMPONENT, child)],
    )
    assert state(store, top) == [[]]
    # A unit without its component arrives: only it is flagged.
    ingest(pipeline, "bare", unit("TOP", "A", "2"))
    assert state(store, top, ids.unit("TOP", "2")) == [[], ["missing"]]
    # A released change supersedes CH/A from 2024-01-01: the shapes of TOP/A are derived
    # again, and the unit whose CH/A component was made after that date no longer conforms.
    eco = ids.change("ECO-9")
    change = [
        Triple(eco, vocab.RDF_TYPE, vocab.ENGINEERING_CHANGE),
        Triple(eco, vocab.AFFECTS_REVISION, ids.part_revision("CH", "A")),
        Triple(eco, vocab.INTRODUCES_REVISION, ids.part_revision("CH", "B")),
        Triple(
            eco, vocab.EFFECTIVE_FROM, Literal("2024-01-01T00:00:00Z", datatype=vocab.XSD_DATETIME)
        ),
        Triple(eco, vocab.CHANGE_STATUS, Literal("released")),
        Triple(ids.part_revision("CH", "B"), vocab.REVISION_OF, ids.part("CH")),
    ]
    ingest(pipeline, "eco", change)
    found = conformance.stored_report(store, top)
    assert found is not None
    assert [(f.kind, f.expected, f.actual, f.component) for f in found.findings] == [
        (
            "wrong-revision",
            ids.part_revision("CH", "B").value,
            ids.part_revision("CH", "A").value,
            child.value,
        )
    ]
    store.close()


def test_the_derived_shapes_are_rdf_the_native_engine_runs(tmp_path: Path) -> None:
    store = EmbeddedStore.open(tmp_path / "store")
    graph = ids.batch_graph("design")
    store.commit(
        graph,
        design("TOP", "A", "CH", "2"),
        [Triple(ids.batch("design"), vocab.TARGET_GRAPH, graph)],
    )
    revision, usage = ids.part_revision("TOP", "A"), ids.assembly_usage("TOP", "A", "U1")
    shapes = design_shapes(store, revision)
    node, line = NamedNode(revision.value + "#design"), NamedNode(usage.value + "#design")

    def sh(local: str) -> NamedNode:
        return NamedNode(SH_NS + local)

    stated = {(t.subject, t.predicate, t.object) for t in shapes}
    two = Literal("2", datatype=vocab.XSD_DECIMAL)
    assert {
        (node, sh("targetClass"), revision),
        (node, sh("property"), line),
        (line, sh("path"), usage),
        (line, sh("minInclusive"), two),
        (line, sh("maxInclusive"), two),
    } <= stated
    assert ShapesGraph(shapes).unsupported_features() == []
    store.close()
