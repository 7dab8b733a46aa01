"""The native engine: compiled checks evaluated by Oxigraph, one template query per check.

Focus nodes are written once into a scratch named graph of the caller's in-memory store
(``<shape> kv:focus <node>``, and ``sh:in`` members under a key), so every constraint query
joins against them instead of re-evaluating targets; the graph is removed before
returning. Templates return violating rows only, so Python touches nothing but results,
and the queries run on a small thread pool (Oxigraph evaluates without holding the GIL).
The caller's store must not be validated by two calls at once (each adds its own scratch
graph, but a whole-graph target query would see the other's).
"""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, QuerySolutions, Store, Triple, Variable

from kgthread.validation.focus import focus_nodes
from kgthread.validation.messages import describe
from kgthread.validation.plan import KV_NS, Check, Plan, compile_plan
from kgthread.validation.report import Report, ValidationResult
from kgthread.validation.shapes import ShapeNode, ShapesGraph, Term, shape_label
from kgthread.validation.templates import template

KV_FOCUS = NamedNode(KV_NS + "focus")
KV_MEMBER = NamedNode(KV_NS + "member")
SCRATCH_PREFIX = "urn:kgthread:validation:scratch:"
# pyoxigraph releases the GIL while it evaluates, so queries run in parallel threads.
WORKERS = min(4, os.cpu_count() or 1)

_SCRATCH = Variable("scratch")
_HOLDER = Variable("holder")
_PATH = Variable("path")
_FOCUS = Variable("focus")
_VALUE = Variable("value")


def validate_native(store: Store, shapes: ShapesGraph, focus_graph: NamedNode | None) -> Report:
    """Validate ``store`` (all graphs) against ``shapes``; raises only for unsupported shapes."""
    plan = compile_plan(shapes)
    by_top = focus_nodes(store, plan.tops, focus_graph)
    focus = {top.node: nodes for top, nodes in by_top.items()}
    scratch = NamedNode(SCRATCH_PREFIX + uuid.uuid4().hex)
    store.extend(_scratch_quads(plan, focus, scratch))
    # Largest focus sets first, so the pool's threads finish together.
    jobs = sorted(
        ((check, holder) for check in plan.checks for holder in check.holders if focus.get(holder)),
        key=lambda job: -len(focus[job[1]]),
    )
    try:
        results: set[ValidationResult] = set()
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for found in pool.map(lambda job: _run(store, job[0], job[1], scratch), jobs):
                results.update(found)
    finally:
        store.remove_graph(scratch)
    return Report.build(results, "native", sum(len(nodes) for nodes in by_top.values()))


def _scratch_quads(
    plan: Plan, focus: dict[ShapeNode, frozenset[Term]], scratch: NamedNode
) -> list[Quad]:
    quads = [
        Quad(shape, KV_FOCUS, node, scratch) for shape, nodes in focus.items() for node in nodes
    ]
    for check in plan.checks:
        if check.members:
            key = check.bindings[0][1]
            assert isinstance(key, NamedNode)
            quads.extend(Quad(key, KV_MEMBER, member, scratch) for member in check.members)
    if not quads:  # keep remove_graph valid: the scratch graph must exist
        quads.append(Quad(KV_FOCUS, KV_FOCUS, KV_FOCUS, scratch))
    return quads


def _run(
    store: Store, check: Check, holder: ShapeNode, scratch: NamedNode
) -> list[ValidationResult]:
    substitutions: dict[Variable, NamedNode | BlankNode | Literal | Triple] = {
        _SCRATCH: scratch,
        _HOLDER: holder,
    }
    if check.path is not None:
        substitutions[_PATH] = check.path.predicate
    for variable, term in check.bindings:
        substitutions[Variable(variable)] = term
    solutions = store.query(
        template(check.template), substitutions=substitutions, use_default_graph_as_union=True
    )
    assert isinstance(solutions, QuerySolutions)
    path = check.path.to_ntriples() if check.path else None
    source = shape_label(check.shape)
    results: list[ValidationResult] = []
    for solution in solutions:
        value_term = solution[_VALUE] if check.has_value else None
        focus = str(solution[_FOCUS])
        value = None if value_term is None else str(value_term)
        results.append(
            ValidationResult(
                focus_node=focus,
                result_path=path,
                constraint_component=check.component,
                source_shape=source,
                severity=check.severity,
                message=check.message or describe(check, focus, value),
                value=value,
            )
        )
    return results
