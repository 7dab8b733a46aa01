"""The gate's context from the store: the types behind a focus node's stored links.

A batch that only links two stored units makes the parent a focus node, so its stored
statements are checked again; the sh:class checks on them need the types of nodes the
batch never mentions (the parent's revision), which the gate must fetch too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, Triple

from backends.stores import BACKENDS, open_backend
from factories import built_into, product, unit
from kgthread import ids, vocab
from kgthread.errors import ValidationFailed
from kgthread.gate import Gate
from kgthread.ingest.batch import Batch, Source, provenance
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.base import GraphStore
from kgthread.store.embedded import EmbeddedStore
from kgthread.validation import ShapesGraph
from kgthread.validation.shapes import PropertyPath

SHAPES = "https://w3id.org/kgthread/shapes#"
SH = "http://www.w3.org/ns/shacl#"
PARENT, CHILD = ids.unit("P", "1"), ids.unit("C", "1")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    opened = open_backend(request, request.param, tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def pipeline(store: GraphStore) -> Pipeline:
    return Pipeline(store, Gate.default())


def _batch(triples: list[Triple], name: str) -> Batch:
    data = "\n".join(str(t) for t in triples).encode()
    return Batch("test", "1", [Source.of_bytes(name, data)], triples=triples)


def _commit_ungated(store: GraphStore, triples: list[Triple], name: str) -> None:
    """Data that reached the store without the gate (an older shapes version, a bulk load)."""
    batch = _batch(triples, name)
    store.commit(batch.graph, triples, provenance(batch, len(triples), datetime.now(UTC)))


def _refusal(pipeline: Pipeline, triples: list[Triple]) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as info:
        pipeline.ingest(_batch(triples, "link.csv"))
    results: list[dict[str, str]] = info.value.detail["report"]["results"]
    return results


def test_linking_two_stored_units_is_accepted(pipeline: Pipeline, store: GraphStore) -> None:
    setup = product("P") + product("C") + unit("P", "A", "1") + unit("C", "A", "1")
    pipeline.ingest(_batch(setup, "units.csv"))
    link = Triple(PARENT, vocab.HAS_COMPONENT, CHILD)
    # Neither revision is mentioned: the parent's stored unitOfRevision is checked with
    # the revision's stored type.
    assert pipeline.ingest(_batch([link], "link.csv")).status == "committed"
    assert list(store.quads(PARENT, vocab.HAS_COMPONENT, CHILD))


def test_a_stored_link_to_a_node_of_the_wrong_class_is_still_refused(
    pipeline: Pipeline, store: GraphStore
) -> None:
    wrong = ids.part_revision("P", "B")
    pipeline.ingest(_batch(product("P") + product("C") + unit("C", "A", "1"), "design.csv"))
    # The parent's revision is stored typed as a part, not a revision.
    bad = [Triple(wrong, vocab.RDF_TYPE, vocab.PART), *unit("P", "B", "1")]
    _commit_ungated(store, bad, "legacy.nt")
    results = _refusal(pipeline, [Triple(PARENT, vocab.HAS_COMPONENT, CHILD)])
    assert {(r["focusNode"], r["sourceShape"], r["value"]) for r in results} == {
        (str(PARENT), SHAPES + "SerializedUnit-unitOfRevision", str(wrong))
    }
    assert results[0]["sourceConstraintComponent"] == SH + "ClassConstraintComponent"
    assert not list(store.quads(PARENT, vocab.HAS_COMPONENT, CHILD))


def test_the_stored_parent_of_a_unit_counts_with_its_type(pipeline: Pipeline) -> None:
    """A second parent breaks the maximum count, and only that: the first parent's type is
    in the context, so it is not also reported as not being a unit."""
    first, second = PARENT, ids.unit("P", "2")
    setup = product("P") + product("C") + unit("P", "A", "1") + unit("C", "A", "1")
    pipeline.ingest(_batch(setup + built_into(first, CHILD), "build-1.csv"))
    second_unit = unit("P", "A", "2")
    pipeline.ingest(_batch(second_unit, "unit-2.csv"))
    results = _refusal(pipeline, [Triple(second, vocab.HAS_COMPONENT, CHILD)])
    assert {
        (r["focusNode"], r["sourceShape"], r["sourceConstraintComponent"]) for r in results
    } == {(str(CHILD), SHAPES + "SerializedUnit-builtInto", SH + "MaxCountConstraintComponent")}


def test_a_type_in_a_graph_being_replaced_does_not_count(tmp_path: Path) -> None:
    store = EmbeddedStore.open(tmp_path / "store")
    try:
        pipeline = Pipeline(store, Gate.default())
        design = _batch(product("P"), "design.csv")
        pipeline.ingest(design)
        pipeline.ingest(_batch(product("C") + unit("P", "A", "1") + unit("C", "A", "1"), "u.csv"))
        link = [Triple(PARENT, vocab.HAS_COMPONENT, CHILD)]
        gate = Gate.default()
        assert gate.check_triples(link, store).report.conforms
        # Without the design graph, the parent's revision has no type.
        report = gate.check_triples(link, store, ignore=[design.graph]).report
        assert {r.source_shape for r in report.results} == {
            SHAPES + "SerializedUnit-unitOfRevision"
        }

    finally:
        store.close()


def test_class_constrained_paths_cover_forward_and_inverse_class_checks() -> None:
    paths = ShapesGraph.default().class_constrained_paths
    assert PropertyPath(vocab.UNIT_OF_REVISION, inverse=False) in paths
    assert PropertyPath(vocab.HAS_COMPONENT, inverse=True) in paths
    assert PropertyPath(vocab.SERIAL_NUMBER, inverse=False) not in paths


def test_a_class_check_through_a_node_shape_counts() -> None:
    kgt = "https://w3id.org/kgthread/ns#"
    shape, nested = NamedNode("urn:test:shape"), NamedNode("urn:test:nested")
    path = NamedNode(kgt + "linkedTo")
    triples = [
        Triple(shape, vocab.RDF_TYPE, NamedNode(SH + "PropertyShape")),
        Triple(shape, NamedNode(SH + "path"), path),
        Triple(shape, NamedNode(SH + "node"), nested),
        Triple(nested, NamedNode(SH + "class"), NamedNode(kgt + "Part")),
    ]
    assert ShapesGraph(triples).class_constrained_paths == {PropertyPath(path, inverse=False)}
    assert not ShapesGraph(triples[:3]).class_constrained_paths
