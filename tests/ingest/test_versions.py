"""Truth under change, on a real CAD assembly: a fact is counted once however many batches
assert it, a re-export replaces its earlier version (kept as history), and a retry is
recognised by its key only. The oracle is steputils' reading of each file, not kgthread's."""

from __future__ import annotations

import dataclasses
import re
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat

from ingest.step.truth import step_dir, steputils_structure
from kgthread import history, ids, lineage, queries, vocab
from kgthread.errors import BadRequest, Conflict, ValidationFailed
from kgthread.gate import Gate
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.batch import Batch
from kgthread.ingest.pipeline import CommitResult, Pipeline
from kgthread.ingest.step.adapter import StepAdapter
from kgthread.store.base import CATALOG_GRAPH
from kgthread.store.embedded import EmbeddedStore

AS1 = "cax-if-ap214/as1-oc-214.stp"
NAME = "as1-oc-214.stp"
_NQ = RdfFormat.N_QUADS


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore.open(tmp_path / "store")
    yield opened
    opened.close()


@pytest.fixture
def pipeline(store: EmbeddedStore) -> Pipeline:
    return Pipeline(store, Gate.default())


def _variant(tmp_path: Path, label: str, edit: object = None) -> Path:
    """A copy of AS1 under its own file name (the same document), edited by ``edit``."""
    folder = tmp_path / label
    folder.mkdir()
    target = folder / NAME
    shutil.copyfile(step_dir() / AS1, target)
    if callable(edit):
        target.write_text(edit(target.read_text(encoding="latin-1")), encoding="latin-1")
    return target


def _new_time_stamp(text: str) -> str:
    return text.replace("'2008-07-24T15:00:20'", "'2026-12-07T09:30:00'", 1)


def _renumbered(text: str) -> str:
    """Every instance renumbered and every usage given a new occurrence id, as another
    export of the same assembly would write it."""
    text = re.sub(r"#(\d+)", lambda m: f"#{int(m.group(1)) + 70000}", text)
    return re.sub(
        r"NEXT_ASSEMBLY_USAGE_OCCURRENCE\('(\d+)'", r"NEXT_ASSEMBLY_USAGE_OCCURRENCE('occ-\1'", text
    )


def _without_nut_2(text: str) -> str:
    """A re-export in which the second nut of the rod assembly was deleted."""
    line = "NEXT_ASSEMBLY_USAGE_OCCURRENCE('2','nut_2','',#39,#742,$);"
    assert line in text
    return text.replace(line, "DESCRIPTIVE_REPRESENTATION_ITEM('removed','usage');")


def _ingest(pipeline: Pipeline, path: Path, **options: object) -> CommitResult:
    (batch,) = StepAdapter().batches([path], IngestOptions(agent="test", **options))  # type: ignore[arg-type]
    return pipeline.ingest(batch)


def _one_batch(path: Path) -> Batch:
    (batch,) = StepAdapter().batches([path], IngestOptions(agent="test"))
    return batch


def _exploded(path: Path) -> dict[str, Decimal]:
    """The root's exploded BOM from steputils' edges: quantities multiplied down the levels."""
    structure = steputils_structure(path)
    children: dict[str, Counter[str]] = {}
    for (parent, child), count in structure.edges.items():
        children.setdefault(parent, Counter())[child] += count
    (root,) = {p for p, _ in structure.edges} - {c for _, c in structure.edges}
    totals: Counter[str] = Counter()

    def walk(part: str, factor: int) -> None:
        for child, count in children.get(part, Counter()).items():
            totals[child] += factor * count
            walk(child, factor * count)

    walk(root, 1)
    return {child: Decimal(total) for child, total in totals.items()}


def _root_revision(store: EmbeddedStore, path: Path) -> NamedNode:
    structure = steputils_structure(path)
    (root,) = {p for p, _ in structure.edges} - {c for _, c in structure.edges}
    (revision,) = {q.subject for q in store.quads(None, vocab.REVISION_OF, ids.part(root))}
    assert isinstance(revision, NamedNode)
    return revision


def _bom(store: EmbeddedStore, revision: NamedNode) -> dict[str, Decimal]:
    table = lineage.run(store, queries.get("bom"), {"revision": revision.value})
    return {ids.parse(row["child"]).keys[0]: Decimal(row["quantity"].value) for row in table.rows}


def _count(store: EmbeddedStore, sparql: str) -> int:
    (row,) = list(store.query(sparql))  # type: ignore[arg-type]
    return int(row["n"].value)


PARTS = "PREFIX kgt: <https://w3id.org/kgthread/ns#> SELECT (COUNT(?p) AS ?n) { ?p a kgt:Part }"
NUT_TOTAL = (
    "PREFIX kgt: <https://w3id.org/kgthread/ns#> "
    "SELECT ?part (SUM(?q) AS ?n) { ?u kgt:usageChild ?part ; kgt:quantity ?q } GROUP BY ?part"
)
USAGES = (
    "PREFIX kgt: <https://w3id.org/kgthread/ns#> "
    "SELECT (COUNT(?u) AS ?n) { ?u a kgt:AssemblyUsage }"
)


def test_re_exports_replace_the_structure_and_keep_the_old_one_as_history(
    pipeline: Pipeline, store: EmbeddedStore, tmp_path: Path
) -> None:
    original = _variant(tmp_path, "v1")
    truth = _exploded(original)
    assert truth["nut"] == 8
    assert truth["bolt"] == 6
    first = _ingest(pipeline, original)
    assert first.status == "committed"
    assert first.version == 1
    revision = _root_revision(store, original)
    assert _bom(store, revision) == truth
    parts = _count(store, PARTS)
    assert parts == len(steputils_structure(original).parts)

    for label, edit in [("stamp", _new_time_stamp), ("renumbered", _renumbered)]:
        again = _ingest(pipeline, _variant(tmp_path, label, edit))
        assert again.status == "committed"
        assert again.superseded is not None
        assert _bom(store, revision) == truth, label
        assert _count(store, PARTS) == parts, label
        assert _count(store, USAGES) == steputils_structure(original).usages, label

    dropped = _variant(tmp_path, "dropped", _without_nut_2)
    result = _ingest(pipeline, dropped)
    assert result.version == 4
    expected = _exploded(dropped)
    assert expected["nut"] == truth["nut"] - 1
    assert _bom(store, revision) == expected
    # The version that still had the nut is history: kept, readable by name, not current.
    history = store.history
    assert len(history) == 3
    assert first.graph in history
    nut = ids.part("nut")
    old = {q.subject for q in store.quads(None, vocab.USAGE_CHILD, nut, first.graph)}
    now = {q.subject for q in store.quads(None, vocab.USAGE_CHILD, nut)}
    assert old
    assert now
    old_total = sum(
        Decimal(q.object.value)
        for u in old
        for q in store.quads(u, vocab.QUANTITY, None, first.graph)
    )
    nut_edges = [
        c for (_, child), c in steputils_structure(original).edges.items() if child == "nut"
    ]
    assert old_total == sum(nut_edges)
    (row,) = list(store.query(NUT_TOTAL, substitutions={"part": nut}))  # type: ignore[arg-type]
    assert Decimal(row["n"].value) == old_total - 1


def test_the_same_version_again_is_acknowledged_unchanged(
    pipeline: Pipeline, store: EmbeddedStore, tmp_path: Path
) -> None:
    path = _variant(tmp_path, "v1")
    first = _ingest(pipeline, path)
    again = _ingest(pipeline, path)
    assert again.status == "unchanged"
    assert again.graph == first.graph
    # Unchanged only while the graph still holds what it wrote: after an edit, applied.
    some = next(iter(store.quads(graph=first.graph)))
    store.drop_graph(first.graph)
    assert not list(store.quads(graph=first.graph))
    assert some.triple not in {q.triple for q in store.quads()}
    restored = _ingest(pipeline, path)
    assert restored.status == "committed"


def test_a_fact_asserted_by_several_batches_is_counted_once(
    pipeline: Pipeline, store: EmbeddedStore, tmp_path: Path
) -> None:
    path = _variant(tmp_path, "v1")
    truth = _exploded(path)
    first = _ingest(pipeline, path)
    # The same content as two other documents (a PDM vault copy, a PLM export): three
    # batches assert every statement of the assembly.
    second, third = (
        pipeline.ingest(dataclasses.replace(_one_batch(path), document=name))
        for name in ("pdm vault copy", "plm export")
    )
    assert second.status == third.status == "committed"
    assert second.superseded is None
    assert third.superseded is None
    graphs = {q.graph_name for q in store.quads(predicate=vocab.USAGE_CHILD)}
    assert {first.graph, second.graph, third.graph} <= graphs
    revision = _root_revision(store, path)
    assert _bom(store, revision) == truth  # 6 bolts, not 18
    assert _count(store, PARTS) == len(steputils_structure(path).parts)
    total = (
        "PREFIX kgt: <https://w3id.org/kgthread/ns#> "
        "SELECT (SUM(?q) AS ?n) { ?u kgt:usageChild ?c ; kgt:quantity ?q }"
    )
    assert _count(store, total) == steputils_structure(path).usages
    # Provenance still shows every batch asserting a fact.
    graph_rows = store.query(
        "SELECT DISTINCT ?g { GRAPH ?g { ?u <https://w3id.org/kgthread/ns#usageChild> ?c } }"
    )
    named = {row["g"] for row in graph_rows}  # type: ignore[union-attr]
    assert {first.graph, second.graph, third.graph} <= named
    # Dropping one asserting batch leaves the fact; dropping all removes it.
    store.drop_graph(second.graph)
    store.drop_graph(third.graph)
    assert _bom(store, revision) == truth
    store.drop_graph(first.graph)
    assert _count(store, PARTS) == 0


def test_same_key_same_content_is_one_batch_other_content_is_a_conflict(
    pipeline: Pipeline, store: EmbeddedStore, tmp_path: Path
) -> None:
    path = _variant(tmp_path, "v1")
    first = _ingest(pipeline, path, batch_id="plm-2026-12-07")
    retry = _ingest(pipeline, path, batch_id="plm-2026-12-07")
    assert (first.status, retry.status) == ("committed", "duplicate")
    before = store.dump(None, _NQ)
    other = _variant(tmp_path, "v2", _without_nut_2)
    with pytest.raises(Conflict) as raised:
        _ingest(pipeline, other, batch_id="plm-2026-12-07")
    assert raised.value.status == 409
    assert store.dump(None, _NQ) == before
    keys = list(store.quads(None, vocab.IDEMPOTENCY_KEY, Literal("plm-2026-12-07"), CATALOG_GRAPH))
    assert len(keys) == 1


def test_append_sources_never_replace(
    pipeline: Pipeline, store: EmbeddedStore, tmp_path: Path
) -> None:
    path = _variant(tmp_path, "v1")
    (batch,) = StepAdapter().batches([path], IngestOptions())
    first = pipeline.ingest(_appending(batch))
    second = pipeline.ingest(_appending(next(iter(StepAdapter().batches([path], IngestOptions())))))
    assert first.status == second.status == "committed"
    assert second.superseded is None
    assert not store.history


def _appending(batch: Batch) -> Batch:
    return dataclasses.replace(batch, append=True)


def test_as_of_answers_with_the_versions_current_then(
    pipeline: Pipeline, store: EmbeddedStore, tmp_path: Path
) -> None:
    original = _variant(tmp_path, "v1")
    before_any = datetime.now(UTC)
    time.sleep(0.01)
    first = _ingest(pipeline, original)
    between = datetime.now(UTC)
    time.sleep(0.01)
    dropped = _variant(tmp_path, "v2", _without_nut_2)
    second = _ingest(pipeline, dropped)
    revision = _root_revision(store, original)
    assert _bom(store, revision) == _exploded(dropped)
    with closing(history.store_at(store, between)) as then:
        assert _bom(then, revision) == _exploded(original)
        assert _count(then, PARTS) == len(steputils_structure(original).parts)
    with closing(history.store_at(store, datetime.now(UTC))) as now:
        assert _bom(now, revision) == _exploded(dropped)
    with pytest.raises(BadRequest, match="before the first batch"):
        history.store_at(store, before_any)
    with pytest.raises(BadRequest, match="not a date"):
        history.parse_moment("yesterday")
    # What changed between the versions, through the named query.
    (version_of,) = {q.object for q in store.quads(None, vocab.VERSION_OF, None, CATALOG_GRAPH)}
    assert isinstance(version_of, NamedNode)
    diff = lineage.run(
        store,
        queries.get("document-diff"),
        {"document": version_of.value, "older": "1", "newer": "2"},
    )
    changes = Counter(row["change"].value for row in diff.rows)
    removed = {
        (str(r["subject"]), str(r["predicate"]))
        for r in diff.rows
        if r["change"].value == "removed"
    }
    assert changes["removed"] >= 1
    nut_usages = {
        str(q.subject) for q in store.quads(None, vocab.USAGE_CHILD, ids.part("nut"), first.graph)
    }
    assert any(s in nut_usages and p == str(vocab.QUANTITY) for s, p in removed)
    versions = lineage.run(store, queries.get("document-versions"), {"document": version_of.value})
    assert [(r["version"].value, r["current"].value) for r in versions.rows] == [
        ("2", "true"),
        ("1", "false"),
    ]
    assert versions.rows[1]["supersededBy"] == ids.batch(second.batch_id)


def test_a_new_version_that_violates_the_shapes_is_refused_and_the_old_stays_current(
    pipeline: Pipeline, store: EmbeddedStore, tmp_path: Path
) -> None:
    original = _variant(tmp_path, "v1")
    first = _ingest(pipeline, original)
    before = store.dump(None, _NQ)
    # A re-export whose mapping lost every part number: each part breaks its shape.
    batch = _one_batch(_variant(tmp_path, "v2", _new_time_stamp))
    bad = dataclasses.replace(
        batch, triples=[t for t in batch.triples if t.predicate != vocab.PART_NUMBER]
    )
    with pytest.raises(ValidationFailed):
        pipeline.ingest(bad)
    assert store.dump(None, _NQ) == before
    assert store.history == frozenset()
    (document,) = {q.object for q in store.quads(None, vocab.VERSION_OF, None, CATALOG_GRAPH)}
    listed = lineage.run(store, queries.get("documents"), {"system": "step"})
    assert [(r["documentId"].value, r["versions"].value) for r in listed.rows] == [
        ("as1-oc-214.stp", "1")
    ]
    assert listed.rows[0]["current"] == ids.batch(first.batch_id)
    assert listed.rows[0]["document"] == document
