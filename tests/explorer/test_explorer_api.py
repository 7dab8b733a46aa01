"""The explorer's pages and JSON endpoints over a live 10k sample factory."""

from __future__ import annotations

from typing import Any

from pyoxigraph import QuerySolutions

from api.live_server import Served
from kgthread import queries

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
    assert [t["label"] for t in doc["types"] if not t["inferred"]] == ["serialized unit"]
    assert doc["types"][0]["definition"]
    assert {t["label"] for t in doc["types"] if t["inferred"]} >= {"tracked item"}
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
  GRAPH ?g { ?s ?p ?o }
  FILTER(isIRI(?o) && ?p != <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>)
  FILTER(?g != <https://w3id.org/kgthread/id/graph/inferred>)
} GROUP BY ?o ORDER BY DESC(?n) LIMIT 1
"""


def _busiest(served: Served) -> tuple[str, dict[str, Any]]:
    """The resource with the most asserted incoming links, and its largest link group."""
    result = served.store.query(_BUSIEST)
    assert isinstance(result, QuerySolutions)
    iri: str = next(iter(result))["o"].value
    doc = served.client.get("/explore/api/summary", params={"iri": iri}).json()
    return iri, max(
        doc["groups"], key=lambda g: (g["count"], g["predicate"]["iri"].startswith(KGT))
    )


def test_links_page_through_a_large_group_with_provenance(served: Served) -> None:
    iri, group = _busiest(served)
    assert group["count"] > 50
    params = {"iri": iri, "predicate": group["predicate"]["iri"], "direction": group["direction"]}
    seen: list[str] = []
    cursor: str | None = ""
    for _ in range(group["count"] // 50 + 2):
        page = served.client.get("/explore/api/links", params={**params, "cursor": cursor}).json()
        assert len(page["items"]) <= 50
        assert page["start"] == len(seen)
        seen += [item["iri"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == group["count"]
    first = served.client.get("/explore/api/links", params=params).json()["items"][0]
    assert first["provenance"][0]["files"] == "factory.nt"
    assert first["provenance"][0]["batch"].startswith("https://w3id.org/kgthread/id/batch/")


def test_a_bad_cursor_is_a_400_naming_it(served: Served) -> None:
    iri, group = _busiest(served)
    params = {"iri": iri, "predicate": group["predicate"]["iri"], "cursor": "%%%"}
    answer = served.client.get("/explore/api/links", params=params)
    assert answer.status_code == 400
    assert answer.json()["parameter"] == "cursor"


def test_inferred_links_are_marked(served: Served) -> None:
    unit = _unit(served)
    params = {"iri": unit, "predicate": KGT + "contains", "direction": "out"}
    page = served.client.get("/explore/api/links", params=params).json()
    assert page["total"] > 0
    assert all(item["inferred"] and not item["provenance"] for item in page["items"])
    components = {**params, "predicate": KGT + "hasComponent"}
    page = served.client.get("/explore/api/links", params=components).json()
    assert not any(item["inferred"] for item in page["items"])


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


def test_pages_and_vendor_scripts_are_served(served: Served) -> None:
    pages = ("/explore", "/explore/resource?iri=urn:x:a", "/explore/timeline?iri=urn:x:a")
    for path in (*pages, "/explore/sparql"):
        page = served.client.get(path)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
    for script in ("/explore/static/search.js", "/explore/static/sparql.js"):
        assert served.client.get(script).status_code == 200
    for vendored in ("cytoscape/cytoscape.min.js", "yasgui/yasgui.min.js", "yasgui/yasgui.min.css"):
        answer = served.client.get("/explore/vendor/" + vendored)
        assert answer.status_code == 200, vendored
        assert len(answer.content) > 10_000


def test_examples_are_every_named_query_with_samples_from_the_store(served: Served) -> None:
    doc = served.client.get("/explore/api/examples").json()
    assert doc["prefixes"]["kgt"] == KGT
    assert doc["prefixes"]["id"] == "https://w3id.org/kgthread/id/"
    assert doc["prefixes"]["sosa"] == "http://www.w3.org/ns/sosa/"
    names = {example["name"] for example in doc["examples"]}
    assert names == set(queries.catalog())
    by_name = {example["name"]: example for example in doc["examples"]}
    (unit,) = by_name["genealogy-down"]["parameters"]
    assert unit["name"] == "unit"
    assert (
        served.client.get("/explore/api/summary", params={"iri": unit["sample"]}).json()["types"][
            0
        ]["iri"]
        == KGT + "SerializedUnit"
    )
    rows = queries.get("genealogy-down").run(served.store, {"unit": unit["sample"]})
    assert isinstance(rows, QuerySolutions)
    assert len(list(rows)) > 0  # the sample is a unit with components
    statement = {p["name"]: p["sample"] for p in by_name["evidence"]["parameters"]}
    assert statement["predicate"] == KGT + "hasComponent"
    evidence = queries.get("evidence").run(served.store, statement)
    assert isinstance(evidence, QuerySolutions)
    assert len(list(evidence)) > 0


def test_features_name_the_optional_apis_this_server_has(served: Served) -> None:
    features = served.client.get("/explore/api/features").json()
    assert set(features) == {"explain", "conformance"}
    paths = served.client.get("/openapi.json").json()["paths"]
    assert features == {
        "explain": "/api/explain" in paths,
        "conformance": "/api/conformance" in paths,
    }


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


def test_conformance_for_the_page_is_the_stored_report_or_null(served: Served) -> None:
    unit = _unit(served)
    stored = served.client.get("/api/conformance", params={"unit": unit})
    shown = served.client.get("/explore/api/conformance", params={"iri": unit})
    assert shown.status_code == stored.status_code == 200
    assert shown.json()["report"] == stored.json()
    probe = served.truth["top_units"][0]
    lot = next(d["item"] for d in probe["descendants"] if d["kind"] == "lot")
    assert served.client.get("/api/conformance", params={"unit": lot}).status_code == 404
    without = served.client.get("/explore/api/conformance", params={"iri": lot})
    assert without.status_code == 200
    assert without.json() == {"report": None}
    unknown = served.client.get("/explore/api/conformance", params={"iri": "urn:nothing:here"})
    assert unknown.status_code == 404
