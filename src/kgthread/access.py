"""Per-named-graph read access: a caller sees only the graphs of the source systems granted
to it, enforced by the query engine's dataset.

A grant names source systems as the catalog records them: the label of the adapter each
batch was written by (``step``, ``b2mml``, ``table``, ``opcua-nodeset``, ``rdf``,
``graph-store``, ``sparql-update``...), plus three names for graphs no adapter writes:
``catalog`` (the catalog graph: every batch's files and agents), ``inferred`` (entailments
drawn from every graph) and ``default`` (the store's own default graph). A graph is visible
when every batch that landed in it came from a granted system.

:class:`ScopedStore` wraps a store for one caller. Every query it runs names the visible
graphs as both ``default_graph`` and ``named_graphs``; a dataset given that way replaces the
query's own ``FROM``/``FROM NAMED``, so ``FROM``, ``FROM NAMED`` and ``GRAPH`` can only
narrow what the caller sees, never widen it. Pattern reads, dumps and graph listings are
filtered the same way. Writes pass through: who may write is the caller's role, not this.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import cast

from pyoxigraph import DefaultGraph, NamedNode, Quad, QuerySolutions, RdfFormat, Store, Triple
from pyoxigraph import serialize as serialize_rdf

from kgthread import assets
from kgthread.store.base import (
    CATALOG_GRAPH,
    INFERRED_GRAPH,
    GraphStore,
    QueryResult,
    Subject,
    Term,
)
from kgthread.store.current_view import Change

CATALOG = "catalog"
INFERRED = "inferred"
DEFAULT = "default"
RESERVED = frozenset({CATALOG, INFERRED, DEFAULT})


_rq = assets.internal_query


class GraphSystems:
    """Which source systems wrote each graph, read from the catalog once per store state."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: str | None = None
        self._systems: dict[NamedNode, frozenset[str]] = {}

    def of(self, store: GraphStore) -> dict[NamedNode, frozenset[str]]:
        state = store.state()
        with self._lock:
            if state == self._state:
                return self._systems
        found: dict[NamedNode, set[str]] = {CATALOG_GRAPH: {CATALOG}}
        result = store.query(_rq("access-graphs.rq"), substitutions={"catalog": CATALOG_GRAPH})
        assert isinstance(result, QuerySolutions)
        for row in result:
            graph, system = row["graph"], row["system"]
            if not isinstance(graph, NamedNode):
                continue
            name = INFERRED if graph == INFERRED_GRAPH else (system.value if system else "")
            found.setdefault(graph, set()).add(name)
        systems = {graph: frozenset(names) for graph, names in found.items()}
        with self._lock:
            self._state, self._systems = state, systems
        return systems

    def visible(self, store: GraphStore, granted: frozenset[str]) -> list[NamedNode]:
        """The graphs every one of whose writers is in ``granted``, in a stable order."""
        return sorted(
            (g for g, names in self.of(store).items() if names <= granted),
            key=lambda g: g.value,
        )


class ScopedStore:
    """``store`` as one caller granted ``granted`` source systems may see it."""

    def __init__(self, store: GraphStore, granted: frozenset[str], systems: GraphSystems) -> None:
        self.inner = store
        self.granted = granted
        self._systems = systems
        self._visible: frozenset[NamedNode] | None = None
        self._listed: list[NamedNode] = []

    def _graphs(self) -> list[NamedNode]:
        if self._visible is None:
            self._listed = self._systems.visible(self.inner, self.granted)
            self._visible = frozenset(self._listed)
        return self._listed

    def _sees(self, graph: NamedNode | DefaultGraph) -> bool:
        if isinstance(graph, DefaultGraph):
            return DEFAULT in self.granted
        self._graphs()
        assert self._visible is not None
        return graph in self._visible

    # -- reads: the dataset is always the visible graphs ----------------------------------

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Term] | None = None,
        default_graph: Sequence[NamedNode] | None = None,
        named_graphs: Sequence[NamedNode] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        visible = self._graphs()
        default: list[NamedNode] = (
            [*visible] if default_graph is None else [g for g in default_graph if self._sees(g)]
        )
        if default_graph is None and DEFAULT in self.granted:
            # The store's own default graph has no IRI; the engine takes it in the list.
            default.insert(0, cast(NamedNode, DefaultGraph()))
        named = visible if named_graphs is None else [g for g in named_graphs if self._sees(g)]
        return self.inner.query(
            sparql,
            substitutions=substitutions,
            default_graph=default,
            named_graphs=named,
            base_iri=base_iri,
        )

    def quads(
        self,
        subject: Subject | None = None,
        predicate: NamedNode | None = None,
        obj: Term | None = None,
        graph: NamedNode | DefaultGraph | None = None,
    ) -> Iterator[Quad]:
        if graph is not None and not self._sees(graph):
            return
        for quad in self.inner.quads(subject, predicate, obj, graph):
            name = quad.graph_name
            if isinstance(name, NamedNode | DefaultGraph) and self._sees(name):
                yield quad

    def graph_names(self) -> list[NamedNode]:
        return [g for g in self.inner.graph_names() if self._sees(g)]

    def contains_graph(self, graph: NamedNode) -> bool:
        return self._sees(graph) and self.inner.contains_graph(graph)

    def dump(self, graph: NamedNode | None, rdf_format: RdfFormat) -> bytes:
        if graph is not None:
            return self.inner.dump(graph, rdf_format) if self._sees(graph) else b""
        return serialize_rdf(self.quads(), format=rdf_format) or b""

    def triple_count(self) -> int:
        return sum(1 for _ in self.quads())

    def state(self) -> str:
        return self.inner.state()

    # -- writes pass through: the role decides who may write ------------------------------

    def update(
        self,
        sparql: str,
        *,
        base_iri: str | None = None,
        changes: Mapping[NamedNode | DefaultGraph, Change] | None = None,
        dropped: Sequence[NamedNode] = (),
    ) -> None:
        self.inner.update(sparql, base_iri=base_iri, changes=changes, dropped=dropped)

    def commit(
        self,
        graph: NamedNode,
        triples: Iterable[Triple],
        catalog: Iterable[Triple],
        *,
        replace: bool = False,
        retire: Sequence[NamedNode] = (),
    ) -> None:
        self.inner.commit(graph, triples, catalog, replace=replace, retire=retire)

    def bulk_commit(
        self,
        graph: NamedNode,
        source: Path,
        rdf_format: RdfFormat,
        catalog: Iterable[Triple],
        check: Callable[[], None],
        *,
        base_iri: str | None = None,
        progress: Callable[[int], None] | None = None,
        check_loaded: Callable[[Store, NamedNode], None] | None = None,
        retire: Sequence[NamedNode] = (),
    ) -> None:
        self.inner.bulk_commit(
            graph,
            source,
            rdf_format,
            catalog,
            check,
            base_iri=base_iri,
            progress=progress,
            check_loaded=check_loaded,
            retire=retire,
        )

    def drop_graph(self, graph: NamedNode, catalog_removals: Iterable[Triple] = ()) -> None:
        self.inner.drop_graph(graph, catalog_removals)

    def close(self) -> None:
        """The caller's view closes nothing: the store belongs to the server."""
