"""The ontology's class and property hierarchies, closed transitively, for ABox rules."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat, parse

from kgthread import assets, vocab

RDFS_SUBPROPERTY_OF = NamedNode(vocab.RDFS_NS + "subPropertyOf")

Edges = dict[NamedNode, frozenset[NamedNode]]


@dataclass(frozen=True)
class Hierarchy:
    """Direct ``rdfs:subClassOf`` / ``rdfs:subPropertyOf`` axioms between named terms."""

    classes: Edges
    properties: Edges

    @classmethod
    def load(cls, ontology: Path) -> Hierarchy:
        sub_class: dict[NamedNode, set[NamedNode]] = {}
        sub_property: dict[NamedNode, set[NamedNode]] = {}
        with ontology.open("rb") as handle:
            for quad in parse(handle, format=RdfFormat.TURTLE):
                if not isinstance(quad.subject, NamedNode) or not isinstance(
                    quad.object, NamedNode
                ):
                    continue
                if quad.predicate == vocab.RDFS_SUBCLASS_OF:
                    sub_class.setdefault(quad.subject, set()).add(quad.object)
                elif quad.predicate == RDFS_SUBPROPERTY_OF:
                    sub_property.setdefault(quad.subject, set()).add(quad.object)
        return cls(_freeze(sub_class), _freeze(sub_property))

    def superclasses(self, cls: NamedNode) -> frozenset[NamedNode]:
        """Every strict superclass of ``cls`` (transitive)."""
        return _closed(self.classes, cls)

    def superproperties(self, prop: NamedNode) -> frozenset[NamedNode]:
        """Every strict superproperty of ``prop`` (transitive)."""
        return _closed(self.properties, prop)

    def path(self, edges: Edges, start: NamedNode, goal: NamedNode) -> list[NamedNode]:
        """The terms from ``start`` up to ``goal`` along direct axioms, or ``[]``."""
        previous: dict[NamedNode, NamedNode] = {}
        todo = [start]
        while todo:
            node = todo.pop(0)
            if node == goal:
                chain = [node]
                while chain[-1] != start:
                    chain.append(previous[chain[-1]])
                return chain[::-1]
            for up in sorted(edges.get(node, ()), key=str):
                if up not in previous and up != start:
                    previous[up] = node
                    todo.append(up)
        return []


@cache
def default() -> Hierarchy:
    return Hierarchy.load(assets.ontology_file())


def _freeze(edges: dict[NamedNode, set[NamedNode]]) -> Edges:
    return {k: frozenset(v) for k, v in edges.items()}


def _closed(edges: Edges, start: NamedNode) -> frozenset[NamedNode]:
    seen: set[NamedNode] = set()
    todo: list[NamedNode] = list(edges.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen and node != start:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return frozenset(seen)
