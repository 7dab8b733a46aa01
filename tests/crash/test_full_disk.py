"""A full disk: ingest answers 507 with nothing partial, reads go on, the audit chain stays
consistent, and the same batch goes in once space is back.

Two ways: a fault injected at the store boundary (pyoxigraph's store answering every write
with RocksDB's out-of-space error), always; and a real, small tmpfs the store fills up,
where the test may mount one (root, mount permitted)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pyoxigraph import Store

from api.live_server import Server
from factories import product, unit
from kgthread.audit import AuditTrail, verify
from kgthread.config import Settings
from kgthread.errors import StorageFull
from kgthread.gate import Gate
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.rdf_files import batch_from_file
from kgthread.store.embedded import EmbeddedStore

NO_SPACE = "IO error: No space left on device: While appending to file: 000008.log"
_WRITES = {"add", "add_graph", "bulk_load", "clear", "extend", "remove", "remove_graph", "update"}


class FullDisk:
    """A pyoxigraph store on a full disk: reads answer, every write fails as RocksDB does."""

    def __init__(self, real: Store) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._real, name)
        if name not in _WRITES:
            return found

        def refuse(*_: object, **__: object) -> None:
            raise OSError(NO_SPACE)

        return refuse

    def __iter__(self) -> Iterator[Any]:
        return iter(self._real)

    def __len__(self) -> int:
        return len(self._real)


def _nt(triples: list[object]) -> bytes:
    return "".join(f"{t} .\n" for t in triples).encode()


def _serve(folder: Path, store: EmbeddedStore) -> tuple[Server, httpx.Client]:
    settings = Settings(data=folder / "store", audit_dir=folder / "audit")
    server = Server(settings, store)
    return server, httpx.Client(base_url=server.start(), timeout=60)


def _count(client: httpx.Client) -> int:
    answer = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"})
    assert answer.status_code == 200, answer.text
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def test_injected_full_disk_is_507_with_nothing_written_and_reads_go_on(tmp_path: Path) -> None:
    store = EmbeddedStore.open(tmp_path / "store")
    server, client = _serve(tmp_path, store)
    try:
        first = client.post("/api/ingest/rdf", params={"name": "a.nt"}, content=_nt(product("P-1")))
        assert first.status_code == 201
        before = _count(client)
        real = store._store
        store._store = FullDisk(real)  # type: ignore[assignment]
        body = _nt([*product("P-2"), *unit("P-2", "A", "SN-1")])
        params = {"name": "b.nt", "batch_id": "mes-77"}
        full = client.post("/api/ingest/rdf", params=params, content=body)
        assert full.status_code == 507
        assert full.headers["content-type"].startswith("application/problem+json")
        assert full.json()["code"] == "storage-full"
        assert _count(client) == before  # reads go on, and nothing of the batch is visible
        gsp = client.put(
            "/store",
            params={"graph": "https://example.org/g"},
            content=body,
            headers={"content-type": "application/n-triples"},
        )
        assert gsp.status_code == 507
        store._store = real  # space is back: the same batch id goes in once
        again = client.post("/api/ingest/rdf", params=params, content=body)
        assert (again.status_code, again.json()["status"]) == (201, "committed")
        states = [
            (e["batch"], e["state"]) for e in client.get("/api/admin/audit").json()["entries"]
        ]
        assert states[2:4] == [("mes-77", "pending"), ("mes-77", "aborted")]
        assert states[-1] == ("mes-77", "committed")
        verified = client.get("/api/admin/audit/verify").json()
        assert verified["holds"], verified["findings"]
    finally:
        client.close()
        server.stop()
        store.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MiB tmpfs, unmounted after the test; skipped where mounting is not permitted."""
    mount = shutil.which("mount")
    point = tmp_path / "disk"
    point.mkdir()
    if mount is None:
        pytest.skip("no mount command: the full-disk test runs with the injected fault only")
    done = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(point)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}): injected fault only")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], capture_output=True, timeout=30)
        if point.is_mount():
            subprocess.run(["umount", "-l", str(point)], capture_output=True, timeout=30)


def test_a_real_full_disk_is_507_with_whole_batches_only(tmp_path: Path, small_disk: Path) -> None:
    store = EmbeddedStore.open(small_disk / "store")
    server, client = _serve(tmp_path, store)
    sizes: dict[str, int] = {}
    try:
        answer = _fill(client, lambda n: [*product(f"F-{n}"), *_units(n)], sizes)
        assert answer.status_code == 507, answer.text
        assert answer.json()["code"] == "storage-full"
        assert len(sizes) > 1, "the disk was full before the first batch"
        ask = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        assert ask.status_code == 200
        assert ask.json()["boolean"] is True
        for batch, triples in sizes.items():
            graph = f"https://w3id.org/kgthread/id/graph/{batch}"
            count = client.get(
                "/sparql",
                params={"query": f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
            ).json()["results"]["bindings"][0]["n"]["value"]
            assert int(count) == triples, f"{batch}: partial"
        failed = answer.request.url.params["batch_id"]
        entries = client.get("/api/admin/audit", params={"limit": 1000}).json()["entries"]
        assert (entries[-1]["batch"], entries[-1]["state"]) == (failed, "aborted")
        verified = client.get("/api/admin/audit/verify").json()
        assert verified["holds"], verified["findings"]
    finally:
        client.close()
        server.stop()
        with contextlib.suppress(StorageFull):  # the final flush cannot write either
            store.close()


def _units(number: int) -> list[object]:
    serial = "S" * 400
    out: list[object] = []
    for i in range(400):
        out += unit(f"F-{number}", "A", f"{serial}-{number}-{i}")
    return out


def _fill(
    client: httpx.Client, content: Callable[[int], list[object]], sizes: dict[str, int]
) -> httpx.Response:
    """Ingest batches until one is refused (at most 200)."""
    for number in range(200):
        triples = content(number)
        params = {"name": f"f{number}.nt", "batch_id": f"fill-{number}"}
        answer = client.post("/api/ingest/rdf", params=params, content=_nt(triples))
        if answer.status_code != 201:
            return answer
        sizes[f"fill-{number}"] = len(set(triples))
    raise AssertionError("200 batches fitted on a 6 MiB disk")


def test_a_bulk_load_on_a_full_disk_leaves_nothing_visible_and_goes_in_later(
    tmp_path: Path,
) -> None:
    store = EmbeddedStore.open(tmp_path / "store")
    trail = AuditTrail.open(tmp_path / "audit", store)
    pipeline = Pipeline(store, Gate.default(), audit=trail)
    sample = tmp_path / "big.nt"
    sample.write_bytes(_nt([*product("P-5"), *unit("P-5", "A", "SN-5")]))
    batch = batch_from_file(sample, bulk_threshold=0, batch_id="bulk-5")
    try:
        real = store._store
        store._store = FullDisk(real)  # type: ignore[assignment]
        with pytest.raises(StorageFull, match="the disk is full"):
            pipeline.ingest(batch)
        assert batch.graph not in store.graph_names()
        assert not any(True for _ in store.quads(graph=batch.graph))
        store._store = real
        assert pipeline.ingest(batch).status == "committed"
        assert sum(1 for _ in store.quads(graph=batch.graph)) == 8
        states = [e["state"] for e in trail.entries()]
        assert states == ["pending", "aborted", "pending", "committed"]
        assert verify(trail, store).holds
    finally:
        store.close()
