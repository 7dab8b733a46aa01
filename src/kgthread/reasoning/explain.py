"""Why an inferred triple holds: the rule and the asserted statements and axioms behind it."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from pyoxigraph import NamedNode, Quad, Triple

from kgthread import vocab
from kgthread.reasoning.hierarchy import RDFS_SUBPROPERTY_OF, Hierarchy, for_store
from kgthread.store.base import CATALOG_GRAPH, INFERRED_GRAPH, GraphStore, Term

CONTAINS_RULE = "contains-transitive"
SUBCLASS_RULE = "subclass"
SUBPROPERTY_RULE = "subproperty"


@dataclass(frozen=True)
class Explanation:
    """``premises`` are asserted quads (with the batch graph that holds each); ``axioms``
    the ontology statements the rule applied."""

    rule: str
    premises: tuple[Quad, ...]
    axioms: tuple[Triple, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "premises": [_quad_json(q) for q in self.premises],
            "axioms": [
                [_text(t.subject), _text(t.predicate), _text(t.object)] for t in self.axioms
            ],
        }


def explain(
    store: GraphStore,
    subject: NamedNode,
    predicate: NamedNode,
    obj: Term,
    hierarchy: Hierarchy | None = None,
) -> Explanation | None:
    """The derivation of ``subject predicate obj`` from asserted data, or ``None``; the
    rules are the shipped ontology's with the store's own axioms unless given."""
    rules = hierarchy or for_store(store)
    if predicate == vocab.CONTAINS and isinstance(obj, NamedNode):
        path = _component_path(store, subject, obj)
        axiom = Triple(vocab.HAS_COMPONENT, RDFS_SUBPROPERTY_OF, vocab.CONTAINS)
        return Explanation(CONTAINS_RULE, tuple(path), (axiom,)) if path else None
    if predicate == vocab.RDF_TYPE and isinstance(obj, NamedNode):
        for quad in _asserted(store, subject, vocab.RDF_TYPE, None):
            if isinstance(quad.object, NamedNode) and obj in rules.superclasses(quad.object):
                chain = rules.path(rules.classes, quad.object, obj)
                return Explanation(SUBCLASS_RULE, (quad,), _axioms(chain, vocab.RDFS_SUBCLASS_OF))
        return None
    for quad in _asserted(store, subject, None, obj):
        if predicate in rules.superproperties(quad.predicate):
            chain = rules.path(rules.properties, quad.predicate, predicate)
            return Explanation(SUBPROPERTY_RULE, (quad,), _axioms(chain, RDFS_SUBPROPERTY_OF))
    return None


def _asserted(store: GraphStore, s: NamedNode, p: NamedNode | None, o: Term | None) -> list[Quad]:
    skipped = (CATALOG_GRAPH, INFERRED_GRAPH)
    return [q for q in store.quads(s, p, o) if q.graph_name not in skipped]


def _component_path(store: GraphStore, start: NamedNode, goal: NamedNode) -> list[Quad]:
    """The shortest asserted ``kgt:hasComponent`` path (breadth first), as quads."""
    via: dict[NamedNode, Quad] = {}
    frontier = [start]
    while frontier:
        following: list[NamedNode] = []
        for node in frontier:
            for quad in _asserted(store, node, vocab.HAS_COMPONENT, None):
                child = quad.object
                if not isinstance(child, NamedNode) or child in via or child == start:
                    continue
                via[child] = quad
                if child == goal:
                    path = [quad]
                    while path[0].subject != start:
                        path.insert(0, via[_named(path[0].subject)])
                    return path
                following.append(child)
        frontier = following
    return []


def _named(node: object) -> NamedNode:
    assert isinstance(node, NamedNode)
    return node


def _axioms(chain: list[NamedNode], predicate: NamedNode) -> tuple[Triple, ...]:
    return tuple(Triple(a, predicate, b) for a, b in pairwise(chain))


def _quad_json(quad: Quad) -> dict[str, str]:
    return {
        "subject": _text(quad.subject),
        "predicate": _text(quad.predicate),
        "object": _text(quad.object),
        "graph": _text(quad.graph_name),
    }


def _text(term: object) -> str:
    """An IRI bare (as the REST API gives IRIs), any other term in N-Triples form."""
    return term.value if isinstance(term, NamedNode) else str(term)
