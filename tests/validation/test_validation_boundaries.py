"""SHACL cardinalities, value ranges and lengths at their boundaries, through both engines:
one below, on, and one above every bound (inclusive and exclusive), so an engine that made a
bound exclusive, inclusive or ignored it fails here."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kgthread.validation import ShapesGraph, validate

SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/b#> .
ex:Count a sh:NodeShape ; sh:targetClass ex:C ;
  sh:property [ sh:path ex:v ; sh:minCount 2 ; sh:maxCount 3 ] .
ex:Inclusive a sh:NodeShape ; sh:targetClass ex:I ;
  sh:property [ sh:path ex:n ; sh:minInclusive 10 ; sh:maxInclusive 20 ] .
ex:Exclusive a sh:NodeShape ; sh:targetClass ex:E ;
  sh:property [ sh:path ex:n ; sh:minExclusive 10 ; sh:maxExclusive 20 ] .
ex:Length a sh:NodeShape ; sh:targetClass ex:L ;
  sh:property [ sh:path ex:s ; sh:minLength 2 ; sh:maxLength 4 ] .
ex:Inverse a sh:NodeShape ; sh:targetClass ex:P ;
  sh:property [ sh:path [ sh:inversePath ex:child ] ; sh:maxCount 1 ] .
"""
EX = "http://example.org/b#"
ENGINES = ["native", "pyshacl"]


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> ShapesGraph:
    path = tmp_path_factory.mktemp("shapes") / "bounds.ttl"
    path.write_text(SHAPES, encoding="utf-8")
    return ShapesGraph.load([Path(path)])


def _conforms(shapes: ShapesGraph, engine: str, turtle: str) -> tuple[bool, set[str]]:
    store = ox.Store()
    store.load(f"@prefix ex: <{EX}> .\n{turtle}".encode(), format=ox.RdfFormat.TURTLE)
    report = validate(store, shapes, engine=engine)
    components = {r.constraint_component.rsplit("#", 1)[1] for r in report.results}
    return report.conforms, components


def _values(name: str, count: int) -> str:
    objects = ", ".join(f'"{n}"' for n in range(count)) if count else None
    return f"ex:x a ex:{name} ." + (f" ex:x ex:v {objects} ." if objects else "")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("count", "failing"),
    [
        (0, {"MinCountConstraintComponent"}),
        (1, {"MinCountConstraintComponent"}),
        (2, set()),
        (3, set()),
        (4, {"MaxCountConstraintComponent"}),
    ],
)
def test_cardinality(shapes: ShapesGraph, engine: str, count: int, failing: set[str]) -> None:
    conforms, components = _conforms(shapes, engine, _values("C", count))
    assert components == failing
    assert conforms is not failing


RANGES = [
    ("I", "9", False),
    ("I", "10", True),
    ("I", "10.5", True),
    ("I", "20", True),
    ("I", "20.0001", False),
    ("I", "9.9999", False),
    ("E", "10", False),
    ("E", "10.0001", True),
    ("E", "19.9999", True),
    ("E", "20", False),
    ("E", "9", False),
    ("E", "21", False),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("shape", "value", "expected"), RANGES)
def test_value_range(
    shapes: ShapesGraph, engine: str, shape: str, value: str, expected: bool
) -> None:
    conforms, _ = _conforms(shapes, engine, f"ex:x a ex:{shape} ; ex:n {value} .")
    assert conforms is expected


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("text", "expected"), [("a", False), ("ab", True), ("abcd", True), ("abcde", False)]
)
def test_length(shapes: ShapesGraph, engine: str, text: str, expected: bool) -> None:
    conforms, _ = _conforms(shapes, engine, f'ex:x a ex:L ; ex:s "{text}" .')
    assert conforms is expected


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("parents", "expected"), [(0, True), (1, True), (2, False)])
def test_inverse_cardinality(
    shapes: ShapesGraph, engine: str, parents: int, expected: bool
) -> None:
    data = "ex:x a ex:P ." + "".join(f" ex:p{n} ex:child ex:x ." for n in range(parents))
    conforms, _ = _conforms(shapes, engine, data)
    assert conforms is expected
