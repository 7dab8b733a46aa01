"""Focus nodes: which nodes each targeted shape validates, in whole-graph or batch mode.

In batch mode only what the batch touches is validated: subjects of its triples, and, for
a shape with an inverse path ``^p``, objects of its ``p`` triples (adding a second parent to
an existing unit makes the unit a focus node although the unit's own triples are
context). Both engines use this, so they judge exactly the same nodes.

Targets are read straight from the store's indexes (``rdf:type`` and predicate lookups,
the subclass closure computed once), not by SPARQL: a node whose typing or targeting
triple is itself in the batch graph needs no further test, which is nearly every node.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Store, Triple

from kgthread.validation.shapes import Term, TopShape
from kgthread.vocab import RDF_TYPE, RDFS_SUBCLASS_OF

# (nodes certainly in scope, nodes in scope only if the batch touches them)
Candidates = tuple[set[Term], set[Term]]


def focus_nodes(
    store: Store,
    tops: Iterable[TopShape],
    focus_graph: NamedNode | None,
    hierarchy: Sequence[Quad] = (),
) -> dict[TopShape, frozenset[Term]]:
    """The focus nodes of each targeted shape (a node may belong to several shapes)."""
    targets = _Targets(store, focus_graph, hierarchy)
    found: dict[TopShape, frozenset[Term]] = {}
    for top in tops:
        declared = top.targets
        sure: set[Term] = set()
        maybe: set[Term] = set()
        for candidates in (
            *(targets.instances(c) for c in declared.classes),
            *(targets.subjects_of(p) for p in declared.subjects_of),
            *(targets.objects_of(p) for p in declared.objects_of),
        ):
            sure |= candidates[0]
            maybe |= candidates[1]
        if focus_graph is None:
            # Whole-graph mode: a target node is a focus node even when absent from data.
            sure.update(declared.nodes)
        else:
            maybe.update(declared.nodes)
        inverse = top.inverse_predicates
        sure.update(n for n in maybe - sure if targets.touched(n, inverse))
        found[top] = frozenset(sure)
    return found


class _Targets:
    """Target lookups over one store, cached for one validation."""

    def __init__(
        self, store: Store, batch: NamedNode | None, hierarchy: Sequence[Quad] = ()
    ) -> None:
        self.store = store
        self.batch = batch
        self._subclasses: dict[Term, list[Term]] = {}
        stated = store.quads_for_pattern(None, RDFS_SUBCLASS_OF, None, None)
        for quad in itertools.chain(stated, hierarchy):
            sub, parent = quad.subject, quad.object
            if isinstance(sub, NamedNode | BlankNode) and not isinstance(parent, Triple):
                self._subclasses.setdefault(parent, []).append(sub)
        self._cache: dict[tuple[str, Term], Candidates] = {}
        self._subject: dict[Term, bool] = {}

    def instances(self, cls: NamedNode) -> Candidates:
        """SHACL instances of ``cls``: ``?node rdf:type/rdfs:subClassOf* cls``."""
        cached = self._cache.get(("class", cls))
        if cached is None:
            sure: set[Term] = set()
            maybe: set[Term] = set()
            for sub in self.subclasses(cls):
                self._split(self.store.quads_for_pattern(None, RDF_TYPE, sub, None), sure, maybe)
            cached = self._cache[("class", cls)] = (sure, maybe - sure)
        return cached

    def subjects_of(self, predicate: NamedNode) -> Candidates:
        cached = self._cache.get(("subjects", predicate))
        if cached is None:
            sure: set[Term] = set()
            maybe: set[Term] = set()
            self._split(self.store.quads_for_pattern(None, predicate, None, None), sure, maybe)
            cached = self._cache[("subjects", predicate)] = (sure, maybe - sure)
        return cached

    def objects_of(self, predicate: NamedNode) -> Candidates:
        cached = self._cache.get(("objects", predicate))
        if cached is None:
            objects = {
                q.object
                for q in self.store.quads_for_pattern(None, predicate, None, None)
                if isinstance(q.object, NamedNode | BlankNode | Literal)
            }
            cached = (objects, set()) if self.batch is None else (set(), objects)
            self._cache[("objects", predicate)] = cached
        return cached

    def subclasses(self, cls: Term) -> list[Term]:
        """``cls`` and every class below it through rdfs:subClassOf (cycles allowed)."""
        found = {cls: None}
        pending = [cls]
        while pending:
            for sub in self._subclasses.get(pending.pop(), ()):
                if sub not in found:
                    found[sub] = None
                    pending.append(sub)
        return list(found)

    def touched(self, node: Term, inverse: tuple[NamedNode, ...]) -> bool:
        """Whether the batch has ``node`` as a subject, or as an object of an inverse path."""
        batch = self.batch
        subject = self._subject.get(node)
        if subject is None:
            subject = not isinstance(node, Literal) and _any(
                self.store.quads_for_pattern(node, None, None, batch)
            )
            self._subject[node] = subject
        return subject or any(
            _any(self.store.quads_for_pattern(None, p, node, batch)) for p in inverse
        )

    def _split(self, quads: Iterable[Quad], sure: set[Term], maybe: set[Term]) -> None:
        """Subjects of ``quads``: sure when the quad is in the batch (or there is no batch)."""
        batch = self.batch
        for quad in quads:
            subject = quad.subject
            if not isinstance(subject, NamedNode | BlankNode):
                continue
            if batch is None or quad.graph_name == batch:
                sure.add(subject)
            else:
                maybe.add(subject)


def _any(quads: Iterable[Quad]) -> bool:
    return next(iter(quads), None) is not None
