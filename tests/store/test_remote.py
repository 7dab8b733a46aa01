"""The remote store when things go wrong: unreachable, credentials refused, answers cut short
or broken after their 200 header, a store that fails or dies between a batch's graph and its
catalog entry. Real Oxigraph servers, a real misbehaving proxy in front of them, real
kgthread servers: each failure is a precise 502/503 naming the backend and the cause, and no
batch is ever left half visible."""

from __future__ import annotations

import base64
import contextvars
import gc
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from pyoxigraph import NamedNode, QuerySolutions, RdfFormat, Triple

from api.live_server import Server
from backends.oxigraph_server import OxigraphServer, free_port, oxigraph_binary
from backends.proxy import Fault, FaultProxy, Picker, Seen
from backends.stores import remote_server
from factories import product, unit
from kgthread import ids, vocab
from kgthread.config import Settings
from kgthread.errors import KgthreadError, RemoteStoreFailed, RemoteStoreUnavailable
from kgthread.gate import Gate
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.base import CATALOG_GRAPH
from kgthread.store.dialects import Credentials, dialect_for
from kgthread.store.remote import RemoteStore

MARKER = "urn:kgthread-test:marker"
PROBLEM = "application/problem+json"


@pytest.fixture
def oxigraph_url(request: pytest.FixtureRequest) -> str:
    """The session's Oxigraph server, emptied for this test."""
    server = remote_server(request, "oxigraph")
    server.clear()
    url: str = server.settings(Settings()).store
    return url


@pytest.fixture
def proxy(oxigraph_url: str) -> Iterator[FaultProxy]:
    started = FaultProxy(oxigraph_url).start()
    yield started
    started.stop()


def _open(
    url: str, credentials: Credentials | None = None, timeout: float = 5, **options: object
) -> RemoteStore:
    dialect = dialect_for("oxigraph")
    return RemoteStore.open(
        dialect,
        dialect.endpoints(url),
        credentials=credentials,
        timeout=timeout,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def remote(proxy: FaultProxy) -> Iterator[RemoteStore]:
    store = _open(proxy.url)
    yield store
    store.close()


def _batch(triples: list[Triple], name: str) -> Batch:
    data = "\n".join(str(t) for t in triples).encode()
    return Batch("test", "1", [Source.of_bytes(name, data)], triples=triples)


def _marked_query() -> str:
    return f"SELECT ?s WHERE {{ ?s ?p ?o FILTER(?s != <{MARKER}>) }}"


def _is_marked(seen: Seen) -> bool:
    """A query request (form-encoded) whose text names the marker: the test's own."""
    if not seen.path.startswith("/query"):
        return False
    return any(MARKER in text for text in parse_qs(seen.body.decode()).get("query", []))


def _problem(error: KgthreadError) -> dict[str, object]:
    return error.to_problem()


def test_unreachable_store_is_a_503_naming_backend_and_cause() -> None:
    store = _open(f"http://127.0.0.1:{free_port()}")  # opening does not fail: requests do
    with pytest.raises(RemoteStoreUnavailable) as info:
        store.query("ASK {}")
    problem = _problem(info.value)
    assert (problem["status"], problem["backend"], problem["cause"]) == (
        503,
        "oxigraph",
        "unreachable",
    )
    assert "Oxigraph server" in str(problem["detail"])
    store.close()


def test_refused_credentials_are_a_502_and_right_ones_pass(proxy: FaultProxy) -> None:
    proxy.required_authorization = "Basic " + base64.b64encode(b"kg:right").decode()
    wrong = _open(proxy.url, Credentials(kind="basic", user="kg", password="wrong"))
    with pytest.raises(RemoteStoreFailed) as info:
        wrong.graph_names()
    problem = _problem(info.value)
    assert (problem["status"], problem["backend"], problem["cause"]) == (
        502,
        "oxigraph",
        "auth-refused",
    )
    right = _open(proxy.url, Credentials(kind="basic", user="kg", password="right"))
    assert right.graph_names() == []
    proxy.required_authorization = "Bearer s3cret"
    bearer = _open(proxy.url, Credentials(kind="bearer", token="s3cret"))
    assert bearer.graph_names() == []
    for store in (wrong, right, bearer):
        store.close()


def test_truncated_result_is_a_502_never_a_short_answer(
    proxy: FaultProxy, remote: RemoteStore
) -> None:
    graph = ids.batch_graph("b1")
    triples = [Triple(NamedNode(f"urn:s{i}"), vocab.RDF_TYPE, vocab.PART) for i in range(200)]
    remote.commit(graph, triples, [Triple(ids.batch("b1"), vocab.TARGET_GRAPH, graph)])
    result = remote.query(_marked_query())
    assert isinstance(result, QuerySolutions)
    assert len(list(result)) == 201  # whole, before the fault is switched on
    del result  # pyoxigraph results are dropped on the thread that made them
    proxy.pick = lambda seen: "truncate" if _is_marked(seen) else None
    with pytest.raises(RemoteStoreFailed) as info:
        remote.query(_marked_query())
    assert (info.value.status, info.value.detail["cause"]) == (502, "truncated-result")
    assert info.value.detail["backend"] == "oxigraph"


def test_error_after_200_is_a_502(proxy: FaultProxy, remote: RemoteStore) -> None:
    graph = ids.batch_graph("b1")
    remote.commit(graph, product("P-1"), [Triple(ids.batch("b1"), vocab.TARGET_GRAPH, graph)])
    proxy.pick = lambda seen: "error-after-200" if _is_marked(seen) else None
    with pytest.raises(RemoteStoreFailed) as info:
        remote.query(_marked_query())
    assert (info.value.status, info.value.detail["cause"]) == (502, "error-after-200")
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o FILTER(?s != <{MARKER}>) }}"
    with pytest.raises(RemoteStoreFailed, match="after the 200 header"):
        remote.query(construct)


def test_real_oxigraph_error_after_200_is_a_502(remote: RemoteStore) -> None:
    """No proxy: Oxigraph streams results, so a failure met late in the evaluation (here a
    SERVICE nobody answers, reached after the first branch's rows were sent) is written
    after the 200 header, at the end of a half-sent body."""
    graph = ids.batch_graph("many")
    rows = [Triple(NamedNode(f"urn:s{i}"), vocab.RDF_TYPE, vocab.PART) for i in range(20_000)]
    remote.commit(graph, rows, [Triple(ids.batch("many"), vocab.TARGET_GRAPH, graph)])
    nobody = f"http://127.0.0.1:{free_port()}/sparql"
    late = f"SELECT * WHERE {{ {{ ?s ?p ?o }} UNION {{ SERVICE <{nobody}> {{ ?a ?b ?c }} }} }}"
    with pytest.raises(RemoteStoreFailed) as info:
        remote.query(late)
    assert (info.value.status, info.value.detail["cause"]) == (502, "error-after-200")
    assert info.value.detail["backend"] == "oxigraph"


def test_store_failure_is_a_502_and_busy_store_a_503(
    proxy: FaultProxy, remote: RemoteStore
) -> None:
    proxy.pick = lambda seen: "status-500" if _is_marked(seen) else None
    with pytest.raises(RemoteStoreFailed) as info:
        remote.query(_marked_query())
    assert info.value.detail["cause"] == "server-error"
    assert "internal failure of the store" in info.value.message
    proxy.pick = lambda seen: "status-503" if _is_marked(seen) else None
    before = sum(1 for seen in proxy.seen if _is_marked(seen))
    with pytest.raises(RemoteStoreUnavailable) as busy:
        remote.query(_marked_query())
    assert (busy.value.status, busy.value.detail["cause"]) == (503, "overloaded")
    assert sum(1 for seen in proxy.seen if _is_marked(seen)) - before == 3  # retried
    proxy.pick = lambda seen: "drop" if _is_marked(seen) else None
    with pytest.raises(RemoteStoreFailed) as dropped:
        remote.query(_marked_query())
    assert (dropped.value.status, dropped.value.detail["cause"]) == (502, "connection-lost")
    assert dropped.value.detail["backend"] == "oxigraph"


def test_store_that_does_not_answer_in_time_is_a_503(proxy: FaultProxy) -> None:
    proxy.stall_seconds = 2.5
    proxy.pick = lambda seen: "stall" if _is_marked(seen) else None
    store = _open(proxy.url, timeout=1)
    with pytest.raises(RemoteStoreUnavailable) as info:
        store.query(_marked_query(), default_graph=[], named_graphs=[])
    assert (info.value.status, info.value.detail["cause"]) == (503, "timeout")
    assert sum(1 for seen in proxy.seen if _is_marked(seen)) == 3  # a query is retried
    store.close()


def _catalog_write(seen: Seen) -> bool:
    """The last step of a commit: the update that writes the catalog entry."""
    catalog = f"GRAPH {CATALOG_GRAPH}".encode()
    body = seen.body
    return seen.path.startswith("/update") and b"INSERT DATA" in body and catalog in body


def test_failed_catalog_write_leaves_no_partial_batch(
    proxy: FaultProxy, remote: RemoteStore, oxigraph_url: str
) -> None:
    pipeline = Pipeline(remote, Gate.default())
    pipeline.ingest(_batch(product("P-1"), "design.ttl"))
    before = remote.dump(None, RdfFormat.N_QUADS)
    proxy.pick = lambda seen: "status-500" if _catalog_write(seen) else None
    batch = _batch(unit("P-1", "A", "SN-1"), "mes.csv")
    proxy.seen.clear()
    with pytest.raises(RemoteStoreFailed) as info:
        pipeline.ingest(batch)
    steps = [seen.method for seen in proxy.seen if seen.path.startswith(("/store", "/update"))]
    assert steps[:3] == ["POST", "PUT", "POST"]  # mark, graph, catalog (refused), then undo
    assert info.value.detail["cause"] == "server-error"
    assert remote.dump(None, RdfFormat.N_QUADS) == before
    assert batch.graph not in remote.graph_names()
    # Underneath, on the store itself: the graph that was written is gone again.
    assert not _raw_has_graph(oxigraph_url, batch.graph)
    proxy.pick = lambda seen: None
    assert pipeline.ingest(batch).status == "committed"  # the same batch id, retried


def test_store_killed_between_graph_and_catalog_leaves_an_invisible_leftover_removed_on_open(
    tmp_path: Path,
) -> None:
    binary = oxigraph_binary()
    if binary is None:
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)")
    location = tmp_path / "killed"
    server = OxigraphServer(binary, location)
    server.start()
    proxy = FaultProxy(server.url).start()
    store = _open(proxy.url)
    try:
        pipeline = Pipeline(store, Gate.default())
        pipeline.ingest(_batch(product("P-1"), "design.ttl"))
        proxy.before = lambda seen: server.stop() if _catalog_write(seen) else None
        batch = _batch(unit("P-1", "A", "SN-1"), "mes.csv")
        with pytest.raises(KgthreadError) as info:
            pipeline.ingest(batch)
        assert info.value.status in (502, 503)
    finally:
        store.close()
        proxy.stop()
        server.stop()
    again = OxigraphServer(binary, location)  # the same folder, a new process
    again.start()
    try:
        assert _raw_has_graph(again.url, batch.graph)  # written, never catalogued
        writer_may_be_at_work = _open(again.url)
        assert writer_may_be_at_work.recovered_graphs == []  # its pending mark is recent
        assert batch.graph not in writer_may_be_at_work.graph_names()
        assert not list(writer_may_be_at_work.quads(ids.unit("P-1", "SN-1")))
        writer_may_be_at_work.close()
        reopened = _open(again.url, pending_grace=timedelta(0))
        assert reopened.recovered_graphs == [batch.graph]
        assert not _raw_has_graph(again.url, batch.graph)
        assert Pipeline(reopened, Gate.default()).ingest(batch).status == "committed"
        reopened.close()
    finally:
        again.stop()


def test_gate_fetches_the_context_of_a_batch_with_one_construct(
    proxy: FaultProxy, remote: RemoteStore
) -> None:
    pipeline = Pipeline(remote, Gate.default())
    pipeline.ingest(_batch(product("P-1"), "design.ttl"))
    proxy.seen.clear()
    units = [t for i in range(40) for t in unit("P-1", "A", f"SN-{i}")]
    assert pipeline.ingest(_batch(units, "mes.csv")).status == "committed"
    constructs = [s for s in proxy.seen if b"CONSTRUCT" in s.body]
    assert len(constructs) == 1
    queries = [s for s in proxy.seen if s.path.startswith("/query")]
    assert len(queries) < 10  # not one per unit
    with pytest.raises(KgthreadError, match="violation"):  # the context is really used
        pipeline.ingest(_batch(unit("P-2", "A", "SN-X"), "mes2.csv"))


def _queries_seen(proxy: FaultProxy) -> list[str]:
    """The texts of the queries the store was sent, in order."""
    return [
        text
        for s in proxy.seen
        if s.path.startswith("/query")
        for text in parse_qs(s.body.decode()).get("query", [])
    ]


def test_query_after_a_state_read_is_one_round_trip_and_a_write_ends_the_reuse(
    proxy: FaultProxy, remote: RemoteStore
) -> None:
    graph = ids.batch_graph("b1")
    catalog = [Triple(ids.batch("b1"), vocab.TARGET_GRAPH, graph)]
    remote.commit(graph, product("P-1"), catalog)
    query = f"SELECT ?s WHERE {{ ?s <{vocab.RDF_TYPE.value}> ?class }}"
    remote.state()  # as a request reads it for its ETag
    remote.query(query)  # lists the committed graphs once
    remote.state()
    proxy.seen.clear()
    first = remote.query(query)
    assert isinstance(first, QuerySolutions)
    before = {row["s"] for row in first}
    del first
    assert _queries_seen(proxy) == [query]  # the state just read stands for this one
    other = ids.batch_graph("b2")
    remote.commit(other, product("P-2"), [Triple(ids.batch("b2"), vocab.TARGET_GRAPH, other)])
    proxy.seen.clear()
    after = remote.query(query)
    assert isinstance(after, QuerySolutions)
    assert {row["s"] for row in after} > before  # the write is seen at once
    del after
    assert len(_queries_seen(proxy)) == 3  # state, committed graphs, the query
    proxy.seen.clear()
    contextvars.Context().run(remote.state)  # another request's read (its own context)
    answer = contextvars.Context().run(remote.query, query)
    assert isinstance(answer, QuerySolutions)
    del answer
    assert len(_queries_seen(proxy)) == 3  # that read, and this one's own before its query


def test_without_reuse_every_query_reads_the_state_first(proxy: FaultProxy) -> None:
    store = _open(proxy.url, state_reuse=timedelta(0))
    try:
        store.state()
        store.query("ASK { ?s ?p ?o }")
        proxy.seen.clear()
        store.query("ASK { ?s ?p ?o }")
        assert _queries_seen(proxy) == [
            (files("kgthread.rq") / "remote-state.rq").read_text(encoding="utf-8"),
            "ASK { ?s ?p ?o }",
        ]
    finally:
        store.close()


def test_reads_run_no_python_code_off_the_calling_thread(oxigraph_url: str) -> None:
    """pyoxigraph results must be dropped on the thread that made them. The garbage
    collector frees a result a caller keeps in a reference cycle (a caught error's frames)
    on whichever thread it runs, so a store thread running Python code while a caller
    reads could drop the caller's results there ("unsendable ... dropped on another
    thread"). Every collection during reads must happen on a thread that was already
    there, i.e. the store starts none."""
    store = _open(oxigraph_url)
    graph = ids.batch_graph("b1")
    store.commit(graph, product("P-1"), [Triple(ids.batch("b1"), vocab.TARGET_GRAPH, graph)])
    existing = {t.ident for t in threading.enumerate()}
    collected_on: set[int | None] = set()

    def note(phase: str, info: dict[str, int]) -> None:
        collected_on.add(threading.get_ident())

    thresholds = gc.get_threshold()
    gc.callbacks.append(note)
    gc.set_threshold(1, 1, 1)  # collect on almost every allocation, on every thread
    try:
        for _ in range(5):
            result = store.query("SELECT ?s WHERE { ?s ?p ?o }")
            assert isinstance(result, QuerySolutions)
            assert list(result)
            del result
            store.state()
            assert list(store.quads(None, vocab.RDF_TYPE, None))
    finally:
        gc.set_threshold(*thresholds)
        gc.callbacks.remove(note)
        store.close()
    assert collected_on
    assert collected_on <= existing


def _raw_has_graph(url: str, graph: NamedNode) -> bool:
    answer = httpx.post(
        f"{url}/query",
        data={"query": f"ASK {{ GRAPH <{graph.value}> {{ ?s ?p ?o }} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    answer.raise_for_status()
    return bool(answer.json()["boolean"])


def _picking(fault: Fault) -> Picker:
    return lambda seen: fault if _is_marked(seen) else None


# -- the same failures through the HTTP API ----------------------------------------------------


StartApi = Callable[[str], httpx.Client]


@pytest.fixture
def api_over(tmp_path: Path) -> Iterator[StartApi]:
    """kgthread servers (uvicorn on 127.0.0.1) over the remote store at a given URL."""
    started: list[tuple[Server, httpx.Client]] = []

    def start(store_url: str) -> httpx.Client:
        settings = Settings(data=tmp_path / "unused").with_(
            store=store_url, store_dialect="oxigraph", store_timeout_seconds=5
        )
        server = Server(settings, None)  # type: ignore[arg-type]
        client = httpx.Client(base_url=server.start(), timeout=30)
        started.append((server, client))
        return client

    yield start
    for server, client in started:
        client.close()
        server.stop()


def test_api_answers_503_problem_when_the_store_is_unreachable(api_over: StartApi) -> None:
    client = api_over(f"http://127.0.0.1:{free_port()}")
    answer = client.get("/sparql", params={"query": "ASK {}"})
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith(PROBLEM)
    body = answer.json()
    assert (body["backend"], body["cause"], body["code"]) == (
        "oxigraph",
        "unreachable",
        "remote-store-unavailable",
    )


def test_api_answers_502_problem_for_broken_answers(api_over: StartApi, proxy: FaultProxy) -> None:
    client = api_over(proxy.url)
    store = _open(proxy.url)
    graph = ids.batch_graph("b1")
    data = product("P-1") + unit("P-1", "A", "SN-1")
    store.commit(graph, data, [Triple(ids.batch("b1"), vocab.TARGET_GRAPH, graph)])
    store.close()
    assert client.get("/sparql", params={"query": _marked_query()}).status_code == 200
    for fault, cause in (("truncate", "truncated-result"), ("error-after-200", "error-after-200")):
        proxy.pick = _picking(fault)
        answer = client.get("/sparql", params={"query": _marked_query()})
        assert answer.status_code == 502, answer.text
        assert answer.headers["content-type"].startswith(PROBLEM)
        assert (answer.json()["backend"], answer.json()["cause"]) == ("oxigraph", cause)
    proxy.pick = lambda seen: "auth"
    answer = client.get(
        "/api/queries/genealogy-down", params={"unit": ids.unit("P-1", "SN-1").value}
    )
    assert answer.status_code == 502
    assert answer.json()["cause"] == "auth-refused"
