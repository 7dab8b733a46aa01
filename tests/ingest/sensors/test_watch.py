"""The watcher against a real asyncua server on 127.0.0.1 that loads the Machinery Examples
address space (with DI and Machinery) plus a test mill, and publishes changing values.

Summaries are checked against the log of what the server actually wrote."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.sensors.opcua_servers import (
    MILL,
    MILL_KEYS,
    ServerProcess,
    asyncua_command,
    free_port,
    published,
)
from ingest.sensors.watch_helpers import (
    add_operation,
    check,
    config,
    connected,
    run,
    summaries,
    watcher,
)
from kgthread import ids, vocab
from kgthread.cli import main
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.sensors.watcher import Watcher
from kgthread.store.embedded import EmbeddedStore


def test_summaries_per_window_and_per_operation_match_the_published_values(
    imported: Pipeline, servers: list[ServerProcess], tmp_path: Path
) -> None:
    port, log = free_port(), tmp_path / "published.jsonl"
    servers.append(ServerProcess(asyncua_command(port, log, "--rate", "20")).start())
    started = round(time.time(), 3)  # xsd:dateTime keeps microseconds, a float more
    op_start, op_end = started + 2.0, started + 4.0
    operation = add_operation(
        imported, datetime.fromtimestamp(op_start, UTC), datetime.fromtimestamp(op_end, UTC)
    )
    marks: dict[str, float] = {}

    async def scenario(w: Watcher) -> None:
        marks["connected"] = await connected(w)
        await asyncio.sleep(max(0.0, op_end + 1.0 - time.time()))

    run(watcher(config(port, tmp_path), imported), scenario)
    assert marks["connected"] < op_start, "the server took too long to come up"
    rows = published(log)
    found = summaries(imported.store)
    windows = [s for s in found if s.operation is None and s.start >= marks["connected"]]
    assert {s.sensor for s in windows} == set(MILL_KEYS)
    assert len(windows) >= 3 * 3
    for summary in windows:
        check(summary, rows)
    during = [s for s in found if s.operation == operation.value]
    assert {s.sensor for s in during} == set(MILL_KEYS)
    for summary in during:
        assert (summary.start, summary.end) == (op_start, op_end)
        check(summary, rows)


def test_bad_status_text_and_future_timestamps_are_counted_never_committed(
    imported: Pipeline, servers: list[ServerProcess], tmp_path: Path
) -> None:
    port, log = free_port(), tmp_path / "published.jsonl"
    servers.append(ServerProcess(asyncua_command(port, log, "--rate", "30", "--chaos")).start())
    marks: dict[str, float] = {}
    w = watcher(config(port, tmp_path), imported)

    async def scenario(w: Watcher) -> None:
        marks["connected"] = await connected(w)
        await asyncio.sleep(3.5)

    run(w, scenario)
    rows = published(log)
    windows = [s for s in summaries(imported.store) if s.start >= marks["connected"]]
    assert windows
    for summary in windows:
        check(summary, rows)
    assert sum(s.bad for s in windows) > 0
    report = w.report()
    assert report["values non-numeric"] > 0
    assert report["values future"] > 0
    assert report["values bad-status"] > 0
    assert report.get("rejected batches", 0) == 0


def test_server_killed_and_restarted_mid_subscription(
    imported: Pipeline, servers: list[ServerProcess], tmp_path: Path
) -> None:
    """Reconnect with backoff, resubscribe; no window is committed twice, and every window
    after the restart matches what the restarted server published."""
    port, log = free_port(), tmp_path / "published.jsonl"
    first = ServerProcess(asyncua_command(port, log, "--rate", "20")).start()
    servers.append(first)
    marks: dict[str, float] = {}
    w = watcher(config(port, tmp_path), imported)

    async def scenario(w: Watcher) -> None:
        marks["connected"] = await connected(w)
        await asyncio.sleep(3.2)
        first.kill()
        marks["killed"] = time.time()
        await asyncio.sleep(1.5)
        second = ServerProcess(asyncua_command(port, log, "--rate", "20"))
        servers.append(second)
        await asyncio.to_thread(second.start)
        w.connected.clear()
        marks["reconnected"] = await connected(w)
        await asyncio.sleep(3.0)

    run(w, scenario)
    assert w.report()["reconnects"] + w.report().get("connect failures", 0) >= 1
    rows = published(log)
    found = summaries(imported.store)
    assert len({s.iri for s in found}) == len(found)
    assert all(s.starts == 1 for s in found)
    # Values written in the last publishing interval before the kill never left the server.
    cut = marks["killed"] - 1.0
    before = [s for s in found if marks["connected"] <= s.start and s.end <= cut]
    after = [s for s in found if s.start >= marks["reconnected"]]
    assert before
    assert after
    for summary in before + after:
        check(summary, rows)


def test_a_restarted_watcher_continues_its_windows_and_commits_none_twice(
    imported: Pipeline, servers: list[ServerProcess], tmp_path: Path
) -> None:
    port, log = free_port(), tmp_path / "published.jsonl"
    servers.append(ServerProcess(asyncua_command(port, log, "--rate", "20")).start())
    cfg = config(port, tmp_path, window_seconds=2.0)

    async def short(w: Watcher) -> None:
        await connected(w)
        await asyncio.sleep(2.7)

    first = watcher(cfg, imported)
    run(first, short)
    committed = {s.iri for s in summaries(imported.store)}
    assert cfg.state_file is not None
    assert cfg.state_file.exists()
    open_before = first.windows.open_accumulators()
    assert open_before > 0  # the window that straddles the restart was checkpointed
    second = watcher(cfg, imported)
    assert second.windows.open_accumulators() == open_before
    run(second, short)
    found = summaries(imported.store)
    assert committed <= {s.iri for s in found}
    assert all(s.starts == 1 for s in found)
    assert len({s.iri for s in found}) == len(found)


def test_cli_watch_browses_a_machine_and_commits_summaries(
    servers: list[ServerProcess], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kgthread opcua watch`: browse finds the numeric variables (the one whose data type the
    server cannot resolve is skipped and counted), sensors are declared, summaries committed."""
    port = free_port()
    servers.append(ServerProcess(asyncua_command(port, None, "--rate", "20")).start())
    config_file = tmp_path / "watch.toml"
    config_file.write_text(
        "window_seconds = 1\ngrace_seconds = 0.3\nflush_seconds = 0.2\n"
        '[security]\npolicy = "None"\nallow_insecure = true\n'
        f'[[browse]]\nroot = "nsu={MILL};i=5001"\nequipment = "PLANT1/Mill01"\n',
        encoding="utf-8",
    )
    data = tmp_path / "store"
    args = ["--data", str(data), "opcua", "watch", "--config", str(config_file)]
    args += ["--endpoint", f"opc.tcp://127.0.0.1:{port}/kgthread/", "--duration", "4"]
    assert main(args) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["browsed nodes skipped: unknown data type"] == 1
    assert counts["summaries committed"] >= 4
    assert (tmp_path / "opcua").is_dir()  # the default state file sits beside the store
    store = EmbeddedStore.open(data)
    try:
        sensors = {
            ids.parse(q.subject).keys[0] for q in store.quads(None, vocab.RDF_TYPE, vocab.SENSOR)
        }
        assert sensors == {*MILL_KEYS, f"nsu={MILL};i=6010"}
        assert list(store.quads(None, vocab.SOSA_IS_HOSTED_BY, ids.equipment("PLANT1", "Mill01")))
    finally:
        store.close()
