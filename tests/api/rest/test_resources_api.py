"""Resource endpoints: any IRI or kind plus keys, links both ways, paged; 404 echoes safely."""

from __future__ import annotations

from api.live_server import Served
from kgthread import ids, vocab


def test_a_unit_by_iri_and_by_keys(served: Served) -> None:
    unit = served.truth["top_units"][0]
    by_iri = served.client.get("/api/resources", params={"iri": unit["unit"], "limit": 1000})
    assert by_iri.status_code == 200
    doc = by_iri.json()
    assert doc["kind"] == "unit"
    out = {(link["predicate"], link.get("object")) for link in doc["links"]}
    assert (vocab.UNIT_OF_REVISION.value, unit["revision"]) in out
    part, serial = ids.parse(unit["unit"]).keys
    by_keys = served.client.get(f"/api/resources/unit/{part}/{serial}", params={"limit": 1000})
    assert by_keys.json()["links"] == doc["links"]


def test_incoming_links_are_paged(served: Served) -> None:
    revision = served.truth["top_units"][0]["revision"]
    first = served.client.get("/api/resources", params={"iri": revision, "limit": 2})
    assert first.status_code == 200
    assert 'rel="next"' in first.headers["link"]
    following = served.client.get(first.headers["link"].split(">")[0][1:])
    assert following.json()["page"]["offset"] == 2
    incoming = [link for link in following.json()["links"] if link["direction"] == "in"]
    assert all("subject" in link for link in incoming)


def test_unknown_resources_are_404_with_the_identifier_echoed(served: Served) -> None:
    hostile = "https://w3id.org/kgthread/id/part/%3Cscript%3E"
    answer = served.client.get("/api/resources", params={"iri": hostile})
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["identifier"] == hostile
    assert served.client.get("/api/resources/gizmo/1").status_code == 404
    assert served.client.get("/api/resources/part/NOPE-1").status_code == 404
