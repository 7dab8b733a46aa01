"""Every write path over HTTP, then every read: a fact is counted once whichever batches and
graphs assert it, and no write the client meant is skipped (W3C Graph Store Protocol:
POST merges, PUT replaces)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import format_datetime

from pyoxigraph import RdfFormat, parse

from api.live_server import Live

TURTLE = {"content-type": "text/turtle"}
PREFIX = b"@prefix kgt: <https://w3id.org/kgthread/ns#> .\n"
B = PREFIX + b'<https://w3id.org/kgthread/id/part/B> a kgt:Part ; kgt:partNumber "B" .\n'
C = PREFIX + b'<https://w3id.org/kgthread/id/part/C> a kgt:Part ; kgt:partNumber "C" .\n'
PARTS = "PREFIX kgt: <https://w3id.org/kgthread/ns#> SELECT (COUNT(?p) AS ?n) { ?p a kgt:Part }"
NUMBERS = (
    "PREFIX kgt: <https://w3id.org/kgthread/ns#> "
    "SELECT ?n WHERE { ?p kgt:partNumber ?n } ORDER BY ?n"
)


def _count(live: Live, query: str = PARTS) -> int:
    response = live.client.get(
        "/sparql", params={"query": query}, headers={"accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def _numbers(live: Live) -> list[str]:
    response = live.client.get(
        "/sparql", params={"query": NUMBERS}, headers={"accept": "application/sparql-results+json"}
    )
    return [row["n"]["value"] for row in response.json()["results"]["bindings"]]


def _graph(live: Live, graph: str) -> set[str]:
    response = live.client.get(
        "/store", params={"graph": graph}, headers={"accept": "application/n-triples"}
    )
    assert response.status_code == 200, response.text
    return {str(q.triple) for q in parse(response.content, format=RdfFormat.N_TRIPLES)}


def test_post_put_post_merges_as_the_protocol_says(live: Live) -> None:
    graph = {"graph": "http://example.org/g"}
    assert live.client.post("/store", params=graph, content=B, headers=TURTLE).status_code == 201
    assert live.client.put("/store", params=graph, content=C, headers=TURTLE).status_code == 204
    assert _numbers(live) == ["C"]
    assert live.client.post("/store", params=graph, content=B, headers=TURTLE).status_code == 204
    assert _numbers(live) == ["B", "C"]  # B was applied again, not taken for a retry
    assert len(_graph(live, graph["graph"])) == 4


def test_clear_or_delete_where_then_post_applies_again(live: Live) -> None:
    graph = {"graph": "http://example.org/g"}
    live.client.post("/store", params=graph, content=B, headers=TURTLE)
    cleared = live.client.post("/sparql", data={"update": "CLEAR GRAPH <http://example.org/g>"})
    assert cleared.is_success, cleared.text
    assert _count(live) == 0
    assert live.client.post("/store", params=graph, content=B, headers=TURTLE).status_code == 204
    assert _numbers(live) == ["B"]
    deleted = live.client.post("/sparql", data={"update": "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }"})
    assert deleted.is_success, deleted.text
    assert _count(live) == 0
    live.client.post("/store", params=graph, content=B, headers=TURTLE)
    assert _numbers(live) == ["B"]


def test_a_fact_in_many_graphs_is_counted_once_on_every_read(live: Live) -> None:
    for name in ("a", "b", "c"):
        params = {"graph": f"http://example.org/{name}"}
        assert live.client.put("/store", params=params, content=B, headers=TURTLE).is_success
    insert = (
        "PREFIX kgt: <https://w3id.org/kgthread/ns#> INSERT DATA { GRAPH <http://example.org/d> "
        '{ <https://w3id.org/kgthread/id/part/B> a kgt:Part ; kgt:partNumber "B" } }'
    )
    assert live.client.post("/sparql", data={"update": insert}).is_success
    upload = live.client.post(
        "/api/ingest/rdf", params={"name": "b.ttl"}, content=B, headers=TURTLE
    )
    assert upload.status_code == 201, upload.text
    assert _count(live) == 1
    assert _numbers(live) == ["B"]
    default = live.client.get(
        "/store", params={"default": ""}, headers={"accept": "application/n-triples"}
    )
    lines = [line for line in default.text.splitlines() if "/part/B>" in line]
    assert len(lines) == 2  # its type and its number, once each
    graphs = live.client.get(
        "/sparql",
        params={
            "query": "PREFIX kgt: <https://w3id.org/kgthread/ns#> "
            'SELECT DISTINCT ?g { GRAPH ?g { ?p kgt:partNumber "B" } }'
        },
        headers={"accept": "application/sparql-results+json"},
    ).json()["results"]["bindings"]
    names = {row["g"]["value"] for row in graphs}
    assert {f"http://example.org/{n}" for n in "abcd"} <= names  # who asserts it stays visible
    resource = live.client.get(
        "/api/resources", params={"iri": "https://w3id.org/kgthread/id/part/B"}
    )
    assert resource.status_code == 200, resource.text
    # Dropping some of the asserting graphs keeps the fact; dropping all removes it.
    for name in ("a", "b", "c", "d"):
        assert live.client.delete(
            "/store", params={"graph": f"http://example.org/{name}"}
        ).is_success
    assert _count(live) == 1  # the uploaded batch still asserts it
    last = live.client.delete("/store", params={"graph": upload.json()["graph"]})
    assert last.status_code == 204
    assert _count(live) == 0
    assert _numbers(live) == []


def test_same_idempotency_key_once_other_body_conflicts(live: Live) -> None:
    params = {"graph": "http://example.org/g"}
    key = {"idempotency-key": "order-17", **TURTLE}
    first = live.client.post("/store", params=params, content=B, headers=key)
    assert first.status_code == 201, first.text
    retry = live.client.post("/store", params=params, content=B, headers=key)
    assert retry.is_success
    before = live.dump()
    other = live.client.post("/store", params=params, content=C, headers=key)
    assert other.status_code == 409
    assert other.headers["content-type"].startswith("application/problem+json")
    assert live.dump() == before
    upload = live.client.post("/api/ingest/rdf", params={"name": "c.ttl"}, content=C, headers=key)
    assert upload.status_code == 409
    assert live.dump() == before


def test_as_of_on_sparql_and_rest_answers_with_what_was_current_then(live: Live) -> None:
    def upload(body: bytes) -> None:
        response = live.client.post(
            "/api/ingest/rdf", params={"name": "parts.ttl"}, content=body, headers=TURTLE
        )
        assert response.status_code == 201, response.text

    before_any = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    upload(B)
    time.sleep(1.05)  # an HTTP date (Accept-Datetime) has whole seconds
    between = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    upload(C)  # a new version of parts.ttl: B leaves the current view
    assert _numbers(live) == ["C"]
    then = live.client.get(
        "/sparql",
        params={"query": NUMBERS, "as-of": between},
        headers={"accept": "application/sparql-results+json"},
    )
    assert then.status_code == 200, then.text
    assert [r["n"]["value"] for r in then.json()["results"]["bindings"]] == ["B"]
    assert "memento-datetime" in then.headers
    header = live.client.get(
        "/sparql",
        params={"query": NUMBERS},
        headers={
            "accept": "application/sparql-results+json",
            "accept-datetime": format_datetime(datetime.fromisoformat(between), usegmt=True),
        },
    )
    assert [r["n"]["value"] for r in header.json()["results"]["bindings"]] == ["B"]
    part_b = "https://w3id.org/kgthread/id/part/B"
    rest = live.client.get("/api/queries/where-used", params={"part": part_b, "as-of": between})
    assert rest.status_code in (200, 404), rest.text
    for bad, why in ((before_any, "before the first batch"), ("yesterday", "not a date")):
        refused = live.client.get("/sparql", params={"query": NUMBERS, "as-of": bad})
        assert refused.status_code == 400
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert why in refused.json()["detail"]


def test_the_explorer_shows_a_fact_once_however_many_batches_assert_it(live: Live) -> None:
    for name in ("a", "b", "c"):
        params = {"graph": f"http://example.org/{name}"}
        assert live.client.put("/store", params=params, content=B, headers=TURTLE).is_success
    part_b = "https://w3id.org/kgthread/id/part/B"
    doc = live.client.get("/explore/api/summary", params={"iri": part_b})
    assert doc.status_code == 200, doc.text
    numbers = [
        lit
        for lit in doc.json()["literals"]
        if lit["predicate"]["iri"] == "https://w3id.org/kgthread/ns#partNumber"
    ]
    assert len(numbers) == 1
    assert [t["label"] for t in doc.json()["types"] if not t["inferred"]] == ["part"]
