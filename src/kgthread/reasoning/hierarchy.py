"""The class and property hierarchies, closed transitively, for ABox rules: the shipped
ontology files (``kgthread.ttl`` and ``opcua-equipment.ttl``) plus the ``rdfs:subClassOf`` /
``rdfs:subPropertyOf`` axioms committed to the store (OPC UA ObjectTypes as classes)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat, Triple, parse

from kgthread import assets, vocab
from kgthread.store.base import INFERRED_GRAPH, GraphStore

RDFS_SUBPROPERTY_OF = NamedNode(vocab.RDFS_NS + "subPropertyOf")

Edges = dict[NamedNode, frozenset[NamedNode]]


@dataclass(frozen=True)
class Hierarchy:
    """Direct ``rdfs:subClassOf`` / ``rdfs:subPropertyOf`` axioms between named terms."""

    classes: Edges
    properties: Edges

    @classmethod
    def load(cls, *ontologies: Path) -> Hierarchy:
        triples: list[Triple] = []
        for ontology in ontologies:
            with ontology.open("rb") as handle:
                triples += [q.triple for q in parse(handle, format=RdfFormat.TURTLE)]
        return cls.of(triples)

    @classmethod
    def of(cls, triples: Iterable[Triple]) -> Hierarchy:
        """The hierarchy the subclass and subproperty axioms among ``triples`` state."""
        sub_class: dict[NamedNode, set[NamedNode]] = {}
        sub_property: dict[NamedNode, set[NamedNode]] = {}
        for t in triples:
            if not isinstance(t.subject, NamedNode) or not isinstance(t.object, NamedNode):
                continue
            if t.predicate == vocab.RDFS_SUBCLASS_OF:
                sub_class.setdefault(t.subject, set()).add(t.object)
            elif t.predicate == RDFS_SUBPROPERTY_OF:
                sub_property.setdefault(t.subject, set()).add(t.object)
        return cls(_freeze(sub_class), _freeze(sub_property))

    def with_axioms(self, triples: Iterable[Triple]) -> Hierarchy:
        """This hierarchy and the axioms among ``triples``."""
        more = Hierarchy.of(triples)
        return Hierarchy(
            _union(self.classes, more.classes), _union(self.properties, more.properties)
        )

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


ALIGNMENTS = ("opcua-equipment.ttl",)
"""Ontology files beside ``kgthread.ttl`` that the reasoner and HermiT read with it."""


def ontology_files() -> list[Path]:
    """``kgthread.ttl`` and the alignments shipped beside it."""
    folder = assets.ontology_dir()
    alignments = [folder / name for name in ALIGNMENTS if (folder / name).is_file()]
    return [assets.ontology_file(), *alignments]


@cache
def default() -> Hierarchy:
    return Hierarchy.load(*ontology_files())


def tbox_triples(store: GraphStore) -> list[Triple]:
    """The subclass and subproperty axioms committed to the store (outside the inferred
    graph, which never holds any)."""
    return [
        q.triple
        for predicate in (vocab.RDFS_SUBCLASS_OF, RDFS_SUBPROPERTY_OF)
        for q in store.quads(None, predicate, None)
        if q.graph_name != INFERRED_GRAPH
    ]


def for_store(store: GraphStore) -> Hierarchy:
    """The shipped ontology's hierarchy with the store's own axioms."""
    return default().with_axioms(tbox_triples(store))


def _union(a: Edges, b: Edges) -> Edges:
    return {k: a.get(k, frozenset()) | b.get(k, frozenset()) for k in a.keys() | b.keys()}


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
