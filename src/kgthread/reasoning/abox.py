"""ABox entailments kept in the inferred named graph, computed per batch, incrementally.

Rules (each names what ``explain`` reports):

- ``contains-transitive``: ``kgt:hasComponent`` is a subproperty of the transitive
  ``kgt:contains``, so ``a kgt:contains d`` for every ``kgt:hasComponent`` path from a to d.
- ``subclass``: ``s a C`` and ``C rdfs:subClassOf+ D`` entail ``s a D``.
- ``subproperty``: ``s P o`` and ``P rdfs:subPropertyOf+ Q`` entail ``s Q o`` (except
  ``kgt:contains``, which the first rule owns).

The inferred graph is closed over everything committed before a batch (the invariant), so a
batch's new edge ``p -> c`` adds exactly ``ancestors(p) x descendants(c)``, both read from
the inferred graph plus what the batch itself adds. No store-wide recomputation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pyoxigraph import BlankNode, NamedNode, Quad, Triple

from kgthread import vocab
from kgthread.reasoning.hierarchy import Hierarchy, default
from kgthread.store.base import CATALOG_GRAPH, INFERRED_GRAPH, GraphStore, Subject, Term

Node = NamedNode
_SKIPPED = (CATALOG_GRAPH, INFERRED_GRAPH)


def infer_for_batch(
    store: GraphStore, batch_graph: NamedNode, hierarchy: Hierarchy | None = None
) -> list[Quad]:
    """The new quads of the inferred graph that the committed ``batch_graph`` entails."""
    rules = hierarchy or default()
    known = _StoredClosure(store)
    out = list(_schema_entailments(store.quads(graph=batch_graph), rules, store))
    edges = _edges(store.quads(predicate=vocab.HAS_COMPONENT, graph=batch_graph))
    out.extend(_close(edges, known))
    return out


def materialise(store: GraphStore, hierarchy: Hierarchy | None = None) -> list[Quad]:
    """Every entailment of every committed graph, ignoring the current inferred graph."""
    return list(dict.fromkeys(stream_entailments(store, hierarchy)))


def stream_entailments(store: GraphStore, hierarchy: Hierarchy | None = None) -> Iterator[Quad]:
    """``materialise`` in constant memory beside the closure: a quad may come twice (a node
    typed with two classes that share a superclass), which a store keeps once."""
    rules = hierarchy or default()
    asserted = (q for q in store.quads() if q.graph_name not in _SKIPPED)
    yield from _schema_entailments(asserted, rules, None)
    edges = _edges(
        q for q in store.quads(predicate=vocab.HAS_COMPONENT) if q.graph_name not in _SKIPPED
    )
    yield from _close(edges, _EmptyClosure())


def _edges(quads: Iterable[Quad]) -> list[tuple[Node, Node]]:
    return [
        (q.subject, q.object)
        for q in quads
        if isinstance(q.subject, NamedNode) and isinstance(q.object, NamedNode)
    ]


def _schema_entailments(
    quads: Iterable[Quad], rules: Hierarchy, store: GraphStore | None
) -> Iterator[Quad]:
    """Typing by superclasses and statements by superproperties; with a store (incremental),
    once each and only those the inferred graph lacks."""
    seen: set[tuple[Subject, NamedNode, Term]] = set()
    for quad in quads:
        s, p, o = quad.subject, quad.predicate, quad.object
        if not isinstance(s, NamedNode | BlankNode) or isinstance(o, Triple):
            continue
        entailed: list[tuple[Subject, NamedNode, Term]]
        if p == vocab.RDF_TYPE:
            if not isinstance(o, NamedNode):
                continue
            entailed = [(s, p, sup) for sup in rules.superclasses(o)]
        else:
            entailed = [(s, sup, o) for sup in rules.superproperties(p) if sup != vocab.CONTAINS]
        for es, ep, eo in entailed:
            if store is not None:
                if (es, ep, eo) in seen or any(store.quads(es, ep, eo, INFERRED_GRAPH)):
                    continue
                seen.add((es, ep, eo))
            yield Quad(es, ep, eo, INFERRED_GRAPH)


class _EmptyClosure:
    """No stored closure: full materialisation."""

    def ancestors(self, node: Node) -> frozenset[Node]:
        return frozenset()

    def descendants(self, node: Node) -> frozenset[Node]:
        return frozenset()


@dataclass
class _StoredClosure:
    """``kgt:contains`` as the inferred graph holds it, cached per node for one batch."""

    store: GraphStore
    _up: dict[Node, frozenset[Node]] = field(default_factory=dict)
    _down: dict[Node, frozenset[Node]] = field(default_factory=dict)

    def ancestors(self, node: Node) -> frozenset[Node]:
        if node not in self._up:
            quads = self.store.quads(None, vocab.CONTAINS, node, INFERRED_GRAPH)
            self._up[node] = frozenset(q.subject for q in quads if isinstance(q.subject, Node))
        return self._up[node]

    def descendants(self, node: Node) -> frozenset[Node]:
        if node not in self._down:
            quads = self.store.quads(node, vocab.CONTAINS, None, INFERRED_GRAPH)
            self._down[node] = frozenset(q.object for q in quads if isinstance(q.object, Node))
        return self._down[node]


def _close(edges: list[tuple[Node, Node]], known: _StoredClosure | _EmptyClosure) -> Iterator[Quad]:
    """Insert edges one at a time, keeping the closure (stored plus new) transitive."""
    up: dict[Node, set[Node]] = {}
    down: dict[Node, set[Node]] = {}
    for parent, child in edges:
        above = {parent, *known.ancestors(parent), *up.get(parent, ())}
        below = {child, *known.descendants(child), *down.get(child, ())}
        for a in above:
            stored, added = known.descendants(a), down.setdefault(a, set())
            for d in below:
                if d in stored or d in added:
                    continue
                added.add(d)
                up.setdefault(d, set()).add(a)
                yield Quad(a, vocab.CONTAINS, d, INFERRED_GRAPH)
