"""The audit trail only fails when something was tampered with: after every write path, on
real files, ``audit verify`` holds; after an edit that keeps the counts, or a cut log, it
does not, and it names what it found."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pyoxigraph import Literal, Quad, Store

from api.live_server import Server
from ingest.sensors.opcua_servers import mill_nodesets
from ingest.step.truth import step_dir
from kgthread import assets, vocab
from kgthread.cli import main
from kgthread.config import Settings
from kgthread.store.embedded import EmbeddedStore

AS1 = "cax-if-ap214/as1-oc-214.stp"


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    for name in ("KGTHREAD_AUDIT_DIR", "KGTHREAD_STORE", "KGTHREAD_REASONING"):
        monkeypatch.delenv(name, raising=False)
    return ["--data", str(tmp_path / "store")]


def _verify(data: list[str], capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main([*data, "audit", "verify", *extra])
    return code, capsys.readouterr().out


def test_every_cli_write_path_then_verify_holds(
    data: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sample = tmp_path / "sample.nt"
    assert main(["sample", "--scale", "5000", "--out", str(sample)]) == 0
    # The sample writes decimals such as "1.50": the store normalises them; what is digested
    # is what is stored.
    assert re.search(
        r'"\d+\.\d*0"\^\^<http://www.w3.org/2001/XMLSchema#decimal>', sample.read_text()
    )
    assert main([*data, "load", str(sample)]) == 0
    code, out = _verify(data, capsys)
    assert code == 0, out
    empty = tmp_path / "empty.nt"
    empty.write_text("", encoding="utf-8")
    assert main([*data, "load", str(empty)]) == 0
    as1 = step_dir() / AS1
    assert main([*data, "ingest", "step", str(as1)]) == 0
    courbon = assets.shared_data_dir() / "b2mml" / "courbon-v0401"
    assert main([*data, "ingest", "b2mml", str(courbon / "MAT-20121210170256-CRBN0001.xml")]) == 0
    assert main([*data, "ingest", "opcua-nodeset", *map(str, mill_nodesets())]) == 0
    # A new version of the STEP document (another export): the old one becomes history.
    again = tmp_path / "v2" / as1.name
    again.parent.mkdir()
    shutil.copyfile(as1, again)
    again.write_bytes(as1.read_bytes().replace(b"2008-07-24T15:00:20", b"2026-12-07T09:30:00"))
    assert main([*data, "ingest", "step", str(again)]) == 0
    assert "version 2" in capsys.readouterr().out
    code, out = _verify(data, capsys)
    assert code == 0, out
    # With the reasoner on, its inferred graph and conformance reports are logged too.
    monkeypatch.setenv("KGTHREAD_REASONING", "on")
    third = tmp_path / "v3" / as1.name
    third.parent.mkdir()
    third.write_bytes(as1.read_bytes().replace(b"2008-07-24T15:00:20", b"2026-12-08T09:30:00"))
    assert main([*data, "ingest", "step", str(third)]) == 0
    code, out = _verify(data, capsys)
    assert code == 0, out
    log = (tmp_path / "store.audit" / "audit.jsonl").read_text(encoding="utf-8")
    actions = {json.loads(line)["action"] for line in log.splitlines()}
    assert {"ingest", "reasoning"} <= actions


def test_an_edit_that_keeps_every_count_is_found(
    data: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*data, "ingest", "step", str(step_dir() / AS1)]) == 0
    assert _verify(data, capsys)[0] == 0
    folder = tmp_path / "store"
    for graph_kind in ("batch", "view"):
        raw = Store(str(folder))
        quads = list(raw.quads_for_pattern(None, vocab.PART_NUMBER, Literal("nut")))
        (label,) = [
            q for q in quads if ("graph/current" in str(q.graph_name)) == (graph_kind == "view")
        ]
        raw.remove(label)
        raw.add(Quad(label.subject, label.predicate, Literal("nut-x"), label.graph_name))
        raw.flush()
        del raw
        code, out = _verify(data, capsys)
        assert code == 1, graph_kind
        if graph_kind == "batch":
            assert "content-changed" in out
            assert label.graph_name.value in out  # type: ignore[union-attr]
        else:
            assert "view-changed" in out
            assert "1 statement(s) held by the view, asserted by no current graph" in out
        # Put it back: the store holds what was logged again, and verification holds.
        raw = Store(str(folder))
        raw.remove(Quad(label.subject, label.predicate, Literal("nut-x"), label.graph_name))
        raw.add(label)
        raw.flush()
        del raw
        assert _verify(data, capsys)[0] == 0


def test_a_head_kept_elsewhere_finds_entries_cut_from_the_end(
    data: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nut = tmp_path / "p.ttl"
    nut.write_text(
        "<https://w3id.org/kgthread/id/part/N> a <https://w3id.org/kgthread/ns#Part> ; "
        '<https://w3id.org/kgthread/ns#partNumber> "N" .\n',
        encoding="utf-8",
    )
    assert main([*data, "load", str(nut)]) == 0
    _, out = _verify(data, capsys)
    head = out.rsplit("head ", 1)[1].strip()
    assert _verify(data, capsys, "--head", head)[0] == 0
    log = tmp_path / "store.audit" / "audit.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text("".join(lines[:-1]), encoding="utf-8")  # the newest entry cut off
    code, out = _verify(data, capsys, "--head", head)
    assert code == 1
    assert "head-missing" in out


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[httpx.Client, Path]]:
    store = EmbeddedStore.open(tmp_path / "store")
    settings = Settings(data=tmp_path / "store", audit_dir=tmp_path / "audit", enable_update=True)
    server = Server(settings, store)
    with httpx.Client(base_url=server.start(), timeout=30) as http:
        yield http, tmp_path
    server.stop()
    store.close()


def test_graph_store_and_update_paths_verify_and_owned_graphs_are_refused(
    served: tuple[httpx.Client, Path],
) -> None:
    client, _ = served
    turtle = {"content-type": "text/turtle"}
    part = (
        b"@prefix kgt: <https://w3id.org/kgthread/ns#> .\n"
        b'<https://w3id.org/kgthread/id/part/G> a kgt:Part ; kgt:partNumber "G" .\n'
    )
    graph = {"graph": "http://example.org/g"}
    assert client.put("/store", params=graph, content=part, headers=turtle).status_code == 201
    assert client.post("/store", params=graph, content=part, headers=turtle).status_code == 204
    update = "INSERT DATA { GRAPH <http://example.org/h> { <urn:x> <urn:p> 1.50 } }"
    assert client.post("/sparql", data={"update": update}).is_success
    assert client.delete("/store", params=graph).status_code == 204
    for owned in (
        "https://w3id.org/kgthread/id/graph/inferred",
        "https://w3id.org/kgthread/id/graph/current",
        "https://w3id.org/kgthread/id/catalog",
        "https://w3id.org/kgthread/id/graph/conformance%3Ax",
    ):
        refused = client.put("/store", params={"graph": owned}, content=part, headers=turtle)
        assert refused.status_code == 403, owned
        sparql = f"INSERT DATA {{ GRAPH <{owned}> {{ <urn:x> <urn:p> 2 }} }}"
        assert client.post("/sparql", data={"update": sparql}).status_code == 403, owned
    verified = client.get("/api/admin/audit/verify").json()
    assert verified["holds"], verified["findings"]
