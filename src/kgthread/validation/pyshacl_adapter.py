"""pySHACL as the reference engine, mapped onto the same report model as the native one.

It runs every SHACL Core feature, so it is the fallback for shapes outside the native
subset and the oracle the native engine is tested against. Terms are converted one by one
(not re-parsed) so blank-node labels survive: a result names the same ``_:b`` focus node
and source shape in both engines. Batch mode rewrites each targeted shape's targets into
``sh:targetNode`` lists of the batch's focus nodes, which restricts nested shapes exactly
as the native engine does.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode, Store
from rdflib import BNode, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.term import Node

from kgthread.errors import BadRequest
from kgthread.validation.focus import focus_nodes
from kgthread.validation.report import Report, ValidationResult
from kgthread.validation.shapes import (
    CLASS_TYPES,
    RDF_TYPE,
    TARGET_PARAMETERS,
    ShapesGraph,
    Term,
)
from kgthread.vocab import SH_NS, XSD_NS

_XSD_STRING = XSD_NS + "string"
_SH = {local: URIRef(SH_NS + local) for local in ("focusNode", "resultPath", "value")}
_TARGET_NODE = URIRef(SH_NS + "targetNode")
_SH_DECLARE = URIRef(SH_NS + "declare")
_OWL_IMPORTS = URIRef("http://www.w3.org/2002/07/owl#imports")
_PATH_FORMS = (
    ("inversePath", "^{}"),
    ("zeroOrMorePath", "({})*"),
    ("oneOrMorePath", "({})+"),
    ("zeroOrOnePath", "({})?"),
)


def validate_pyshacl(store: Store, shapes: ShapesGraph, focus_graph: NamedNode | None) -> Report:
    """Validate with pySHACL (no inference, SHACL Core only) and map its report."""
    import pyshacl  # heavy import, paid only by callers of this engine
    import pyshacl.errors

    by_top = focus_nodes(store, shapes.top_shapes, focus_graph)
    with warnings.catch_warnings(), _quiet_rdflib():
        # rdflib warns and logs on ill-typed literals; they are data to judge, not errors.
        warnings.simplefilter("ignore")
        data = Graph()
        for quad in store.quads_for_pattern(None, None, None, None):
            data.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
        if focus_graph is None:
            shacl = _shapes_rdflib(shapes)
        else:
            restricted = {top.node: nodes for top, nodes in by_top.items()}
            shacl = _restricted_shapes(shapes, restricted)
        try:
            _conforms, report_graph, _text = pyshacl.validate(
                data,
                shacl_graph=shacl,
                inference="none",
                advanced=False,
                abort_on_first=False,
                meta_shacl=False,
                do_owl_imports=False,
            )
        except pyshacl.errors.ReportableRuntimeError as err:
            # e.g. "Cannot use sh:lessThan to compare a BlankNode" (the native engine reports
            # such a pair as a violation, as SHACL says).
            raise BadRequest(f"pyshacl cannot validate this data: {err.message}") from err
        except NotImplementedError as err:
            # e.g. $shapesGraph in a SPARQL constraint, which pySHACL does not support.
            raise BadRequest(f"pyshacl cannot validate with these shapes: {err}") from err
    results = set(_results(report_graph))
    return Report.build(results, "pyshacl", sum(len(nodes) for nodes in by_top.values()))


@contextlib.contextmanager
def _quiet_rdflib() -> Iterator[None]:
    logger = logging.getLogger("rdflib.term")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


def to_rdflib(term: Any) -> Node:
    """A pyoxigraph term as rdflib, keeping blank-node labels; xsd:string stays untyped."""
    if isinstance(term, NamedNode):
        return URIRef(term.value)
    if isinstance(term, BlankNode):
        return BNode(term.value)
    if isinstance(term, Literal):
        # normalize=False keeps the lexical form, so results name the value as the data has it.
        if term.language:
            return RdfLiteral(term.value, lang=term.language, normalize=False)
        if term.datatype.value == _XSD_STRING:
            return RdfLiteral(term.value, normalize=False)
        return RdfLiteral(term.value, datatype=URIRef(term.datatype.value), normalize=False)
    raise TypeError(f"no rdflib form for {term!r}")


def to_ntriples(node: Node) -> str:
    """An rdflib term in the N-Triples form the native engine prints (pyoxigraph's)."""
    if isinstance(node, URIRef):
        return str(NamedNode(str(node)))
    if isinstance(node, BNode):
        return str(BlankNode(str(node)))
    if isinstance(node, RdfLiteral):
        if node.language:
            return str(Literal(str(node), language=node.language))
        datatype = NamedNode(str(node.datatype)) if node.datatype else None
        return str(Literal(str(node), datatype=datatype))
    return str(node)


def _shapes_rdflib(shapes: ShapesGraph) -> Graph:
    cached = shapes.cache.get("rdflib")
    if isinstance(cached, Graph):
        return cached
    graph = _graph(shapes.triples())
    shapes.cache["rdflib"] = graph
    return graph


def _restricted_shapes(shapes: ShapesGraph, focus: dict[Any, frozenset[Term]]) -> Graph:
    """The shapes graph with every target replaced by the given focus nodes."""
    shape_nodes = set(shapes.shapes)
    targeting = {SH_NS + local for local in TARGET_PARAMETERS}

    def keep(t: Any) -> bool:
        if t.subject not in shape_nodes:
            return True
        if t.predicate.value in targeting:
            return False
        return not (t.predicate.value == RDF_TYPE and t.object.value in CLASS_TYPES)

    graph = _graph(t for t in shapes.triples() if keep(t))
    for shape, nodes in focus.items():
        for node in nodes:
            graph.add((to_rdflib(shape), _TARGET_NODE, to_rdflib(node)))
    return graph


def _graph(triples: Iterable[Any]) -> Graph:
    graph = Graph()
    for t in triples:
        graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    _import_prefixes(graph)
    return graph


def _import_prefixes(graph: Graph) -> None:
    """Give every node the ``sh:declare`` of the nodes it ``owl:imports``, transitively.

    SHACL reads a constraint's prefixes from its ``sh:prefixes`` node and the nodes that one
    imports (section 5.2.1); pySHACL reads only the node itself."""
    changed = True
    while changed:
        changed = False
        for importer, imported in list(graph.subject_objects(_OWL_IMPORTS)):
            for declaration in list(graph.objects(imported, _SH_DECLARE)):
                if (importer, _SH_DECLARE, declaration) not in graph:
                    graph.add((importer, _SH_DECLARE, declaration))
                    changed = True


def _results(report: Graph) -> Iterable[ValidationResult]:
    # The report's own results only: pySHACL types the nested results it attaches with
    # sh:detail (the reasons behind an sh:node failure) as sh:ValidationResult too.
    for node in report.objects(None, URIRef(SH_NS + "result")):
        path = report.value(node, _SH["resultPath"])
        value = report.value(node, _SH["value"])
        yield ValidationResult(
            focus_node=to_ntriples(_one(report, node, "focusNode")),
            result_path=None if path is None else _path(report, path),
            constraint_component=str(_one(report, node, "sourceConstraintComponent")),
            source_shape=_shape(_one(report, node, "sourceShape")),
            severity=str(_one(report, node, "resultSeverity")),
            message=str(report.value(node, URIRef(SH_NS + "resultMessage")) or ""),
            value=None if value is None else to_ntriples(value),
        )


def _one(report: Graph, node: Node, local: str) -> Node:
    found = report.value(node, URIRef(SH_NS + local))
    return found if found is not None else URIRef(SH_NS + "missing")


def _shape(node: Node) -> str:
    return str(node) if isinstance(node, URIRef) else "_:" + str(node)


def _path(report: Graph, path: Node) -> str:
    """``<p>``, ``^<p>``, or a SPARQL-like rendering of a complex path."""
    if isinstance(path, URIRef):
        return to_ntriples(path)
    for local, form in _PATH_FORMS:
        inner = report.value(path, URIRef(SH_NS + local))
        if inner is not None:
            return form.format(_path(report, inner))
    alternatives = report.value(path, URIRef(SH_NS + "alternativePath"))
    if alternatives is not None:
        return "(" + " | ".join(_path(report, m) for m in report.items(alternatives)) + ")"
    members = list(report.items(path))
    if members:
        return "(" + " / ".join(_path(report, m) for m in members) + ")"
    return to_ntriples(path)
