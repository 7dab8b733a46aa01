"""Running a watcher against a test server and checking its summaries against the log."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import Literal, NamedNode, Triple

from factories import product
from ingest.sensors.opcua_servers import MILL_KEYS
from kgthread import ids, vocab
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.sensors.config import WatchConfig, parse_config
from kgthread.ingest.sensors.operations import StoreOperations
from kgthread.ingest.sensors.watcher import Watcher
from kgthread.store.base import GraphStore


def config(port: int, tmp: Path, **extra: Any) -> WatchConfig:
    raw: dict[str, Any] = {
        "endpoint": f"opc.tcp://127.0.0.1:{port}/kgthread/",
        "window_seconds": 1.0,
        "grace_seconds": 0.3,
        "flush_seconds": 0.2,
        "operation_refresh_seconds": 0.2,
        "backoff_initial_seconds": 0.2,
        "backoff_max_seconds": 1.0,
        "timeout_seconds": 3.0,
        "state_file": str(tmp / "watch-state.json"),
        "security": {"policy": "None", "allow_insecure": True},
        "nodes": [{"node_id": key, "equipment": ["Mill01"]} for key in MILL_KEYS],
    }
    raw.update(extra)
    return parse_config(raw, tmp)


Scenario = Callable[[Watcher], Awaitable[None]]


def run(watcher: Watcher, scenario: Scenario, limit: float = 60.0) -> None:
    """Run the watcher while ``scenario`` drives the test; stop it when the scenario ends."""

    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(watcher.run(stop))
        driver = asyncio.create_task(asyncio.wait_for(scenario(watcher), limit))
        try:
            # A watcher that ends by itself (a refusal) ends the scenario too.
            await asyncio.wait({task, driver}, return_when=asyncio.FIRST_COMPLETED)
            if driver.done():
                driver.result()
        finally:
            driver.cancel()
            stop.set()
            await asyncio.wait_for(task, 20)

    asyncio.run(main())


async def connected(watcher: Watcher, timeout: float = 20.0) -> float:
    await asyncio.wait_for(watcher.connected.wait(), timeout)
    return time.time()


@dataclass
class Summary:
    iri: str
    sensor: str
    start: float
    end: float
    count: int
    bad: int
    minimum: float
    maximum: float
    mean: float
    stdev: float
    first: float
    last: float
    operation: str | None
    starts: int


def _epoch(term: Any) -> float:
    return datetime.fromisoformat(term.value).timestamp()


def summaries(store: GraphStore) -> list[Summary]:
    found = []
    for quad in store.quads(None, vocab.RDF_TYPE, vocab.OBSERVATION_SUMMARY):
        subject = quad.subject
        values: dict[NamedNode, list[Any]] = {}
        for q in store.quads(subject):
            values.setdefault(q.predicate, []).append(q.object)

        def one(p: NamedNode, values: dict[NamedNode, list[Any]] = values) -> Any:
            return values[p][0]

        sensor = ids.parse(one(vocab.SOSA_MADE_BY_SENSOR)).keys[0]
        operation = values.get(vocab.DURING_OPERATION, [None])[0]
        found.append(
            Summary(
                subject.value,
                sensor,
                _epoch(one(vocab.WINDOW_START)),
                _epoch(one(vocab.WINDOW_END)),
                int(one(vocab.SAMPLE_COUNT).value),
                int(one(vocab.BAD_COUNT).value),
                float(one(vocab.MINIMUM).value),
                float(one(vocab.MAXIMUM).value),
                float(one(vocab.MEAN).value),
                float(one(vocab.STANDARD_DEVIATION).value),
                _epoch(one(vocab.FIRST_TIMESTAMP)),
                _epoch(one(vocab.LAST_TIMESTAMP)),
                operation.value if operation is not None else None,
                len(values[vocab.WINDOW_START]),
            )
        )
    return sorted(found, key=lambda s: (s.sensor, s.start, s.operation or ""))


def expected(rows: list[dict[str, Any]], summary: Summary) -> tuple[list[float], int]:
    """The good numeric values and the bad-status count the server wrote in the window."""
    closed = summary.operation is not None

    def inside(t: float) -> bool:
        return summary.start <= t <= summary.end if closed else summary.start <= t < summary.end

    mine = [r for r in rows if r["node"] == summary.sensor and inside(float(r["t"]))]
    good = [float(r["value"]) for r in mine if r["kind"] == "ok"]
    return good, sum(1 for r in mine if r["kind"] == "bad")


def check(summary: Summary, rows: list[dict[str, Any]]) -> None:
    """The summary's statistics are exactly those of the values the server published."""
    good, bad = expected(rows, summary)
    assert summary.count == len(good), summary
    assert summary.bad == bad, summary
    assert summary.minimum == min(good)
    assert summary.maximum == max(good)
    mean = math.fsum(good) / len(good)
    assert summary.mean == pytest.approx(mean, rel=1e-9, abs=1e-9)
    variance = math.fsum((v - mean) ** 2 for v in good) / len(good)
    assert summary.stdev == pytest.approx(math.sqrt(variance), rel=1e-6, abs=1e-9)
    assert summary.starts == 1


def add_operation(pipeline: Pipeline, start: datetime, end: datetime) -> NamedNode:
    """An MES operation on the mill, as the MES adapters would commit it."""
    order, operation = ids.work_order("WO-1"), ids.operation("WO-1", "0010")
    xsd_dt = vocab.XSD_DATETIME
    triples = [
        *product("P-1"),
        Triple(order, vocab.RDF_TYPE, vocab.WORK_ORDER),
        Triple(order, vocab.WORK_ORDER_ID, Literal("WO-1")),
        Triple(order, vocab.ORDERED_REVISION, ids.part_revision("P-1", "A")),
        Triple(order, vocab.ORDERED_QUANTITY, Literal("1", datatype=vocab.XSD_DECIMAL)),
        Triple(order, vocab.WORK_ORDER_STATUS, Literal("released")),
        Triple(operation, vocab.RDF_TYPE, vocab.OPERATION),
        Triple(operation, vocab.OPERATION_ID, Literal("0010")),
        Triple(operation, vocab.OPERATION_OF, order),
        Triple(operation, vocab.ON_EQUIPMENT, ids.equipment("Mill01")),
        Triple(operation, vocab.PROV_STARTED_AT, Literal(start.isoformat(), datatype=xsd_dt)),
        Triple(operation, vocab.PROV_ENDED_AT, Literal(end.isoformat(), datatype=xsd_dt)),
    ]
    batch = Batch("test-mes", "1", [Source.of_bytes("mes", b"wo-1")], triples=triples)
    pipeline.ingest(batch)
    return operation


def watcher(cfg: WatchConfig, pipeline: Pipeline) -> Watcher:
    return Watcher(cfg, pipeline, operations=StoreOperations(pipeline.store))
