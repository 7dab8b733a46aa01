"""Binding parameters into SPARQL text (what a remote store is sent) answers exactly as
pyoxigraph's own substitutions do: every named query, on a real sample, both ways of binding,
including hostile values."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, QuerySolutions, RdfFormat, Store, Variable

from kgthread import queries
from kgthread.sample import generate
from kgthread.store import sparql_text


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, dict[str, object]]:
    folder = tmp_path_factory.mktemp("sparql-text")
    summary = generate(10_000, 11, folder / "factory.nt")
    store = Store()
    store.bulk_load(path=str(folder / "factory.nt"), format=RdfFormat.N_TRIPLES)
    return store, json.loads(Path(summary.truth).read_text(encoding="utf-8"))


def _probes(truth: Mapping[str, object]) -> dict[str, list[str]]:
    t: dict[str, list[dict[str, str]]] = truth  # type: ignore[assignment]
    units = [u["unit"] for u in t["top_units"][:2]] + [u["unit"] for u in t["mid_units"][:2]]
    return {
        "unit": units,
        "item": [lot["lot"] for lot in t["lots"][:3]] + units[2:],
        "revision": [r["revision"] for r in t["revisions"][:3]],
        "part": [r["part"] for r in t["revisions"][:3]],
        "change": [c["change"] for c in t["changes"][:2]],
        "iri": units[:2],
    }


def _answers(result: object) -> list[tuple[str, ...]]:
    assert isinstance(result, QuerySolutions)
    names = [v.value for v in result.variables]
    return sorted(tuple(str(row[n]) for n in names) for row in result)


Binder = Callable[[str, Mapping[str, sparql_text.Value]], str]


@pytest.mark.parametrize("binder", [sparql_text.bind, sparql_text.bind_inline])
def test_bound_text_answers_as_substitutions_do(
    sample: tuple[Store, dict[str, object]], binder: Binder
) -> None:
    store, truth = sample
    probes = _probes(truth)
    checked = 0
    for query in queries.catalog().values():
        parameters = [p.name for p in query.parameters]
        if len(parameters) != 1 or parameters[0] not in probes:
            continue
        for value in probes[parameters[0]]:
            term = NamedNode(value)
            expected = _answers(
                store.query(query.text, substitutions={Variable(parameters[0]): term})
            )
            got = _answers(store.query(binder(query.text, {parameters[0]: term})))
            assert got == expected, (query.name, value)
            checked += 1
    assert checked > 20


def test_hostile_literals_stay_values() -> None:
    store = Store()
    text = "SELECT ?name ?x WHERE { ?x <urn:p> ?name }"
    for hostile in ('x" } ; DROP ALL ; #', "a\\nb'c", "}} UNION { ?a ?b ?c }"):
        for binder in (sparql_text.bind, sparql_text.bind_inline):
            bound = binder(text, {"name": Literal(hostile)})
            result = store.query(bound)
            assert isinstance(result, QuerySolutions)
            assert list(result) == []


def test_dataset_is_detected_outside_strings_and_iris() -> None:
    assert sparql_text.declares_dataset("SELECT * FROM <urn:g> WHERE { ?s ?p ?o }")
    assert not sparql_text.declares_dataset('SELECT * WHERE { ?s ?p "FROM <urn:g>" }')
    assert not sparql_text.declares_dataset("# FROM <urn:g>\nSELECT * WHERE { ?s ?p ?o }")
    assert not sparql_text.declares_dataset("PREFIX from: <urn:x#>\nSELECT * { ?s from:p ?o }")
