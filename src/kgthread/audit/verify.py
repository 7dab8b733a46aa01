"""``kgthread audit verify``: walk the chain, then hold the store against what it recorded.

The chain is checked line by line (each entry's hash over its own content, ``prev`` equal to
the hash before it, ``seq`` counting up by one), which finds an edited, deleted, inserted or
reordered entry. Replaying the committed entries gives the content every tracked graph must
have now; the store is then read graph by graph and any difference is a change made outside
the service: a graph edited, a graph the log never committed, a committed graph that is
gone, or catalog entries that differ from what their commit recorded.

What it cannot see: the newest entries deleted together, when they changed nothing in the
store (refusals and duplicates). The head hash (``GET /api/admin/audit``) is what to copy
elsewhere to close that gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pyoxigraph import DefaultGraph, NamedNode

from kgthread import vocab
from kgthread.audit.log import GENESIS, AuditLog, entry_hash
from kgthread.audit.trail import (
    DEFAULT_KEY,
    UNTRACKED,
    AuditTrail,
    GraphState,
    graph_key,
    observe,
    resolution,
)
from kgthread.store.base import CATALOG_GRAPH, GraphStore
from kgthread.store.current_view import VIEW_GRAPH


@dataclass(frozen=True)
class Finding:
    """One sign of tampering: what kind, where (``line N`` of the log, or a graph IRI)."""

    kind: str
    where: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "where": self.where, "detail": self.detail}

    def __str__(self) -> str:
        return f"{self.kind} at {self.where}: {self.detail}"


@dataclass
class Verification:
    entries: int = 0
    head: str = GENESIS
    graphs_checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    hashes: set[str] = field(default_factory=set)
    """Every entry hash in the chain (a head kept elsewhere must be among them)."""
    judged: list[tuple[int, str, str]] = field(default_factory=list)
    """Pending writes without an outcome: (seq, batch or action, outcome as judged)."""

    @property
    def holds(self) -> bool:
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        return {
            "holds": self.holds,
            "entries": self.entries,
            "head": self.head,
            "graphs_checked": self.graphs_checked,
            "findings": [f.to_json() for f in self.findings],
        }


def verify(trail: AuditTrail, store: GraphStore, *, head: str | None = None) -> Verification:
    """Every finding in the chain and in the store, against ``trail``'s log, which is only
    read. A pending write a crash left without an outcome is judged as reconciliation
    would judge it (without writing that outcome). ``head``: a head hash kept elsewhere,
    which the chain must still contain (entries cut from its end are found so)."""
    result = Verification()
    expected = _walk_chain(trail.log, result)
    for entry in trail.unresolved():
        outcome = resolution(store, entry, "judged by verification")
        what = str(entry.get("batch") or entry.get("action"))
        result.judged.append((int(entry["seq"]), what, str(outcome["state"])))
        for key, state in (outcome.get("graph_states") or {}).items():
            parsed = GraphState.from_json(state)
            if parsed.content is None:
                expected.pop(key, None)
            else:
                expected[key] = (parsed, int(entry["seq"]))
    if head is not None and head not in result.hashes:
        result.findings.append(
            Finding(
                "head-missing",
                f"head {head}",
                "the chain does not contain the head hash kept elsewhere: entries were cut "
                "from its end or rewritten",
            )
        )
    _compare_store(store, expected, result)
    if isinstance(store, DerivesView):
        for problem in store.view_findings():
            result.findings.append(Finding("view-changed", VIEW_GRAPH.value, problem))
    return result


@runtime_checkable
class DerivesView(Protocol):
    """A store keeping a deduplicated current view it can check against its graphs."""

    def view_findings(self) -> list[str]: ...


def _walk_chain(log: AuditLog, result: Verification) -> dict[str, tuple[GraphState, int]]:
    expected: dict[str, tuple[GraphState, int]] = {}
    prev_hash, prev_seq = GENESIS, 0
    for line in log.lines():
        where = f"line {line.number}"
        entry = line.entry
        if entry is None:
            result.findings.append(Finding("unreadable", where, "not a JSON object"))
            continue
        result.entries += 1
        seq = entry.get("seq")
        if entry_hash(entry) != entry.get("hash"):
            result.findings.append(
                Finding("edited", where, f"entry seq {seq}: its hash does not match its content")
            )
        if entry.get("prev") != prev_hash:
            result.findings.append(
                Finding(
                    "chain-broken",
                    where,
                    f"entry seq {seq} does not follow the entry before it "
                    "(an entry was deleted, inserted or reordered)",
                )
            )
        if seq != prev_seq + 1:
            result.findings.append(
                Finding(
                    "sequence", where, f"seq {seq} after seq {prev_seq}, expected {prev_seq + 1}"
                )
            )
        prev_hash = str(entry.get("hash"))
        result.hashes.add(prev_hash)
        prev_seq = seq if isinstance(seq, int) else prev_seq + 1
        if entry.get("state") == "committed":
            for key, state in (entry.get("graph_states") or {}).items():
                parsed = GraphState.from_json(state)
                if parsed.content is None:
                    expected.pop(key, None)
                else:
                    expected[key] = (parsed, prev_seq)
    result.head = prev_hash
    return expected


def _compare_store(
    store: GraphStore, expected: dict[str, tuple[GraphState, int]], result: Verification
) -> None:
    present: list[NamedNode | DefaultGraph] = [g for g in store.graph_names() if g not in UNTRACKED]
    present.append(DefaultGraph())
    seen: set[str] = set()
    for graph in present:
        key = graph_key(graph)
        seen.add(key)
        state = observe(store, graph)
        result.graphs_checked += 1
        if key not in expected:
            if key == DEFAULT_KEY and state.content is not None and state.content.quads == 0:
                continue
            result.findings.append(
                Finding(
                    "unlogged-graph",
                    key,
                    f"in the store ({_quads(state)}) but never committed through the service",
                )
            )
            continue
        recorded, seq = expected[key]
        if state.content != recorded.content:
            result.findings.append(
                Finding(
                    "content-changed",
                    key,
                    f"content differs from what entry seq {seq} recorded "
                    f"({_quads(state)} now, {_count(recorded)} recorded)",
                )
            )
        if state.catalog != recorded.catalog:
            result.findings.append(
                Finding(
                    "catalog-changed",
                    key,
                    f"the catalog entries of its batches differ from what entry seq {seq} recorded",
                )
            )
    for key, (_, seq) in sorted(expected.items()):
        if key not in seen:
            result.findings.append(
                Finding("missing-graph", key, f"committed by entry seq {seq}, not in the store")
            )
    stray = {
        q.object.value
        for q in store.quads(None, vocab.TARGET_GRAPH, None, CATALOG_GRAPH)
        if isinstance(q.object, NamedNode)
        and q.object not in UNTRACKED
        and not store.contains_graph(q.object)
    }
    for iri in sorted(stray):
        result.findings.append(
            Finding("catalog-changed", iri, "the catalog names this graph, the store has none")
        )


def _quads(state: GraphState) -> str:
    return f"{state.content.quads if state.content else 0} quads"


def _count(state: GraphState) -> str:
    return f"{state.content.quads if state.content else 0}"
