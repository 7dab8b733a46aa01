"""Shapes the native engine refuses, and shapes files that do not parse."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kgthread.errors import BadRequest, RdfSyntaxError
from kgthread.validation import ShapesGraph, validate
from kgthread.vocab import RDF_TYPE

EX = "http://example.org/ns#"

XONE = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/ns#> .
ex:S a sh:NodeShape ; sh:targetClass ex:C ;
    sh:xone ( [ sh:path ex:a ; sh:minCount 1 ] [ sh:path ex:b ; sh:minCount 1 ] ) .
"""


def test_unsupported_feature_is_named_and_pyshacl_still_runs(tmp_path: Path) -> None:
    path = tmp_path / "xone.ttl"
    path.write_text(XONE)
    shapes = ShapesGraph.load([path])  # loading succeeds: pyshacl can run it
    assert shapes.unsupported_features() == [
        "unsupported: sh:xone in shape <http://example.org/ns#S>"
    ]
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://example.org/ns#x"), RDF_TYPE, ox.NamedNode(EX + "C")))
    with pytest.raises(
        BadRequest, match=r"unsupported: sh:xone in shape .*; use gate_engine=pyshacl"
    ):
        validate(store, shapes)
    report = validate(store, shapes, engine="pyshacl")
    assert [r.constraint_component for r in report.results] == [
        "http://www.w3.org/ns/shacl#XoneConstraintComponent"
    ]


def test_complex_path_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "seq.ttl"
    path.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/ns#> .\n"
        "ex:S a sh:NodeShape ; sh:targetClass ex:C ;\n"
        "  sh:property [ sh:path ( ex:a ex:b ) ; sh:minCount 1 ] .\n"
    )
    [problem] = ShapesGraph.load([path]).unsupported_features()
    assert "sh:path" in problem
    assert "not a predicate" in problem


def test_broken_shapes_file_names_file_and_line(tmp_path: Path) -> None:
    good = tmp_path / "good.ttl"
    good.write_text(XONE)
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://example.org/ns#> .\nex:a ex:b ex:c .\nex:a ex:b "open .\n')
    with pytest.raises(RdfSyntaxError) as caught:
        ShapesGraph.load([good, bad])
    assert isinstance(caught.value, BadRequest)
    assert str(bad) in caught.value.message
    assert "line 3" in caught.value.message
    assert caught.value.detail["file"] == str(bad)
    assert caught.value.detail["line"] == 3


def test_missing_shapes_file_is_a_bad_request(tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match=r"absent\.ttl"):
        ShapesGraph.load([tmp_path / "absent.ttl"])


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(BadRequest, match="unknown validation engine"):
        validate(ox.Store(), ShapesGraph([]), engine="jena")  # type: ignore[arg-type]
