"""Which shapes the native engine can run: an explicit subset of SHACL Core.

Anything outside it is reported, never silently ignored, so a shapes author learns that
the gate must use pyshacl rather than getting a gate that lets broken data through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyoxigraph import NamedNode

from kgthread.vocab import RDF_NS, SH_NS

if TYPE_CHECKING:
    from kgthread.validation.shapes import ShapesGraph

SUPPORTED = frozenset(
    {
        "targetClass",
        "targetNode",
        "targetSubjectsOf",
        "targetObjectsOf",
        "property",
        "path",
        "class",
        "datatype",
        "nodeKind",
        "minCount",
        "maxCount",
        "minInclusive",
        "maxInclusive",
        "minExclusive",
        "maxExclusive",
        "minLength",
        "maxLength",
        "pattern",
        "flags",
        "in",
        "hasValue",
        "lessThan",
        "lessThanOrEquals",
        "equals",
        "disjoint",
        "deactivated",
        "severity",
        "message",
    }
)
# Non-validating shape characteristics (SHACL 2.3.x, form hints): read by nobody here.
NON_VALIDATING = frozenset({"name", "description", "order", "group", "defaultValue"})
# Meaningful on property shapes only (SHACL 4.2, 4.5): refused on node shapes.
PROPERTY_ONLY = ("minCount", "maxCount", "lessThan", "lessThanOrEquals")
RDF_TYPE = RDF_NS + "type"
# Declaring one (typed, or by sh:parameter) makes non-sh: predicates on shapes constraints
# the native engine cannot see.
CONSTRAINT_COMPONENT = NamedNode(SH_NS + "ConstraintComponent")


def unsupported_features(graph: ShapesGraph) -> list[str]:
    """One sentence per unsupported use, naming the feature and the shape."""
    problems: list[str] = []
    referenced_as_property = {p for s in graph.shapes for p in graph.property_shapes(s)}
    for shape in graph.shapes:
        if graph.is_deactivated(shape):
            continue
        label = str(shape)
        used = {
            predicate[len(SH_NS) :]
            for predicate in graph.predicates(shape)
            if predicate.startswith(SH_NS)
        }
        for local in sorted(used - SUPPORTED - NON_VALIDATING):
            problems.append(f"unsupported: sh:{local} in shape {label}")
        is_property = "path" in used
        if is_property and graph.path(shape) is None:
            problems.append(
                f"unsupported: sh:path in shape {label} is not a predicate or "
                "[sh:inversePath <iri>]"
            )
        if is_property and graph.property_shapes(shape):
            problems.append(f"unsupported: sh:property nested in property shape {label}")
        if not is_property:
            for local in PROPERTY_ONLY:
                if local in used:
                    problems.append(f"unsupported: sh:{local} on node shape {label}")
            if shape in referenced_as_property:
                problems.append(f"unsupported: shape {label} is a sh:property without sh:path")
    for t in graph.triples():
        declares = t.predicate.value == RDF_TYPE and t.object == CONSTRAINT_COMPONENT
        if declares or t.predicate.value == SH_NS + "parameter":
            problems.append(f"unsupported: SPARQL-based constraint component {t.subject}")
    return list(dict.fromkeys(problems))
