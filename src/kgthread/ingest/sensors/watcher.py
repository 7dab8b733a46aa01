"""``kgthread opcua watch``: subscribe, summarise per window and per operation, commit.

The reader (:mod:`opcua`) hands samples to the windows (:mod:`windows`); closed windows go
through the mapping (:mod:`mapping`) into batches the injected pipeline commits. It keeps
working: a lost server is reconnected with exponential backoff and resubscribed; windows
are checkpointed to a state file after every flush, so a restarted watcher continues them;
and a summary whose IRI (sensor, window start) is already in the store is never written
again, so neither a reconnect nor a restart commits a window twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from pyoxigraph import NamedNode, Triple

from kgthread import ids, vocab
from kgthread.errors import IdentifierError, KgthreadError, OpcUaConfigError, StoreUnavailable
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.sensors import mapping, opcua
from kgthread.ingest.sensors.config import WatchConfig
from kgthread.ingest.sensors.mapping import MalformedSummary, SummaryRecord
from kgthread.ingest.sensors.units import qudt_unit, qudt_unit_for_id
from kgthread.ingest.sensors.windows import Closed, Span, Windows
from kgthread.store.base import GraphStore

ADAPTER = "opcua-watch"
ADAPTER_VERSION = "1.0"
UNITLESS = vocab.UNIT_NS + "UNITLESS"
_log = logging.getLogger(__name__)


class Sink(Protocol):
    """What the watcher needs of the pipeline: commit a batch, and read the store."""

    store: GraphStore

    def ingest(self, batch: Batch) -> object: ...


class Operations(Protocol):
    def spans(self, equipment: NamedNode) -> list[Span]: ...


@dataclass(frozen=True)
class Watched:
    key: str
    property_name: str
    unit: str
    equipment: tuple[str, ...]
    namespace: str | None


def _epoch(moment: datetime | None, fallback: float) -> float:
    if moment is None:
        return fallback
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class Watcher:
    def __init__(
        self,
        config: WatchConfig,
        sink: Sink,
        *,
        operations: Operations | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.sink = sink
        self.operations = operations
        self.clock = clock
        self.windows = Windows(
            config.window_seconds, config.grace_seconds, config.max_future_seconds
        )
        self.watched: dict[str, Watched] = {}
        self.stats: Counter[str] = Counter()
        self.pending: list[Closed] = []
        self._last_refresh = -1e18
        self.connected = asyncio.Event()
        if config.state_file is not None and config.state_file.exists():
            state = json.loads(config.state_file.read_text(encoding="utf-8"))
            self.windows.restore(state.get("windows", {}))

    # --- the loop -------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Watch until ``stop`` is set; only configuration and security errors end it early."""
        backoff = self.config.backoff_initial_seconds
        while not stop.is_set():
            try:
                client, session = await opcua.connect(self.config)
            except opcua.SecurityRefused as exc:
                raise OpcUaConfigError(f"OPC UA security refused: {exc}") from exc
            except opcua.ConnectionLost as exc:
                self.stats["connect failures"] += 1
                _log.warning("cannot connect (%s); retrying in %.1f s", exc, backoff)
                await self._idle(stop, backoff)
                await self.flush()
                backoff = min(backoff * 2, self.config.backoff_max_seconds)
                continue
            try:
                await self._setup(session)
                backoff = self.config.backoff_initial_seconds
                self.connected.set()
                while not stop.is_set():
                    await self._idle(stop, self.config.flush_seconds)
                    await session.alive()
                    await self.flush()
            except opcua.ConnectionLost as exc:
                self.stats["reconnects"] += 1
                _log.warning("connection lost (%s); reconnecting", exc)
            finally:
                self.connected.clear()
                await opcua.close(client)
        await self.flush()

    async def _idle(self, stop: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)

    async def _setup(self, session: opcua.Session) -> None:
        nodes = {}
        specs = [(s.node_id, s.equipment, s.property, s.unit) for s in self.config.nodes]
        for browse in self.config.browse:
            try:
                found = await session.browse(browse.root, browse.max_nodes)
            except KeyError as exc:
                raise OpcUaConfigError(str(exc)) from exc
            specs += [(key, browse.equipment, None, None) for key in found]
        for reason, count in session.skipped.items():
            self.stats[f"browsed nodes skipped: {reason}"] = count
        for node_id, equipment, prop, unit in specs:
            try:
                node, info = await session.resolve(node_id)
            except (KeyError, ValueError, opcua.NodeUnavailable) as exc:
                raise OpcUaConfigError(f"node {node_id}: {exc}") from exc
            nodes[info.key] = node
            if info.key not in self.watched:
                namespace = info.key[4:].split(";", 1)[0] if info.key.startswith("nsu=") else None
                self.watched[info.key] = Watched(
                    info.key, prop or info.browse_name, self._unit(info, unit), equipment, namespace
                )
        await asyncio.to_thread(self._register)
        self._refresh_operations(force=True)
        await session.subscribe(nodes, self.on_sample)

    def _unit(self, info: opcua.NodeInfo, override: str | None) -> str:
        if override:
            found = override if override.startswith("http") else qudt_unit(override)
            if found is None:
                raise OpcUaConfigError(f"{info.key}: QUDT has no unit with UNECE code {override!r}")
            return found
        if info.unit is not None:
            found = qudt_unit_for_id(*info.unit)
            if found is not None:
                return found
        _log.warning("%s has no EngineeringUnits QUDT knows; summaries use unit:UNITLESS", info.key)
        self.stats["nodes without unit"] += 1
        return UNITLESS

    # --- samples --------------------------------------------------------------------------

    def on_sample(self, sample: opcua.Sample) -> None:
        """Called by the reader for every data change: O(1), no I/O, never raises."""
        now = self.clock()
        if sample.overflow:
            self.stats["server queue overflow"] += 1
        at = _epoch(sample.source_time, now)
        reason = self.windows.observe(sample.node, sample.value, at, bad=sample.bad, now=now)
        if reason not in ("accepted", "bad-status"):
            self.stats[f"refused: {reason}"] += 1

    # --- commits --------------------------------------------------------------------------

    def _refresh_operations(self, *, force: bool = False) -> None:
        now = self.clock()
        if self.operations is None or not self.config.operations:
            return
        if not force and now - self._last_refresh < self.config.operation_refresh_seconds:
            return
        self._last_refresh = now
        for watched in self.watched.values():
            spans = self.operations.spans(mapping.equipment_iri(watched.equipment))
            self.windows.set_spans(watched.key, spans)

    async def flush(self) -> None:
        """Commit what is due and checkpoint; store errors keep the windows for next time."""
        self._refresh_operations()
        self.pending += self.windows.due(self.clock())
        if self.pending:
            closed, self.pending = self.pending, []
            try:
                await asyncio.to_thread(self._commit, closed)
            except StoreUnavailable as exc:
                _log.warning("store unavailable (%s); %d summaries wait", exc, len(closed))
                self.pending = closed + self.pending
        self._checkpoint()

    def _commit(self, closed: list[Closed]) -> None:
        triples: list[Triple] = []
        iris: list[str] = []
        for item in closed:
            record = self._record(item)
            if record is None:
                continue
            subject = mapping.summary_iri(record)
            if self._exists(subject):
                self.stats["already committed"] += 1
                continue
            try:
                triples += mapping.map_summary(record)
            except MalformedSummary as exc:
                self.stats["malformed summaries"] += 1
                _log.warning("not committed: %s", exc)
                continue
            iris.append(subject.value)
        if not iris:
            return
        digest = hashlib.sha256("\n".join(sorted(iris)).encode()).hexdigest()
        batch = Batch(
            ADAPTER,
            ADAPTER_VERSION,
            [Source(self.config.endpoint, digest)],
            triples=triples,
            batch_id=f"opcua-{digest[:32]}",
            agent=ADAPTER,
            append=True,  # summaries only ever add: no window replaces another
        )
        try:
            self.sink.ingest(batch)
        except StoreUnavailable:
            raise
        except KgthreadError as exc:
            self.stats["rejected batches"] += 1
            _log.error("batch of %d summaries rejected: %s", len(iris), exc.message)
            return
        self.stats["summaries committed"] += len(iris)

    def _record(self, item: Closed) -> SummaryRecord | None:
        watched = self.watched.get(item.node)
        acc = item.accumulator
        if watched is None:
            self.stats["windows of unknown nodes"] += 1
            return None
        if acc.count == 0 or acc.first is None or acc.last is None:
            self.stats["windows without good values"] += 1
            return None
        start = _utc(acc.start)
        key = item.operation or mapping.timestamp(start)
        return SummaryRecord(
            sensor_id=watched.key,
            property_name=watched.property_name,
            unit=watched.unit,
            window_key=key,
            start=start,
            end=_utc(acc.end),
            count=acc.count,
            bad=acc.bad,
            minimum=acc.minimum,
            maximum=acc.maximum,
            mean=acc.mean,
            stdev=acc.stdev,
            first=_utc(acc.first),
            last=_utc(acc.last),
            operation=item.operation,
        )

    def _exists(self, subject: NamedNode) -> bool:
        return any(True for _ in self.sink.store.quads(subject, vocab.RDF_TYPE, None))

    def _register(self) -> None:
        """Declare watched sensors (and their equipment and property) not yet in the store."""
        triples: list[Triple] = []
        declared: set[str] = set()
        for key, watched in list(self.watched.items()):
            sensor = mapping.sensor_iri(watched.key)
            if self._exists(sensor):
                # A sensor the NodeSet import declared observes the property it named (its
                # browse path within its machine's type): summaries must say the same one.
                stored = next(iter(self.sink.store.quads(sensor, vocab.SOSA_OBSERVES, None)), None)
                if stored is not None and isinstance(stored.object, NamedNode):
                    with contextlib.suppress(IdentifierError):
                        name = ids.parse(stored.object).keys[0]
                        self.watched[key] = dataclasses.replace(watched, property_name=name)
                continue
            host = mapping.equipment_iri(watched.equipment)
            if host.value not in declared and not self._exists(host):
                declared.add(host.value)
                triples += mapping.equipment_declaration(watched.equipment)
            prop = mapping.property_iri(watched.property_name)
            if prop.value not in declared and not self._exists(prop):
                declared.add(prop.value)
                triples += mapping.observable_property(watched.property_name)
            triples += mapping.sensor_declaration(
                watched.key, host, watched.property_name, namespace=watched.namespace
            )
            triples.append(
                Triple(
                    mapping.sensor_iri(watched.key), vocab.UNIT_OF_MEASURE, NamedNode(watched.unit)
                )
            )
        if triples:
            digest = hashlib.sha256("\n".join(sorted(map(str, triples))).encode()).hexdigest()
            self.sink.ingest(
                Batch(
                    ADAPTER,
                    ADAPTER_VERSION,
                    [Source(self.config.endpoint, digest)],
                    triples=triples,
                    batch_id=f"opcua-sensors-{digest[:32]}",
                    agent=ADAPTER,
                    document=f"{self.config.endpoint} sensors",
                )
            )

    def _checkpoint(self) -> None:
        path = self.config.state_file
        if path is None:
            return
        state = {"endpoint": self.config.endpoint, "windows": self.windows.state()}
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(json.dumps(state), encoding="utf-8")
        os.replace(temporary, path)

    def report(self) -> dict[str, int]:
        """Everything counted so far: summaries, refusals by reason, reconnects."""
        counts = dict(self.stats)
        counts.update({f"values {k}": v for k, v in self.windows.counts.items()})
        counts["open accumulators"] = self.windows.open_accumulators()
        return counts


def default_state_file(data: Path, endpoint: str) -> Path:
    digest = hashlib.sha256(endpoint.encode()).hexdigest()[:12]
    return data.parent / "opcua" / f"watch-{digest}.json"


async def watch(
    config: WatchConfig,
    sink: Sink,
    *,
    operations: Operations | None = None,
    duration: float | None = None,
) -> dict[str, int]:
    """Run a watcher until SIGINT/SIGTERM (or ``duration`` seconds); its final counts."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    if duration is not None:
        loop.call_later(duration, stop.set)
    watcher = Watcher(config, sink, operations=operations)
    await watcher.run(stop)
    return watcher.report()
