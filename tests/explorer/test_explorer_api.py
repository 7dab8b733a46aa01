"""The explorer's pages and JSON endpoints over a live 10k sample factory."""

from __future__ import annotations

import time
from typing import Any

from pyoxigraph import QuerySolutions

from api.live_server import Served

KGT = "https://w3id.org/kgthread/ns#"


def _unit(served: Served) -> str:
    unit: str = served.truth["top_units"][0]["unit"]
    return unit


def _serial(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def test_search_finds_a_serial_by_prefix(served: Served) -> None:
    unit = _unit(served)
    answer = served.client.get("/explore/search", params={"q": _serial(unit).lower()[:-1]})
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert 0 < len(results) <= 20
    assert unit in {hit["iri"] for hit in results}
    assert {hit["field"] for hit in results} == {"kgt:serialNumber"}


def test_search_value_is_bound_not_spliced(served: Served) -> None:
    for q in ['") } } SELECT * WHERE { ?s ?p ?o } #', "'; DROP", "\\", ""]:
        answer = served.client.get("/explore/search", params={"q": q})
        assert answer.status_code == 200
        assert answer.json()["results"] == []


def test_summary_has_types_literals_and_link_groups(served: Served) -> None:
    unit = _unit(served)
    doc = served.client.get("/explore/api/summary", params={"iri": unit}).json()
    assert doc["label"] == _serial(unit)
    assert [t["label"] for t in doc["types"]] == ["serialized unit"]
    assert doc["types"][0]["definition"]
    assert any(lit["predicate"]["iri"] == KGT + "serialNumber" for lit in doc["literals"])
    groups = {(g["direction"], g["predicate"]["iri"]): g["count"] for g in doc["groups"]}
    assert groups[("out", KGT + "unitOfRevision")] == 1


def test_literal_units_are_shown(served: Served) -> None:
    lot = served.truth["lots"][0]["lot"]
    doc = served.client.get("/explore/api/summary", params={"iri": lot}).json()
    quantities = [lit for lit in doc["literals"] if lit["unit"]]
    assert quantities
    assert all(lit["unit"].startswith("unit:") for lit in quantities)


_BUSIEST = """
SELECT ?o (COUNT(*) AS ?n) WHERE {
  ?s ?p ?o FILTER(isIRI(?o) && ?p != <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>)
} GROUP BY ?o ORDER BY DESC(?n) LIMIT 1
"""


def _busiest(served: Served) -> tuple[str, dict[str, Any]]:
    """The resource with the most incoming links, and its largest link group."""
    result = served.store.query(_BUSIEST)
    assert isinstance(result, QuerySolutions)
    iri: str = next(iter(result))["o"].value
    doc = served.client.get("/explore/api/summary", params={"iri": iri}).json()
    return iri, max(doc["groups"], key=lambda g: g["count"])


def test_links_page_through_a_large_group_with_provenance(served: Served) -> None:
    iri, group = _busiest(served)
    assert group["count"] > 50
    params = {"iri": iri, "predicate": group["predicate"]["iri"], "direction": group["direction"]}
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = served.client.get("/explore/api/links", params={**params, "offset": offset}).json()
        assert len(page["items"]) <= 50
        seen += [item["iri"] for item in page["items"]]
        offset = page["next_offset"]
    assert len(seen) == len(set(seen)) == group["count"]
    first = served.client.get("/explore/api/links", params=params).json()["items"][0]
    assert first["provenance"][0]["files"] == "factory.nt"
    assert first["provenance"][0]["batch"].startswith("https://w3id.org/kgthread/id/batch/")


def test_first_page_of_a_busy_resource_is_fast(served: Served) -> None:
    iri, group = _busiest(served)
    params = {"iri": iri, "predicate": group["predicate"]["iri"], "direction": group["direction"]}
    started = time.perf_counter()
    served.client.get("/explore/api/summary", params={"iri": iri}).raise_for_status()
    served.client.get("/explore/api/links", params=params).raise_for_status()
    assert time.perf_counter() - started < 2.0


def test_neighbours_are_graph_data(served: Served) -> None:
    unit = _unit(served)
    data = served.client.get("/explore/api/neighbours", params={"iri": unit}).json()
    ids = {node["id"] for node in data["nodes"]}
    assert unit in ids
    assert data["nodes"][0]["class"] == "serialized-unit"
    assert all(edge["source"] in ids and edge["target"] in ids for edge in data["edges"])


def test_unknown_and_bad_iris(served: Served) -> None:
    missing = served.client.get("/explore/api/summary", params={"iri": "urn:x:nothing"})
    assert missing.status_code == 404
    bad = served.client.get("/explore/api/summary", params={"iri": "not an iri"})
    assert bad.status_code == 400


def test_pages_and_vendor_script_are_served(served: Served) -> None:
    for path in ("/explore", "/explore/resource?iri=urn:x:a", "/explore/timeline?iri=urn:x:a"):
        page = served.client.get(path)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
    script = served.client.get("/explore/static/search.js")
    assert script.status_code == 200


def test_html_accept_on_resources_redirects_to_the_explorer(served: Served) -> None:
    unit = _unit(served)
    answer = served.client.get(
        "/api/resources",
        params={"iri": unit},
        headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"].endswith(
        "/explore/resource?iri=" + unit.replace(":", "%3A").replace("/", "%2F")
    )
    json_answer = served.client.get("/api/resources", params={"iri": unit})
    assert json_answer.status_code == 200
