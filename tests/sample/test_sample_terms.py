"""The fast literal renderers agree with pyoxigraph's N-Triples parser."""

from __future__ import annotations

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, parse

from kgthread import vocab
from kgthread.sample import terms


def _object(rendered: str) -> Literal:
    [triple] = parse(f"<http://x/s> <http://x/p> {rendered} .\n", format=RdfFormat.N_TRIPLES)
    assert isinstance(triple.object, Literal)
    return triple.object


@pytest.mark.parametrize(
    "text",
    ["plain", 'quote " and \\ back', "new\nline\r\ttab", "ctl \x00\x01\x1f\x7f", "°C ä 漢 😀", ""],
)
def test_string_round_trips(text: str) -> None:
    lit = _object(terms.string(text))
    assert lit.value == text
    assert lit.datatype == vocab.XSD_STRING


@pytest.mark.parametrize(
    ("rendered", "value", "datatype"),
    [
        (terms.decimal(1.5), "1.500", vocab.XSD_DECIMAL),
        (terms.decimal(-0.0004, 4), "-0.0004", vocab.XSD_DECIMAL),
        (terms.decimal_text("12"), "12", vocab.XSD_DECIMAL),
        (terms.double(1e-05), "1e-05", vocab.XSD_DOUBLE),
        (terms.double(8000.25), "8000.25", vocab.XSD_DOUBLE),
        (terms.integer(42), "42", vocab.XSD_INTEGER),
        (terms.boolean(False), "false", vocab.XSD_BOOLEAN),
        (terms.datetime(0), "1970-01-01T00:00:00Z", vocab.XSD_DATETIME),
    ],
)
def test_typed_literals(rendered: str, value: str, datatype: NamedNode) -> None:
    lit = _object(rendered)
    assert (lit.value, lit.datatype) == (value, datatype)


def test_vocabulary_terms_are_rendered_from_vocab() -> None:
    assert f"<{vocab.PART_NUMBER.value}>" == terms.V.PART_NUMBER
    assert terms.qudt("MilliM") == "<http://qudt.org/vocab/unit/MilliM>"
    with pytest.raises(AttributeError):
        _ = terms.V.NO_SUCH_TERM
