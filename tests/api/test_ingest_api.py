"""POST /api/ingest/{adapter}: uploads go through the gate; retries are no-ops."""

from __future__ import annotations

from api.live_server import Live
from factories import product, unit


def _nt(triples: list[object]) -> bytes:
    return "".join(f"{t} .\n" for t in triples).encode()


def test_upload_commits_then_retry_is_a_no_op(live: Live) -> None:
    body = _nt([*product("P-1"), *unit("P-1", "A", "SN-1")])
    first = live.client.post("/api/ingest/rdf", params={"name": "units.nt"}, content=body)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "committed"
    assert first.json()["classes"] == {"Part": 1, "PartRevision": 1, "SerializedUnit": 1}
    again = live.client.post("/api/ingest/rdf", params={"name": "units.nt"}, content=body)
    assert again.status_code == 200
    assert again.json()["status"] == "unchanged"  # the same version of units.nt
    assert again.json()["batch"] == first.json()["batch"]
    key = {"idempotency-key": "upload-1"}
    body2 = _nt(product("P-2"))
    keyed = live.client.post(
        "/api/ingest/rdf", params={"name": "p2.nt"}, content=body2, headers=key
    )
    assert keyed.status_code == 201
    retry = live.client.post(
        "/api/ingest/rdf", params={"name": "p2.nt"}, content=body2, headers=key
    )
    assert retry.status_code == 200
    assert retry.json()["status"] == "duplicate"


def test_refused_upload_is_422_with_the_report(live: Live) -> None:
    body = _nt(unit("P-9", "A", "SN-1"))
    response = live.client.post("/api/ingest/rdf", params={"name": "bad.nt"}, content=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "shacl-violation"
    assert problem["report"]["conforms"] is False
    ask = live.client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert ask.json()["boolean"] is False


def test_unknown_adapter_and_bad_bodies(live: Live) -> None:
    unknown = live.client.post("/api/ingest/nope", params={"name": "x.nt"}, content=b"x")
    assert unknown.status_code == 404
    assert "known:" in unknown.json()["detail"]
    broken = live.client.post(
        "/api/ingest/rdf", params={"name": "broken.ttl"}, content=b"<urn:a> <urn:b> ."
    )
    assert broken.status_code == 400
    assert broken.json()["line"] == 1
    empty = live.client.post("/api/ingest/rdf", params={"name": "x.nt"}, content=b"")
    assert empty.status_code == 400
    missing_name = live.client.post("/api/ingest/rdf", content=b"x")
    assert missing_name.status_code == 400
