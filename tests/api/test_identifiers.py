"""Identifiers are validated before they touch a query: hostile values in every IRI
parameter of the REST API are refused (400 naming the parameter, or 404 for source keys that
mint no IRI), never evaluated, never a 500, and the store is unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat

from api.live_server import Served, serve_sample

HOSTILE = [
    'x" } ; DROP ALL ; SELECT * { "',
    "https://w3id.org/kgthread/id/unit/X/1> ?p ?o } #",
    "urn:a>b",
    "urn:a\nDELETE WHERE { ?s ?p ?o }",
    "urn:x' UNION { ?s ?p ?o } '",
    "http://a/b c",
    "not an iri",
    "",
]
ENDPOINTS = [
    ("/api/resources", ("iri",)),
    ("/api/queries/recall", ("item",)),
    ("/api/queries/genealogy-down", ("unit",)),
    ("/api/queries/evidence", ("subject", "predicate", "object")),
    ("/api/queries/trace", ("unit",)),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder: Path = tmp_path_factory.mktemp("identifiers")
    with serve_sample(folder, seed=5) as running:
        yield running


def _dump(served: Served) -> bytes:
    return served.store.dump(None, RdfFormat.N_QUADS)


@pytest.mark.parametrize(("path", "names"), ENDPOINTS, ids=[p for p, _ in ENDPOINTS])
def test_hostile_iri_parameters_are_400_naming_the_parameter(
    served: Served, path: str, names: tuple[str, ...]
) -> None:
    before = _dump(served)
    good = served.truth["lots"][0]["lot"]
    for value in HOSTILE:
        for name in names:
            params = {n: (value if n == name else good) for n in names}
            response = served.client.get(path, params=params)
            assert response.status_code == 400, (path, name, value, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert name in response.text
    assert _dump(served) == before


@pytest.mark.parametrize("keys", ["a/b/c/d/e", "..", "%2F", "x" * 3000, "a%00b", "%"])
def test_source_keys_that_mint_no_iri_are_404(served: Served, keys: str) -> None:
    before = _dump(served)
    for kind in ("unit", "part", "lot", "workorder"):
        response = served.client.get(f"/api/resources/{kind}/{keys}")
        assert response.status_code in (400, 404), (kind, keys, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert _dump(served) == before


def test_a_valid_iri_is_answered(served: Served) -> None:
    lot = served.truth["lots"][0]["lot"]
    response = served.client.get("/api/resources", params={"iri": lot})
    assert response.status_code == 200, response.text
    assert response.json()["iri"] == lot
