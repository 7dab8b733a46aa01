"""The SHACL gate: validates a batch together with the context it refers to in the store.

Validation sees the batch, the ontology's class hierarchy, and from the store only what the
batch touches: the statements about every IRI it mentions (types of linked nodes, earlier
values of properties with a maximum count), the types of the nodes those stored statements
link to where a shape checks their class (a focus node's stored links are checked again,
and their other ends are not in the batch) and, for shapes with inverse paths, the existing
incoming edges of the batch's objects (a serial already built into another parent). Never
the whole store, so a small batch on a large store stays fast.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QuerySolutions,
    RdfFormat,
    Store,
    Triple,
    Variable,
    parse,
)

from kgthread import assets, vocab
from kgthread.config import GateEngine
from kgthread.errors import RdfSyntaxError
from kgthread.ingest.batch import BulkFile
from kgthread.store.base import GraphStore, ReadsCurrent, RoundTripStore, ValueRows
from kgthread.validation import Report, ShapesGraph, validate

BATCH_GRAPH = NamedNode("urn:kgthread:gate:batch")
CONTEXT_GRAPH = NamedNode("urn:kgthread:gate:context")
ONTOLOGY_GRAPH = NamedNode("urn:kgthread:gate:ontology")

Ignored = Collection[NamedNode | DefaultGraph]
"""Graphs whose stored content the gate must not use as context (the ones being rewritten)."""


_rq = assets.internal_query


@cache
def _class_hierarchy(ontology: Path) -> tuple[Quad, ...]:
    """The ontology's ``rdfs:subClassOf`` statements: SHACL class checks follow them."""
    with ontology.open("rb") as handle:
        return tuple(
            Quad(q.subject, q.predicate, q.object, ONTOLOGY_GRAPH)
            for q in parse(handle, format=RdfFormat.TURTLE)
            if q.predicate == vocab.RDFS_SUBCLASS_OF
        )


@dataclass(frozen=True)
class Checked:
    """The gate's verdict on one batch and how many triples it held."""

    report: Report
    triple_count: int


class Gate:
    """Validates batches against one shapes graph with the chosen engine."""

    def __init__(self, shapes: ShapesGraph, engine: GateEngine = "native") -> None:
        self.shapes = shapes
        self.engine = engine

    @classmethod
    def default(cls, engine: GateEngine = "native") -> Gate:
        return cls(ShapesGraph.default(), engine)

    def check_triples(
        self,
        triples: Iterable[Triple],
        store: GraphStore | None,
        *,
        ignore: Ignored = (),
    ) -> Checked:
        """Validate in-memory triples; ``ignore`` names graphs whose stored content does not
        count (the graphs a replacing write overwrites)."""
        scratch = self._scratch()
        scratch.extend(Quad(t.subject, t.predicate, t.object, BATCH_GRAPH) for t in triples)
        return self._validate(scratch, store, ignore)

    def check_file(
        self, bulk: BulkFile, store: GraphStore | None, *, ignore: Ignored = ()
    ) -> Checked:
        """Validate a triples file without keeping Python objects for its statements."""
        scratch = self._scratch()
        try:
            scratch.load(
                path=str(bulk.path),
                format=bulk.rdf_format,
                base_iri=bulk.base_iri,
                to_graph=BATCH_GRAPH,
            )
        except SyntaxError as exc:
            raise RdfSyntaxError(
                f"{bulk.path.name}: {exc.msg or exc}",
                file=str(bulk.path),
                line=exc.lineno,
                column=exc.offset,
            ) from exc
        return self._validate(scratch, store, ignore)

    def check_loaded(self, loaded: Store, graph: NamedNode) -> Checked:
        """Validate a batch already written (invisibly) into ``graph`` of ``loaded``, the
        store's own engine: for files too large to copy into memory. The rest of that store
        is the context, as it is for any batch."""
        count = 0
        subs: _Subs = {Variable("batch"): graph}
        for row in _select(loaded.query(_rq("graph-size.rq"), substitutions=subs)):
            count = int(row["triples"].value)
        hierarchy = _class_hierarchy(assets.ontology_file())
        report = validate(
            loaded, self.shapes, focus_graph=graph, engine="native", hierarchy=hierarchy
        )
        return Checked(report, count)

    def _scratch(self) -> Store:
        scratch = Store()
        scratch.extend(_class_hierarchy(assets.ontology_file()))
        return scratch

    def _validate(self, scratch: Store, store: GraphStore | None, ignore: Ignored) -> Checked:
        # Counted by the engine before context is added: the scratch store holds only the
        # class hierarchy besides the batch.
        count = len(scratch) - len(_class_hierarchy(assets.ontology_file()))
        if store is not None and store.graph_names():
            self._add_context(scratch, store, ignore)
        report = validate(scratch, self.shapes, focus_graph=BATCH_GRAPH, engine=self.engine)
        return Checked(report, count)

    def _add_context(self, scratch: Store, store: GraphStore, ignore: Ignored) -> None:
        if isinstance(store, RoundTripStore):
            self._add_remote_context(scratch, store, ignore)
            return

        current = store.current_quads if isinstance(store, ReadsCurrent) else None

        def matching(
            subject: NamedNode | None = None,
            predicate: NamedNode | None = None,
            obj: NamedNode | None = None,
        ) -> Iterable[Quad]:
            if current is not None:
                found = current(subject, predicate, obj, ignore)
                if found is not None:
                    return found
            return store.quads(subject=subject, predicate=predicate, obj=obj)

        def kept(quads: Iterable[Quad]) -> list[Quad]:
            return [
                Quad(q.subject, q.predicate, q.object, CONTEXT_GRAPH)
                for q in quads
                if q.graph_name not in ignore
            ]

        forward, inverse = self._class_checked()
        mentioned = set(_nodes(scratch.query(_rq("batch-nodes.rq"), substitutions=_batch())))
        context: list[Quad] = []
        for node in mentioned:
            context += kept(matching(subject=node))
        # A focus node's stored links are checked again, and the types of what they point
        # to (which the batch does not mention) decide their sh:class checks.
        linked = {q.object for q in context if q.predicate in forward}
        scratch.extend(context)
        context.clear()
        for predicate, node, _, targeted in self._inverse_objects(scratch):
            # Only nodes a shape with this inverse path targets need their incoming
            # edges: a lot consumed by thousands of units is not fetched for nothing.
            if targeted:
                incoming = kept(matching(predicate=predicate, obj=node))
                context += incoming
                if predicate in inverse:
                    linked.update(q.subject for q in incoming)
        for other in linked - mentioned:
            if isinstance(other, NamedNode):
                context += kept(matching(subject=other, predicate=vocab.RDF_TYPE))
        scratch.extend(context)

    def _inverse_objects(
        self, scratch: Store
    ) -> Iterator[tuple[NamedNode, NamedNode, frozenset[NamedNode] | None, bool]]:
        """Each object of an inverse-path predicate in the batch, with the classes a shape
        with that inverse path targets (``None``: any node) and whether the scratch store
        already types the object as one of them."""
        for predicate, classes in self.shapes.inverse_scope.items():
            wanted = None if classes is None else _with_subclasses(classes)
            subs = _batch()
            subs[Variable("predicate")] = predicate
            for node in _nodes(scratch.query(_rq("inverse-objects.rq"), substitutions=subs)):
                targeted = wanted is None or bool(_typed(scratch, node) & wanted)
                yield predicate, node, wanted, targeted

    def _class_checked(self) -> tuple[frozenset[NamedNode], frozenset[NamedNode]]:
        """Predicates whose values (forward) or subjects (inverse) a class check reads."""
        paths = self.shapes.class_constrained_paths
        return (
            frozenset(p.predicate for p in paths if not p.inverse),
            frozenset(p.predicate for p in paths if p.inverse),
        )

    def _add_remote_context(self, scratch: Store, store: RoundTripStore, ignore: Ignored) -> None:
        """The same context as :meth:`_add_context`, in one CONSTRUCT (``batch-context.rq``):
        node by node would be a round trip each. Objects the batch itself types as a class
        an inverse-path shape targets need their incoming edges; the others only if the
        store types them so, which the query checks. The types at the other end of class
        checked links come in the same request."""
        mentioned = scratch.query(_rq("batch-nodes.rq"), substitutions=_batch())
        nodes: list[tuple[NamedNode | Literal | None, ...]] = [(n,) for n in _nodes(mentioned)]
        incoming: list[tuple[NamedNode | Literal | None, ...]] = []
        for predicate, node, wanted, targeted in self._inverse_objects(scratch):
            if targeted or wanted is None:
                incoming.append((predicate, node, None))
            else:
                incoming.extend((predicate, node, c) for c in sorted(wanted, key=str))
        ignored: list[tuple[NamedNode | Literal | None, ...]] = [
            (g,) for g in ignore if isinstance(g, NamedNode)
        ]
        forward, inverse = self._class_checked()
        rows: ValueRows = {
            ("node",): nodes,
            ("classed",): [(p,) for p in sorted(forward, key=str)],
            ("predicate", "target", "class"): incoming,
            ("inverseClassed",): [(p,) for p in sorted(inverse, key=str)],
            ("ignored",): ignored,
        }
        triples = store.construct(_rq("batch-context.rq"), rows)
        scratch.extend(Quad(t.subject, t.predicate, t.object, CONTEXT_GRAPH) for t in triples)


@cache
def _subclass_index(ontology: Path) -> dict[NamedNode, frozenset[NamedNode]]:
    """Each class with all its subclasses (reflexive, transitive), from the ontology."""
    children: dict[NamedNode, set[NamedNode]] = {}
    for quad in _class_hierarchy(ontology):
        if isinstance(quad.subject, NamedNode) and isinstance(quad.object, NamedNode):
            children.setdefault(quad.object, set()).add(quad.subject)
    closed: dict[NamedNode, frozenset[NamedNode]] = {}
    for root in children:
        seen, todo = {root}, [root]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        closed[root] = frozenset(seen)
    return closed


def _with_subclasses(classes: Iterable[NamedNode]) -> frozenset[NamedNode]:
    index = _subclass_index(assets.ontology_file())
    return frozenset(sub for c in classes for sub in index.get(c, frozenset({c})))


def _typed(scratch: Store, node: NamedNode) -> set[NamedNode]:
    """The node's types as the batch and its context state them."""
    return {
        q.object
        for q in scratch.quads_for_pattern(node, vocab.RDF_TYPE, None, None)
        if isinstance(q.object, NamedNode)
    }


_Subs = dict[Variable, NamedNode | BlankNode | Literal | Triple]


def _batch() -> _Subs:
    return {Variable("batch"): BATCH_GRAPH}


def _select(solutions: object) -> QuerySolutions:
    if not isinstance(solutions, QuerySolutions):
        raise TypeError("gate queries are SELECT queries")
    return solutions


def _nodes(solutions: object) -> Iterable[NamedNode]:
    for row in _select(solutions):
        node = row["node"]
        if isinstance(node, NamedNode):
            yield node
