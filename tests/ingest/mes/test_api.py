"""POST /api/ingest/b2mml and /api/ingest/table on a live server over a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.live_server import Server
from ingest.mes.helpers import DATA, b2mml_dir
from ingest.mes.test_bad_input import BOMB
from kgthread.config import Settings
from kgthread.store.embedded import EmbeddedStore


@pytest.fixture
def client(tmp_path: Path) -> Iterator[httpx.Client]:
    folder = tmp_path / "store"
    store = EmbeddedStore.open(folder)
    server = Server(Settings(data=folder), store)
    url = server.start()
    with httpx.Client(base_url=url, timeout=30) as client:
        yield client
    server.stop()
    store.close()


def test_uploads_commit_and_bad_ones_are_problems(client: httpx.Client) -> None:
    material = b2mml_dir("courbon-v0401") / "MAT-20121210170256-CRBN0001.xml"
    ok = client.post(
        "/api/ingest/b2mml", params={"name": material.name}, content=material.read_bytes()
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["classes"] == {"Part": 1}
    table = client.post(
        "/api/ingest/table",
        params={"name": "orders.csv", "kind": "work-orders"},
        content=(DATA / "work-orders.csv").read_bytes(),
    )
    assert table.status_code == 201, table.text
    bomb = client.post("/api/ingest/b2mml", params={"name": "bomb.xml"}, content=BOMB.encode())
    assert bomb.status_code == 422
    assert bomb.headers["content-type"].startswith("application/problem+json")
    assert bomb.json()["code"] == "mes-input"
    assert bomb.json()["line"] == 2
    assert bomb.json()["file"] == "bomb.xml"
