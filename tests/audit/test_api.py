"""The audit trail through a live server: ingest with a client batch id, a retry, a refusal,
an update and a Graph Store drop, then ``/api/admin/audit`` and its verification."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.live_server import Server
from factories import product, unit
from kgthread import ids, vocab
from kgthread.api.auth import key_entry, new_key
from kgthread.config import Settings
from kgthread.store.embedded import EmbeddedStore


def _nt(triples: list[object]) -> bytes:
    return "".join(f"{t} .\n" for t in triples).encode()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[httpx.Client]:
    store = EmbeddedStore.open(tmp_path / "store")
    settings = Settings(data=tmp_path / "store", audit_dir=tmp_path / "audit", enable_update=True)
    server = Server(settings, store)
    with httpx.Client(base_url=server.start(), timeout=30) as http:
        yield http
    server.stop()
    store.close()


def test_every_write_and_refusal_is_in_the_log_and_it_verifies(client: httpx.Client) -> None:
    body = _nt(product("P-1"))
    params = {"name": "p1.nt", "batch_id": "erp-0001"}
    assert client.post("/api/ingest/rdf", params=params, content=body).status_code == 201
    # The acknowledgement was lost; the client sends the same batch again.
    retry = client.post("/api/ingest/rdf", params=params, content=body)
    assert (retry.status_code, retry.json()["status"]) == (200, "duplicate")
    refused = client.post(
        "/api/ingest/rdf", params={"name": "bad.nt"}, content=_nt(unit("P-404", "A", "S1"))
    )
    assert refused.status_code == 422
    graph = ids.batch_graph("erp-0001").value
    label = f"<{ids.part('P-1').value}> <{vocab.RDFS_LABEL.value}> 'bracket'"
    update = client.post(
        "/sparql", data={"update": f"INSERT DATA {{ GRAPH <{graph}> {{ {label} }} }}"}
    )
    assert update.status_code == 200, update.text
    assert client.delete("/store", params={"graph": graph}).status_code == 204

    log = client.get("/api/admin/audit").json()
    seen = [(e["action"], e["state"]) for e in log["entries"]]
    assert seen == [
        ("ingest", "pending"),
        ("ingest", "committed"),
        ("ingest", "duplicate"),
        ("ingest", "rejected"),
        ("update", "pending"),
        ("update", "committed"),
        ("drop", "pending"),
        ("drop", "committed"),
    ]
    assert [e["batch"] for e in log["entries"][:3]] == ["erp-0001"] * 3
    assert [e["principal"] for e in log["entries"][::2]] == ["api", "api", "anonymous", "anonymous"]
    assert log["head"] == {"seq": 8, "hash": log["entries"][-1]["hash"]}
    page = client.get("/api/admin/audit", params={"after": 6, "limit": 1}).json()
    assert [e["seq"] for e in page["entries"]] == [7]
    verified = client.get("/api/admin/audit/verify").json()
    assert verified["holds"] is True, verified["findings"]
    assert verified["entries"] == 8


def test_graph_store_writes_replace_and_default_graph_are_recorded(client: httpx.Client) -> None:
    graph = "https://example.org/graphs/design"
    nt = {"content-type": "application/n-triples"}
    first = client.put("/store", params={"graph": graph}, content=_nt(product("P-1")), headers=nt)
    assert first.status_code == 201
    replaced = client.put(
        "/store", params={"graph": graph}, content=_nt(product("P-2")), headers=nt
    )
    assert replaced.status_code == 204
    default = client.post("/store", params={"default": ""}, content=_nt(product("P-3")), headers=nt)
    assert default.status_code == 204
    entries = client.get("/api/admin/audit").json()["entries"]
    assert [(e["action"], e["state"]) for e in entries] == [
        ("ingest", "pending"),
        ("ingest", "committed"),
        ("ingest", "pending"),
        ("ingest", "committed"),
        ("graph-store", "pending"),
        ("graph-store", "committed"),
    ]
    # An open server (no keys configured) serves its own machine only, as "anonymous".
    assert {e["principal"] for e in entries} == {"anonymous"}
    replace = entries[2]
    assert replace["delta"]["removed"] == entries[1]["graph_states"][graph]["content"]
    assert entries[4]["graphs"] == ["default"]
    verified = client.get("/api/admin/audit/verify").json()
    assert verified["holds"], verified["findings"]


def test_the_log_is_admin_only_and_names_the_key_that_wrote(tmp_path: Path) -> None:
    made = {}
    blocks = []
    for name, role in (("line-7-mes", "write"), ("auditor", "admin"), ("viewer", "read")):
        key, digest = new_key()
        made[name] = {"X-API-Key": key}
        blocks.append(key_entry(name, digest, role, None))  # type: ignore[arg-type]
    (tmp_path / "keys.toml").write_text("\n".join(blocks), encoding="utf-8")
    store = EmbeddedStore.open(tmp_path / "store")
    settings = Settings(
        data=tmp_path / "store", audit_dir=tmp_path / "audit", api_keys_file=tmp_path / "keys.toml"
    )
    server = Server(settings, store)
    try:
        with httpx.Client(base_url=server.start(), timeout=30) as http:
            params = {"name": "p1.nt", "batch_id": "mes-1"}
            posted = http.post(
                "/api/ingest/rdf",
                params=params,
                content=_nt(product("P-1")),
                headers=made["line-7-mes"],
            )
            assert posted.status_code == 201
            for who in ("line-7-mes", "viewer"):
                refused = http.get("/api/admin/audit", headers=made[who])
                assert refused.status_code == 403, who
                assert http.get("/api/admin/audit/verify", headers=made[who]).status_code == 403
            assert http.get("/api/admin/audit").status_code == 401
            log = http.get("/api/admin/audit", headers=made["auditor"]).json()
            assert {e["principal"] for e in log["entries"]} == {"line-7-mes"}
            verified = http.get("/api/admin/audit/verify", headers=made["auditor"]).json()
            assert verified["holds"] is True
    finally:
        server.stop()
        store.close()
