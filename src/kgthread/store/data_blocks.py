"""SPARQL Update text for whole-graph transactions, written from serialised RDF terms.

pyoxigraph's only multi-operation transaction is ``Store.update``. Replacing a graph (drop
then insert) or dropping a graph together with its catalog entry must be one transaction, so
these functions write ``INSERT DATA`` / ``DELETE DATA`` / ``DROP GRAPH`` requests. Every term
is written by pyoxigraph's own N-Triples serialiser (``str(term)``), which escapes IRIs and
literals, so no input can change the shape of the request: this is serialisation of RDF
terms, not interpolation of user text into a query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from pyoxigraph import DefaultGraph, NamedNode, Quad

_SEPARATOR = " ;\n"


def _grouped(quads: Iterable[Quad]) -> dict[str, list[str]]:
    by_graph: dict[str, list[str]] = defaultdict(list)
    for quad in quads:
        line = " ".join((str(quad.subject), str(quad.predicate), str(quad.object), "."))
        by_graph[str(quad.graph_name)].append(line)
    return by_graph


def _data_block(keyword: str, quads: Iterable[Quad]) -> str:
    parts = [keyword, " {\n"]
    for graph, lines in _grouped(quads).items():
        if graph == str(DefaultGraph()):  # the store's default graph takes no GRAPH block
            parts.extend(("\n".join(lines), "\n"))
        else:
            parts.extend(("GRAPH ", graph, " {\n", "\n".join(lines), "\n}\n"))
    parts.append("}")
    return "".join(parts)


def insert_data(quads: Iterable[Quad]) -> str:
    return _data_block("INSERT DATA", quads)


def delete_data(quads: Iterable[Quad]) -> str:
    """``DELETE DATA`` for ground quads (the catalog never holds blank nodes)."""
    return _data_block("DELETE DATA", quads)


def drop_graph(graph: NamedNode | DefaultGraph) -> str:
    if isinstance(graph, DefaultGraph):
        return "DROP SILENT DEFAULT"
    return "DROP SILENT GRAPH " + str(graph)


def create_graph(graph: NamedNode) -> str:
    """Make an empty named graph exist (SPARQL ``CREATE``, Graph Store ``PUT`` of nothing)."""
    return "CREATE SILENT GRAPH " + str(graph)


def transaction(*operations: str) -> str:
    """Several update operations as one request, which Oxigraph applies atomically."""
    return _SEPARATOR.join(op for op in operations if op)
