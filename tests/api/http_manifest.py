"""Read the W3C HTTP test manifests (SPARQL Protocol, Graph Store Protocol) and run them.

Each test is a sequence of ``ht:Request``s with expected responses: status classes or
codes, the result kind (``mf:expectedFormat``), an ASK answer, a content type, an RDF body
to compare up to isomorphism, and a ``Location`` to remember for later requests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import httpx
from pyoxigraph import (
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    parse_query_results,
)
from rdflib import RDF, RDFS, Graph, Namespace
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.term import Node

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#"

_STATUS = {
    "StatusCode2xx": range(200, 300),
    "StatusCode3xx": range(300, 400),
    "StatusCode4xx": range(400, 500),
    "OK": range(200, 201),
    "Created": range(201, 202),
    "NoContent": range(204, 205),
    "NotFound": range(404, 405),
}


@dataclass(frozen=True)
class Expected:
    statuses: tuple[str, ...]
    result_format: str | None = None
    boolean: bool | None = None
    content_type: str | None = None
    turtle: str | None = None
    location_variable: str | None = None


@dataclass(frozen=True)
class Step:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    expected: Expected


@dataclass(frozen=True)
class HttpTest:
    id: str
    name: str
    steps: tuple[Step, ...]
    graph_data: tuple[tuple[Path, str], ...]
    """Files to load first, each into the named graph its label names."""


def read_manifest(path: Path) -> list[HttpTest]:
    graph = Graph()
    graph.parse(path, format="turtle", publicID=path.resolve().as_uri())
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    entries = Collection(graph, graph.value(manifest, MF.entries))
    return [_test(graph, entry, path.parent) for entry in entries]


def _test(graph: Graph, test: Node, folder: Path) -> HttpTest:
    action = graph.value(test, MF.action)
    requests = Collection(graph, graph.value(action, HT.requests))
    data = []
    for item in graph.objects(test, UT.graphData):
        file = str(graph.value(item, UT.graph)).rsplit("/", 1)[-1]
        data.append((folder / file, str(graph.value(item, RDFS.label))))
    return HttpTest(
        id=str(test).rsplit("#", 1)[-1],
        name=str(graph.value(test, MF.name)),
        steps=tuple(_step(graph, request) for request in requests),
        graph_data=tuple(sorted(data)),
    )


def _headers(graph: Graph, owner: Node) -> list[tuple[str, str]]:
    listed = graph.value(owner, HT.headers)
    if listed is None:
        return []
    return [
        (str(graph.value(h, HT.fieldName)), str(graph.value(h, HT.fieldValue)))
        for h in Collection(graph, listed)
    ]


def _chars(graph: Graph, owner: Node) -> tuple[str, str] | None:
    body = graph.value(owner, HT.body)
    if body is None:
        return None
    encoding = graph.value(body, CNT.characterEncoding)
    return str(graph.value(body, CNT.chars)), str(encoding or "UTF-8")


def _step(graph: Graph, request: Node) -> Step:
    response = graph.value(request, HT.resp)
    chars = _chars(graph, request)
    expected_body = _chars(graph, response)
    content_types = [v for n, v in _headers(graph, response) if n.lower() == "content-type"]
    boolean = graph.value(response, MF.expectedBoolean)
    result_format = graph.value(response, MF.expectedFormat)
    location = graph.value(response, MF.expectedLocation)
    expected = Expected(
        statuses=tuple(
            sorted(str(s)[len(HTS) :] for s in graph.objects(response, MF.expectedStatus))
        ),
        result_format=None if result_format is None else str(result_format),
        boolean=None if boolean is None else bool(boolean.toPython()),
        content_type=content_types[0] if content_types else None,
        turtle=None if expected_body is None else expected_body[0],
        location_variable=None if location is None else str(location),
    )
    return Step(
        method=str(graph.value(request, HT.methodName)),
        path=str(graph.value(request, HT.absolutePath)),
        headers=tuple(_headers(graph, request)),
        body=None if chars is None else chars[0].encode(chars[1]),
        expected=expected,
    )


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def send(
    client: httpx.Client, step: Step, prefixes: dict[str, str], variables: dict[str, str]
) -> httpx.Response:
    """Send one step, mapping the manifest's path prefix to ours and filling in variables."""
    path = step.path
    for name, value in variables.items():
        path = path.replace(name, value)
    for theirs, ours in prefixes.items():
        if path.startswith(theirs):
            path = ours + path[len(theirs) :]
            break
    body = step.body
    if body is not None:
        for name, value in variables.items():
            body = body.replace(name.encode(), value.encode())
    url = httpx.URL(str(client.base_url).rstrip("/") + path)
    request = client.build_request(step.method, url, headers=dict(step.headers), content=body)
    return client.send(request)


def problems(step: Step, response: httpx.Response, variables: dict[str, str]) -> list[str]:
    """What differs from the expected response (empty when it matches)."""
    found: list[str] = []
    expected = step.expected
    status = response.status_code
    if expected.statuses and not any(status in _STATUS[s] for s in expected.statuses):
        found.append(f"status {status} not in {expected.statuses}: {response.text[:300]}")
        return found
    received = media_type(response.headers.get("content-type"))
    if expected.content_type and received != media_type(expected.content_type):
        found.append(f"content type {received}, expected {expected.content_type}")
    if expected.location_variable:
        location = response.headers.get("location")
        if not location:
            found.append("no Location header")
        else:
            variables[expected.location_variable] = location
    if expected.result_format in ("boolean", "tabular"):
        results_format = QueryResultsFormat.from_media_type(received)
        if results_format is None:
            found.append(f"{received} is not a SPARQL results format")
            return found
        results = parse_query_results(response.content, format=results_format)
        kind = QueryBoolean if expected.result_format == "boolean" else QuerySolutions
        if not isinstance(results, kind):
            found.append(f"expected {expected.result_format} results, got {type(results).__name__}")
        elif expected.boolean is not None and bool(results) != expected.boolean:
            found.append(f"ASK answered {bool(results)}, expected {expected.boolean}")
    if expected.result_format == "RDF":
        rdf_format = RdfFormat.from_media_type(received)
        if rdf_format is None:
            found.append(f"{received} is not an RDF format")
    if expected.turtle is not None and step.method != "HEAD":
        wanted = Graph().parse(data=expected.turtle, format="turtle")
        got = Graph().parse(data=response.text, format="turtle")
        if not isomorphic(wanted, got):
            found.append(f"body not isomorphic to the expected graph: {response.text[:500]}")
    return found


def problem_code(response: httpx.Response) -> str | None:
    """The ``code`` of a problem+json body, if the response is one."""
    if media_type(response.headers.get("content-type")) != "application/problem+json":
        return None
    body = json.loads(response.content)
    return str(body.get("code"))


def load_graph_data(client: httpx.Client, test: HttpTest) -> None:
    """The test's preconditions: each data file into its named graph, through /store."""
    for file, graph_iri in test.graph_data:
        response = client.put(
            "/store",
            params={"graph": graph_iri},
            content=file.read_bytes(),
            headers={"content-type": "application/n-triples"},
        )
        assert response.status_code in (201, 204), response.text
