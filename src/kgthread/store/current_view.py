"""The current view: every current fact once, however many batches assert it.

SPARQL's default graph is the RDF merge of its graphs, a set; pyoxigraph 0.5 evaluates a
union of graphs as a bag, so a statement two batches assert would be counted twice. The
embedded store therefore queries a default graph made of disjoint parts:

- ``VIEW_GRAPH``: one copy of each statement asserted by a current graph that is not held
  directly (small batches, updates, the store's own default graph, inferences);
- the graphs *held directly*: large bulk loads that share no statement with any other
  current graph, read in place so that a load is not written twice;
- the catalog.

Every write keeps the parts disjoint and their union equal to the set of statements the
current graphs assert; history graphs (superseded versions of a document) assert nothing
currently. This module computes what each write must add to or remove from the view; the
store applies it in the write's own transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, Store, Triple

from kgthread import assets, vocab
from kgthread.ids import DATA_BASE
from kgthread.store import sparql_text
from kgthread.store.base import CATALOG_GRAPH
from kgthread.store.sparql_text import Rows

VIEW_GRAPH = NamedNode(DATA_BASE + "graph/current")
"""The deduplicated current statements not held directly by a bulk-loaded graph."""

VIEW_STATE_GRAPH = NamedNode(DATA_BASE + "graph/current-state")
"""Which graphs the view's default graph reads in place (``kgt:heldDirectly``): bookkeeping,
never part of a query's dataset."""

GraphName = NamedNode | DefaultGraph
TRUE = Literal("true", datatype=vocab.XSD_BOOLEAN)


@dataclass
class ViewDelta:
    """What one write adds to and removes from the view, and which graphs change role."""

    add: set[Triple] = field(default_factory=set)
    remove: set[Triple] = field(default_factory=set)
    statements: list[str] = field(default_factory=list)
    """SPARQL update operations run after the data operations (the bulk cases)."""
    direct_added: set[NamedNode] = field(default_factory=set)
    direct_removed: set[NamedNode] = field(default_factory=set)
    blank_remove: set[Triple] = field(default_factory=set)
    """Statements with blank nodes to take out of the view, unless still asserted: SPARQL
    cannot name a blank node, so these go through the store's own API after the write."""
    blank_graphs: set[GraphName] = field(default_factory=set)
    """Graphs that gained statements with blank nodes (copied in after the write: a text
    update gives blank nodes new identities)."""


@dataclass(frozen=True)
class Change:
    """One graph's statements added and removed by a write."""

    added: frozenset[Triple] = frozenset()
    removed: frozenset[Triple] = frozenset()


class CurrentView:
    """The bookkeeping of the view over one pyoxigraph store: which graphs are history and
    which are held directly, read from the catalog at open and kept in step by the store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.history: set[NamedNode] = set()
        self.direct: set[NamedNode] = set()
        self.reload()

    def reload(self) -> None:
        """Read the roles from the catalog (after open, or after a write failed)."""
        catalog = self._store.quads_for_pattern
        superseded = {q.subject for q in catalog(None, vocab.SUPERSEDED_BY, None, CATALOG_GRAPH)}
        self.history = {
            q.object
            for batch in superseded
            if isinstance(batch, NamedNode)
            for q in catalog(batch, vocab.TARGET_GRAPH, None, CATALOG_GRAPH)
            if isinstance(q.object, NamedNode)
        }
        self.direct = {
            q.subject
            for q in catalog(None, vocab.HELD_DIRECTLY, TRUE, VIEW_STATE_GRAPH)
            if isinstance(q.subject, NamedNode)
        }

    def dataset(self) -> list[NamedNode | DefaultGraph]:
        """The parts of the default graph queries see: disjoint, so a bag is a set."""
        return [VIEW_GRAPH, *sorted(self.direct, key=lambda g: g.value), CATALOG_GRAPH]

    def size(self) -> int:
        """How many statements the view graph holds."""
        rows = self._store.query(_rq("view-size.rq"))
        for row in rows:  # type: ignore[union-attr]
            return int(row[0].value)
        return 0

    def check(self) -> list[str]:
        """What is wrong with the view against the graphs it derives from (nothing: ``[]``):
        statements it holds that no current graph asserts, or lacks that one asserts.
        Blank-node statements are compared by shape only where SPARQL can (it cannot name
        them), so an edited blank-node statement shows as one extra and one missing."""
        excluded = [VIEW_GRAPH, VIEW_STATE_GRAPH, CATALOG_GRAPH, *self.history, *self.direct]
        found: list[str] = []
        for name, what in (
            ("view-extra.rq", "held by the view, asserted by no current graph"),
            ("view-missing.rq", "asserted by a current graph, missing from the view"),
        ):
            text = (
                _fill(name, excluded=excluded)
                if name == "view-extra.rq"
                else _fill(name, excluded=excluded, direct=self.direct)
            )
            for row in self._store.query(text):  # type: ignore[union-attr]
                count = int(row["n"].value)
                if count:
                    found.append(f"{count} statement(s) {what} (e.g. about {row['example']})")
        return found

    def is_current(self, graph: NamedNode | DefaultGraph) -> bool:
        """Whether ``graph`` asserts its statements in the current view."""
        return graph not in self.history and graph not in (
            VIEW_GRAPH,
            VIEW_STATE_GRAPH,
            CATALOG_GRAPH,
        )

    def needs_rebuild(self) -> bool:
        """A store written before the view existed: data graphs, no view, nothing direct."""
        if self.direct or self._store.contains_named_graph(VIEW_GRAPH):
            return False
        return any(
            self.is_current(g) for g in self._store.named_graphs() if isinstance(g, NamedNode)
        )

    def rebuild_statement(self) -> str:
        """Copies every current statement into the view (a store from before the view)."""
        excluded = [VIEW_GRAPH, VIEW_STATE_GRAPH, CATALOG_GRAPH, *self.history]
        return _fill("view-rebuild.rq", excluded=excluded)

    # -- small writes: computed statement by statement ------------------------------------

    def delta(
        self,
        changes: Mapping[GraphName, Change],
        *,
        leaving: Collection[NamedNode] = (),
        dropped: Collection[NamedNode] = (),
        arriving_direct: Collection[NamedNode] = (),
    ) -> ViewDelta:
        """The view's change for a write that adds and removes ``changes`` (a ``dropped``
        graph's whole content is among its removals) and takes the ``leaving`` graphs out
        of the current view (superseded: their content stays as history). A graph held
        directly that leaves is handled by :meth:`release`, run after the write."""
        delta = ViewDelta()
        # The catalog is a part of the default graph of its own, never copied into the view.
        changes = {g: c for g, c in changes.items() if g != CATALOG_GRAPH}
        direct_after = (self.direct - set(leaving) - set(dropped)) | set(arriving_direct)
        delta.direct_removed.update(self.direct & set(dropped))
        delta.direct_added.update(arriving_direct)
        # A graph held directly that gains a statement another direct graph holds would
        # count it twice: it is read through the view from now on.
        for graph, change in changes.items():
            if (
                isinstance(graph, NamedNode)
                and graph in direct_after
                and any(self._held_by(t, direct_after - {graph}) for t in change.added)
            ):
                delta.statements.append(self._demote(graph, direct_after - {graph}))
                direct_after.discard(graph)
                delta.direct_removed.add(graph)
        touched: set[Triple] = set()
        for change in changes.values():
            touched.update(change.added)
            touched.update(change.removed)
        for graph in leaving:
            if graph not in self.direct:
                touched.update(
                    q.triple for q in self._store.quads_for_pattern(None, None, None, graph)
                )
        gone = set(leaving)
        for graph, change in changes.items():
            if any(_has_blank(t) for t in change.added):
                delta.blank_graphs.add(graph)
        for triple in touched:
            if _has_blank(triple):
                if triple not in delta.blank_remove and not any(
                    triple in c.added for c in changes.values()
                ):
                    delta.blank_remove.add(triple)
                continue
            holders = self._holders(triple) - gone
            for graph, change in changes.items():
                if triple in change.removed:
                    holders.discard(graph)
                if triple in change.added:
                    holders.add(graph)
            wanted = bool(holders) and not (holders & direct_after)
            present = (
                Quad(triple.subject, triple.predicate, triple.object, VIEW_GRAPH) in self._store
            )
            if wanted and not present:
                delta.add.add(triple)
            elif present and not wanted:
                delta.remove.add(triple)
        for graph in leaving:
            if graph in self.direct:
                if self._read_through_view(direct_after, self.history | gone | {graph}):
                    delta.statements.append(self.release(graph, direct_after, self.history | gone))
                delta.direct_removed.add(graph)
        return delta

    def sync_blank(self, delta: ViewDelta, *, gone: Collection[NamedNode] = ()) -> None:
        """After a write: the view's statements with blank nodes follow (see ``ViewDelta``)."""
        for triple in delta.blank_remove:
            quad = Quad(triple.subject, triple.predicate, triple.object, VIEW_GRAPH)
            if quad in self._store and not (self._holders(triple) - set(gone)):
                self._store.remove(quad)
        for graph in delta.blank_graphs:
            if isinstance(graph, NamedNode) and (graph in self.direct or graph in self.history):
                continue
            self._store.extend(
                Quad(q.subject, q.predicate, q.object, VIEW_GRAPH)
                for q in self._store.quads_for_pattern(None, None, None, graph)
                if _has_blank(q.triple)
            )

    def _read_through_view(
        self, direct: Collection[NamedNode], leaving: Collection[NamedNode]
    ) -> bool:
        """Whether any current graph is read through the view (the store's own default
        graph counts when it holds anything): when none is, a graph held directly that
        leaves shares nothing the view must take over."""
        if any(True for _ in self._store.quads_for_pattern(None, None, None, DefaultGraph())):
            return True
        return any(
            isinstance(g, NamedNode) and self.is_current(g) and g not in direct and g not in leaving
            for g in self._store.named_graphs()
        )

    def _holders(self, triple: Triple) -> set[GraphName]:
        """The current graphs that assert ``triple`` now."""
        return {
            q.graph_name
            for q in self._store.quads_for_pattern(triple.subject, triple.predicate, triple.object)
            if not isinstance(q.graph_name, BlankNode) and self.is_current(q.graph_name)
        }

    def _held_by(self, triple: Triple, graphs: Iterable[NamedNode]) -> bool:
        return any(
            Quad(triple.subject, triple.predicate, triple.object, g) in self._store for g in graphs
        )

    def _demote(self, graph: NamedNode, others: Collection[NamedNode]) -> str:
        """Read ``graph`` through the view from now on: its statements no other direct
        graph holds are copied in."""
        return _fill("view-copy-in.rq", graph=[graph], direct=others)

    # -- bulk writes: evaluated by the engine ---------------------------------------------

    def release(
        self, graph: NamedNode, direct_after: Collection[NamedNode], history: Collection[NamedNode]
    ) -> str:
        """A graph held directly leaves: the statements it shares with other current graphs
        read through the view are copied in (run after the write's other operations)."""
        excluded = [VIEW_GRAPH, VIEW_STATE_GRAPH, CATALOG_GRAPH, graph, *history, *direct_after]
        return _fill("view-release.rq", leaving=[graph], excluded=excluded, direct=direct_after)

    def overlaps_direct(self, graph: NamedNode, leaving: Collection[NamedNode]) -> bool:
        """Whether a freshly loaded ``graph`` shares a statement with a graph held directly."""
        others = self.direct - set(leaving) - {graph}
        if not others:
            return False
        return bool(self._store.query(_fill("view-overlap.rq", graph=[graph], direct=others)))

    def take_directly(self, graph: NamedNode) -> str:
        """``graph`` is held directly from now on: the view gives up what it holds."""
        return _fill("view-take.rq", graph=[graph])

    def copy_in(self, graph: NamedNode) -> str:
        """``graph`` is read through the view: what no direct graph holds is copied in."""
        return _fill("view-copy-in.rq", graph=[graph], direct=self.direct - {graph})

    def marks(self, delta: ViewDelta) -> tuple[list[Quad], list[Quad]]:
        """The catalog statements recording the roles ``delta`` changes (added, removed)."""
        added = [Quad(g, vocab.HELD_DIRECTLY, TRUE, VIEW_STATE_GRAPH) for g in delta.direct_added]
        removed = [
            Quad(g, vocab.HELD_DIRECTLY, TRUE, VIEW_STATE_GRAPH) for g in delta.direct_removed
        ]
        return added, removed

    def applied(self, delta: ViewDelta, *, retired: Iterable[NamedNode] = ()) -> None:
        """Record the roles once the write that carried ``delta`` committed."""
        self.direct -= delta.direct_removed
        self.direct |= delta.direct_added
        self.history.update(retired)

    def forget(self, graph: NamedNode) -> None:
        """A dropped graph is neither history nor direct any more."""
        self.history.discard(graph)
        self.direct.discard(graph)


def _has_blank(triple: Triple) -> bool:
    return isinstance(triple.subject, BlankNode) or isinstance(triple.object, BlankNode)


_rq = assets.internal_query


def _fill(name: str, **graphs: Collection[NamedNode]) -> str:
    """The update or query in ``name`` with each named ``VALUES`` block filled with graphs."""
    rows: Rows = {
        (variable,): [(g,) for g in sorted(values, key=lambda g: g.value)]
        for variable, values in graphs.items()
    }
    return sparql_text.fill(_rq(name), rows)
