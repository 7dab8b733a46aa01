"""Shapes compiled once into checks: one constraint of one shape, and who holds it.

Compiling is pure Python over the shapes graph and is cached on it, so each batch pays
only for evaluation. A check keeps its parameter value as an RDF term; the evaluator
(``native``) turns checks into per-shape programs.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode

from kgthread.validation.shapes import PropertyPath, ShapeNode, ShapesGraph, Term, TopShape
from kgthread.vocab import SH_NS

SH_VIOLATION = SH_NS + "Violation"

# sh parameter -> constraint component local name (sh:pattern and sh:in are added apart).
PARAMETERS: dict[str, str] = {
    "class": "ClassConstraintComponent",
    "datatype": "DatatypeConstraintComponent",
    "nodeKind": "NodeKindConstraintComponent",
    "minInclusive": "MinInclusiveConstraintComponent",
    "maxInclusive": "MaxInclusiveConstraintComponent",
    "minExclusive": "MinExclusiveConstraintComponent",
    "maxExclusive": "MaxExclusiveConstraintComponent",
    "minLength": "MinLengthConstraintComponent",
    "maxLength": "MaxLengthConstraintComponent",
    "hasValue": "HasValueConstraintComponent",
    "minCount": "MinCountConstraintComponent",
    "maxCount": "MaxCountConstraintComponent",
    "equals": "EqualsConstraintComponent",
    "disjoint": "DisjointConstraintComponent",
    "lessThan": "LessThanConstraintComponent",
    "lessThanOrEquals": "LessThanOrEqualsConstraintComponent",
}
# Components whose results carry no sh:value (SHACL 4.2.1, 4.2.2, 4.8.3).
NO_VALUE = frozenset({"minCount", "maxCount", "hasValue"})


@dataclass(frozen=True)
class Check:
    """One constraint of one shape, run once per holder (a shape whose focus nodes it uses)."""

    parameter: str  # SHACL parameter local name, e.g. "minCount"
    component: str  # full constraint component IRI
    shape: ShapeNode
    path: PropertyPath | None
    argument: Term  # the parameter value (sh:in: the list head)
    holders: tuple[ShapeNode, ...]
    severity: str
    message: str | None
    members: frozenset[Term] = frozenset()  # sh:in list members
    flags: Term | None = None  # sh:flags of a sh:pattern check

    @property
    def has_value(self) -> bool:
        return self.parameter not in NO_VALUE


@dataclass(frozen=True)
class Plan:
    tops: tuple[TopShape, ...]
    checks: tuple[Check, ...]


def compile_plan(graph: ShapesGraph) -> Plan:
    """The native plan for ``graph``; raises ``BadRequest`` outside the supported subset."""
    cached = graph.cache.get("native-plan")
    if isinstance(cached, Plan):
        return cached
    graph.check_native_support()
    tops = graph.top_shapes
    top_nodes = {t.node for t in tops}
    parents: dict[ShapeNode, list[ShapeNode]] = {}
    for top in tops:
        for child in graph.property_shapes(top.node):
            parents.setdefault(child, []).append(top.node)
    checks: list[Check] = []
    for shape in graph.shapes:
        holders = ([shape] if shape in top_nodes else []) + parents.get(shape, [])
        if holders and not graph.is_deactivated(shape):
            checks.extend(_shape_checks(graph, shape, tuple(dict.fromkeys(holders))))
    plan = Plan(tops, tuple(checks))
    graph.cache["native-plan"] = plan
    return plan


def _shape_checks(
    graph: ShapesGraph, shape: ShapeNode, holders: tuple[ShapeNode, ...]
) -> list[Check]:
    path = graph.path(shape)
    severity = next(
        (o.value for o in graph.sh(shape, "severity") if isinstance(o, NamedNode)), None
    )
    message = _message(graph.sh(shape, "message"))
    checks: list[Check] = []

    def add(
        parameter: str,
        component: str,
        argument: Term,
        members: frozenset[Term] = frozenset(),
        flags: Term | None = None,
    ) -> None:
        severe = severity or SH_VIOLATION
        checks.append(
            Check(
                parameter,
                SH_NS + component,
                shape,
                path,
                argument,
                holders,
                severe,
                message,
                members,
                flags,
            )
        )

    for parameter, component in PARAMETERS.items():
        for argument in graph.sh(shape, parameter):
            if not (parameter == "minCount" and _is_zero(argument)):  # minCount 0 never fails
                add(parameter, component, argument)
    flags = next((o for o in graph.sh(shape, "flags") if isinstance(o, Literal)), Literal(""))
    for pattern in graph.sh(shape, "pattern"):
        add("pattern", "PatternConstraintComponent", pattern, flags=flags)
    for head in graph.sh(shape, "in"):
        add("in", "InConstraintComponent", head, frozenset(graph.rdf_list(head)))
    return checks


def _is_zero(term: Term) -> bool:
    return isinstance(term, Literal) and term.value.strip() in {"0", "+0", "-0"}


def _message(terms: list[Term]) -> str | None:
    """The shape's sh:message: untagged first, then English, then any language."""
    literals = [t for t in terms if isinstance(t, Literal)]
    for wanted in (None, "en"):
        for literal in literals:
            if literal.language == wanted:
                return literal.value
    return literals[0].value if literals else None
