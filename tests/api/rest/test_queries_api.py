"""Typed query endpoints over a live server: answers, paging, ETags, JSON-LD and problems."""

from __future__ import annotations

import warnings
from decimal import Decimal

from api.live_server import Served
from kgthread import lineage, queries
from kgthread.api.app import create_app
from kgthread.config import Settings


def test_every_named_query_has_its_own_typed_operation(served: Served) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # duplicate operation ids elsewhere
        spec = create_app(Settings()).openapi()
    for query in queries.catalog().values():
        operation = spec["paths"][f"/api/queries/{query.name}"]["get"]
        declared = {p["name"]: p for p in operation["parameters"]}
        for parameter in query.parameters:
            assert declared[parameter.name]["required"] is True
            schema = declared[parameter.name]["schema"]
            if parameter.type == "iri":
                assert schema.get("format") == "iri"
            else:
                assert schema["type"] == parameter.type
        assert {"limit", "cursor", "evidence", "as-of"} <= set(declared)
    assert "/api/queries/trace" in spec["paths"]
    listed = served.client.get("/api/queries").json()["queries"]
    assert {q["name"] for q in listed} == {*queries.catalog(), "trace"}


def test_bom_endpoint_answers_from_the_truth(served: Served) -> None:
    probe = served.truth["revisions"][0]
    answer = served.client.get("/api/queries/bom", params={"revision": probe["revision"]})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    got = {r["child"]: Decimal(str(r["quantity"])) for r in answer.json()["rows"]}
    assert got == {k: Decimal(v) for k, v in probe["bom_explosion"].items()}


def test_pages_follow_link_next_to_the_whole_answer(served: Served) -> None:
    unit = served.truth["top_units"][0]
    url: str | None = "/api/queries/genealogy-down"
    params: dict[str, str] | None = {"unit": unit["unit"], "limit": "4"}
    seen: list[str] = []
    while url:
        answer = served.client.get(url, params=params)
        assert answer.status_code == 200
        seen += [r["component"] for r in answer.json()["rows"]]
        link = answer.headers.get("link")
        url, params = (link.split(">")[0][1:], None) if link else (None, None)
        assert (link is None) == ("next" not in answer.json())
    assert len(seen) == len(set(seen)) or len(seen) > 4
    assert set(seen) == {d["item"] for d in unit["descendants"]}


def test_etag_gives_304_and_changes_with_the_request(served: Served) -> None:
    unit = served.truth["top_units"][0]["unit"]
    first = served.client.get("/api/queries/unit-history", params={"unit": unit})
    tag = first.headers["etag"]
    again = served.client.get(
        "/api/queries/unit-history", params={"unit": unit}, headers={"If-None-Match": tag}
    )
    assert again.status_code == 304
    assert again.content == b""
    other = served.client.get(
        "/api/queries/unit-history",
        params={"unit": unit},
        headers={"If-None-Match": tag, "Accept": "application/ld+json"},
    )
    assert other.status_code == 200
    assert other.headers["etag"] != tag


def test_json_ld_on_request_with_a_published_context(served: Served) -> None:
    probe = served.truth["revisions"][0]
    answer = served.client.get(
        "/api/queries/bom",
        params={"revision": probe["revision"]},
        headers={"Accept": "application/ld+json"},
    )
    assert answer.headers["content-type"] == "application/ld+json"
    doc = answer.json()
    assert doc["@context"].endswith("/api/context.jsonld")
    assert doc["rows"][0]["child"] == {"@id": doc["rows"][0]["child"]["@id"]}
    context = served.client.get("/api/context.jsonld")
    assert context.headers["content-type"] == "application/ld+json"
    assert context.json()["@context"]["rows"] == {"@container": "@list"}


def test_evidence_names_the_ingest_batch_of_each_hop(served: Served) -> None:
    unit = served.truth["top_units"][0]["unit"]
    doc = served.client.get(
        "/api/queries/genealogy-down", params={"unit": unit, "evidence": "true", "limit": 3}
    ).json()
    assert len(doc["evidence"]) == len(doc["rows"])
    for row, hops in zip(doc["rows"], doc["evidence"], strict=True):
        (hop,) = hops
        assert (hop["subject"], hop["object"]) == (row["parent"], row["component"])
        assert hop["batches"]
        assert hop["batches"][0]["batch"].startswith("https://")


def test_trace_in_one_call(served: Served) -> None:
    unit = served.truth["mid_units"][0]
    doc = served.client.get("/api/queries/trace", params={"unit": unit["unit"]}).json()
    assert set(doc["sections"]) == {s for s, _, _ in lineage.TRACE_SECTIONS}
    ancestors = {r["unit"] for r in doc["sections"]["ancestry"]["rows"]}
    assert ancestors == set(unit["ancestors"])


def test_problems_for_bad_input(served: Served) -> None:
    client = served.client
    missing = client.get("/api/queries/recall", params={"item": "urn:kgthread:nothing<>"})
    assert missing.status_code == 400
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["parameter"] == "item"
    unknown = client.get("/api/queries/recall", params={"item": 'urn:no-such-lot:"x"'})
    assert unknown.status_code == 400
    absent = client.get("/api/queries/recall", params={"item": "https://example.org/lot?<b>=1"})
    assert absent.status_code == 400
    nothing = client.get("/api/queries/recall", params={"item": "https://example.org/no-such-lot"})
    assert nothing.status_code == 404
    assert nothing.json()["identifier"] == "https://example.org/no-such-lot"
    required = client.get("/api/queries/recall")
    assert required.status_code == 400
    assert "item" in required.json()["detail"]
    typed = client.get("/api/queries/recall", params={"item": "urn:x", "limit": "many"})
    assert typed.status_code == 400
    assert "limit" in typed.json()["detail"]
    bad_cursor = client.get("/api/queries/recall", params={"item": "urn:x", "cursor": "%%"})
    assert bad_cursor.status_code in (400, 404)


def test_a_query_over_its_limit_is_a_503_not_a_partial_answer(served: Served) -> None:
    app = served.server.server.config.app
    saved = app.state.lineage_limits
    app.state.lineage_limits = lineage.Limits(max_rows=3)
    try:
        unit = served.truth["top_units"][0]["unit"]
        answer = served.client.get("/api/queries/genealogy-down", params={"unit": unit})
    finally:
        app.state.lineage_limits = saved
    assert answer.status_code == 503
    assert answer.json()["code"] == "query-limit"
