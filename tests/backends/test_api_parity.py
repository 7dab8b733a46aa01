"""The HTTP API gives identical answers over every backend: SPARQL, Graph Store, REST.

For each remote backend, two real kgthread servers run side by side, one over the embedded
store and one over the remote store, are loaded with the same sample through the Graph Store
Protocol (so through the gate) and asked the same questions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pyoxigraph import RdfFormat, parse

from api.live_server import Server
from backends.stores import REMOTE_BACKENDS, backend_settings
from kgthread import ids
from kgthread.sample import generate

SAMPLE_GRAPH = ids.batch_graph("parity-sample")


@dataclass
class Pair:
    """The same sample served over the embedded store and over one remote backend."""

    embedded: httpx.Client
    remote: httpx.Client
    truth: dict[str, Any]

    def both(self, method: str, url: str, **options: Any) -> tuple[httpx.Response, httpx.Response]:
        return (
            self.embedded.request(method, url, **options),
            self.remote.request(method, url, **options),
        )


@pytest.fixture(scope="module", params=REMOTE_BACKENDS)
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    folder = tmp_path_factory.mktemp(f"parity-{request.param}")
    summary = generate(10_000, 5, folder / "factory.nt")
    body = (folder / "factory.nt").read_bytes()
    servers: list[Server] = []
    clients: list[httpx.Client] = []
    for name in ("embedded", request.param):
        settings = backend_settings(request, name, folder / name).with_(enable_update=True)
        server = Server(settings, None)  # type: ignore[arg-type]  # opened from the settings
        servers.append(server)
        client = httpx.Client(base_url=server.start(), timeout=60)
        clients.append(client)
        answer = client.put(
            "/store",
            params={"graph": SAMPLE_GRAPH.value},
            content=body,
            headers={"Content-Type": "application/n-triples"},
        )
        assert answer.status_code == 201, answer.text
    truth = json.loads(Path(summary.truth).read_text(encoding="utf-8"))
    yield Pair(clients[0], clients[1], truth)
    for client in clients:
        client.close()
    for server in servers:
        server.stop()


def _solutions(answer: httpx.Response) -> list[tuple[tuple[str, str], ...]]:
    assert answer.status_code == 200, answer.text
    rows = answer.json()["results"]["bindings"]
    return sorted(tuple(sorted((k, v["value"]) for k, v in row.items())) for row in rows)


def test_sparql_select_answers_are_identical(pair: Pair) -> None:
    query = "SELECT ?class (COUNT(*) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY ?class"
    embedded, remote = pair.both(
        "GET",
        "/sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert _solutions(remote) == _solutions(embedded)
    assert len(_solutions(embedded)) > 10


def test_sparql_graph_names_and_construct_are_identical(pair: Pair) -> None:
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    embedded, remote = pair.both("POST", "/sparql", data={"query": graphs})
    assert _solutions(remote) == _solutions(embedded)
    unit = pair.truth["top_units"][0]["unit"]
    construct = f"CONSTRUCT {{ <{unit}> ?p ?o }} WHERE {{ <{unit}> ?p ?o }}"
    embedded, remote = pair.both(
        "GET", "/sparql", params={"query": construct}, headers={"Accept": "application/n-triples"}
    )
    assert remote.status_code == embedded.status_code == 200
    mine = set(parse(remote.content, format=RdfFormat.N_TRIPLES))
    assert mine == set(parse(embedded.content, format=RdfFormat.N_TRIPLES))
    assert mine


def test_graph_store_get_is_identical(pair: Pair) -> None:
    embedded, remote = pair.both(
        "GET",
        "/store",
        params={"graph": SAMPLE_GRAPH.value},
        headers={"Accept": "application/n-triples"},
    )
    assert remote.status_code == embedded.status_code == 200
    triples = set(parse(remote.content, format=RdfFormat.N_TRIPLES))
    assert triples == set(parse(embedded.content, format=RdfFormat.N_TRIPLES))
    assert len(triples) > 5_000
    missing = {"graph": ids.batch_graph("nothing-here").value}
    embedded, remote = pair.both("GET", "/store", params=missing)
    assert remote.status_code == embedded.status_code == 404


def test_rest_named_queries_are_identical(pair: Pair) -> None:
    for probe in pair.truth["top_units"][:3]:
        for name in ("genealogy-down", "trace-suppliers", "unit-history"):
            embedded, remote = pair.both(
                "GET", f"/api/queries/{name}", params={"unit": probe["unit"]}
            )
            assert remote.status_code == embedded.status_code == 200, remote.text
            assert _rows(remote) == _rows(embedded)
    for lot in pair.truth["lots"][:3]:
        embedded, remote = pair.both("GET", "/api/queries/recall", params={"item": lot["lot"]})
        assert _rows(remote) == _rows(embedded)
        assert {r["unit"] for r in _rows(remote)} == set(lot["contained_in"])


def test_rest_errors_are_identical(pair: Pair) -> None:
    unknown = ids.unit("NOPE", "0").value
    embedded, remote = pair.both("GET", "/api/queries/genealogy-down", params={"unit": unknown})
    assert remote.status_code == embedded.status_code == 404
    assert remote.json()["code"] == embedded.json()["code"]
    embedded, remote = pair.both("GET", "/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert remote.status_code == embedded.status_code == 400
    assert remote.json()["code"] == embedded.json()["code"] == "query-syntax"


def _rows(answer: httpx.Response) -> list[dict[str, Any]]:
    body = answer.json()
    rows = body["rows"] if isinstance(body, dict) and "rows" in body else body
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True))
