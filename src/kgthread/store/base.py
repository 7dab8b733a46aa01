"""The ``GraphStore`` interface: what the pipeline and the serving layer may ask of a store.

It is small on purpose, so that it can be implemented over the SPARQL 1.1 Protocol and the
Graph Store Protocol as well as over embedded Oxigraph: SPARQL queries and updates, pattern
reads, and whole-graph writes that commit together with the batch's catalog entry.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeAlias, runtime_checkable

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Store,
    Triple,
)

from kgthread.ids import DATA_BASE

if TYPE_CHECKING:
    from kgthread.store.current_view import Change

Term: TypeAlias = NamedNode | BlankNode | Literal
Subject: TypeAlias = NamedNode | BlankNode
QueryResult: TypeAlias = QuerySolutions | QueryTriples | QueryBoolean

CATALOG_GRAPH = NamedNode(DATA_BASE + "catalog")
"""The named graph holding one ``kgt:IngestBatch`` activity per committed batch."""

INFERRED_GRAPH = NamedNode(DATA_BASE + "graph/inferred")
"""The named graph holding the entailments ``kgthread.reasoning`` keeps in step with batches."""


class GraphStore(Protocol):
    """A quad store holding one named graph per batch plus the catalog graph."""

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Term] | None = None,
        default_graph: Sequence[NamedNode] | None = None,
        named_graphs: Sequence[NamedNode] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Run a query. With no ``default_graph`` the default graph is the union of all
        committed graphs; graphs being written are never visible."""
        ...

    def update(
        self,
        sparql: str,
        *,
        base_iri: str | None = None,
        changes: Mapping[NamedNode | DefaultGraph, Change] | None = None,
        dropped: Sequence[NamedNode] = (),
    ) -> None:
        """Run a SPARQL update as one transaction (the gate has already passed it).
        ``changes`` says what it adds and removes per graph (``dropped`` graphs' whole
        content among the removals), so that the current view follows in the same
        transaction."""
        ...

    def quads(
        self,
        subject: Subject | None = None,
        predicate: NamedNode | None = None,
        obj: Term | None = None,
        graph: NamedNode | DefaultGraph | None = None,
    ) -> Iterator[Quad]:
        """Committed quads matching a pattern (``None`` is a wildcard; ``DefaultGraph()``
        matches the store's own default graph only)."""
        ...

    def graph_names(self) -> list[NamedNode]:
        """The committed named graphs."""
        ...

    def contains_graph(self, graph: NamedNode) -> bool: ...

    def commit(
        self,
        graph: NamedNode,
        triples: Iterable[Triple],
        catalog: Iterable[Triple],
        *,
        replace: bool = False,
        retire: Sequence[NamedNode] = (),
    ) -> None:
        """Add ``triples`` to ``graph`` and ``catalog`` to the catalog graph, all or nothing.
        With ``replace`` the graph's previous content is dropped in the same transaction;
        the ``retire`` graphs (older versions of the same document) leave the current view
        in it, kept as history."""
        ...

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
        """Load a large triples file into a new ``graph`` on the fast path while ``check``
        runs; commit only if both succeed. ``catalog`` is read after ``check`` returns. The
        graph stays invisible until committed, and a crash before the catalog entry is
        written is undone at the next open. ``check_loaded``, when given, runs after the
        load instead, on the store's own engine and the still-invisible graph, so a file too
        large to hold in memory twice is checked where it landed."""
        ...

    def drop_graph(self, graph: NamedNode, catalog_removals: Iterable[Triple] = ()) -> None:
        """Remove a graph (and the catalog entries given) in one transaction."""
        ...

    def dump(self, graph: NamedNode | None, rdf_format: RdfFormat) -> bytes:
        """Serialise one graph, or all committed graphs with ``None`` (quad formats)."""
        ...

    def triple_count(self) -> int: ...

    def state(self) -> str:
        """A token that changes whenever committed content changes: ETags and cursors are
        derived from it, so answers cached under an old token are never served again."""
        ...

    def close(self) -> None: ...


ValueRows: TypeAlias = Mapping[tuple[str, ...], Sequence[tuple[NamedNode | Literal | None, ...]]]
"""Rows for the ``VALUES`` blocks a query declares, by the block's variables (``None``:
``UNDEF``)."""


@runtime_checkable
class RoundTripStore(Protocol):
    """A store where every request is a network round trip (a remote store): callers that
    would read it node by node (the gate's context) send one query with rows instead."""

    def construct(self, sparql: str, rows: ValueRows) -> list[Triple]:
        """Run a CONSTRUCT whose ``VALUES`` blocks are filled with ``rows``; its triples."""
        ...


@runtime_checkable
class ReadsCurrent(Protocol):
    """A store that reads the current statements from its deduplicated view directly (each
    once, not once per batch asserting it): the gate's context is read so."""

    def current_quads(
        self,
        subject: Subject | None,
        predicate: NamedNode | None,
        obj: Term | None,
        ignore: Collection[NamedNode | DefaultGraph],
    ) -> Iterator[Quad] | None:
        """The current statements matching the pattern, leaving out what only the
        ``ignore``d graphs assert; ``None`` when that cannot be told from the view (an
        ignored graph is read through it): the caller reads graph by graph instead."""
        ...
