"""SPARQL Update through the gate: rehearse on a copy, validate the outcome, apply the outcome.

An update is a program, not data, so the gate cannot look at it directly. This module
learns from a parse which graphs the update may read or write, copies those graphs into an
in-memory Oxigraph store, runs the update there, and diffs each graph before and after. The
new content of every changed graph is validated in one gate call (with the rest of the
store as context); only if it conforms is the *diff* written to the real store, as one
``DELETE DATA``/``INSERT DATA`` request together with the catalog entries. Writing the diff
rather than re-running the update means what is stored is exactly what was validated, even
for ``UUID()``, ``NOW()`` or ``RAND()``.

Semantics and limits (documented for users in the service description and README):

- The default graph of an update is the store's own default graph, while queries see the
  union of all graphs; ``USING``/``WITH`` name graphs as usual.
- The catalog graph is not part of the dataset an update sees unless the update names it;
  ``CLEAR ALL`` and ``DROP ALL`` therefore leave it, and any change to it is refused (403).
  Dropping a graph also removes the catalog entries of the batches that landed in it.
- ``LOAD`` and ``SERVICE`` are refused: the server fetches nothing on a client's behalf.
- Cost grows with the size of the graphs the update names (all graphs for ``GRAPH ?g``,
  ``ALL``/``NAMED`` or a variable graph in a template): they are copied and validated.
- A graph whose removed statements involve blank nodes (or whose added statements reuse
  existing ones) is rewritten whole, because ``DELETE DATA`` cannot name a blank node; its
  blank nodes get new identities, and one shared with an unchanged graph is split.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pyoxigraph import BlankNode, DefaultGraph, NamedNode, Quad, Store, Triple
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import URIRef
from rdflib.term import Variable as RdflibVariable

from kgthread.audit.digest import canonical_digest
from kgthread.audit.trail import AuditTrail, Recorder, audited_reasoning, triples_of
from kgthread.errors import (
    BadRequest,
    Forbidden,
    KgthreadError,
    QuerySyntaxError,
    ValidationFailed,
)
from kgthread.gate import Gate
from kgthread.ingest.batch import Batch, Source, provenance
from kgthread.reasoning import Reasoner
from kgthread.store import data_blocks
from kgthread.store.base import CATALOG_GRAPH, GraphStore
from kgthread.store.current_view import Change
from kgthread.store.owned import refuse_owned
from kgthread.validation import Report
from kgthread.vocab import TARGET_GRAPH

ADAPTER = "sparql-update"
ADAPTER_VERSION = "1.0"

GraphName = NamedNode | DefaultGraph
DEFAULT = DefaultGraph()


@dataclass(frozen=True)
class Reach:
    """What a parse tells about an update: the IRIs it names and whether it may reach
    graphs it does not name."""

    iris: frozenset[NamedNode]
    all_graphs: bool


@dataclass(frozen=True)
class GraphChange:
    """One graph before and after; ``None`` means the graph does not exist."""

    before: frozenset[Quad] | None
    after: frozenset[Quad] | None


@dataclass(frozen=True)
class Outcome:
    created: tuple[NamedNode, ...]
    modified: tuple[GraphName, ...]
    dropped: tuple[NamedNode, ...]
    report: Report | None

    def to_json(self) -> dict[str, Any]:
        def name(graph: GraphName) -> str:
            return "default" if isinstance(graph, DefaultGraph) else graph.value

        return {
            "created": [name(g) for g in self.created],
            "modified": [name(g) for g in self.modified],
            "dropped": [name(g) for g in self.dropped],
            "conforms": None if self.report is None else self.report.conforms,
        }


def analyse(text: str, base_iri: str | None, allowed: frozenset[str] = frozenset()) -> Reach:
    """Parse ``text`` (rdflib, for its algebra) and refuse what the gate cannot stand behind;
    ``LOAD`` and ``SERVICE`` only reach the targets in ``allowed``."""
    try:
        algebra = translateUpdate(parseUpdate(text), base=base_iri)
    except Exception as exc:  # pyparsing and rdflib raise several unrelated types
        precise = _oxigraph_syntax_error(text, base_iri)
        if precise is not None:
            raise precise from exc
        line, column = getattr(exc, "lineno", None), getattr(exc, "col", None)
        message = str(getattr(exc, "msg", None) or exc)
        raise QuerySyntaxError(
            f"update does not parse: {message}", line=line, column=column
        ) from exc
    iris: set[NamedNode] = set()
    all_graphs = False
    # An update with no operations (empty, or only comments) translates to a bare list.
    for node in _walk(getattr(algebra, "algebra", algebra)):
        if isinstance(node, URIRef):
            try:
                iris.add(NamedNode(str(node)))
            except ValueError as exc:  # rdflib's grammar takes IRIs RFC 3987 does not
                raise QuerySyntaxError(f"update names an invalid IRI <{node}>: {exc}") from exc
        elif isinstance(node, CompValue):
            if node.name == "Load" and str(node.get("iri")) not in allowed:
                raise BadRequest("LOAD is refused: the server does not fetch data for a client")
            if node.name == "ServiceGraphPattern" and str(node.get("term")) not in allowed:
                raise BadRequest("SERVICE is refused in updates: the server fetches nothing")
            if node.get("graphiri") in ("ALL", "NAMED"):
                all_graphs = True
            if node.name in ("Graph", "GraphGraphPattern") and isinstance(
                node.get("term"), RdflibVariable
            ):
                all_graphs = True
            quads = node.get("quads")
            if isinstance(quads, Mapping) and any(isinstance(g, RdflibVariable) for g in quads):
                all_graphs = True
    return Reach(frozenset(iris), all_graphs)


# Appended to an update, this can never complete it (";" closes nothing, and ";;" is never
# valid), so Oxigraph must fail to parse and executes nothing; an error before the suffix is
# the user's, with Oxigraph's precise line and column.
_NEVER_VALID = "\n;\n;"
_POSITION = re.compile(r"\bat (\d+):(\d+)")


def _oxigraph_syntax_error(text: str, base_iri: str | None) -> QuerySyntaxError | None:
    """Oxigraph's own message for a syntax error in ``text`` (rdflib's name only the failing
    operation), or ``None`` when Oxigraph reads ``text`` fine."""
    try:
        Store().update(text + _NEVER_VALID, base_iri=base_iri)
    except SyntaxError as exc:
        message = str(exc.msg or exc)
        found = _POSITION.search(message)
        if found and int(found.group(1)) <= text.count("\n") + 1:
            return QuerySyntaxError(message, line=int(found.group(1)), column=int(found.group(2)))
        return None
    raise AssertionError("an update ending in ';;' parsed")  # pragma: no cover


def _walk(value: object) -> Iterator[object]:
    """Every node of an rdflib algebra tree (CompValues are dicts; quads are dict keys)."""
    stack = [value]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def rehearse(
    store: GraphStore, text: str, base_iri: str | None, allowed: frozenset[str] = frozenset()
) -> dict[GraphName, GraphChange]:
    """Run the update on a copy of the graphs it may touch; the graphs it changed."""
    reach = analyse(text, base_iri, allowed)
    existing = set(store.graph_names())
    copied: set[GraphName] = {DEFAULT}
    copied.update(existing if reach.all_graphs else existing & reach.iris)
    if CATALOG_GRAPH not in reach.iris:
        copied.discard(CATALOG_GRAPH)
    scratch = Store()
    before: dict[GraphName, frozenset[Quad]] = {}
    for graph in copied:
        quads = frozenset(store.quads(graph=graph))
        before[graph] = quads
        if isinstance(graph, NamedNode):
            scratch.add_graph(graph)
        scratch.extend(quads)
    try:
        scratch.update(text, base_iri=base_iri)
    except SyntaxError as exc:
        raise _oxigraph_syntax_error(text, base_iri) or QuerySyntaxError(str(exc.msg)) from exc
    except (OSError, RuntimeError, ValueError) as exc:
        raise BadRequest(f"update could not be evaluated, nothing written: {exc}") from exc
    after_names: set[GraphName] = {DEFAULT}
    after_names.update(g for g in scratch.named_graphs() if isinstance(g, NamedNode))
    changes: dict[GraphName, GraphChange] = {}
    for graph in after_names | set(before):
        old = before.get(graph)
        if old is None and graph in existing:
            # Reached through a computed graph name (BIND(IRI(...))): its content was not
            # copied, so the diff would be wrong. Only the catalog is ever left out.
            raise Forbidden(f"the update writes to {graph}, which is read-only or not named")
        new = (
            frozenset(scratch.quads_for_pattern(None, None, None, graph))
            if (graph in after_names)
            else None
        )
        if new != old:
            changes[graph] = GraphChange(old, new)
    if CATALOG_GRAPH in changes:
        raise Forbidden("the catalog graph is read-only: it is written by the pipeline only")
    return changes


def apply_update(
    store: GraphStore,
    gate: Gate,
    text: str,
    *,
    base_iri: str | None = None,
    agent: str = "anonymous",
    audit: AuditTrail | None = None,
    reasoner: Reasoner | None = None,
    allowed: frozenset[str] = frozenset(),
) -> Outcome:
    """Rehearse, validate and apply one SPARQL update; raise :class:`ValidationFailed`
    (nothing written) when its outcome does not conform. ``LOAD`` and ``SERVICE`` may only
    reach the targets in ``allowed`` (what they fetch is validated like the rest)."""
    try:
        changes = rehearse(store, text, base_iri, allowed)
    except KgthreadError as exc:
        if audit is not None:
            audit.record(store, "update", agent, []).failed(exc)
        raise
    source = Source.of_bytes(None, text.encode("utf-8"))
    return apply_changes(
        store, gate, changes, source=source, agent=agent, audit=audit, reasoner=reasoner
    )


def apply_changes(
    store: GraphStore,
    gate: Gate,
    changes: Mapping[GraphName, GraphChange],
    *,
    source: Source,
    agent: str = "anonymous",
    audit: AuditTrail | None = None,
    action: str = "update",
    reasoner: Reasoner | None = None,
) -> Outcome:
    """Validate the new content of the changed graphs together, then write the difference
    and the catalog entries of created graphs in one transaction (recorded in ``audit``);
    then, with a ``reasoner``, bring the inferred graph and conformance reports in step."""
    refuse_owned(changes)
    if reasoner is not None:
        reasoner.refuse_write(changes)
    record = None if audit is None else audit.record(store, action, agent, list(changes))
    try:
        outcome = _apply_changes(store, gate, changes, source, agent, record)
    except BaseException as exc:
        if record is not None:
            record.failed(exc)
        raise
    if reasoner is not None and changes:
        removed = any(
            (c.before or frozenset()) - (c.after or frozenset()) for c in changes.values()
        )
        graphs = list(changes)
        audited_reasoning(audit, store, lambda s: reasoner.after_write(s, graphs, removed=removed))
    return outcome


def _apply_changes(
    store: GraphStore,
    gate: Gate,
    changes: Mapping[GraphName, GraphChange],
    source: Source,
    agent: str,
    record: Recorder | None,
) -> Outcome:
    if not changes:
        if record is not None:
            record.committed()
        return Outcome((), (), (), None)
    if CATALOG_GRAPH in changes:
        raise Forbidden("the catalog graph is read-only: it is written by the pipeline only")
    new_content = [_triple(q) for c in changes.values() for q in c.after or ()]
    report = gate.check_triples(new_content, store, ignore=list(changes)).report
    violations = report.violations()
    if violations:
        first = violations[0]
        raise ValidationFailed(
            f"update rejected, nothing written: {len(violations)} violation(s); first: "
            f"{first.focus_node} {first.result_path or ''}: {first.message}",
            report=report.to_json(),
        )
    created = tuple(g for g, c in changes.items() if isinstance(g, NamedNode) and c.before is None)
    dropped = tuple(g for g, c in changes.items() if isinstance(g, NamedNode) and c.after is None)
    modified = tuple(g for g, c in changes.items() if c.before is not None and c.after is not None)
    _announce(record, changes)
    view = {
        graph: Change(
            added=frozenset(triples_of((c.after or frozenset()) - (c.before or frozenset()))),
            removed=frozenset(triples_of((c.before or frozenset()) - (c.after or frozenset()))),
        )
        for graph, c in changes.items()
    }
    text, catalog_added, catalog_removed = _transaction(
        store, changes, created, dropped, source, agent
    )
    view[CATALOG_GRAPH] = Change(
        added=frozenset(triples_of(catalog_added)), removed=frozenset(triples_of(catalog_removed))
    )
    store.update(text, changes=view, dropped=dropped)
    if record is not None:
        record.committed()  # the graphs as the store holds them, not the input's digests
    return Outcome(created, modified, dropped, report)


def _announce(record: Recorder | None, changes: Mapping[GraphName, GraphChange]) -> None:
    """The pending audit entry: the delta and the content each graph will have (read from
    the rehearsal's own Oxigraph copy, so normalised as the store will hold it), which
    reconciliation after a crash compares with the store."""
    if record is None:
        return
    added = canonical_digest(
        q for c in changes.values() for q in (c.after or set()) - (c.before or set())
    )
    removed = canonical_digest(
        q for c in changes.values() for q in (c.before or set()) - (c.after or set())
    )
    expected = {
        g: None if c.after is None else canonical_digest(triples_of(c.after))
        for g, c in changes.items()
    }
    record.pending(added, removed, expected)


def _transaction(
    store: GraphStore,
    changes: Mapping[GraphName, GraphChange],
    created: tuple[NamedNode, ...],
    dropped: tuple[NamedNode, ...],
    source: Source,
    agent: str,
) -> tuple[str, list[Quad], list[Quad]]:
    """The update's text, and the catalog statements it adds and removes (a remote store
    keeps them in its current view too)."""
    old_blank_nodes = {n for c in changes.values() for q in c.before or () for n in _blank(q)}
    drops: list[str] = []
    creates: list[str] = []
    removed: list[Quad] = []
    added: list[Quad] = []
    for graph, change in changes.items():
        old, new = change.before or frozenset(), change.after
        if new is None:
            drops.append(data_blocks.drop_graph(graph))
            continue
        gone, fresh = old - new, new - old
        if any(_blank(q) for q in gone) or any(
            n in old_blank_nodes for q in fresh for n in _blank(q)
        ):
            drops.append(data_blocks.drop_graph(graph))
            gone, fresh = frozenset(), new
        removed.extend(gone)
        added.extend(fresh)
        if isinstance(graph, NamedNode) and not new:
            creates.append(data_blocks.create_graph(graph))
    catalog_removed = [
        Quad(t.subject, t.predicate, t.object, CATALOG_GRAPH)
        for graph in dropped
        for t in catalog_removals(store, graph)
    ]
    removed.extend(catalog_removed)
    catalog_added: list[Quad] = []
    now = datetime.now(UTC)
    for graph in created:
        batch = Batch(
            ADAPTER,
            ADAPTER_VERSION,
            [source],
            batch_id=uuid.uuid4().hex,
            target_graph=graph,
            agent=agent,
        )
        count = len(changes[graph].after or ())
        catalog_added.extend(
            Quad(t.subject, t.predicate, t.object, CATALOG_GRAPH)
            for t in provenance(batch, count, now)
        )
    added.extend(catalog_added)
    text = data_blocks.transaction(
        *drops,
        data_blocks.delete_data(removed) if removed else "",
        *creates,
        data_blocks.insert_data(added) if added else "",
    )
    return text, catalog_added, catalog_removed


def catalog_removals(store: GraphStore, graph: NamedNode) -> list[Triple]:
    """The catalog statements about the batches that landed in ``graph``: they go with it."""
    activities = {
        q.subject
        for q in store.quads(None, TARGET_GRAPH, graph, CATALOG_GRAPH)
        if isinstance(q.subject, NamedNode | BlankNode)
    }
    return [
        _triple(q)
        for activity in activities
        for q in store.quads(activity, None, None, CATALOG_GRAPH)
    ]


def _triple(quad: Quad) -> Triple:
    return Triple(quad.subject, quad.predicate, quad.object)


def _blank(quad: Quad) -> Iterable[BlankNode]:
    return [t for t in (quad.subject, quad.object) if isinstance(t, BlankNode)]
