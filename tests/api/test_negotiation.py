"""Accept-header negotiation: q-values, specificity, server order on ties, 406."""

from __future__ import annotations

import pytest

from kgthread.api.negotiation import GRAPH, SOLUTIONS, choose, parse_accept
from kgthread.errors import NotAcceptable


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/sparql-results+json"),
        ("", "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/csv", "text/csv"),
        ("TEXT/CSV", "text/csv"),
        ("text/*;q=0.9, application/sparql-results+xml;q=0.8", "text/csv"),
        ("text/*, text/csv;q=0", "text/tab-separated-values"),
        ("application/xml", "application/sparql-results+xml"),
        ("application/sparql-results+xml;q=0.1, */*;q=0.05", "application/sparql-results+xml"),
        ("garbage, text/tab-separated-values", "text/tab-separated-values"),
    ],
)
def test_choose_results(accept: str | None, expected: str) -> None:
    assert choose(accept, SOLUTIONS).media_types[0] == expected


def test_graph_default_is_turtle() -> None:
    assert choose("*/*", GRAPH).content_type == "text/turtle; charset=utf-8"
    assert choose("application/json", GRAPH).media_types[0] == "application/ld+json"


def test_nothing_acceptable() -> None:
    with pytest.raises(NotAcceptable) as raised:
        choose("image/png, text/html;q=0.9", SOLUTIONS)
    assert "application/sparql-results+json" in raised.value.detail["available"]


def test_quality_is_clamped_and_bad_q_is_zero() -> None:
    ranges = parse_accept("text/csv;q=7, text/tsv;q=x")
    assert [(r.subtype, r.quality) for r in ranges] == [("csv", 1.0), ("tsv", 0.0)]
