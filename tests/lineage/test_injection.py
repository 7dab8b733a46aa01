"""Hostile parameter values: refused or bound as terms, never able to touch other queries."""

from __future__ import annotations

import pytest

from kgthread import queries
from kgthread.errors import BadRequest, NotFound
from kgthread.lineage import run
from lineage.conftest import Loaded, rows

HOSTILE = [
    'x" } ; DROP ALL ; SELECT * { "',
    "https://w3id.org/kgthread/id/unit/X/1> ?p ?o } #",
    "urn:a{b}",
    "urn:a#frag",
    "urn:a>b",
    "urn:a\nDELETE WHERE { ?s ?p ?o }",
    "urn:x' UNION { ?s ?p ?o } '",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_never_change_any_answer(factory: Loaded, value: str) -> None:
    store, truth = factory
    lot = truth["lots"][0]
    before = store.triple_count()
    baseline = rows(store, "recall", item=lot["lot"])
    for query in queries.catalog().values():
        values = {p.name: value for p in query.parameters}
        if {p.type for p in query.parameters} == {"string"}:
            # Free text takes any value: bound as a literal, it matches nothing.
            assert run(store, query, values).rows == []
            continue
        with pytest.raises((BadRequest, NotFound)) as info:
            run(store, query, values)
        assert info.value.detail.get("parameter") in {p.name for p in query.parameters}
    assert store.triple_count() == before
    assert rows(store, "recall", item=lot["lot"]) == baseline
