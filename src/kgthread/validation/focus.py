"""Focus nodes: which nodes each targeted shape validates, in whole-graph or batch mode.

In batch mode only what the batch touches is validated: subjects of its triples, and, for
a shape with an inverse path ``^p``, objects of its ``p`` triples (adding a second parent to
an existing unit makes the unit a focus node although the unit's own triples are
context). Both engines use this, so they judge exactly the same nodes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, Store, Triple, Variable

from kgthread.validation.shapes import Term, TopShape
from kgthread.validation.templates import template

# A predicate that never occurs: binds ?inverse for shapes without an inverse path.
NO_INVERSE = NamedNode("urn:kgthread:validation#noInversePath")

# pyoxigraph releases the GIL while it evaluates, so target queries run in parallel.
WORKERS = min(4, os.cpu_count() or 1)
# (template stem, variable, bound term, inverse predicate): one target query.
Query = tuple[str, str, Term, NamedNode]

_FOCUS = Variable("focus")
_BATCH = Variable("batch")
_INVERSE = Variable("inverse")


def focus_nodes(
    store: Store, tops: Iterable[TopShape], focus_graph: NamedNode | None
) -> dict[TopShape, frozenset[Term]]:
    """The focus nodes of each targeted shape (a node may belong to several shapes)."""
    plans: dict[TopShape, list[Query]] = {}
    for top in tops:
        targets = top.targets
        queries: list[Query] = []
        for inverse in top.inverse_predicates or (NO_INVERSE,):
            queries += [("target_class", "class", c, inverse) for c in targets.classes]
            queries += [
                ("target_subjects_of", "predicate", p, inverse) for p in targets.subjects_of
            ]
            queries += [("target_objects_of", "predicate", p, inverse) for p in targets.objects_of]
            if focus_graph is not None:
                queries += [("target_node", "focus", n, inverse) for n in targets.nodes]
        plans[top] = queries
    unique = list(dict.fromkeys(q for queries in plans.values() for q in queries))
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        answers = dict(
            zip(unique, pool.map(lambda q: _run(store, q, focus_graph), unique), strict=True)
        )
    found: dict[TopShape, frozenset[Term]] = {}
    for top, queries in plans.items():
        nodes: set[Term] = set()
        for query in queries:
            nodes |= answers[query]
        if focus_graph is None:
            # Whole-graph mode: a target node is a focus node even when absent from data.
            nodes.update(top.targets.nodes)
        found[top] = frozenset(nodes)
    return found


def _run(store: Store, query: Query, focus_graph: NamedNode | None) -> frozenset[Term]:
    name, variable, value, inverse = query
    substitutions: dict[Variable, NamedNode | BlankNode | Literal | Triple] = {
        Variable(variable): value
    }
    if focus_graph is not None:
        name = name + "_batch"
        substitutions[_BATCH] = focus_graph
        substitutions[_INVERSE] = inverse
    solutions = store.query(
        template(name), substitutions=substitutions, use_default_graph_as_union=True
    )
    assert isinstance(solutions, QuerySolutions)
    return frozenset(_terms(s[_FOCUS] for s in solutions))


def _terms(values: Iterable[object]) -> Iterable[Term]:
    for v in values:
        if isinstance(v, NamedNode | BlankNode | Literal):
            yield v
