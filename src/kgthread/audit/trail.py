"""What every write records, in write-ahead order, and how a crash is reconciled.

A write is recorded in two entries: ``pending`` before the store is touched (who, what,
which graphs, the digest of the delta when it is known) and, after the store answers, one
that resolves it (``committed``, ``aborted`` or ``rejected``, with ``ref`` naming the pending
entry). A committed entry records, per graph it touched, the digest of the graph's whole
content and of the catalog entries of the batches that landed in it: what ``verify``
recomputes from the store. A batch refused before it reaches the store is one ``rejected``
entry; a batch id already committed is one ``duplicate`` entry (a retry is not a second
commit).

A pending entry without a resolution is a write cut short by a crash. Opening the trail
reconciles it against the store: a batch whose id is in the catalog was committed, one
whose id is not was aborted; an update or a drop is committed when every graph it names
has the content the pending entry announced.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, Triple

from kgthread import vocab
from kgthread.audit.digest import ALGORITHM, Digest, canonical_digest, graph_digest
from kgthread.audit.log import AuditLog, Entry
from kgthread.config import Settings
from kgthread.errors import KgthreadError
from kgthread.store.base import CATALOG_GRAPH, GraphStore
from kgthread.store.current_view import VIEW_GRAPH, VIEW_STATE_GRAPH

GraphName = NamedNode | DefaultGraph
DEFAULT_KEY = "default"
"""How the log names the store's own default graph."""
UNTRACKED = frozenset({CATALOG_GRAPH, VIEW_GRAPH, VIEW_STATE_GRAPH})
"""Graphs verified through others: the catalog per graph (``catalog_digest``), the current
view as what the current graphs assert."""
T = TypeVar("T")
"""Graphs not followed graph by graph: the catalog is checked per batch graph, the inferred
graph is derived data that ``kgthread reason rebuild`` recomputes."""

_log = logging.getLogger(__name__)


def audit_folder(settings: Settings) -> Path | None:
    """``audit_dir``, or the folder beside the store's folder named after it
    (``data/store.audit``); ``None`` for a remote store without ``audit_dir`` (it has no
    folder, and the log must belong to one writer)."""
    if settings.audit_dir is not None:
        return settings.audit_dir
    if settings.store.startswith(("http://", "https://")):
        return None
    folder = Path(settings.store) if settings.store else settings.data
    return folder.with_name(folder.name + ".audit")


def graph_key(graph: GraphName) -> str:
    return DEFAULT_KEY if isinstance(graph, DefaultGraph) else graph.value


def graph_of(key: str) -> GraphName:
    return DefaultGraph() if key == DEFAULT_KEY else NamedNode(key)


@dataclass(frozen=True)
class GraphState:
    """A graph as committed: its content digest (``None``: the graph does not exist) and the
    digest of its batches' catalog entries (``None`` for the default graph)."""

    content: Digest | None
    catalog: Digest | None

    def to_json(self) -> dict[str, Any]:
        return {
            "content": None if self.content is None else self.content.to_json(),
            "catalog": None if self.catalog is None else self.catalog.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GraphState:
        content, catalog = data.get("content"), data.get("catalog")
        return cls(
            None if content is None else Digest.from_json(content),
            None if catalog is None else Digest.from_json(catalog),
        )


def catalog_digest(store: GraphStore, graph: NamedNode) -> Digest:
    """The digest of the catalog statements about the batches whose target is ``graph``."""
    activities = {q.subject for q in store.quads(None, vocab.TARGET_GRAPH, graph, CATALOG_GRAPH)}
    return canonical_digest(
        q
        for activity in sorted(activities, key=str)
        for q in store.quads(activity, None, None, CATALOG_GRAPH)  # type: ignore[arg-type]
    )


def observe(store: GraphStore, graph: GraphName, content: Digest | None = None) -> GraphState:
    """``graph`` as it is in the store now (``content`` when the caller already knows it)."""
    if isinstance(graph, DefaultGraph):
        return GraphState(content or graph_digest(store, graph), None)
    if not store.contains_graph(graph):
        return GraphState(None, None)
    found = content or graph_digest(store, graph)
    return GraphState(found, catalog_digest(store, graph))


def delta_json(added: Digest | None, removed: Digest | None) -> dict[str, Any]:
    return {
        "algorithm": ALGORITHM,
        "added": None if added is None else added.to_json(),
        "removed": None if removed is None else removed.to_json(),
    }


def is_refusal(exc: BaseException) -> bool:
    """A refusal (the client's input) as opposed to a failure (the server's or the disk's)."""
    return isinstance(exc, KgthreadError) and exc.status < 500


class AuditTrail:
    """The audit log of one store, and the records every write path makes in it."""

    def __init__(self, log: AuditLog) -> None:
        self.log = log
        self.reconciled: list[Entry] = []
        self._contents: dict[str, Digest] | None = None
        """The entries the last reconciliation appended (writes a crash had cut short)."""

    @classmethod
    def open(cls, folder: Path, store: GraphStore) -> AuditTrail:
        """Open the log, reconcile writes a crash cut short, and start a new log with a
        baseline of what the store already holds."""
        trail = cls(AuditLog(folder))
        if trail.log.head[0] == 0:
            trail.baseline(store)
        else:
            trail.reconcile(store)
        return trail

    def record(
        self,
        store: GraphStore,
        action: str,
        principal: str,
        graphs: Sequence[GraphName],
        *,
        batch: str | None = None,
    ) -> Recorder:
        return Recorder(self, store, action, principal, graphs, batch)

    def append(self, fields: Mapping[str, Any]) -> Entry:
        entry = self.log.append({"time": _now(), **fields})
        if self._contents is not None and entry.get("state") == "committed":
            self._remember(entry)
        return entry

    def last_content(self, graph: GraphName) -> Digest | None:
        """The content digest the log last committed for ``graph`` (read from the log once,
        then kept in step): a graph whose catalog entry alone changes (a retired version)
        is not read again."""
        if self._contents is None:
            self._contents = {}
            for entry in self.log.entries():
                if entry.get("state") == "committed":
                    self._remember(entry)
        return self._contents.get(graph_key(graph))

    def _remember(self, entry: Mapping[str, Any]) -> None:
        assert self._contents is not None
        for key, state in (entry.get("graph_states") or {}).items():
            content = GraphState.from_json(state).content
            if content is None:
                self._contents.pop(key, None)
            else:
                self._contents[key] = content

    def baseline(self, store: GraphStore) -> Entry | None:
        """Record every tracked graph as it is: the state later entries build on."""
        graphs: list[GraphName] = [g for g in store.graph_names() if g not in UNTRACKED]
        if any(True for _ in store.quads(graph=DefaultGraph())):
            graphs.append(DefaultGraph())
        if not graphs:
            return None
        states = {graph_key(g): observe(store, g).to_json() for g in graphs}
        return self.append(
            {
                "action": "baseline",
                "state": "committed",
                "principal": "kgthread",
                "graphs": sorted(states),
                "graph_states": states,
            }
        )

    def unresolved(self) -> list[Entry]:
        """Pending entries no later entry resolves."""
        pending: dict[int, Entry] = {}
        for entry in self.log.entries():
            if entry.get("state") == "pending":
                pending[int(entry["seq"])] = entry
            elif entry.get("ref") is not None:
                pending.pop(int(entry["ref"]), None)
        return list(pending.values())

    def reconcile(self, store: GraphStore) -> list[Entry]:
        """Resolve every pending entry a crash left behind, against the store's catalog."""
        done = [
            self.resolve(store, entry, "reconciled at start-up after an interrupted write")
            for entry in self.unresolved()
        ]
        self.reconciled = done
        for entry in done:
            _log.warning(
                "audit: pending entry %s (%s) reconciled as %s",
                entry["ref"],
                entry.get("batch") or entry["action"],
                entry["state"],
            )
        return done

    def resolve(
        self,
        store: GraphStore,
        pending: Entry,
        reason: str,
        failure: BaseException | None = None,
    ) -> Entry:
        """Record whether the write ``pending`` announced is in the store."""
        return self.append(resolution(store, pending, reason, failure))

    def entries(self, after: int = 0, limit: int | None = None) -> list[Entry]:
        found: list[Entry] = []
        for entry in self.log.entries():
            if int(entry.get("seq", 0)) > after:
                found.append(entry)
                if limit is not None and len(found) >= limit:
                    break
        return found


def resolution(
    store: GraphStore,
    pending: Entry,
    reason: str,
    failure: BaseException | None = None,
) -> dict[str, Any]:
    """The entry that resolves ``pending`` against the store, not written: reconciliation
    appends it, verification reads it without touching the log."""
    keys: list[str] = list(pending.get("graphs", []))
    batch = pending.get("batch")
    if pending.get("action") == "ingest" and batch:
        landed = _batch_in_catalog(store, str(batch))
    else:
        expect: Mapping[str, Any] = pending.get("expect") or {}
        landed = bool(expect) and all(
            observe(store, graph_of(k)).content == _digest_or_none(v) for k, v in expect.items()
        )
    fields: dict[str, Any] = {
        "action": pending["action"],
        "principal": pending.get("principal"),
        "batch": batch,
        "graphs": keys,
        "ref": pending["seq"],
    }
    if landed:
        states = {k: observe(store, graph_of(k)).to_json() for k in keys}
        fields.update(state="committed", graph_states=states, reason=reason)
    else:
        refused = failure is not None and is_refusal(failure)
        fields.update(state="rejected" if refused else "aborted", reason=reason)
    return fields


class Recorder:
    """The entries of one write, in order: ``pending`` then ``committed``, or one of
    ``rejected`` / ``duplicate``; :meth:`failed` resolves whatever the write reached."""

    def __init__(
        self,
        trail: AuditTrail,
        store: GraphStore,
        action: str,
        principal: str,
        graphs: Sequence[GraphName],
        batch: str | None,
    ) -> None:
        self.trail = trail
        self.store = store
        self.base: dict[str, Any] = {
            "action": action,
            "principal": principal,
            "batch": batch,
            "graphs": [graph_key(g) for g in graphs],
        }
        self.pending_entry: Entry | None = None
        self.resolved = False
        self.unchanged: dict[GraphName, Digest] = {}

    def also(self, graphs: Sequence[GraphName]) -> None:
        """More graphs the write changes (an older version it retires): their state is
        recorded with the rest."""
        keys = [graph_key(g) for g in graphs]
        self.base["graphs"] = [
            *self.base["graphs"],
            *(k for k in keys if k not in self.base["graphs"]),
        ]
        for graph in graphs:  # their content does not change: only their catalog entry
            known = self.trail.last_content(graph)
            if known is not None:
                self.unchanged[graph] = known

    def duplicate(self, reason: str = "batch id already committed: no-op") -> Entry:
        self.resolved = True
        return self.trail.append({**self.base, "state": "duplicate", "reason": reason})

    def pending(
        self,
        added: Digest | None,
        removed: Digest | None,
        expect: Mapping[GraphName, Digest | None] | None = None,
    ) -> Entry:
        fields = {**self.base, "state": "pending", "delta": delta_json(added, removed)}
        if expect is not None:
            fields["expect"] = {
                graph_key(g): None if d is None else d.to_json() for g, d in expect.items()
            }
        self.pending_entry = self.trail.append(fields)
        return self.pending_entry

    def committed(
        self,
        known: Mapping[GraphName, Digest | None] | None = None,
        *,
        added: Digest | None = None,
    ) -> Entry:
        """After the store acknowledged: the state of every graph the write touched, as the
        store holds it (normalised literals, new blank node identities). ``known``: digests
        the caller already took from the store itself (never of its input)."""
        known = {**self.unchanged, **(known or {})}
        states = {
            key: observe(self.store, graph_of(key), known.get(graph_of(key))).to_json()
            for key in self.base["graphs"]
        }
        fields: dict[str, Any] = {**self.base, "state": "committed", "graph_states": states}
        if self.pending_entry is not None:
            fields["ref"] = self.pending_entry["seq"]
        if added is not None:
            fields["delta"] = delta_json(added, None)
        self.resolved = True
        return self.trail.append(fields)

    def failed(self, exc: BaseException) -> None:
        """Record a write that raised; never hides ``exc`` (an audit failure is logged)."""
        if self.resolved:
            return
        self.resolved = True
        try:
            if self.pending_entry is not None:
                self.trail.resolve(self.store, self.pending_entry, _reason(exc), exc)
            elif is_refusal(exc):
                self.trail.append({**self.base, "state": "rejected", "reason": _reason(exc)})
        except KgthreadError as audit_error:
            _log.error("audit: could not record the outcome of a failed write: %s", audit_error)


def audited_drop(
    trail: AuditTrail | None,
    store: GraphStore,
    graph: NamedNode,
    drop: Callable[[], None],
    principal: str = "anonymous",
) -> None:
    """Run ``drop`` (which removes ``graph``) between its pending and committed entries."""
    if trail is None:
        drop()
        return
    record = trail.record(store, "drop", principal, [graph])
    try:
        record.pending(None, graph_digest(store, graph), {graph: None})
        drop()
        record.committed()
    except BaseException as exc:
        record.failed(exc)
        raise


def audited_reasoning(
    trail: AuditTrail | None, store: GraphStore, run: Callable[[GraphStore], T]
) -> T:
    """Run the reasoner's ``run`` on ``store`` and record the graphs it wrote (the inferred
    graph, design conformance reports) as one committed entry, as they are stored."""
    if trail is None:
        return run(store)
    touching = _Touching(store)
    result = run(touching)
    if touching.touched:
        trail.record(store, "reasoning", "kgthread", sorted(touching.touched, key=str)).committed()
    return result


class _Touching:
    """A store that notes every graph written through it (and does everything else as the
    store it wraps does)."""

    def __init__(self, inner: GraphStore) -> None:
        self._inner = inner
        self.touched: set[NamedNode] = set()

    def commit(self, graph: NamedNode, *args: Any, **kwargs: Any) -> None:
        self.touched.add(graph)
        self._inner.commit(graph, *args, **kwargs)

    def drop_graph(self, graph: NamedNode, *args: Any, **kwargs: Any) -> None:
        self.touched.add(graph)
        self._inner.drop_graph(graph, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def triples_of(quads: Iterable[Quad]) -> Iterable[Triple]:
    return (Triple(q.subject, q.predicate, q.object) for q in quads)


def _batch_in_catalog(store: GraphStore, batch: str) -> bool:
    return any(True for _ in store.quads(None, vocab.BATCH_ID, Literal(batch), CATALOG_GRAPH))


def _digest_or_none(data: Any) -> Digest | None:
    return None if data is None else Digest.from_json(data)


def _reason(exc: BaseException) -> str:
    message = exc.message if isinstance(exc, KgthreadError) else str(exc)
    return f"{type(exc).__name__}: {message}"[:2000]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
