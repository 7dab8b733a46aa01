"""Query limits on real servers on loopback: deadlines, slots, caps, the SERVICE allow-list,
and ``serve`` refusing to open an unauthenticated server beyond loopback.

The runaway queries are cross joins over a few hundred synthetic triples: big enough to run
for seconds, small enough that a worker left inside the engine finishes soon after the test
has seen its 503 (each test waits, bounded, until the server reports no worker left).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse

from api.live_server import Live, LiveFactory
from kgthread.api.auth import Authenticator, binding_notice
from kgthread.api.guard import refuse_unlisted, targets
from kgthread.cli import main
from kgthread.config import Settings
from kgthread.errors import BadRequest, TargetRefused
from kgthread.gate import Gate
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.base import GraphStore

EX = "http://example.org/limits/"
HUB = NamedNode(EX + "hub")
CROSS_JOIN = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CROSS_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP = "ASK { ?s ?p ?o }"
JSON_RESULTS = "application/sparql-results+json"


def _fill(store: GraphStore, count: int) -> None:
    """``count`` statements, all about one hub, as one batch through the gate."""
    triples = [
        Triple(HUB, NamedNode(EX + "p"), NamedNode(f"{EX}item{n}")) for n in range(count - 1)
    ]
    triples.append(Triple(HUB, NamedNode(EX + "label"), Literal("hub")))
    source = Source.of_bytes("limits.nt", str(count).encode())
    Pipeline(store, Gate.default()).ingest(Batch("rdf", "1", [source], triples=triples))


def _slots(live: Live) -> dict[str, int]:
    queries: dict[str, int] = live.client.get("/api/admin/settings").json()["queries"]
    return queries


def _wait_idle(live: Live, seconds: float = 120) -> dict[str, int]:
    """Poll until no query worker runs; the last snapshot."""
    until = time.monotonic() + seconds
    snapshot = _slots(live)
    while snapshot["running"] and time.monotonic() < until:
        time.sleep(0.1)
        snapshot = _slots(live)
    return snapshot


def _wait_running(live: Live, at_least: int, seconds: float = 120) -> None:
    """Poll (bounded) until ``at_least`` query workers run: an event, not a guessed delay."""
    until = time.monotonic() + seconds
    while _slots(live)["running"] < at_least:
        assert time.monotonic() < until, f"fewer than {at_least} queries started"
        time.sleep(0.02)


def _query(client: httpx.Client, query: str, accept: str = JSON_RESULTS) -> httpx.Response:
    return client.get("/sparql", params={"query": query}, headers={"Accept": accept})


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


class Background:
    """One request on its own client and thread."""

    def __init__(self, url: str, query: str) -> None:
        self.response: httpx.Response | None = None
        self._thread = threading.Thread(target=self._run, args=(url, query), daemon=True)

    def _run(self, url: str, query: str) -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            self.response = _query(client, query)

    def start(self) -> Background:
        self._thread.start()
        return self

    def join(self) -> httpx.Response:
        self._thread.join(timeout=120)
        assert self.response is not None, "the background request did not finish"
        return self.response


# -- deadlines ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_runaway_query_is_503_by_its_deadline_and_its_worker_stops(
    live_factory: LiveFactory,
) -> None:
    live = live_factory(query_timeout_seconds=1.0, query_max_rows=10**12, query_max_bytes=10**13)
    _fill(live.store, 250)
    response = _query(live.client, CROSS_JOIN)
    body = _problem(response, 503, "query-timeout")
    assert body["seconds"] == 1.0
    # The results stream through a sink that checks the deadline: the worker gives its slot
    # back long before the 15M rows could have been written.
    assert _wait_idle(live) == {"slots": 4, "running": 0, "stuck": 0}


@pytest.mark.slow
def test_a_stuck_query_keeps_its_slot_while_other_queries_are_served(
    live_factory: LiveFactory,
) -> None:
    live = live_factory(query_timeout_seconds=1.0, read_threads=2, query_queue_seconds=0.2)
    _fill(live.store, 280)
    runaway = Background(live.url, CROSS_COUNT).start()
    _wait_running(live, 1)
    during = _query(live.client, CHEAP)
    assert during.status_code == 200, during.text
    assert during.json()["boolean"] is True
    response = runaway.join()
    _problem(response, 503, "query-timeout")
    # COUNT over the join yields nothing before it is done: the worker is still inside the
    # engine, counted as stuck, while the other slot keeps serving.
    assert _slots(live)["stuck"] == 1
    after = _query(live.client, CHEAP)
    assert after.status_code == 200, after.text
    assert _wait_idle(live) == {"slots": 2, "running": 0, "stuck": 0}


@pytest.mark.slow
def test_excess_queries_wait_briefly_then_get_503_with_retry_after(
    live_factory: LiveFactory,
) -> None:
    live = live_factory(read_threads=1, query_queue_seconds=0.2, query_timeout_seconds=60)
    _fill(live.store, 160)
    busy = Background(live.url, CROSS_COUNT).start()
    _wait_running(live, 1)
    refused = _query(live.client, CHEAP)
    body = _problem(refused, 503, "query-busy")
    assert int(refused.headers["retry-after"]) >= 1
    assert "1 query slots" in body["detail"]
    finished = busy.join()
    assert finished.status_code == 200, finished.text
    assert finished.json()["results"]["bindings"][0]["n"]["value"] == str(
        (160 + _catalog_size(live)) ** 3
    )
    assert _query(live.client, CHEAP).status_code == 200


def _catalog_size(live: Live) -> int:
    return sum(1 for q in live.store.quads() if q.subject != HUB)


# -- caps -----------------------------------------------------------------------------------


@pytest.fixture
def capped(live_factory: LiveFactory) -> Live:
    live = live_factory(query_max_rows=10, query_max_chars=200, enable_update=True)
    _fill(live.store, 30)
    return live


@pytest.mark.parametrize(
    "accept",
    [JSON_RESULTS, "application/sparql-results+xml", "text/csv", "text/tab-separated-values"],
)
def test_more_rows_than_the_cap_is_503_never_a_partial_answer(capped: Live, accept: str) -> None:
    over = _query(capped.client, f"SELECT ?o WHERE {{ <{HUB.value}> ?p ?o }}", accept)
    body = _problem(over, 503, "result-too-large")
    assert body["max_rows"] == 10
    at_cap = _query(capped.client, f"SELECT ?o WHERE {{ <{HUB.value}> ?p ?o }} LIMIT 10", accept)
    assert at_cap.status_code == 200, at_cap.text
    assert at_cap.headers["content-type"].startswith(accept)


def test_capped_results_keep_every_row_and_term(capped: Live) -> None:
    response = _query(capped.client, f"SELECT ?p ?o WHERE {{ <{HUB.value}> ?p ?o }} LIMIT 10")
    rows = response.json()["results"]["bindings"]
    assert len(rows) == 10
    assert {row["p"]["type"] for row in rows} == {"uri"}
    label = _query(capped.client, f"SELECT ?o WHERE {{ <{HUB.value}> <{EX}label> ?o }}")
    assert label.json()["results"]["bindings"] == [{"o": {"type": "literal", "value": "hub"}}]


def test_construct_is_capped_by_triples(capped: Live) -> None:
    over = _query(capped.client, "CONSTRUCT WHERE { ?s ?p ?o }", "text/turtle")
    _problem(over, 503, "result-too-large")
    hub = f"CONSTRUCT {{ <{HUB.value}> ?p ?o }} WHERE {{ <{HUB.value}> ?p ?o }} LIMIT 5"
    under = _query(capped.client, hub, "text/turtle")
    assert under.status_code == 200, under.text
    assert under.headers["content-type"].startswith("text/turtle")
    triples = list(parse(under.content, format=RdfFormat.TURTLE))
    assert len(triples) == 5
    assert {t.subject for t in triples} == {HUB}


def test_more_bytes_than_the_cap_is_503(live_factory: LiveFactory) -> None:
    live = live_factory(query_max_bytes=400)
    _fill(live.store, 30)
    over = _query(live.client, f"SELECT ?o WHERE {{ <{HUB.value}> ?p ?o }}")
    assert _problem(over, 503, "result-too-large")["max_bytes"] == 400
    assert _query(live.client, CHEAP).status_code == 200


def test_named_queries_take_the_row_cap_from_the_settings(capped: Live) -> None:
    response = capped.client.get("/api/queries/links", params={"iri": HUB.value})
    body = _problem(response, 503, "query-limit")
    assert body["limit"] == 10


def test_long_queries_and_updates_are_refused(capped: Live) -> None:
    padding = "#" + "x" * 300 + "\n"
    query = _query(capped.client, padding + CHEAP)
    assert "limit is 200" in _problem(query, 400, "bad-request")["detail"]
    before = capped.dump()
    update = capped.client.post(
        "/sparql", data={"update": padding + f"INSERT DATA {{ <{EX}a> <{EX}b> <{EX}c> }}"}
    )
    assert "update is" in _problem(update, 400, "bad-request")["detail"]
    assert capped.dump() == before


# -- SERVICE and LOAD -------------------------------------------------------------------------


def test_targets_are_read_as_the_engine_reads_them() -> None:
    text = (
        "BASE <http://h.example/> PREFIX e: <http://x.example/> "
        "SELECT * { SERVICE e:sp { ?s ?p ?o } SERVICE SILENT <rel> {} SERVICE ?v {} "
        "?s <http://x/SERVICE> 'SERVICE <http://no/>' } # SERVICE <http://no/>"
    )
    assert list(targets(text)) == [
        ("SERVICE", "http://x.example/sp"),
        ("SERVICE", "http://h.example/rel"),
        ("SERVICE", None),
    ]
    assert list(targets("LOAD SILENT <http://d.example/x.ttl> INTO GRAPH <http://g/>")) == [
        ("LOAD", "http://d.example/x.ttl")
    ]
    # Escapes are decoded as the engine decodes them, so they cannot dress up a target.
    escaped = (
        r"PREFIX e: <http://x.example/> "
        r"ASK { SERVICE e:sp\-x {} SERVICE <http://\u0078.example/sp> {} }"
    )
    assert [t for _, t in targets(escaped)] == ["http://x.example/sp-x", "http://x.example/sp"]
    with pytest.raises(TargetRefused, match="sp-x"):
        refuse_unlisted(escaped, ["http://x.example/sp"])
    with pytest.raises(TargetRefused, match="variable"):
        refuse_unlisted("SELECT * { SERVICE ?v { ?s ?p ?o } }", ["http://x.example/sp"])
    refuse_unlisted(
        "PREFIX e: <http://x.example/> ASK { SERVICE e:sp {} }", ["http://x.example/sp"]
    )


@pytest.mark.slow
def test_service_reaches_an_allowed_kgthread_and_nothing_else(live_factory: LiveFactory) -> None:
    remote = live_factory()
    _fill(remote.store, 5)
    endpoint = remote.url + "/sparql"
    (quad, *_) = remote.store.quads(HUB)
    assert isinstance(quad.graph_name, NamedNode)
    document = f"{remote.url}/store?graph={quad.graph_name.value}"
    local = live_factory(
        service_allow_list=f"http://127.0.0.1:9/sparql, {endpoint},{document}",
        enable_update=True,
    )
    query = f"SELECT ?o WHERE {{ SERVICE <{endpoint}> {{ <{HUB.value}> <{EX}label> ?o }} }}"
    response = _query(local.client, query)
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"] == [{"o": {"type": "literal", "value": "hub"}}]
    elsewhere = query.replace(endpoint, remote.url + "/store")
    body = _problem(_query(local.client, elsewhere), 400, "target-refused")
    assert body["target"] == remote.url + "/store"
    assert remote.url + "/store" in body["detail"]

    # LOAD of an allowed document: fetched from the other server's Graph Store, then gated.
    before = local.dump()
    unlisted = local.client.post("/sparql", data={"update": f"LOAD <{document}&x=1>"})
    assert _problem(unlisted, 400, "target-refused")["target"] == document + "&x=1"
    assert local.dump() == before
    into = NamedNode(EX + "copied")
    load = local.client.post(
        "/sparql", data={"update": f"LOAD <{document}> INTO GRAPH <{into.value}>"}
    )
    assert load.status_code == 200, load.text
    assert load.json()["created"] == [into.value]
    copied = {(q.subject, q.predicate, q.object) for q in local.store.quads(graph=into)}
    assert copied == {(q.subject, q.predicate, q.object) for q in remote.store.quads(HUB)}


# -- serve without keys ------------------------------------------------------------------------


def test_serve_refuses_a_public_address_without_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("KGTHREAD_API_KEYS_FILE", "KGTHREAD_JWT_KEYS_FILE"):
        monkeypatch.delenv(name, raising=False)
    code = main(["--data", str(tmp_path / "store"), "serve", "--host", "0.0.0.0"])
    assert code == 2
    err = capsys.readouterr().err
    assert "refusing to serve on 0.0.0.0 without authentication" in err
    assert not (tmp_path / "store").exists()


def test_binding_notice_says_who_may_call(tmp_path: Path) -> None:
    open_server = Authenticator(Settings(data=tmp_path))
    assert "binds to loopback (::1) only" in binding_notice(open_server, "::1")
    with pytest.raises(BadRequest):
        binding_notice(open_server, "192.0.2.7")
    (tmp_path / "k.toml").write_text(
        '[[keys]]\nname = "a"\nsha256 = "' + "0" * 64 + '"\nrole = "read"\n', "utf-8"
    )
    guarded = Authenticator(Settings(data=tmp_path, api_keys_file=tmp_path / "k.toml"))
    assert binding_notice(guarded, "0.0.0.0") == (
        "authentication required: 1 API key(s), bearer tokens not configured"
    )


@pytest.mark.slow
def test_serve_says_at_start_that_it_is_open_on_loopback_only(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-c",
        "import sys; from kgthread.cli import main; sys.exit(main())",
        "--data",
        str(tmp_path / "store"),
        "serve",
        "--port",
        "0",
    ]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env) as process:
        # A server that hangs before printing is killed, which ends the reads below.
        watchdog = threading.Timer(60, process.kill)
        watchdog.start()
        try:
            _expect_loopback_notice(process)
        finally:
            watchdog.cancel()
            process.terminate()
            process.wait(timeout=30)


def _expect_loopback_notice(process: subprocess.Popen[str]) -> None:
    """Read stderr until the serving line (bounded: at most 40 lines)."""
    assert process.stderr is not None
    lines: list[str] = []
    for _ in range(40):
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        if "serving" in line:
            break
    said = "".join(lines)
    assert "every caller is admin, so the server binds to loopback (127.0.0.1) only" in said
