"""The native engine's Python value semantics against Oxigraph's own SPARQL evaluation.

``values`` answers ``<``, REGEX and the datatype test in Python for common forms and asks
Oxigraph for the rest; here every answer is compared with Oxigraph's on literals stored
through a ``Store`` (so valid ones are canonical and ill-typed ones kept as written, as
data reaches the engine).
"""

from __future__ import annotations

import itertools

import pyoxigraph as ox
import pytest

from kgthread.validation import values
from kgthread.vocab import XSD_NS

X = XSD_NS
RAW: list[tuple[str, str | None]] = [
    ("0", "integer"),
    ("-7", "integer"),
    ("+12", "integer"),
    ("007", "integer"),
    ("99999999999999999999", "integer"),
    ("abc", "integer"),
    (" 5", "integer"),
    ("2.5", "decimal"),
    ("-0.50", "decimal"),
    ("7", "decimal"),
    ("1.0000000000000000000001", "decimal"),
    ("123456789012345678901234567890", "decimal"),
    ("1e3", "double"),
    ("-0.0000001", "double"),
    ("INF", "double"),
    ("NaN", "double"),
    ("2.5", "double"),
    ("x1", "double"),
    ("2.5", "float"),
    ("true", "boolean"),
    ("1", "boolean"),
    ("TRUE", "boolean"),
    ("2024-01-01T10:00:00Z", "dateTime"),
    ("2024-01-01T11:00:00+01:00", "dateTime"),
    ("2024-01-01T24:00:00Z", "dateTime"),
    ("2024-01-01T10:00:00.25", "dateTime"),
    ("2024-01-01T09:00:00", "dateTime"),
    ("2024-02-30T10:00:00Z", "dateTime"),
    ("0000-01-01T00:00:00Z", "dateTime"),
    ("2024-01-01T10:00:00.1234567Z", "dateTime"),
    ("2024-01-01", "date"),
    ("2024-13-01", "date"),
    ("P1D", "duration"),
    ("5", "byte"),
    ("abc", "byte"),
    ("ab", None),
    ("abc", None),
    ("ABC", None),
    ("é", None),
    ("a\nb", None),
    ("5", "string"),
]


def _literal(lexical: str, datatype: str | None) -> ox.Literal:
    return ox.Literal(lexical, datatype=ox.NamedNode(X + datatype) if datatype else None)


def _stored() -> list[values.Term]:
    store = ox.Store()
    for i, (lexical, datatype) in enumerate(RAW):
        store.add(
            ox.Quad(ox.NamedNode(f"urn:s{i}"), ox.NamedNode("urn:p"), _literal(lexical, datatype))
        )
    stored: dict[str, values.Term] = {}
    for quad in store.quads_for_pattern(None, None, None, None):
        assert isinstance(quad.object, ox.Literal)
        stored[quad.subject.value] = quad.object
    terms = [stored[f"urn:s{i}"] for i in range(len(RAW))]
    extra: list[values.Term] = [
        ox.Literal("a", language="en"),
        ox.NamedNode("http://qudt.org/vocab/unit/M"),
        ox.BlankNode("b"),
    ]
    return list(dict.fromkeys(terms + extra))


TERMS = _stored()


def _sparql(expression: str, bindings: dict[str, values.Term]) -> bool | None:
    names = " ".join(f"?{name}" for name in bindings)
    query = f"SELECT {names} ({expression} AS ?r) WHERE {{}}"
    solutions = ox.Store().query(
        query, substitutions={ox.Variable(k): v for k, v in bindings.items()}
    )
    assert isinstance(solutions, ox.QuerySolutions)
    answer = next(iter(solutions))["r"]
    return None if answer is None else answer.value == "true"


@pytest.mark.parametrize("or_equal", [False, True])
def test_comparisons_match_sparql(or_equal: bool) -> None:
    operator = "<=" if or_equal else "<"
    for a, b in itertools.product(TERMS, TERMS):
        expected = _sparql(f"?a {operator} ?b", {"a": a, "b": b})
        assert values.less(a, b, or_equal) == expected, (a, operator, b)


def test_datatype_test_matches_the_template() -> None:
    datatypes = {ox.NamedNode(X + d) for _, d in RAW if d} | {values.RDF_LANG_STRING}
    for value, datatype in itertools.product(TERMS, datatypes):
        if not isinstance(value, ox.Literal) or value.datatype != datatype:
            continue
        expected = values.well_formed_by_oxigraph(value, datatype)
        assert values.has_datatype(value, datatype) == expected, (value, datatype)


PATTERNS = [
    ("^a", "i"),
    ("^a", ""),
    ("^[0-9a-f]{4}$", ""),
    ("b$", ""),
    ("^http://qudt\\.org/vocab/unit/", ""),
    ("\\d+", ""),
    ("^.$", "s"),
    ("(?i)a", ""),
    ("a{", ""),
    ("[", ""),
    ("^a", "q"),
]


@pytest.mark.parametrize(("pattern", "flags"), PATTERNS)
def test_patterns_match_sparql_regex(pattern: str, flags: str) -> None:
    compiled = values.Pattern(ox.Literal(pattern), ox.Literal(flags))
    for value in TERMS:
        if isinstance(value, ox.BlankNode):
            assert not compiled.matches(value)
            continue
        bindings = {"a": value, "b": ox.Literal(pattern), "c": ox.Literal(flags)}
        expected = _sparql("COALESCE(REGEX(STR(?a), ?b, ?c), false)", bindings)
        assert compiled.matches(value) == expected, (value, pattern, flags)
