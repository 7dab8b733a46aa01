"""Every real STEP file through the adapter, the gate and an on-disk store: the graph holds the
parts, usages and assembly depth an independent reader (steputils) finds in the same file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from pyoxigraph import Literal

from ingest.step.truth import (
    Structure,
    graph_structure,
    rq,
    step_dir,
    steputils_structure,
    union,
)
from kgthread import ids, vocab
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.step.adapter import StepAdapter
from kgthread.store.embedded import EmbeddedStore

SINGLE_FILES = [
    "cax-if-ap214/as1-oc-214.stp",
    "cax-if-ap214/io1-cm-214.stp",
    "cax-if-ap214/sg1-c5-214.stp",
    "nist-pmi/nist_ctc_01_asme1_ap203.stp",
    "nist-pmi/nist_ctc_01_asme1_ap242-e1.stp",
    "nist-pmi/nist_ctc_02_asme1_ap242-e2.stp",
    "nist-pmi/nist_ftc_06_asme1_ap242-e1.stp",
    "nist-pmi/nist_ftc_08_asme1_ap242-e1-tg.stp",
]
SCHEMAS = {
    "as1-oc-214.stp": "AP214 ed1",
    "nist_ctc_01_asme1_ap203.stp": "AP203 ed2",
    "nist_ctc_01_asme1_ap242-e1.stp": "AP242 ed1",
    "nist_ctc_02_asme1_ap242-e2.stp": "AP242 ed2",
}
OPTIONS = IngestOptions(agent="test")


def _ingest(adapter: StepAdapter, pipeline: Pipeline, paths: list[Path]) -> list[Path]:
    batches = list(adapter.batches(paths, OPTIONS))
    assert len(batches) == 1, "files given together that reference each other are one batch"
    result = pipeline.ingest(batches[0])
    assert result.status == "committed"
    return paths


def test_every_step_file_is_covered() -> None:
    """A new STEP file in the shared data must be added to these tests, not skipped silently."""
    found = {
        p.relative_to(step_dir()).as_posix()
        for p in step_dir().rglob("*.stp")
        if p.parent.name != "occt-corpus"  # test_step_corpus.py reads every one of those
    }
    multi = {p for p in found if p.startswith("cax-if-ap214/s1-c5-214/")}
    assert found - multi == set(SINGLE_FILES)
    assert len(multi) == 13


@pytest.mark.parametrize("name", SINGLE_FILES)
def test_structure_matches_steputils(
    name: str, adapter: StepAdapter, pipeline: Pipeline, store: EmbeddedStore
) -> None:
    path = step_dir() / name
    batch = next(adapter.batches([path], OPTIONS))
    pipeline.ingest(batch)
    expected = steputils_structure(path)
    found = graph_structure(store, batch.graph)
    assert found.parts == expected.parts
    assert found.edges == expected.edges
    assert found.usages == expected.usages
    assert found.depth == expected.depth
    assert batch.locations, "every mapped node cites its source line"


def test_as1_is_the_four_level_assembly_the_index_describes(
    adapter: StepAdapter, pipeline: Pipeline, store: EmbeddedStore
) -> None:
    path = step_dir() / "cax-if-ap214/as1-oc-214.stp"
    batch = next(adapter.batches([path], OPTIONS))
    pipeline.ingest(batch)
    found = graph_structure(store, batch.graph)
    assert (len(found.parts), found.usages, found.depth) == (9, 13, 4)
    assert found.edges["rod-assembly", "nut"] == 2, "two occurrences, two usages"
    nut_usages = list(store.quads(None, vocab.USAGE_CHILD, ids.part("nut"), batch.graph))
    assert len(nut_usages) == 3, "repeated occurrences stay distinct usages"


def test_multi_file_assembly_resolves_into_one_structure(
    adapter: StepAdapter, pipeline: Pipeline, store: EmbeddedStore, messages: list[str]
) -> None:
    folder = step_dir() / "cax-if-ap214/s1-c5-214"
    paths = sorted(folder.glob("*.stp"))
    batches = list(adapter.batches(paths, OPTIONS))
    assert len(batches) == 1
    pipeline.ingest(batches[0])
    expected = union(steputils_structure(p) for p in paths)
    found = graph_structure(store, batches[0].graph)
    assert found == Structure(expected.parts, expected.edges)
    assert found.depth == expected.depth == 3
    assert not [m for m in messages if "was not given" in m]


def test_master_alone_reports_the_missing_files(adapter: StepAdapter, messages: list[str]) -> None:
    master = step_dir() / "cax-if-ap214/s1-c5-214/s1-c5-214.stp"
    list(adapter.batches([master], OPTIONS))
    missing = [m for m in messages if "was not given" in m]
    assert len(missing) == 4
    assert any("FOOT.stp" in m for m in missing)


def test_unrelated_files_are_separate_batches(adapter: StepAdapter) -> None:
    paths = [step_dir() / SINGLE_FILES[0], step_dir() / SINGLE_FILES[1]]
    assert len(list(adapter.batches(paths, OPTIONS))) == 2


def test_as1_where_used_and_bom_in_sparql(
    adapter: StepAdapter, pipeline: Pipeline, store: EmbeddedStore
) -> None:
    path = step_dir() / "cax-if-ap214/as1-oc-214.stp"
    pipeline.ingest(next(adapter.batches([path], OPTIONS)))
    truth = steputils_structure(path)

    rows = store.query(rq("where-used.rq"), substitutions={"part": ids.part("nut")})
    used_in = {row["number"].value for row in rows}
    ancestors: set[str] = set()
    frontier = {"nut"}
    while frontier:
        frontier = {p for (p, c) in truth.edges if c in frontier} - ancestors
        ancestors |= frontier
    assert (
        used_in == ancestors == {"rod-assembly", "nut-bolt-assembly", "l-bracket-assembly", "as1"}
    )

    rows = store.query(rq("bom.rq"), substitutions={"root": ids.part("as1")})
    lines = {
        (row["parentNumber"].value, row["childNumber"].value): int(row["quantity"].value)
        for row in rows
    }
    assert lines == dict(truth.edges)
    assert _exploded("as1", lines) == _exploded("as1", dict(truth.edges))
    assert _exploded("as1", lines)["nut"] == 2 + 2 * 3


def _exploded(root: str, lines: dict[tuple[str, str], int]) -> Counter[str]:
    """Total quantity of every part under ``root``, multiplied down the levels."""
    totals: Counter[str] = Counter()

    def walk(part: str, factor: int) -> None:
        for (parent, child), quantity in lines.items():
            if parent == part:
                totals[child] += factor * quantity
                walk(child, factor * quantity)

    walk(root, 1)
    return totals


@pytest.mark.parametrize(("name", "label"), sorted(SCHEMAS.items()))
def test_header_and_digest_land_on_the_source_document(
    name: str, label: str, adapter: StepAdapter, pipeline: Pipeline, store: EmbeddedStore
) -> None:
    path = next(step_dir().rglob(name))
    batch = next(adapter.batches([path], OPTIONS))
    pipeline.ingest(batch)
    source = batch.sources[0]
    document = ids.source_document(source.sha256)
    values = {(q.predicate, q.object) for q in store.quads(document, None, None, batch.graph)}
    assert (vocab.APPLICATION_PROTOCOL, Literal(label)) in values
    assert (vocab.SHA256, Literal(source.sha256)) in values
    if name == "as1-oc-214.stp":
        assert (vocab.ORIGINATING_SYSTEM, Literal("Open CASCADE 6.1")) in values
        assert (vocab.AUTHOR, Literal("--- Datakit Converter ---")) in values
        assert (vocab.AUTHORING_ORGANIZATION, Literal("--- Datakit www.datakit.com---")) in values
        stamp = Literal("2008-07-24T15:00:20", datatype=vocab.XSD_DATETIME)
        assert (vocab.PROV_GENERATED_AT, stamp) in values


def test_locations_cite_file_line_and_entity(adapter: StepAdapter) -> None:
    path = step_dir() / "cax-if-ap214/as1-oc-214.stp"
    batch = next(adapter.batches([path], OPTIONS))
    assert batch.locations[str(ids.part("as1"))] == "as1-oc-214.stp line 18 #7"
    assert batch.locations[str(ids.part_revision("as1", "-"))] == "as1-oc-214.stp line 17 #6"
