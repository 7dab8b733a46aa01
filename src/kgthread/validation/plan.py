"""Shapes compiled once into checks: (template, bound parameters, where the focus nodes are).

Compiling is pure Python over the shapes graph and is cached on it, so each batch pays
only for the queries. A check names one ``.rq`` template per (component, path kind) and
the RDF terms to bind in it; nothing here ever writes SPARQL text.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode

from kgthread.validation.shapes import PropertyPath, ShapeNode, ShapesGraph, Term, TopShape
from kgthread.vocab import SH_NS

KV_NS = "urn:kgthread:validation#"
SH_VIOLATION = SH_NS + "Violation"

# sh parameter -> (constraint component local name, template stem, template variable)
PARAMETERS: dict[str, tuple[str, str, str]] = {
    "class": ("ClassConstraintComponent", "class", "class"),
    "datatype": ("DatatypeConstraintComponent", "datatype", "datatype"),
    "nodeKind": ("NodeKindConstraintComponent", "node_kind", "kind"),
    "minInclusive": ("MinInclusiveConstraintComponent", "min_inclusive", "bound"),
    "maxInclusive": ("MaxInclusiveConstraintComponent", "max_inclusive", "bound"),
    "minExclusive": ("MinExclusiveConstraintComponent", "min_exclusive", "bound"),
    "maxExclusive": ("MaxExclusiveConstraintComponent", "max_exclusive", "bound"),
    "minLength": ("MinLengthConstraintComponent", "min_length", "length"),
    "maxLength": ("MaxLengthConstraintComponent", "max_length", "length"),
    "hasValue": ("HasValueConstraintComponent", "has_value", "expected"),
    "minCount": ("MinCountConstraintComponent", "min_count", "count"),
    "maxCount": ("MaxCountConstraintComponent", "max_count", "count"),
    "equals": ("EqualsConstraintComponent", "equals", "other"),
    "disjoint": ("DisjointConstraintComponent", "disjoint", "other"),
    "lessThan": ("LessThanConstraintComponent", "less_than", "other"),
    "lessThanOrEquals": ("LessThanOrEqualsConstraintComponent", "less_than_or_equals", "other"),
}
# Components whose results carry no sh:value (SHACL 4.2.1, 4.2.2, 4.8.3).
NO_VALUE = frozenset({"minCount", "maxCount", "hasValue"})


@dataclass(frozen=True)
class Check:
    """One constraint of one shape, run once per holder (a shape whose focus nodes it uses)."""

    parameter: str  # SHACL parameter local name, e.g. "minCount"
    template: str  # .rq file stem, e.g. "min_count_pred"
    component: str  # full constraint component IRI
    shape: ShapeNode
    path: PropertyPath | None
    bindings: tuple[tuple[str, Term], ...]  # template variable -> term (path and holder excluded)
    argument: Term  # the parameter value, for messages
    holders: tuple[ShapeNode, ...]
    severity: str
    message: str | None
    members: tuple[Term, ...] = ()  # sh:in list, written to the scratch graph under the key

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
            checks.extend(_shape_checks(graph, shape, tuple(dict.fromkeys(holders)), len(checks)))
    plan = Plan(tops, tuple(checks))
    graph.cache["native-plan"] = plan
    return plan


def _shape_checks(
    graph: ShapesGraph, shape: ShapeNode, holders: tuple[ShapeNode, ...], numbered: int
) -> list[Check]:
    path = graph.path(shape)
    kind = "node" if path is None else ("inv" if path.inverse else "pred")
    severity = next(
        (o.value for o in graph.sh(shape, "severity") if isinstance(o, NamedNode)), None
    )
    message = _message(graph.sh(shape, "message"))
    checks: list[Check] = []

    def add(
        parameter: str,
        component: str,
        stem: str,
        bindings: tuple[tuple[str, Term], ...],
        argument: Term,
        members: tuple[Term, ...] = (),
    ) -> None:
        checks.append(
            Check(
                parameter,
                f"{stem}_{kind}",
                SH_NS + component,
                shape,
                path,
                bindings,
                argument,
                holders,
                severity or SH_VIOLATION,
                message,
                members,
            )
        )

    for parameter, (component, stem, variable) in PARAMETERS.items():
        for argument in graph.sh(shape, parameter):
            if not (parameter == "minCount" and _is_zero(argument)):  # minCount 0 never fails
                add(parameter, component, stem, ((variable, argument),), argument)
    flags = next((o for o in graph.sh(shape, "flags") if isinstance(o, Literal)), Literal(""))
    for pattern in graph.sh(shape, "pattern"):
        bindings = (("pattern", pattern), ("flags", flags))
        add("pattern", "PatternConstraintComponent", "pattern", bindings, pattern)
    for head in graph.sh(shape, "in"):
        key = NamedNode(f"{KV_NS}in-{numbered + len(checks)}")
        members = tuple(graph.rdf_list(head))
        add("in", "InConstraintComponent", "in", (("key", key),), head, members)
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
