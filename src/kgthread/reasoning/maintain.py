"""Keeping the inferred graph and the design-conformance reports in step with every write:
the pipeline's hook for batches, and the Graph Store's and SPARQL Update's for the rest."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pyoxigraph import DefaultGraph, Literal, NamedNode, Triple

from kgthread import ids, vocab
from kgthread.errors import BadRequest, Forbidden
from kgthread.ingest.batch import Batch
from kgthread.reasoning import conformance_reports as conformance
from kgthread.reasoning.abox import infer_for_batch, stream_entailments
from kgthread.reasoning.hierarchy import RDFS_SUBPROPERTY_OF, Hierarchy, for_store
from kgthread.reasoning.tbox_guard import TBoxCheck
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
    checked: conformance.Checked | None = None


class Reasoner:
    """Adds each committed batch's entailments to the inferred graph and, with
    ``conformance``, re-checks the units of every part revision the batch touches against
    that revision's derived design shapes."""

    def __init__(self, hierarchy: Hierarchy | None = None, *, conformance: bool = True) -> None:
        self._fixed = hierarchy
        self._rules: Hierarchy | None = None
        self.conformance = conformance
        self.tbox = TBoxCheck()

    def hierarchy(self, store: GraphStore, *, refresh: bool = False) -> Hierarchy:
        """The rules: the one given, or the shipped ontology with the store's own axioms
        (read again when a batch brings axioms)."""
        if self._fixed is not None:
            return self._fixed
        if self._rules is None or refresh:
            self._rules = for_store(store)
        return self._rules

    def refuse(self, batch: Batch, store: GraphStore | None = None) -> None:
        """No batch may write the inferred graph itself, and a batch that states class or
        property axioms must leave the ontology consistent (HermiT, ``TBoxCheck``)."""
        if batch.graph == INFERRED_GRAPH:
            raise BadRequest(f"graph {INFERRED_GRAPH.value} is reserved for entailments")
        if store is not None and batch.triples is not None:
            self.tbox.check(store, batch.triples)

    def after_commit(self, store: GraphStore, batch: Batch) -> Reasoned:
        """Incremental for new batches. A replacing batch may remove edges, and a store whose
        inferred graph is not complete (never built, or a rebuild cut short) has no closure
        to build on: both rebuild."""
        axioms = any(store.quads(None, vocab.RDFS_SUBCLASS_OF, None, batch.graph)) or any(
            store.quads(None, RDFS_SUBPROPERTY_OF, None, batch.graph)
        )
        if axioms:  # new classes: instances stated earlier may gain types
            self.hierarchy(store, refresh=True)
        if axioms or batch.replace or not is_complete(store):
            done = self.rebuild(store, batch.activity)
        else:
            quads = infer_for_batch(store, batch.graph, self.hierarchy(store))
            store.commit(INFERRED_GRAPH, [q.triple for q in quads], _catalog(batch.activity))
            done = Reasoned(INFERRED_GRAPH, len(quads), rebuilt=False)
        if not self.conformance:
            return done
        touched = conformance.touched_revisions(store, batch.graph)
        checked = conformance.check_and_store(store, touched, batch.activity)
        return Reasoned(done.graph, done.inferred, done.rebuilt, checked)

    def refuse_write(self, graphs: Iterable[object]) -> None:
        """Updates may not write the inferred graph either."""
        if INFERRED_GRAPH in graphs:
            raise Forbidden(f"graph {INFERRED_GRAPH.value} is written by the reasoner only")

    def after_write(
        self, store: GraphStore, graphs: Sequence[NamedNode | DefaultGraph], *, removed: bool
    ) -> Reasoned:
        """A SPARQL update or a default-graph write changed ``graphs``. Additions to named
        graphs are absorbed incrementally (each changed graph is read again; what the
        inferred graph already holds is skipped); a removal, or a change to the default
        graph, rebuilds and re-checks everything."""
        named = [g for g in graphs if isinstance(g, NamedNode)]
        brings_axioms = any(
            any(store.quads(None, p, None, g))
            for g in named
            for p in (vocab.RDFS_SUBCLASS_OF, RDFS_SUBPROPERTY_OF)
        )
        if removed or brings_axioms or len(named) != len(graphs) or not is_complete(store):
            return self.after_drop(store)
        inferred, checked = 0, []
        for graph in named:
            quads = infer_for_batch(store, graph, self.hierarchy(store))
            store.commit(INFERRED_GRAPH, [q.triple for q in quads], _catalog(None))
            inferred += len(quads)
            if self.conformance:
                touched = conformance.touched_revisions(store, graph)
                checked.append(conformance.check_and_store(store, touched))
        total = conformance.merge(checked) if checked else None
        return Reasoned(INFERRED_GRAPH, inferred, rebuilt=False, checked=total)

    def after_drop(self, store: GraphStore, activity: NamedNode | None = None) -> Reasoned:
        """A graph was dropped or rewritten outside a batch (Graph Store DELETE, SPARQL
        Update): entailments cannot be retracted incrementally, so rebuild, and re-check
        every revision's units."""
        done = self.rebuild(store, activity)
        if not self.conformance:
            return done
        checked = conformance.check_all(store, activity)
        return Reasoned(done.graph, done.inferred, done.rebuilt, checked)

    def rebuild(self, store: GraphStore, informed_by: NamedNode | None = None) -> Reasoned:
        """Recompute the inferred graph from every committed graph (after drops or replaces).

        Written in chunks to bound memory; the catalog entry goes last, so a rebuild cut
        short leaves a graph that the next open removes and the next batch rebuilds."""
        entry = [q.triple for q in store.quads(REASONER_ACTIVITY, None, None, CATALOG_GRAPH)]
        store.drop_graph(INFERRED_GRAPH, entry)
        chunk: list[Triple] = []
        rules = self.hierarchy(store, refresh=True)
        for quad in stream_entailments(store, rules):
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
