"""Focus nodes: which nodes each targeted shape validates, in whole-graph or batch mode.

In batch mode only what the batch touches is validated: subjects of its triples, and, for
a shape with an inverse path ``^p``, objects of its ``p`` triples (adding a second parent to
an existing unit makes the unit a focus node although the unit's own triples are
context). Both engines use this, so they judge exactly the same nodes.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, Store, Triple, Variable

from kgthread.validation.shapes import Term, TopShape
from kgthread.validation.templates import template

# A predicate that never occurs: binds ?inverse for shapes without an inverse path.
NO_INVERSE = NamedNode("urn:kgthread:validation#noInversePath")

_FOCUS = Variable("focus")
_BATCH = Variable("batch")
_INVERSE = Variable("inverse")


def focus_nodes(
    store: Store, tops: Iterable[TopShape], focus_graph: NamedNode | None
) -> dict[TopShape, frozenset[Term]]:
    """The focus nodes of each targeted shape (a node may belong to several shapes)."""
    memo: dict[tuple[str, Term, NamedNode], frozenset[Term]] = {}

    def run(name: str, variable: str, value: Term, inverse: NamedNode) -> frozenset[Term]:
        key = (name, value, inverse)
        if key not in memo:
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
            memo[key] = frozenset(_terms(s[_FOCUS] for s in solutions))
        return memo[key]

    found: dict[TopShape, frozenset[Term]] = {}
    for top in tops:
        nodes: set[Term] = set()
        targets = top.targets
        for inverse in top.inverse_predicates or (NO_INVERSE,):
            for cls in targets.classes:
                nodes |= run("target_class", "class", cls, inverse)
            for predicate in targets.subjects_of:
                nodes |= run("target_subjects_of", "predicate", predicate, inverse)
            for predicate in targets.objects_of:
                nodes |= run("target_objects_of", "predicate", predicate, inverse)
            for node in targets.nodes:
                # Whole-graph mode: a target node is a focus node even when absent from data.
                nodes |= (
                    {node} if focus_graph is None else run("target_node", "focus", node, inverse)
                )
        found[top] = frozenset(nodes)
    return found


def _terms(values: Iterable[object]) -> Iterable[Term]:
    for v in values:
        if isinstance(v, NamedNode | BlankNode | Literal):
            yield v
