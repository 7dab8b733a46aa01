"""Virtuoso's quirks, measured on a real Virtuoso: first over raw HTTP (what the server does),
then through ``VirtuosoDialect`` and ``RemoteStore`` (what kgthread makes of it), with the
embedded store's answers as the reference."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Triple,
    parse,
    parse_query_results,
)

import factories
from backends.virtuoso import VirtuosoServer, start_server, virtuoso
from kgthread import ids
from kgthread.config import Settings
from kgthread.errors import (
    BadRequest,
    KgthreadError,
    QuerySyntaxError,
    RemoteStoreFailed,
    RemoteStoreUnavailable,
)
from kgthread.store.base import GraphStore
from kgthread.store.dialects import Credentials, dialect_for
from kgthread.store.embedded import EmbeddedStore
from kgthread.store.opening import open_store
from kgthread.store.remote import RemoteStore
from kgthread.store.virtuoso import VirtuosoDialect, query_form
from kgthread.store.virtuoso_answers import AnswerStream

__all__ = ["virtuoso"]  # the session fixture, imported so pytest finds it here

XSD = "http://www.w3.org/2001/XMLSchema#"
RESULTS_JSON = "application/sparql-results+json"
RESULTS_XML = "application/sparql-results+xml"
SMALL_MAX_ROWS = 5
P = NamedNode("urn:kgthread-test:p")
CONSTRUCT_P = "CONSTRUCT { ?s <urn:kgthread-test:p> ?o } WHERE { ?s <urn:kgthread-test:p> ?o }"
Q = NamedNode("urn:kgthread-test:q")


@pytest.fixture(scope="module")
def small_virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """A second Virtuoso whose ``ResultSetMaxRows`` is 5 and ``MaxQueryExecutionTime`` one
    second, for the truncation and time-limit tests."""
    server = start_server(
        tmp_path_factory.mktemp("virtuoso-small"), max_rows=SMALL_MAX_ROWS, max_seconds=1
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server(virtuoso: VirtuosoServer) -> VirtuosoServer:
    virtuoso.clear()
    return virtuoso


@pytest.fixture
def store(server: VirtuosoServer, tmp_path: Path) -> Iterator[GraphStore]:
    opened = open_store(server.settings(Settings(data=tmp_path / "unused")))
    yield opened
    opened.close()


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore.open(tmp_path / "embedded")
    yield opened
    opened.close()


def _commit(store: GraphStore, batch_id: str, triples: list[Triple]) -> NamedNode:
    graph = ids.batch_graph(batch_id)
    store.commit(graph, triples, factories.catalog(batch_id, graph))
    return graph


def _rows(result: object) -> list[dict[str, object]]:
    assert isinstance(result, QuerySolutions)
    names = [v.value for v in result.variables]
    return [{name: row[name] for name in names} for row in result]


def _post(server: VirtuosoServer, accept: str, **form: str) -> httpx.Response:
    return httpx.post(
        server.query_url, data=form, headers={"Accept": accept}, auth=server.auth(), timeout=30
    )


def _nt(triples: list[Triple]) -> bytes:
    return "".join(f"{t} .\n" for t in triples).encode()


def _put(server: VirtuosoServer, graph: str, body: bytes) -> httpx.Response:
    return httpx.put(
        server.graph_store_url,
        params={"graph-uri": graph},
        content=body,
        headers={"Content-Type": "application/n-triples"},
        auth=server.auth(),
        timeout=30,
    )


# -- the server as it is: raw HTTP ----------------------------------------------------------


def test_auth_endpoint_takes_digest_only(server: VirtuosoServer) -> None:
    form = {"query": "ASK {}"}
    anonymous = httpx.post(server.query_url, data=form, timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Digest ")
    basic = httpx.post(server.query_url, data=form, auth=(server.user, server.password), timeout=30)
    assert basic.status_code == 401
    assert _post(server, RESULTS_JSON, **form).json()["boolean"] is True


def test_graph_store_names_graphs_with_graph_uri(server: VirtuosoServer) -> None:
    triples = [Triple(NamedNode("urn:kgthread-test:a"), P, Literal("1"))]
    assert _put(server, "urn:kgthread-test:g", _nt(triples)).status_code == 201
    got = httpx.get(
        server.graph_store_url,
        params={"graph-uri": "urn:kgthread-test:g"},
        headers={"Accept": "application/n-triples"},
        auth=server.auth(),
        timeout=30,
    )
    assert got.status_code == 200
    assert "urn:kgthread-test:a" in got.text
    missing = httpx.get(
        server.graph_store_url,
        params={"graph-uri": "urn:kgthread-test:none"},
        auth=server.auth(),
        timeout=30,
    )
    assert missing.status_code == 404


def test_default_graph_is_the_union_of_all_graphs(server: VirtuosoServer) -> None:
    for name in ("g1", "g2"):
        subject = NamedNode(f"urn:kgthread-test:{name}-s")
        _put(server, f"urn:kgthread-test:{name}", _nt([Triple(subject, P, Literal(name))]))
    answer = _post(server, RESULTS_JSON, query="SELECT ?o WHERE { ?s <urn:kgthread-test:p> ?o }")
    seen = {b["o"]["value"] for b in answer.json()["results"]["bindings"]}
    assert seen == {"g1", "g2"}


def test_chunked_upload_is_taken_for_an_empty_one(server: VirtuosoServer) -> None:
    body = _nt([Triple(NamedNode("urn:kgthread-test:c"), P, Literal("chunked"))])
    answer = httpx.put(
        server.graph_store_url,
        params={"graph-uri": "urn:kgthread-test:chunked"},
        content=iter([body]),  # an iterator: httpx sends it chunked
        headers={"Content-Type": "application/n-triples"},
        auth=server.auth(),
        timeout=30,
    )
    assert answer.status_code == 201  # success, and yet:
    count = _post(
        server,
        RESULTS_JSON,
        query="SELECT (COUNT(*) AS ?n) { GRAPH <urn:kgthread-test:chunked> { ?s ?p ?o } }",
    )
    assert count.json()["results"]["bindings"][0]["n"]["value"] == "0"


def test_combined_accept_makes_construct_fail_or_answer_as_solutions(
    server: VirtuosoServer,
) -> None:
    _put(server, "urn:kgthread-test:g", _nt([Triple(NamedNode("urn:kgthread-test:a"), P, P)]))
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <urn:kgthread-test:g> { ?s ?p ?o } }"
    as_xml = _post(server, f"{RESULTS_XML}, application/n-triples;q=0.9", query=construct)
    assert as_xml.status_code == 406
    as_json = _post(server, f"{RESULTS_JSON}, application/n-triples;q=0.9", query=construct)
    assert as_json.headers["Content-Type"].startswith(RESULTS_JSON)


def test_result_sets_carry_invalid_blank_node_labels_and_json_booleans_as_1(
    server: VirtuosoServer,
) -> None:
    a, x = NamedNode("urn:kgthread-test:a"), BlankNode("x")
    body = _nt([Triple(a, P, x), Triple(x, Q, Literal(True))])
    _put(server, "urn:kgthread-test:g", body)
    query = "SELECT ?o WHERE { GRAPH <urn:kgthread-test:g> { ?s ?p ?o } }"
    xml = _post(server, RESULTS_XML, query=query)
    assert "<bnode>nodeID://" in xml.text
    with pytest.raises(SyntaxError, match="blank node"):
        list(parse_query_results(xml.content, format=QueryResultsFormat.XML))
    as_json = _post(server, RESULTS_JSON, query=query).json()
    booleans = [b["o"] for b in as_json["results"]["bindings"] if b["o"].get("datatype")]
    assert booleans == [{"type": "typed-literal", "datatype": XSD + "boolean", "value": "1"}]


def test_doubles_keep_six_digits_except_in_rdf_json(server: VirtuosoServer) -> None:
    value = Literal("138.3829", datatype=NamedNode(XSD + "double"))
    _put(server, "urn:kgthread-test:g", _nt([Triple(NamedNode("urn:kgthread-test:a"), P, value)]))
    where = "WHERE { GRAPH <urn:kgthread-test:g> { ?s ?p ?o } }"
    as_nt = _post(server, "application/n-triples", query=f"CONSTRUCT {{ ?s ?p ?o }} {where}")
    assert '"138.383"^^' in as_nt.text
    as_xml = _post(server, RESULTS_XML, query=f"SELECT ?o {where}")
    assert ">138.383<" in as_xml.text
    as_rdf_json = _post(server, "application/rdf+json", query=f"CONSTRUCT {{ ?s ?p ?o }} {where}")
    assert as_rdf_json.json()["urn:kgthread-test:a"][P.value][0]["value"] == 138.3829


def test_one_or_more_paths_repeat_a_node_once_per_path(server: VirtuosoServer) -> None:
    """SPARQL 1.1 gives each node a ``+`` path reaches once; Virtuoso once per path."""
    part, left, right, bolt = (NamedNode(f"urn:kgthread-test:{n}") for n in ("top", "l", "r", "b"))
    diamond = [Triple(part, P, left), Triple(part, P, right), Triple(left, P, bolt)]
    diamond.append(Triple(right, P, bolt))
    _put(server, "urn:kgthread-test:g", _nt(diamond))
    query = (
        "SELECT ?x WHERE { GRAPH <urn:kgthread-test:g> "
        "{ ?x <urn:kgthread-test:p>+ <urn:kgthread-test:b> } }"
    )
    seen = [
        b["x"]["value"]
        for b in _post(server, RESULTS_JSON, query=query).json()["results"]["bindings"]
    ]
    assert sorted(seen) == sorted([left.value, right.value, part.value, part.value])


def test_path_from_a_values_binding_is_refused_or_wrong(server: VirtuosoServer) -> None:
    """A ``VALUES`` binding does not fix the end of a ``*`` path for Virtuoso's planner:
    alone the query is refused, joined with more patterns the path is ignored."""
    a, b = NamedNode("urn:kgthread-test:a"), NamedNode("urn:kgthread-test:b")
    _put(server, "urn:kgthread-test:g", _nt([Triple(a, P, b), Triple(b, Q, Literal("x"))]))
    alone = "SELECT ?m WHERE { VALUES ?u { <urn:kgthread-test:a> } ?u <urn:kgthread-test:p>* ?m }"
    refused = _post(server, RESULTS_JSON, query=alone)
    assert refused.status_code == 500
    assert "transitive start not given" in refused.text
    joined = (
        "SELECT DISTINCT ?m WHERE { VALUES ?u { <urn:kgthread-test:a> } "
        "?u <urn:kgthread-test:p>* ?m . ?m ?x ?y }"
    )
    answer = _post(server, RESULTS_JSON, query=joined).json()["results"]["bindings"]
    reached = {row["m"]["value"] for row in answer}
    assert reached - {a.value, b.value}  # nodes no path from a reaches


def test_permission_error_is_a_500(server: VirtuosoServer) -> None:
    answer = httpx.post(
        server.update_url,
        data={"update": "INSERT DATA { GRAPH <urn:kgthread-test:g> { <urn:a> <urn:b> 1 } }"},
        auth=httpx.DigestAuth(server.reader, server.reader_password),
        timeout=30,
    )
    assert answer.status_code == 500
    assert "SR186" in answer.text
    assert "SECURITY" in answer.text


def test_operations_of_one_update_commit_one_by_one(server: VirtuosoServer) -> None:
    update = (
        "INSERT DATA { GRAPH <urn:kgthread-test:first> { <urn:a> <urn:b> 1 } } ;\n"
        "DROP GRAPH <urn:kgthread-test:never-created>"
    )
    answer = httpx.post(server.update_url, data={"update": update}, auth=server.auth(), timeout=30)
    assert answer.status_code == 500
    ask = _post(server, RESULTS_JSON, query="ASK { GRAPH <urn:kgthread-test:first> { ?s ?p ?o } }")
    assert ask.json()["boolean"] is True  # the first operation stayed


def test_delete_insert_drops_a_solution_with_an_unbound_delete_variable(
    server: VirtuosoServer,
) -> None:
    """SPARQL 1.1 Update skips only the template triples with unbound variables; Virtuoso
    skips the whole solution, its INSERT part too."""
    update = (
        "DELETE { GRAPH <urn:kgthread-test:s> { <urn:s> <urn:rev> ?old } }\n"
        "INSERT { GRAPH <urn:kgthread-test:s> { <urn:s> <urn:rev> ?new } }\n"
        'WHERE { VALUES ?new { "r1" } '
        "OPTIONAL { GRAPH <urn:kgthread-test:s> { <urn:s> <urn:rev> ?old } } }"
    )
    answer = httpx.post(server.update_url, data={"update": update}, auth=server.auth(), timeout=30)
    assert answer.status_code == 200
    ask = _post(server, RESULTS_JSON, query="ASK { GRAPH <urn:kgthread-test:s> { ?s ?p ?o } }")
    assert ask.json()["boolean"] is False


def test_graph_store_turns_an_ill_typed_number_into_zero(server: VirtuosoServer) -> None:
    """RDF keeps an ill-typed literal as it is; Virtuoso's Graph Store stores 0 instead."""
    body = b'<urn:kgthread-test:a> <urn:kgthread-test:p> "x"^^<%sinteger> .\n' % XSD.encode()
    assert _put(server, "urn:kgthread-test:ill", body).status_code == 201
    answer = _post(
        server, RESULTS_JSON, query="SELECT ?o { GRAPH <urn:kgthread-test:ill> { ?s ?p ?o } }"
    )
    assert [b["o"]["value"] for b in answer.json()["results"]["bindings"]] == ["0"]


def test_unreadable_graph_is_a_500_that_blames_the_media_type(server: VirtuosoServer) -> None:
    answer = _put(server, "urn:kgthread-test:broken", b"<urn:a> <urn:p> .\n")
    assert answer.status_code == 500
    assert "unsupported type" in answer.text


def test_max_rows_cuts_select_with_a_header_and_graphs_without(
    small_virtuoso: VirtuosoServer,
) -> None:
    small_virtuoso.clear()
    triples = [Triple(NamedNode(f"urn:kgthread-test:s{i}"), P, Literal(str(i))) for i in range(12)]
    assert _put(small_virtuoso, "urn:kgthread-test:big", _nt(triples)).status_code == 201
    where = "WHERE { GRAPH <urn:kgthread-test:big> { ?s ?p ?o } }"
    select = _post(small_virtuoso, RESULTS_JSON, query=f"SELECT * {where}")
    assert len(select.json()["results"]["bindings"]) == SMALL_MAX_ROWS
    assert select.headers["X-SPARQL-MaxRows"] == str(SMALL_MAX_ROWS)
    construct = _post(
        small_virtuoso, "application/n-triples", query=f"CONSTRUCT {{ ?s ?p ?o }} {where}"
    )
    assert len(construct.text.strip().splitlines()) == SMALL_MAX_ROWS + 1
    assert "X-SPARQL-MaxRows" not in construct.headers


# -- kgthread over it: VirtuosoDialect and RemoteStore ----------------------------------------


def test_state_changes_with_every_update(store: GraphStore) -> None:
    """The revision is replaced with two plain operations (the DELETE/INSERT quirk above)."""
    graph = _commit(store, "s", [Triple(NamedNode("urn:kgthread-test:a"), P, Literal("0"))])
    states = [store.state()]
    for value in ("1", "2"):
        store.update(
            f"INSERT DATA {{ GRAPH {graph} {{ <urn:kgthread-test:a> {P} {Literal(value)} }} }}"
        )
        states.append(store.state())
    assert len(set(states)) == 3


def test_bulk_load_is_marked_pending_and_its_streamed_file_lands_whole(
    server: VirtuosoServer, store: GraphStore, tmp_path: Path
) -> None:
    """The pending mark is two plain operations, so a fresh store gets it; the file is
    streamed with its length (a chunked body would be stored as empty)."""
    assert isinstance(store, RemoteStore)
    graph = ids.batch_graph("bulk")
    source = tmp_path / "bulk.nt"
    triples = [Triple(NamedNode(f"urn:kgthread-test:b{i}"), P, Literal(str(i))) for i in range(50)]
    source.write_bytes(_nt(triples))
    marks: list[str] = []

    def check() -> None:  # runs while the upload is under way
        answer = _post(
            server,
            RESULTS_JSON,
            query="SELECT ?g WHERE { GRAPH <https://w3id.org/kgthread/id/store-state> "
            "{ ?g <https://w3id.org/kgthread/id/store-state#pendingSince> ?t } }",
        )
        marks.extend(b["g"]["value"] for b in answer.json()["results"]["bindings"])

    store.bulk_commit(graph, source, RdfFormat.N_TRIPLES, factories.catalog("bulk", graph), check)
    assert marks == [graph.value]
    count = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
    fifty = Literal("50", datatype=NamedNode(XSD + "integer"))
    assert [row["n"] for row in _rows(count)] == [fifty]
    check()  # the mark is gone once the catalog entry is written
    assert marks == [graph.value]


def test_dialect_is_registered_with_its_endpoints() -> None:
    dialect = dialect_for("virtuoso")
    assert isinstance(dialect, VirtuosoDialect)
    endpoints = dialect.endpoints("http://db.example:8890/")
    assert endpoints.query == endpoints.update == "http://db.example:8890/sparql-auth"
    assert endpoints.graph_store == "http://db.example:8890/sparql-graph-crud-auth"
    graph = NamedNode("urn:kgthread-test:g")
    assert dialect.graph_store_request(endpoints.graph_store, graph)[1] == {
        "graph-uri": "urn:kgthread-test:g"
    }


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("SELECT * {}", "SELECT"),
        ("# CONSTRUCT in a comment\nPREFIX a: <urn:#x>\nBASE <urn:b>\n ask {}", "ASK"),
        ("prefix : <urn:>\nCONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("DESCRIBE <urn:a>", "DESCRIBE"),
        ("INSERT DATA {}", None),
    ],
)
def test_query_form_is_read_after_the_prologue(text: str, form: str | None) -> None:
    assert query_form(text.encode()) == form


class _Chunks(httpx.SyncByteStream):
    def __init__(self, data: bytes, size: int) -> None:
        self.parts = [data[i : i + size] for i in range(0, len(data), size)]

    def __iter__(self) -> Iterator[bytes]:
        yield from self.parts


@pytest.mark.parametrize("size", [1, 7, 16, 64, 4096])
def test_blank_node_labels_are_fixed_across_chunk_boundaries(
    server: VirtuosoServer, size: int
) -> None:
    blanks = [BlankNode() for _ in range(20)]
    subject = NamedNode("urn:kgthread-test:a")
    _put(server, "urn:kgthread-test:g", _nt([Triple(subject, P, b) for b in blanks]))
    query = "SELECT ?o WHERE { GRAPH <urn:kgthread-test:g> { ?s ?p ?o } }"
    raw = _post(server, RESULTS_XML, query=query).content
    assert raw.count(b"nodeID://") == len(blanks)
    fixed = b"".join(AnswerStream(_Chunks(raw, size), rewrite=True, counting=False))
    assert b"nodeID://" not in fixed
    labels = {row["o"] for row in parse_query_results(fixed, format=QueryResultsFormat.XML)}
    assert len(labels) == len(blanks)
    assert all(isinstance(label, BlankNode) for label in labels)


@pytest.mark.parametrize("size", [1, 5, 4096])
def test_graph_answers_are_counted_across_chunk_boundaries(
    server: VirtuosoServer, size: int
) -> None:
    triples = [Triple(NamedNode(f"urn:kgthread-test:s{i}"), P, Literal(f"v{i}")) for i in range(30)]
    _put(server, "urn:kgthread-test:g", _nt(triples))
    query = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <urn:kgthread-test:g> { ?s ?p ?o } }"
    raw = _post(server, "application/n-triples", query=query).content
    counter = AnswerStream(_Chunks(raw, size), rewrite=False, counting=True)
    assert b"".join(counter) == raw
    assert counter.statements == len(triples)


def test_store_round_trip_matches_embedded(store: GraphStore, embedded: EmbeddedStore) -> None:
    """Literals of every kind, blank nodes and booleans: the same answers as embedded."""
    a = NamedNode("urn:kgthread-test:a")
    blank = BlankNode()
    literals = [
        Literal("2024-03-01T12:34:56.789Z", datatype=NamedNode(XSD + "dateTime")),
        Literal("2024-03-01T12:34:56+02:00", datatype=NamedNode(XSD + "dateTime")),
        Literal("2024-03-01T12:34:56", datatype=NamedNode(XSD + "dateTime")),
        Literal("2024-03-01", datatype=NamedNode(XSD + "date")),
        Literal("12.5", datatype=NamedNode(XSD + "decimal")),
        Literal("0.1", datatype=NamedNode(XSD + "decimal")),
        Literal("-3", datatype=NamedNode(XSD + "integer")),
        Literal("true", datatype=NamedNode(XSD + "boolean")),
        Literal("false", datatype=NamedNode(XSD + "boolean")),
        Literal("Welle", language="de-at"),
        Literal("shaft", language="en"),
        Literal('quoted "x"\nnew line\ttab'),
        Literal("µm ✓ 𝄞"),
        Literal(""),
        Literal("abc", datatype=NamedNode("https://w3id.org/kgthread/ns#Code")),
    ]
    triples = [Triple(a, P, value) for value in literals]
    triples += [Triple(a, Q, blank), Triple(blank, P, Literal("in a blank node"))]
    for target in (store, embedded):
        _commit(target, "literals", triples)
    query = "SELECT ?o WHERE { <urn:kgthread-test:a> <urn:kgthread-test:p> ?o }"
    remote_values = {row["o"] for row in _rows(store.query(query))}
    assert remote_values == {row["o"] for row in _rows(embedded.query(query))}
    assert remote_values == set(literals)
    nested = "SELECT ?b ?v WHERE { <urn:kgthread-test:a> <urn:kgthread-test:q> ?b . ?b ?p ?v }"
    remote_nested = _rows(store.query(nested))
    assert len(remote_nested) == 1
    assert isinstance(remote_nested[0]["b"], BlankNode)
    assert remote_nested[0]["v"] == Literal("in a blank node")
    ask = store.query("ASK { ?s ?p true }")
    assert isinstance(ask, QueryBoolean)
    assert bool(ask)


def test_boolean_expressions_answer_as_integers(store: GraphStore, embedded: EmbeddedStore) -> None:
    """A comparison in a projection is ``0``/``1`` as xsd:integer on Virtuoso (SQL underneath),
    ``false``/``true`` elsewhere: a difference the dialect cannot undo (a real integer 1 looks
    the same), so kgthread's own queries compare in FILTERs, never in projections."""
    value = Literal("12.5", datatype=NamedNode(XSD + "decimal"))
    for target in (store, embedded):
        _commit(target, "n", [Triple(NamedNode("urn:kgthread-test:a"), P, value)])
    query = "SELECT (?o > 12 AS ?big) WHERE { ?s <urn:kgthread-test:p> ?o }"
    assert _rows(embedded.query(query)) == [{"big": Literal(True)}]
    assert _rows(store.query(query)) == [{"big": Literal(1)}]
    in_filter = "SELECT ?s WHERE { ?s <urn:kgthread-test:p> ?o FILTER(?o > 12) }"
    assert _rows(store.query(in_filter)) == _rows(embedded.query(in_filter))


def test_construct_and_dump_answer_as_graphs(store: GraphStore, embedded: EmbeddedStore) -> None:
    triples = [Triple(NamedNode(f"urn:kgthread-test:s{i}"), P, Literal(str(i))) for i in range(3)]
    for target in (store, embedded):
        graph = _commit(target, "g", triples)
    construct = CONSTRUCT_P
    remote = store.query(construct)
    assert isinstance(remote, QueryTriples)
    local = embedded.query(construct)
    assert isinstance(local, QueryTriples)
    assert set(remote) == set(local) == set(triples)
    dumped = [
        set(parse(target.dump(graph, RdfFormat.N_TRIPLES), RdfFormat.N_TRIPLES))
        for target in (store, embedded)
    ]
    assert dumped[0] == dumped[1]
    assert len(dumped[0]) == len(triples)


def test_empty_graph_dumps_as_empty(
    server: VirtuosoServer, store: GraphStore, embedded: EmbeddedStore
) -> None:
    """Virtuoso keeps no empty graphs (a Graph Store GET of one is a 404); an empty batch
    still dumps as nothing, as on the embedded store."""
    missing = httpx.get(
        server.graph_store_url,
        params={"graph-uri": ids.batch_graph("empty").value},
        auth=server.auth(),
        timeout=30,
    )
    assert missing.status_code == 404
    for target in (store, embedded):
        graph = _commit(target, "empty", [])
    assert store.contains_graph(graph)  # catalogued
    assert store.dump(graph, RdfFormat.N_TRIPLES) == embedded.dump(graph, RdfFormat.N_TRIPLES)


def test_graph_answers_keep_doubles_whole(store: GraphStore, embedded: EmbeddedStore) -> None:
    """Graph answers are read as RDF/JSON, where Virtuoso writes doubles whole; result sets
    keep six significant digits (a known limit: docs/deployment.md)."""
    values = ["138.3829", "0.123456789012345", "8200.07", "1e-10", "-1.5E300", "100"]
    triples = [
        Triple(
            NamedNode(f"urn:kgthread-test:s{i}"), P, Literal(v, datatype=NamedNode(XSD + "double"))
        )
        for i, v in enumerate(values)
    ]
    for target in (store, embedded):
        graph = _commit(target, "doubles", triples)
    dumped = [
        set(parse(t.dump(graph, RdfFormat.N_TRIPLES), RdfFormat.N_TRIPLES))
        for t in (store, embedded)
    ]
    assert dumped[0] == dumped[1]
    assert len(dumped[0]) == len(values)
    remote, local = store.query(CONSTRUCT_P), embedded.query(CONSTRUCT_P)
    assert isinstance(remote, QueryTriples)
    assert isinstance(local, QueryTriples)
    assert set(remote) == set(local)


def test_one_or_more_paths_differ_unless_distinct(
    store: GraphStore, embedded: EmbeddedStore
) -> None:
    part, left, right, bolt = (NamedNode(f"urn:kgthread-test:{n}") for n in ("top", "l", "r", "b"))
    diamond = [Triple(part, P, left), Triple(part, P, right), Triple(left, P, bolt)]
    diamond.append(Triple(right, P, bolt))
    for target in (store, embedded):
        _commit(target, "diamond", diamond)
    path = "SELECT {} ?x WHERE {{ ?x <urn:kgthread-test:p>+ <urn:kgthread-test:b> }}"
    assert len(_rows(embedded.query(path.format("")))) == 3
    assert len(_rows(store.query(path.format("")))) == 4
    distinct = path.format("DISTINCT")
    assert _sorted(store.query(distinct)) == _sorted(embedded.query(distinct))


def _sorted(result: object) -> list[str]:
    return sorted(str(row["x"]) for row in _rows(result))


def test_only_catalogued_graphs_are_seen_despite_the_union(
    server: VirtuosoServer, store: GraphStore
) -> None:
    committed = _commit(store, "seen", [Triple(NamedNode("urn:kgthread-test:a"), P, Literal("x"))])
    stray = [Triple(NamedNode("urn:kgthread-test:stray"), P, Literal("y"))]
    assert _put(server, "urn:kgthread-test:not-catalogued", _nt(stray)).status_code == 201
    seen = {
        row["o"] for row in _rows(store.query("SELECT ?o WHERE { ?s <urn:kgthread-test:p> ?o }"))
    }
    assert seen == {Literal("x")}
    assert committed in store.graph_names()
    assert NamedNode("urn:kgthread-test:not-catalogued") not in store.graph_names()


def test_bulk_commit_streams_the_whole_file(store: GraphStore, tmp_path: Path) -> None:
    source = tmp_path / "bulk.nt"
    source.write_text(
        "".join(f'<urn:kgthread-test:s{i}> <urn:kgthread-test:p> "{i}" .\n' for i in range(3000)),
        encoding="utf-8",
    )
    graph = ids.batch_graph("bulk")
    store.bulk_commit(
        graph, source, RdfFormat.N_TRIPLES, factories.catalog("bulk", graph), lambda: None
    )
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s <urn:kgthread-test:p> ?o } }"
    assert _rows(store.query(count))[0]["n"] == Literal("3000", datatype=NamedNode(XSD + "integer"))


def test_unreadable_graph_is_a_400_and_leaves_nothing(store: GraphStore, tmp_path: Path) -> None:
    source = tmp_path / "broken.nt"
    source.write_text("<urn:a> <urn:p> <urn:b> .\n<urn:a> <urn:p> .\n", encoding="utf-8")
    graph = ids.batch_graph("broken")
    with pytest.raises(BadRequest) as info:
        store.bulk_commit(graph, source, RdfFormat.N_TRIPLES, [], lambda: None)
    assert info.value.status == 400
    assert "Virtuoso could not read the graph" in info.value.message
    assert store.graph_names() == []


def test_permission_error_is_a_502_naming_virtuoso_and_the_grant(
    server: VirtuosoServer, store: GraphStore, request: pytest.FixtureRequest
) -> None:
    _commit(store, "kept", [Triple(NamedNode("urn:kgthread-test:a"), P, Literal("kept"))])
    before = store.dump(None, RdfFormat.N_QUADS)
    dialect = dialect_for("virtuoso")
    reader = RemoteStore(
        dialect,
        dialect.endpoints(server.base_url),
        credentials=Credentials("digest", server.reader, server.reader_password),
        timeout=30,
    )
    request.addfinalizer(reader.close)
    with pytest.raises(RemoteStoreFailed) as info:
        reader.update("INSERT DATA { GRAPH <urn:kgthread-test:g> { <urn:a> <urn:b> 1 } }")
    problem = info.value.to_problem()
    assert (problem["status"], problem["backend"], problem["cause"]) == (
        502,
        "virtuoso",
        "permission-denied",
    )
    assert "Virtuoso" in str(problem["detail"])
    assert "SPARQL_UPDATE" in str(problem["detail"])
    with pytest.raises(RemoteStoreFailed) as put:  # the Graph Store says 403 SQ110
        _commit(reader, "refused", [Triple(NamedNode("urn:kgthread-test:b"), P, Literal("no"))])
    assert (put.value.status, put.value.detail["cause"]) == (502, "permission-denied")
    kept = "SELECT ?o WHERE { ?s <urn:kgthread-test:p> ?o }"
    assert [r["o"] for r in _rows(reader.query(kept))] == [Literal("kept")]
    assert store.dump(None, RdfFormat.N_QUADS) == before


def test_wrong_password_is_a_502_auth_refused(
    server: VirtuosoServer, request: pytest.FixtureRequest
) -> None:
    dialect = dialect_for("virtuoso")
    wrong = RemoteStore(
        dialect,
        dialect.endpoints(server.base_url),
        credentials=Credentials("digest", server.user, server.password + "x"),
        timeout=30,
    )
    request.addfinalizer(wrong.close)
    with pytest.raises(RemoteStoreFailed) as info:
        wrong.graph_names()
    assert (info.value.detail["backend"], info.value.detail["cause"]) == (
        "virtuoso",
        "auth-refused",
    )


def test_syntax_error_is_a_400_with_its_line(store: GraphStore) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        store.query("SELECT ?s\nWHERE { ?s ?p }")
    assert info.value.status == 400
    assert info.value.detail["line"] == 2
    assert "Virtuoso" in info.value.message


def _small_store(
    request: pytest.FixtureRequest, server: VirtuosoServer, dialect: VirtuosoDialect
) -> RemoteStore:
    """A store over ``server``, closed when the test ends."""
    store = RemoteStore(
        dialect,
        dialect.endpoints(server.base_url),
        credentials=Credentials("digest", server.user, server.password),
        timeout=30,
    )
    request.addfinalizer(store.close)
    return store


def test_truncated_answers_are_refused_never_passed_on(
    small_virtuoso: VirtuosoServer, request: pytest.FixtureRequest
) -> None:
    small_virtuoso.clear()
    writer = _small_store(request, small_virtuoso, VirtuosoDialect())
    triples = [Triple(NamedNode(f"urn:kgthread-test:s{i}"), P, Literal(str(i))) for i in range(12)]
    graph = _commit(writer, "big", triples)
    dialect = VirtuosoDialect()  # ResultSetMaxRows not given: asked before the first graph
    store = _small_store(request, small_virtuoso, dialect)
    with pytest.raises(RemoteStoreFailed) as dump:
        store.dump(graph, RdfFormat.N_TRIPLES)
    assert (dump.value.status, dump.value.detail["cause"]) == (502, "truncated-result")
    assert "ResultSetMaxRows" in dump.value.message
    assert dialect.max_rows == SMALL_MAX_ROWS
    with pytest.raises(RemoteStoreFailed) as construct:
        store.query(CONSTRUCT_P)
    assert construct.value.detail["cause"] == "truncated-result"
    assert len(_rows(store.query("SELECT ?s WHERE { ?s ?p ?o } LIMIT 4"))) == 4
    with pytest.raises(RemoteStoreFailed) as select:
        _rows(store.query("SELECT ?s WHERE { ?s <urn:kgthread-test:p> ?o }"))
    assert select.value.detail["cause"] == "truncated-result"
    assert "X-SPARQL-MaxRows" in select.value.message
    assert "Virtuoso" in select.value.message


def test_graphs_under_max_rows_pass_whole(server: VirtuosoServer, store: GraphStore) -> None:
    triples = [Triple(NamedNode(f"urn:kgthread-test:s{i}"), P, Literal(str(i))) for i in range(50)]
    graph = _commit(store, "whole", triples)
    assert len(list(parse(store.dump(graph, RdfFormat.N_TRIPLES), RdfFormat.N_TRIPLES))) == 50
    assert isinstance(store, RemoteStore)
    assert isinstance(store.dialect, VirtuosoDialect)
    assert store.dialect.max_rows == server.max_rows  # asked of the server


def test_parameters_fix_path_ends_as_on_embedded(
    store: GraphStore, embedded: EmbeddedStore
) -> None:
    a, b, c = (NamedNode(f"urn:kgthread-test:{n}") for n in "abc")
    triples = [Triple(a, P, b), Triple(b, P, c), Triple(c, Q, Literal("leaf"))]
    for target in (store, embedded):
        _commit(target, "chain", triples)
    query = "SELECT DISTINCT ?u ?m WHERE { ?u <urn:kgthread-test:p>* ?m . ?m ?x ?y }"
    for start in (a, b):
        remote = _sorted_column(store.query(query, substitutions={"u": start}), "m")
        assert remote == _sorted_column(embedded.query(query, substitutions={"u": start}), "m")
    assert _sorted_column(store.query(query, substitutions={"u": b}), "m") == [b.value, c.value]


def _sorted_column(result: object, name: str) -> list[str]:
    return sorted(str(getattr(row[name], "value", row[name])) for row in _rows(result))


def test_unbound_transitive_path_is_a_502_unsupported_query(store: GraphStore) -> None:
    _commit(store, "chain", [Triple(NamedNode("urn:kgthread-test:a"), P, NamedNode("urn:b"))])
    with pytest.raises(RemoteStoreFailed) as info:
        store.query("SELECT * WHERE { ?a <urn:kgthread-test:p>+ ?b }")
    assert (info.value.status, info.value.detail["cause"]) == (502, "unsupported-query")
    assert "SPARQL query:" not in info.value.message  # Virtuoso's echo of the query is cut
    bound = "SELECT ?b WHERE { <urn:kgthread-test:a> <urn:kgthread-test:p>+ ?b }"
    assert _rows(store.query(bound)) == [{"b": NamedNode("urn:b")}]


def test_sorting_past_max_sorted_top_rows_is_a_row_limit_error(store: GraphStore) -> None:
    _commit(store, "few", [Triple(NamedNode("urn:kgthread-test:a"), P, Literal("x"))])
    with pytest.raises(RemoteStoreFailed) as info:
        store.query("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s OFFSET 10000 LIMIT 10")
    assert info.value.detail["cause"] == "row-limit"
    assert "MaxSortedTopRows" in info.value.message


def test_time_limit_is_a_503_timeout(
    small_virtuoso: VirtuosoServer, request: pytest.FixtureRequest
) -> None:
    small_virtuoso.clear()
    store = _small_store(request, small_virtuoso, VirtuosoDialect())
    numbers = [Triple(NamedNode(f"urn:kgthread-test:n{i}"), P, Literal(i)) for i in range(2000)]
    _commit(store, "numbers", numbers)
    three_way = (
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z "
        "FILTER(?x + ?y + ?z = 4500) }"
    )
    with pytest.raises(RemoteStoreUnavailable) as info:
        store.query(three_way)
    assert (info.value.status, info.value.detail["cause"]) == (503, "timeout")
    assert "SR171" in info.value.message


def test_stopped_virtuoso_is_a_503_unreachable(
    small_virtuoso: VirtuosoServer, request: pytest.FixtureRequest
) -> None:
    small_virtuoso.stop()  # the module's server is stopped by its pid; queries now fail
    store = _small_store(request, small_virtuoso, VirtuosoDialect())
    with pytest.raises(KgthreadError) as info:
        store.query("ASK {}")
    assert info.value.to_problem()["cause"] == "unreachable"
    assert info.value.status == 503
