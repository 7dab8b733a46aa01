"""Lineage answers against oracles the generator does not share.

The sample factory writes N-Triples and its own ground truth; the truth tests compare the
queries with that truth, which the same generator computed. Here the oracle is a plain
Python walk over the N-Triples file itself (no RDF library, no SPARQL), for every unit, lot
and part in it; and for the real STEP files in the shared data, a walk over the structure an
independent reader (steputils) finds in each file.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import NamedNode

from ingest.step.truth import step_dir, steputils_structure
from kgthread import ids, vocab
from kgthread.gate import Gate
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.rdf_files import batch_from_file
from kgthread.ingest.step.adapter import StepAdapter
from kgthread.sample import generate
from kgthread.store.embedded import EmbeddedStore
from lineage.conftest import rows

IRI_TRIPLE = re.compile(r"^<([^>]*)> <([^>]*)> <([^>]*)> \.$")
WANTED = {
    vocab.HAS_COMPONENT.value,
    vocab.USAGE_CHILD.value,
    vocab.USAGE_PARENT.value,
    vocab.REVISION_OF.value,
    vocab.RDF_TYPE.value,
}
MAX_LEVEL = 10  # where-used unrolls ten levels


class Edges:
    """The IRI-to-IRI statements of an N-Triples file, by predicate, read line by line."""

    def __init__(self, path: Path) -> None:
        self.out: dict[str, dict[str, set[str]]] = {p: defaultdict(set) for p in WANTED}
        self.into: dict[str, dict[str, set[str]]] = {p: defaultdict(set) for p in WANTED}
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                found = IRI_TRIPLE.match(line.strip())
                if found and found.group(2) in WANTED:
                    s, p, o = found.groups()
                    self.out[p][s].add(o)
                    self.into[p][o].add(s)

    def typed(self, cls: str) -> set[str]:
        return set(self.into[vocab.RDF_TYPE.value].get(cls, set()))


def reach(start: str, step: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Every (from, to) edge of ``step`` met walking from ``start`` (cycles end the walk)."""
    edges: set[tuple[str, str]] = set()
    seen, frontier = {start}, [start]
    while frontier:
        node = frontier.pop()
        for nxt in step.get(node, ()):
            edges.add((node, nxt))
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return edges


def where_used(
    part: str,
    usages_of: dict[str, set[str]],
    parent_of: dict[str, set[str]],
    part_of: dict[str, set[str]],
) -> dict[str, int]:
    """Each revision using ``part`` at any level up to ten, with its lowest level."""
    levels: dict[str, int] = {}
    parts = {part}
    for level in range(1, MAX_LEVEL + 1):
        revisions = {r for p in parts for u in usages_of.get(p, ()) for r in parent_of.get(u, ())}
        for revision in revisions:
            levels.setdefault(revision, level)
        parts = {p for r in revisions for p in part_of.get(r, ())}
    return levels


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedStore, Edges]]:
    folder = tmp_path_factory.mktemp("oracle")
    path = folder / "factory.nt"
    generate(10_000, 11, path)
    store = EmbeddedStore.open(folder / "store")
    Pipeline(store, Gate.default()).ingest(batch_from_file(path, bulk_threshold=0))
    yield store, Edges(path)
    store.close()


def test_genealogy_down_of_every_unit(sample: tuple[EmbeddedStore, Edges]) -> None:
    store, edges = sample
    components = edges.out[vocab.HAS_COMPONENT.value]
    units = edges.typed(vocab.SERIALIZED_UNIT.value)
    assert len([u for u in units if components.get(u)]) > 20
    for unit in sorted(units):
        found = {(r["parent"], r["component"]) for r in rows(store, "genealogy-down", unit=unit)}
        assert found == reach(unit, components), unit


def test_genealogy_up_of_every_lot_and_unit(sample: tuple[EmbeddedStore, Edges]) -> None:
    store, edges = sample
    containers = edges.into[vocab.HAS_COMPONENT.value]
    items = edges.typed(vocab.MATERIAL_LOT.value) | edges.typed(vocab.SERIALIZED_UNIT.value)
    assert len([i for i in items if containers.get(i)]) > 20
    for item in sorted(items):
        found = {(r["unit"], r["child"]) for r in rows(store, "genealogy-up", item=item)}
        assert found == {(up, down) for down, up in reach(item, containers)}, item


def test_where_used_of_every_part(sample: tuple[EmbeddedStore, Edges]) -> None:
    store, edges = sample
    usages_of = edges.into[vocab.USAGE_CHILD.value]
    parent_of = edges.out[vocab.USAGE_PARENT.value]
    part_of = edges.out[vocab.REVISION_OF.value]
    parts = edges.typed(vocab.PART.value)
    assert len([p for p in parts if usages_of.get(p)]) > 5
    for part in sorted(parts):
        found = {r["revision"]: int(r["level"]) for r in rows(store, "where-used", part=part)}
        assert found == where_used(part, usages_of, parent_of, part_of), part


STEP_FILES = ["cax-if-ap214/as1-oc-214.stp", "nist-pmi/nist_ctc_01_asme1_ap203.stp"]


@pytest.mark.parametrize("name", STEP_FILES)
def test_where_used_on_real_step_files(name: str, tmp_path: Path) -> None:
    path = step_dir() / name
    store = EmbeddedStore.open(tmp_path / "store")
    try:
        batch = next(StepAdapter().batches([path], IngestOptions(agent="test")))
        assert Pipeline(store, Gate.default()).ingest(batch).status == "committed"
        truth = steputils_structure(path)
        parents: dict[str, set[str]] = defaultdict(set)
        for parent, child in truth.edges:
            parents[child].add(parent)
        for number in sorted(truth.parts):
            found = {
                ids.parse(NamedNode(r["revision"])).keys[0]: int(r["level"])
                for r in rows(store, "where-used", part=ids.part(number).value)
            }
            expected: dict[str, int] = {}
            frontier, level = {number}, 0
            while frontier and level < MAX_LEVEL:
                level += 1
                frontier = {p for c in frontier for p in parents[c]}
                for p in frontier:
                    expected.setdefault(p, level)
            assert found == expected, number
    finally:
        store.close()
