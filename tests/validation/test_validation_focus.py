"""Batch mode: which nodes a batch makes focus nodes, for both engines."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kgthread.validation import ShapesGraph, validate

SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/ns#> .
ex:UnitShape a sh:NodeShape ;
    sh:targetClass ex:Unit ;
    sh:property [ sh:path ex:serial ; sh:minCount 1 ] ;
    sh:property [ sh:path [ sh:inversePath ex:hasComponent ] ; sh:maxCount 1 ] .
"""
EX = "http://example.org/ns#"
CONTEXT = """
@prefix ex: <http://example.org/ns#> .
ex:u1 a ex:Unit ; ex:serial "S1" .
ex:p1 a ex:Unit ; ex:serial "P1" ; ex:hasComponent ex:u1 .
ex:orphan a ex:Unit .
"""


@pytest.fixture
def shapes(tmp_path: Path) -> ShapesGraph:
    path = tmp_path / "units.ttl"
    path.write_text(SHAPES)
    return ShapesGraph.load([path])


def _store(batch: str, batch_graph: ox.NamedNode, context_graph: ox.NamedNode) -> ox.Store:
    store = ox.Store()
    store.load(CONTEXT.encode(), format=ox.RdfFormat.TURTLE, to_graph=context_graph)
    prefix = b"@prefix ex: <http://example.org/ns#> .\n"
    store.load(prefix + batch.encode(), format=ox.RdfFormat.TURTLE, to_graph=batch_graph)
    return store


@pytest.mark.parametrize("engine", ["native", "pyshacl"])
def test_second_parent_in_batch_makes_existing_unit_a_focus_node(
    shapes: ShapesGraph,
    engine: str,
    batch_graph: ox.NamedNode,
    context_graph: ox.NamedNode,
) -> None:
    store = _store(
        'ex:p2 a ex:Unit ; ex:serial "P2" ; ex:hasComponent ex:u1 .', batch_graph, context_graph
    )
    report = validate(store, shapes, focus_graph=batch_graph, engine=engine)  # type: ignore[arg-type]
    assert [(r.focus_node, r.result_path) for r in report.results] == [
        (f"<{EX}u1>", f"^<{EX}hasComponent>")
    ]
    assert report.results[0].value is None


@pytest.mark.parametrize("engine", ["native", "pyshacl"])
def test_context_only_nodes_are_not_reported(
    shapes: ShapesGraph,
    engine: str,
    batch_graph: ox.NamedNode,
    context_graph: ox.NamedNode,
) -> None:
    store = _store('ex:u9 a ex:Unit ; ex:serial "S9" .', batch_graph, context_graph)
    report = validate(store, shapes, focus_graph=batch_graph, engine=engine)  # type: ignore[arg-type]
    assert report.conforms, report.results  # ex:orphan (no serial) is context only
    assert report.focus_count == 1
    whole = validate(store, shapes, engine=engine)  # type: ignore[arg-type]
    assert {r.focus_node for r in whole.results} == {f"<{EX}orphan>"}


@pytest.mark.parametrize("engine", ["native", "pyshacl"])
def test_batch_subject_typed_only_in_context_is_validated(
    shapes: ShapesGraph,
    engine: str,
    batch_graph: ox.NamedNode,
    context_graph: ox.NamedNode,
) -> None:
    """The type may come from the store; the batch only has to touch the node."""
    store = _store('ex:orphan ex:note "touched" .', batch_graph, context_graph)
    report = validate(store, shapes, focus_graph=batch_graph, engine=engine)  # type: ignore[arg-type]
    assert [r.focus_node for r in report.results] == [f"<{EX}orphan>"]
    assert report.results[0].constraint_component.endswith("#MinCountConstraintComponent")


def test_validation_leaves_the_store_unchanged(
    shapes: ShapesGraph, batch_graph: ox.NamedNode, context_graph: ox.NamedNode
) -> None:
    store = _store("ex:p2 a ex:Unit .", batch_graph, context_graph)
    before = len(store)
    validate(store, shapes, focus_graph=batch_graph)
    assert len(store) == before
    assert set(store.named_graphs()) == {batch_graph, context_graph}
