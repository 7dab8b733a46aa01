"""Keeping the inferred graph in step with committed batches (the pipeline's hook)."""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, Triple

from kgthread import ids, vocab
from kgthread.errors import BadRequest
from kgthread.ingest.batch import Batch
from kgthread.reasoning.abox import infer_for_batch, stream_entailments
from kgthread.reasoning.hierarchy import Hierarchy, default
from kgthread.store.base import CATALOG_GRAPH, INFERRED_GRAPH, GraphStore

CHUNK = 500_000
"""Inferred triples per write of a rebuild: bounds memory at any store size."""
REASONER_ACTIVITY = ids.batch("inferred")
"""The catalog's activity for the inferred graph: its ``kgt:targetGraph`` keeps the graph
through recovery at open, and ``prov:wasInformedBy`` lists the batches it has absorbed."""


@dataclass(frozen=True)
class Reasoned:
    graph: NamedNode
    inferred: int
    rebuilt: bool


class Reasoner:
    """Adds each committed batch's entailments to the inferred graph."""

    def __init__(self, hierarchy: Hierarchy | None = None) -> None:
        self.hierarchy = hierarchy or default()

    def refuse(self, batch: Batch) -> None:
        """No batch may write the inferred graph itself."""
        if batch.graph == INFERRED_GRAPH:
            raise BadRequest(f"graph {INFERRED_GRAPH.value} is reserved for entailments")

    def after_commit(self, store: GraphStore, batch: Batch) -> Reasoned:
        """Incremental for new batches. A replacing batch may remove edges, and a store whose
        inferred graph is not complete (never built, or a rebuild cut short) has no closure
        to build on: both rebuild."""
        if batch.replace or not is_complete(store):
            return self.rebuild(store, batch.activity)
        quads = infer_for_batch(store, batch.graph, self.hierarchy)
        store.commit(INFERRED_GRAPH, [q.triple for q in quads], _catalog(batch.activity))
        return Reasoned(INFERRED_GRAPH, len(quads), rebuilt=False)

    def rebuild(self, store: GraphStore, informed_by: NamedNode | None = None) -> Reasoned:
        """Recompute the inferred graph from every committed graph (after drops or replaces).

        Written in chunks to bound memory; the catalog entry goes last, so a rebuild cut
        short leaves a graph that the next open removes and the next batch rebuilds."""
        entry = [q.triple for q in store.quads(REASONER_ACTIVITY, None, None, CATALOG_GRAPH)]
        store.drop_graph(INFERRED_GRAPH, entry)
        chunk: list[Triple] = []
        for quad in stream_entailments(store, self.hierarchy):
            chunk.append(quad.triple)
            if len(chunk) >= CHUNK:
                store.commit(INFERRED_GRAPH, chunk, [])
                chunk = []
        store.commit(INFERRED_GRAPH, chunk, [])
        store.commit(INFERRED_GRAPH, [], _catalog(informed_by))
        count = sum(1 for _ in store.quads(graph=INFERRED_GRAPH))
        return Reasoned(INFERRED_GRAPH, count, rebuilt=True)


def is_complete(store: GraphStore) -> bool:
    """Whether the inferred graph is closed over the store: its catalog entry is written
    after the last of its quads."""
    entry = store.quads(REASONER_ACTIVITY, vocab.TARGET_GRAPH, INFERRED_GRAPH, CATALOG_GRAPH)
    return any(entry)


def _catalog(informed_by: NamedNode | None) -> list[Triple]:
    triples = [
        Triple(REASONER_ACTIVITY, vocab.RDF_TYPE, vocab.PROV_ACTIVITY),
        Triple(REASONER_ACTIVITY, vocab.RDFS_LABEL, Literal("ABox entailments")),
        Triple(REASONER_ACTIVITY, vocab.TARGET_GRAPH, INFERRED_GRAPH),
    ]
    if informed_by is not None:
        triples.append(Triple(REASONER_ACTIVITY, _WAS_INFORMED_BY, informed_by))
    return triples


_WAS_INFORMED_BY = NamedNode(vocab.PROV_NS + "wasInformedBy")
