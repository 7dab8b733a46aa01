"""The inferred graph: built batch by batch through the pipeline, it equals the generator's
ground truth and a full recomputation, survives reopening, and every triple is explained."""

from __future__ import annotations

import itertools
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import NamedNode, QuerySolutions, Triple

from kgthread import ids, queries, vocab
from kgthread.errors import Forbidden
from kgthread.gate import Gate
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.rdf_files import batch_from_file
from kgthread.reasoning import INFERRED_GRAPH, Reasoner, explain, materialise
from kgthread.reasoning.explain import CONTAINS_RULE, SUBCLASS_RULE, SUBPROPERTY_RULE
from kgthread.reasoning.maintain import REASONER_ACTIVITY, is_complete
from kgthread.sample import generate
from kgthread.store.base import CATALOG_GRAPH
from kgthread.store.embedded import EmbeddedStore
from kgthread.validation import ShapesGraph

CHUNKS = 4
PROV_WAS_DERIVED_FROM = NamedNode(vocab.PROV_NS + "wasDerivedFrom")
Loaded = tuple[EmbeddedStore, dict[str, Any], Path]


def split_by_subject(source: Path, folder: Path) -> list[Path]:
    """N-Triples chunks keyed by a hash of the subject: a unit's edges land in one batch and
    its components' and parents' edges in others, in no particular order."""
    handles = [(folder / f"chunk{i}.nt").open("w", encoding="utf-8") for i in range(CHUNKS)]
    with source.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                subject = line.split(" ", 1)[0]
                handles[zlib.crc32(subject.encode()) % CHUNKS].write(line)
    for handle in handles:
        handle.close()
    return [folder / f"chunk{i}.nt" for i in range(CHUNKS)]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    folder = tmp_path_factory.mktemp("reasoning")
    summary = generate(10_000, 5, folder / "factory.nt")
    store = EmbeddedStore.open(folder / "store")
    # The gate is not under test and cannot see ahead to later chunks: no shapes here.
    pipeline = Pipeline(store, Gate(ShapesGraph([])), reasoner=Reasoner())
    for i, chunk in enumerate(split_by_subject(folder / "factory.nt", folder)):
        # Half the chunks parsed in memory, half on the store's bulk path.
        threshold = 0 if i % 2 else 1 << 40
        pipeline.ingest(batch_from_file(chunk, bulk_threshold=threshold))
    yield store, json.loads(Path(summary.truth).read_text(encoding="utf-8")), folder
    store.close()


def contains(store: EmbeddedStore) -> set[tuple[str, str]]:
    return {
        (q.subject.value, q.object.value)
        for q in store.quads(None, vocab.CONTAINS, None, INFERRED_GRAPH)
        if isinstance(q.subject, NamedNode) and isinstance(q.object, NamedNode)
    }


def test_inferred_genealogy_equals_the_ground_truth(loaded: Loaded) -> None:
    store, truth, _ = loaded
    pairs = contains(store)
    assert truth["lots"]
    assert truth["top_units"]
    for lot in truth["lots"]:
        found = {a for a, d in pairs if d == lot["lot"]}
        assert found == set(lot["contained_in"]), lot["lot"]
    for top in truth["top_units"]:
        found = {d for a, d in pairs if a == top["unit"]}
        assert found == {d["item"] for d in top["descendants"]}, top["unit"]


def test_incremental_equals_full_materialisation(loaded: Loaded) -> None:
    store, _, _ = loaded
    full = {(q.subject, q.predicate, q.object) for q in materialise(store)}
    kept = {
        (q.subject, q.predicate, q.object) for q in store.quads(None, None, None, INFERRED_GRAPH)
    }
    assert kept == full
    assert len(full) == len(materialise(store))  # no duplicates from a full run


def test_typing_and_subproperties_are_entailed(loaded: Loaded) -> None:
    store, truth, _ = loaded
    unit = NamedNode(truth["top_units"][0]["unit"])
    types = {q.object for q in store.quads(unit, vocab.RDF_TYPE, None, INFERRED_GRAPH)}
    assert {vocab.TRACKED_ITEM, vocab.PROV_ENTITY} <= types
    assert vocab.SERIALIZED_UNIT not in types  # asserted, not entailed
    child = next(store.quads(unit, vocab.HAS_COMPONENT, None)).object
    assert any(store.quads(unit, PROV_WAS_DERIVED_FROM, child, INFERRED_GRAPH))


def test_every_contains_is_explained_by_an_asserted_path(loaded: Loaded) -> None:
    store, truth, _ = loaded
    for lot in truth["lots"][:5]:
        for container in lot["contained_in"]:
            why = explain(store, NamedNode(container), vocab.CONTAINS, NamedNode(lot["lot"]))
            assert why is not None
            assert why.rule == CONTAINS_RULE
            path = why.premises
            assert path[0].subject.value == container
            assert path[-1].object.value == lot["lot"]
            for edge, after in itertools.pairwise(path):
                assert edge.object == after.subject
            for edge in path:
                assert edge.predicate == vocab.HAS_COMPONENT
                assert edge.graph_name != INFERRED_GRAPH
                assert any(store.quads(edge.subject, edge.predicate, edge.object, edge.graph_name))
            assert why.to_json()["premises"][0]["predicate"] == vocab.HAS_COMPONENT.value


def test_typing_and_subproperty_explanations(loaded: Loaded) -> None:
    store, truth, _ = loaded
    unit = NamedNode(truth["top_units"][0]["unit"])
    why = explain(store, unit, vocab.RDF_TYPE, vocab.PROV_ENTITY)
    assert why is not None
    assert why.rule == SUBCLASS_RULE
    assert why.premises[0].object == vocab.SERIALIZED_UNIT
    assert [t.object for t in why.axioms] == [vocab.TRACKED_ITEM, vocab.PROV_ENTITY]
    child = next(store.quads(unit, vocab.HAS_COMPONENT, None)).object
    derived = explain(store, unit, PROV_WAS_DERIVED_FROM, child)
    assert derived is not None
    assert derived.rule == SUBPROPERTY_RULE
    assert explain(store, unit, vocab.CONTAINS, unit) is None


def test_named_query_recall_inferred_matches_recall(loaded: Loaded) -> None:
    store, truth, _ = loaded

    def units(name: str, item: str) -> set[tuple[str, ...]]:
        result = queries.get(name).run(store, {"item": item})
        assert isinstance(result, QuerySolutions)
        return {tuple(str(row[v]) for v in result.variables) for row in result}

    for lot in truth["lots"]:
        assert units("recall-inferred", lot["lot"]) == units("recall", lot["lot"])


def test_default_graph_includes_inferred_and_from_excludes_it(loaded: Loaded) -> None:
    store, truth, _ = loaded
    lot = truth["lots"][0]["lot"]
    text = "PREFIX kgt: <https://w3id.org/kgthread/ns#> SELECT ?u ?lot { ?u kgt:contains ?lot }"
    union = store.query(text, substitutions={"lot": NamedNode(lot)})
    assert isinstance(union, QuerySolutions)
    assert {row["u"].value for row in union} == set(truth["lots"][0]["contained_in"])
    asserted = [g for g in store.graph_names() if g != INFERRED_GRAPH]
    only = store.query(text, substitutions={"lot": NamedNode(lot)}, default_graph=asserted)
    assert isinstance(only, QuerySolutions)
    assert list(only) == []


def test_inferred_graph_survives_reopening(tmp_path: Path) -> None:
    store = EmbeddedStore.open(tmp_path / "store")
    pipeline = Pipeline(store, Gate(ShapesGraph([])), reasoner=Reasoner())
    a, b, c = (ids.unit("P", s) for s in "abc")
    triples = [Triple(a, vocab.HAS_COMPONENT, b), Triple(b, vocab.HAS_COMPONENT, c)]
    pipeline.ingest(Batch("test", "1", [Source.of_bytes("x", b"x")], triples=triples))
    store.close()
    reopened = EmbeddedStore.open(tmp_path / "store")
    try:
        assert INFERRED_GRAPH not in reopened.recovered_graphs
        assert contains(reopened) == {(a.value, b.value), (b.value, c.value), (a.value, c.value)}
    finally:
        reopened.close()


def test_replacing_batch_rebuilds_and_reserved_graph_is_refused(tmp_path: Path) -> None:
    store = EmbeddedStore.open(tmp_path / "store")
    pipeline = Pipeline(store, Gate(ShapesGraph([])), reasoner=Reasoner())
    a, b, c = (ids.unit("P", s) for s in "abc")
    source = [Source.of_bytes("x", b"x")]
    first = [Triple(a, vocab.HAS_COMPONENT, b), Triple(b, vocab.HAS_COMPONENT, c)]
    pipeline.ingest(Batch("test", "1", source, triples=first, batch_id="one"))
    again = [Triple(a, vocab.HAS_COMPONENT, b)]
    pipeline.ingest(Batch("test", "1", source, triples=again, batch_id="one", replace=True))
    assert contains(store) == {(a.value, b.value)}
    with pytest.raises(Forbidden):  # the reasoner's own graph: no client writes it
        pipeline.ingest(Batch("test", "1", source, triples=again, batch_id="inferred"))
    store.close()


def test_later_batches_are_incremental_and_a_cut_short_rebuild_is_redone(tmp_path: Path) -> None:
    store = EmbeddedStore.open(tmp_path / "store")
    reasoner = Reasoner()
    a, b, c = (ids.unit("P", s) for s in "abc")
    source = [Source.of_bytes("x", b"x")]
    batches = [
        Batch("t", "1", source, triples=[Triple(b, vocab.HAS_COMPONENT, c)], batch_id="one"),
        Batch("t", "1", source, triples=[Triple(a, vocab.HAS_COMPONENT, b)], batch_id="two"),
    ]
    store.commit(batches[0].graph, batches[0].triples, provenance(batches[0]))
    assert reasoner.after_commit(store, batches[0]).rebuilt  # nothing to build on yet
    store.commit(batches[1].graph, batches[1].triples, provenance(batches[1]))
    step = reasoner.after_commit(store, batches[1])
    assert not step.rebuilt
    assert step.inferred == 2 + 1  # a contains b, a contains c; a prov:wasDerivedFrom b
    assert is_complete(store)
    # A rebuild cut short: quads written, catalog entry not yet.
    entry = [q.triple for q in store.quads(REASONER_ACTIVITY, None, None, CATALOG_GRAPH)]
    store.drop_graph(ids.batch_graph("none"), entry)
    store.close()
    reopened = EmbeddedStore.open(tmp_path / "store")
    try:
        assert INFERRED_GRAPH in reopened.recovered_graphs
        assert not is_complete(reopened)
    finally:
        reopened.close()


def provenance(batch: Batch) -> list[Triple]:
    return [Triple(batch.activity, vocab.TARGET_GRAPH, batch.graph)]
