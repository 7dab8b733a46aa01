"""Named queries against the sample factory's own ground truth, on a real store on disk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import QuerySolutions

from kgthread import queries
from kgthread.errors import BadRequest, NotFound
from kgthread.gate import Gate
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.rdf_files import batch_from_file
from kgthread.sample import generate
from kgthread.store.embedded import EmbeddedStore


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedStore, Any]]:
    """A 20k-triple factory loaded through the gate into a store on disk."""
    folder = tmp_path_factory.mktemp("queries")
    sample = folder / "factory.nt"
    summary = generate(20_000, 11, sample)
    store = EmbeddedStore.open(folder / "store")
    Pipeline(store, Gate.default()).ingest(batch_from_file(sample, bulk_threshold=0))
    yield store, json.loads(Path(summary.truth).read_text(encoding="utf-8"))
    store.close()


def _rows(result: object) -> list[dict[str, str]]:
    assert isinstance(result, QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]


def test_recall_reaches_every_unit_containing_the_lot(loaded: tuple[EmbeddedStore, Any]) -> None:
    store, truth = loaded
    assert truth["lots"]
    for probe in truth["lots"]:
        rows = _rows(queries.get("recall").run(store, {"item": probe["lot"]}))
        assert {r["unit"] for r in rows} == set(probe["contained_in"])
        shipped = {(r["unit"], r["customer"]) for r in rows if "customer" in r}
        assert shipped == {(s["unit"], s["customer"]) for s in probe["shipped"]}
        assert all(r["serialNumber"] for r in rows)


def test_genealogy_down_finds_every_component(loaded: tuple[EmbeddedStore, Any]) -> None:
    store, truth = loaded
    for probe in truth["top_units"] + truth["mid_units"]:
        rows = _rows(queries.get("genealogy-down").run(store, {"unit": probe["unit"]}))
        assert {r["component"] for r in rows} == {d["item"] for d in probe["descendants"]}
        # Every hop names its parent inside this unit's tree and what it consumed.
        tree = {probe["unit"]} | {d["item"] for d in probe["descendants"]}
        assert all(r["parent"] in tree for r in rows)
        assert all("quantity" in r and "unitOfMeasure" in r for r in rows)


def test_unknown_unit_gives_no_rows(loaded: tuple[EmbeddedStore, Any]) -> None:
    store, _ = loaded
    rows = _rows(
        queries.get("genealogy-down").run(store, {"unit": "https://w3id.org/kgthread/id/unit/X/1"})
    )
    assert rows == []


@pytest.mark.parametrize(
    "hostile",
    [
        "x> } ; DROP ALL ; SELECT * { <y",
        "https://w3id.org/kgthread/id/unit/X/1> ?p ?o } #",
        "no-scheme",
        "urn:a\nb",
        "",
    ],
)
def test_hostile_parameters_are_refused_not_spliced(
    loaded: tuple[EmbeddedStore, Any], hostile: str
) -> None:
    store, _ = loaded
    before = store.triple_count()
    with pytest.raises(BadRequest) as info:
        queries.get("recall").run(store, {"item": hostile})
    assert info.value.detail["parameter"] == "item"
    assert store.triple_count() == before


def test_parameters_are_checked_by_name(loaded: tuple[EmbeddedStore, Any]) -> None:
    store, _ = loaded
    with pytest.raises(BadRequest, match="missing parameter 'unit'"):
        queries.get("genealogy-down").run(store, {})
    with pytest.raises(BadRequest, match="unknown parameter"):
        queries.get("genealogy-down").run(store, {"unit": "urn:x", "extra": "1"})
    with pytest.raises(NotFound):
        queries.get("no-such-query")
