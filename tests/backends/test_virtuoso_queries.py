"""Named queries Virtuoso is sent in its own text (``src/kgthread/rq/virtuoso/``): the text
that reaches the server is that one, and its answers are the embedded store's, row for row.
Each query also asks for a connection of its own (``Connection: close``: Virtuoso's Nagle
stall on kept-alive connections, docs/deployment.md).

The server tests load the same 50k-triple sample into an embedded store and into a real
Virtuoso (the session's, ``backends.stores``) and compare ``lineage.run`` tables; the
requests Virtuoso receives are recorded by a transport in front of the real one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs

import httpx
import pytest
from pyoxigraph import NamedNode, QuerySolutions, RdfFormat, Store, Triple, Variable

from backends.stores import remote_server
from kgthread import assets, lineage, queries
from kgthread.config import Settings
from kgthread.ingest.batch import Batch, Source, provenance
from kgthread.sample import generate
from kgthread.store import sparql_text
from kgthread.store.base import GraphStore, Term
from kgthread.store.dialects import AuthKind, Credentials
from kgthread.store.embedded import EmbeddedStore
from kgthread.store.remote import RemoteStore
from kgthread.store.virtuoso import OWN_TEXTS, VirtuosoDialect, own_text

LOT = NamedNode("https://w3id.org/kgthread/id/lot/RM-0001/L000001")


def _own_files() -> list[str]:
    folder = resources.files("kgthread.rq").joinpath(OWN_TEXTS)
    return sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".rq"))


def test_recall_is_sent_to_virtuoso_as_its_own_text() -> None:
    shared = queries.get("recall").text
    own = own_text(shared)
    assert own is not None
    assert own != shared
    sent = VirtuosoDialect().bind(shared, {"item": LOT})
    assert sent == sparql_text.bind_inline(own, {"item": LOT})
    assert f"SELECT DISTINCT ?unit WHERE {{ ?unit kgt:hasComponent+ {LOT} }}" in sent


def test_an_edited_named_query_and_other_queries_are_sent_as_they_are() -> None:
    edited = queries.get("recall").text + "\n# edited by an integrator\n"
    assert own_text(edited) is None
    assert VirtuosoDialect().bind(edited, {"item": LOT}) == sparql_text.bind_inline(
        edited, {"item": LOT}
    )
    other = queries.get("genealogy-down").text
    assert own_text(other) is None


@pytest.mark.parametrize("name", _own_files())
def test_each_virtuoso_text_stands_for_a_named_query_with_the_same_columns(name: str) -> None:
    shared_path = assets.queries_dir() / name
    assert shared_path.is_file(), f"rq/{OWN_TEXTS}/{name} names no queries/{name}"
    shared = queries.parse_header(shared_path)
    own = (
        resources.files("kgthread.rq")
        .joinpath(OWN_TEXTS)
        .joinpath(name)
        .read_text(encoding="utf-8")
    )
    assert own_text(shared.text) == own
    bound = {p.name: LOT for p in shared.parameters}
    substitutions: dict[Variable, Term | Triple] = {Variable(k): v for k, v in bound.items()}
    empty = Store()
    expected = empty.query(shared.text, substitutions=substitutions)
    answered = empty.query(sparql_text.bind_inline(own, bound))
    assert isinstance(expected, QuerySolutions)
    assert isinstance(answered, QuerySolutions)
    assert answered.variables == expected.variables


class RecordingTransport(httpx.HTTPTransport):
    """The real transport, keeping each request as it goes on the wire."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return super().handle_request(request)

    def queries(self) -> list[str]:
        found = []
        for request in self.requests:
            form = parse_qs(request.content.decode("utf-8")) if request.method == "POST" else {}
            found += form.get("query", [])
        return found


@dataclass
class Loaded:
    embedded: EmbeddedStore
    virtuoso: RemoteStore
    wire: RecordingTransport
    truth: dict[str, Any]


@pytest.fixture(scope="module")
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loaded]:
    server = remote_server(request, "virtuoso")
    server.clear()
    settings = server.settings(Settings())
    folder = tmp_path_factory.mktemp("virtuoso-queries")
    summary = generate(50_000, 7, folder / "factory.nt")
    wire = RecordingTransport()
    dialect = VirtuosoDialect()
    virtuoso = RemoteStore.open(
        dialect,
        dialect.endpoints(settings.store),
        credentials=Credentials(
            kind=cast(AuthKind, settings.store_auth),
            user=settings.store_user,
            password=settings.store_password,
        ),
        timeout=60,
        transport=wire,
    )
    embedded = EmbeddedStore.open(folder / "embedded")
    for store in (embedded, virtuoso):
        _load(store, folder / "factory.nt")
    truth = json.loads(Path(summary.truth).read_text(encoding="utf-8"))
    yield Loaded(embedded, virtuoso, wire, truth)
    virtuoso.close()
    embedded.close()
    server.clear()


def _load(store: GraphStore, sample: Path) -> None:
    batch = Batch("virtuoso-queries", "1", [Source.of_file(sample)], batch_id="sample")
    store.bulk_commit(
        batch.graph, sample, RdfFormat.N_TRIPLES, provenance(batch, 0, batch.started), lambda: None
    )


def _rows(store: GraphStore, name: str, values: dict[str, str]) -> list[dict[str, str]]:
    table = lineage.run(store, queries.get(name), values)
    return [{k: str(v) for k, v in row.items()} for row in table.rows]


def test_recall_on_virtuoso_answers_as_the_embedded_store(loaded: Loaded) -> None:
    lots = loaded.truth["lots"]
    assert lots
    for lot in lots:
        values = {"item": lot["lot"]}
        remote = _rows(loaded.virtuoso, "recall", values)
        assert remote == _rows(loaded.embedded, "recall", values)
        assert {row["unit"].strip("<>") for row in remote} == set(lot["contained_in"])
    for unit in loaded.truth["mid_units"][:5]:  # a unit inside others: recall of a unit
        values = {"item": unit["unit"]}
        remote = _rows(loaded.virtuoso, "recall", values)
        assert remote, unit["unit"]
        assert remote == _rows(loaded.embedded, "recall", values)


def test_virtuoso_receives_the_virtuoso_text_of_recall(loaded: Loaded) -> None:
    lot = loaded.truth["lots"][0]["lot"]
    loaded.wire.requests.clear()
    lineage.run(loaded.virtuoso, queries.get("recall"), {"item": lot})
    own = own_text(queries.get("recall").text)
    assert own is not None
    assert sparql_text.bind_inline(own, {"item": NamedNode(lot)}) in loaded.wire.queries()


def test_each_virtuoso_answer_comes_on_a_connection_of_its_own(loaded: Loaded) -> None:
    unit = loaded.truth["top_units"][0]["unit"]
    loaded.wire.requests.clear()
    table = lineage.run(loaded.virtuoso, queries.get("genealogy-down"), {"unit": unit})
    assert (
        table.rows
        == lineage.run(loaded.embedded, queries.get("genealogy-down"), {"unit": unit}).rows
    )
    asked = [r for r in loaded.wire.requests if r.method == "POST" and b"query=" in r.content]
    assert asked
    assert all(r.headers.get("Connection") == "close" for r in asked)
