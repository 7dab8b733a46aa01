"""Graphs the service writes itself, which no client write may touch.

The catalog (the pipeline's record of batches), the current view (derived from the current
graphs), the inferred graph (the reasoner's entailments, whether or not reasoning is on)
and the design conformance reports: a client writing them would make the store say what no
source said, and the audit trail could not tell.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyoxigraph import DefaultGraph, NamedNode

from kgthread import ids
from kgthread.errors import Forbidden
from kgthread.store.base import CATALOG_GRAPH, INFERRED_GRAPH
from kgthread.store.current_view import VIEW_GRAPH, VIEW_STATE_GRAPH

_OWNERS = {
    CATALOG_GRAPH: "the catalog graph is read-only: it is written by the pipeline only",
    VIEW_GRAPH: "the current view is derived from the current graphs: write those instead",
    VIEW_STATE_GRAPH: "the current view's bookkeeping is written by the store only",
    INFERRED_GRAPH: "the inferred graph is written by the reasoner only",
}
CONFORMANCE_PREFIX = ids.batch_graph("conformance:").value
"""Every design conformance report graph's IRI starts so (``reasoning.conformance_reports``)."""


def owner_message(graph: NamedNode | DefaultGraph) -> str | None:
    """Why clients may not write ``graph``, or ``None`` when they may."""
    if not isinstance(graph, NamedNode):
        return None
    if graph in _OWNERS:
        return _OWNERS[graph]
    if graph.value.startswith(CONFORMANCE_PREFIX):
        return f"graph {graph.value} holds design conformance reports, written by the reasoner"
    return None


def refuse_owned(graphs: Iterable[NamedNode | DefaultGraph]) -> None:
    """:class:`Forbidden` (403) naming the first graph the service owns."""
    for graph in graphs:
        message = owner_message(graph)
        if message is not None:
            raise Forbidden(message, graph=graph.value if isinstance(graph, NamedNode) else None)
