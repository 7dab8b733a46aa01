"""Design conformance: each part revision's BOM as SHACL shapes, units checked against them.

``rq/conformance-shapes.rq`` derives the shapes of a revision from its BOM lines and the
engineering changes of its child parts (a CONSTRUCT: shapes are data, never Python text).
The as-built genealogy of the revision's units is read once (``rq/conformance-built.rq``)
into a small view graph those shapes speak about, and the native SHACL engine validates
it. Each SHACL result becomes a finding (missing, extra, wrong revision) on the unit that
holds the component, and every unit's report is stored in its revision's own named graph
with a catalog entry saying which BOM, which batches and when (``conformance_reports``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from typing import Literal as Literal_

from pyoxigraph import (
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QuerySolutions,
    QueryTriples,
    Store,
    Triple,
)

from kgthread import vocab
from kgthread.store.base import GraphStore, Term
from kgthread.validation import ShapesGraph, ValidationResult, validate

KGTC_NS = "https://w3id.org/kgthread/conformance#"
"""Terms of the conformance view, the derived shapes' annotations and the stored reports."""

UNPLANNED = NamedNode(KGTC_NS + "unplanned")
MADE_AT = NamedNode(KGTC_NS + "madeAt")
USAGE = NamedNode(KGTC_NS + "usage")
PART = NamedNode(KGTC_NS + "part")
QUANTITY = NamedNode(KGTC_NS + "quantity")
REVISION = NamedNode(KGTC_NS + "revision")
SUPERSEDED_BY = NamedNode(KGTC_NS + "supersededBy")
UNIT_CONFORMANCE = NamedNode(KGTC_NS + "UnitConformance")
UNIT = NamedNode(KGTC_NS + "unit")
CONFORMS = NamedNode(KGTC_NS + "conforms")
FINDING = NamedNode(KGTC_NS + "finding")
KIND = NamedNode(KGTC_NS + "kind")
EXPECTED = NamedNode(KGTC_NS + "expected")
ACTUAL = NamedNode(KGTC_NS + "actual")
COMPONENT = NamedNode(KGTC_NS + "component")
UNITS_CHECKED = NamedNode(KGTC_NS + "unitsChecked")
NONCONFORMING = NamedNode(KGTC_NS + "nonconforming")
SH_SOURCE_SHAPE = NamedNode(vocab.SH_NS + "sourceShape")
SH_RESULT_MESSAGE = NamedNode(vocab.SH_NS + "resultMessage")
PROV_WAS_INFORMED_BY = NamedNode(vocab.PROV_NS + "wasInformedBy")

_RQ = Path(__file__).with_name("rq")
_MIN_COUNT = vocab.SH_NS + "MinCountConstraintComponent"
_MIN_INCLUSIVE = vocab.SH_NS + "MinInclusiveConstraintComponent"
_MAX_INCLUSIVE = vocab.SH_NS + "MaxInclusiveConstraintComponent"

Value = str | int | float | None


@cache
def query_text(name: str) -> str:
    return (_RQ / f"{name}.rq").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Finding:
    """One way a unit differs from its design. ``expected`` and ``actual`` are quantities
    for ``missing`` and ``extra``, revision IRIs for ``wrong-revision``."""

    kind: str  # "missing" | "extra" | "wrong-revision"
    usage: str | None
    part: str | None
    expected: Value
    actual: Value
    component: str | None
    shape: str | None = None
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "usage": self.usage,
            "part": self.part,
            "expected": self.expected,
            "actual": self.actual,
            "component": self.component,
        }


@dataclass(frozen=True)
class UnitReport:
    unit: str
    revision: str
    findings: tuple[Finding, ...]

    @property
    def conforms(self) -> bool:
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "revision": self.revision,
            "conforms": self.conforms,
            "findings": [f.to_json() for f in self.findings],
        }


def design_shapes(store: GraphStore, revision: NamedNode) -> list[Triple]:
    """The derived shapes of ``revision`` as RDF (``rq/conformance-shapes.rq``)."""
    result = store.query(query_text("conformance-shapes"), substitutions={"revision": revision})
    assert isinstance(result, QueryTriples)
    return list(result)


@dataclass
class _View:
    """The as-built side of one revision, as the derived shapes expect it."""

    units: list[NamedNode] = field(default_factory=list)
    built: dict[NamedNode, dict[NamedNode, Decimal]] = field(default_factory=dict)
    components: dict[NamedNode, dict[NamedNode, NamedNode]] = field(default_factory=dict)
    parent_of: dict[NamedNode, list[NamedNode]] = field(default_factory=dict)
    revision_of: dict[NamedNode, NamedNode] = field(default_factory=dict)
    made: dict[NamedNode, Literal] = field(default_factory=dict)


def _read_built(store: GraphStore, revision: NamedNode) -> _View:
    """One row per fact (``rq/conformance-built.rq``), joined here by unit and component."""
    result = store.query(query_text("conformance-built"), substitutions={"revision": revision})
    assert isinstance(result, QuerySolutions)
    view = _View()
    seen: set[NamedNode] = set()
    consumed: dict[tuple[NamedNode, NamedNode], Decimal] = {}
    for row in result:
        unit, component = row["unit"], row["component"]
        if not isinstance(unit, NamedNode):
            continue
        if unit not in seen:
            seen.add(unit)
            view.units.append(unit)
        if not isinstance(component, NamedNode):
            continue
        part, quantity, made = row["part"], row["quantity"], row["made"]
        if isinstance(part, NamedNode):
            view.components.setdefault(unit, {})[component] = part
            component_revision = row["componentRevision"]
            if isinstance(component_revision, NamedNode):
                view.revision_of[component] = component_revision
        elif isinstance(quantity, Literal):
            consumed.setdefault((unit, component), _decimal(quantity))
        elif isinstance(made, Literal):
            view.made[component] = made
    for unit, components in view.components.items():
        totals = view.built.setdefault(unit, {})
        for component, part in components.items():
            view.parent_of.setdefault(component, []).append(unit)
            amount = consumed.get((unit, component), Decimal(1))
            totals[part] = totals.get(part, Decimal(0)) + amount
    return view


def _view_triples(view: _View, revision: NamedNode, lines: dict[NamedNode, NamedNode]) -> Store:
    """``lines``: child part -> usage IRI of the revision's BOM."""
    data = Store()
    triples: list[Triple] = []
    for unit in view.units:
        triples.append(Triple(unit, vocab.RDF_TYPE, revision))
        for part, amount in view.built.get(unit, {}).items():
            usage = lines.get(part)
            if usage is not None:
                triples.append(
                    Triple(unit, usage, Literal(str(amount), datatype=vocab.XSD_DECIMAL))
                )
        for component, part in view.components.get(unit, {}).items():
            if part not in lines:
                triples.append(Triple(unit, UNPLANNED, component))
            component_revision = view.revision_of.get(component)
            if component_revision is not None:
                triples.append(Triple(component, vocab.RDF_TYPE, component_revision))
                made = view.made.get(component)
                if made is not None:
                    triples.append(Triple(component, MADE_AT, made))
    data.bulk_extend(Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in triples)
    return data


@dataclass(frozen=True)
class Prepared:
    """What validating one revision takes: its derived shapes and the as-built view."""

    revision: NamedNode
    shapes: ShapesGraph
    data: Store
    view: _View
    lines: dict[NamedNode, NamedNode]  # child part -> BOM line (usage)
    annotations: dict[str, dict[NamedNode, Term]]  # shape IRI -> its kgtc: notes


def prepare(store: GraphStore, revision: NamedNode) -> Prepared:
    """Derive ``revision``'s shapes and read its units into the view they judge."""
    shape_triples = design_shapes(store, revision)
    annotations: dict[str, dict[NamedNode, Term]] = {}
    lines: dict[NamedNode, NamedNode] = {}
    for t in shape_triples:
        if isinstance(t.subject, NamedNode) and isinstance(t.object, NamedNode | Literal):
            annotations.setdefault(t.subject.value, {})[t.predicate] = t.object
    for notes in annotations.values():
        usage, part = notes.get(USAGE), notes.get(PART)
        if isinstance(usage, NamedNode) and isinstance(part, NamedNode):
            lines[part] = usage
    view = _read_built(store, revision)
    data = _view_triples(view, revision, lines)
    return Prepared(revision, ShapesGraph(shape_triples), data, view, lines, annotations)


def check_revision(
    store: GraphStore, revision: NamedNode, engine: Literal_["native", "pyshacl"] = "native"
) -> list[UnitReport]:
    """Reports for every unit of ``revision`` against its derived shapes (not stored);
    ``engine`` picks the SHACL engine (pyshacl only to compare)."""
    return judge(prepare(store, revision), engine)


def judge(prepared: Prepared, engine: Literal_["native", "pyshacl"] = "native") -> list[UnitReport]:
    """Validate a prepared revision and turn the SHACL results into unit reports."""
    view = prepared.view
    if not view.units:
        return []
    report = validate(prepared.data, prepared.shapes, engine=engine)
    findings: dict[NamedNode, list[Finding]] = {u: [] for u in view.units}
    for result in report.results:
        for unit, finding in _findings(result, prepared.annotations, view, prepared.lines):
            if unit in findings and finding not in findings[unit]:
                findings[unit].append(finding)
    revision = prepared.revision.value
    return [
        UnitReport(unit.value, revision, tuple(sorted(findings[unit], key=finding_order)))
        for unit in view.units
    ]


def _findings(
    result: ValidationResult,
    annotations: dict[str, dict[NamedNode, Term]],
    view: _View,
    lines: dict[NamedNode, NamedNode],
) -> Iterable[tuple[NamedNode, Finding]]:
    focus = NamedNode(result.focus_node.strip("<>"))
    notes = annotations.get(result.source_shape, {})
    component = result.constraint_component
    shape, message = result.source_shape, result.message
    if USAGE in notes:  # a BOM line: the quantity of its child part
        usage, part, quantity = notes[USAGE], notes[PART], notes[QUANTITY]
        assert isinstance(usage, NamedNode)
        assert isinstance(part, NamedNode)
        expected = number(quantity)
        built = view.built.get(focus, {}).get(part, Decimal(0))
        kind = "extra" if component == _MAX_INCLUSIVE else "missing"
        if component in (_MIN_COUNT, _MIN_INCLUSIVE, _MAX_INCLUSIVE):
            finding = Finding(kind, usage.value, part.value, expected, _plain(built), None)
            yield focus, _with(finding, shape, message)
    elif result.result_path == str(UNPLANNED):
        for item, part in view.components.get(focus, {}).items():
            if part not in lines:
                built = view.built.get(focus, {}).get(part, Decimal(0))
                finding = Finding("extra", None, part.value, 0, _plain(built), item.value)
                yield focus, _with(finding, shape, message)
    elif result.result_path == str(MADE_AT):  # focus: a component built to a stale revision
        old, new = notes.get(REVISION), notes.get(SUPERSEDED_BY)
        for parent in view.parent_of.get(focus, []):
            child = view.components[parent][focus]
            line = lines.get(child)
            finding = Finding(
                "wrong-revision",
                line.value if line else None,
                child.value,
                new.value if isinstance(new, NamedNode) else None,
                old.value if isinstance(old, NamedNode) else None,
                focus.value,
            )
            yield parent, _with(finding, shape, message)


def _with(finding: Finding, shape: str, message: str) -> Finding:
    return replace(finding, shape=shape, message=message)


def finding_order(finding: Finding) -> tuple[str, str, str]:
    return (finding.kind, finding.part or "", finding.component or "")


def _decimal(literal: Literal) -> Decimal:
    try:
        return Decimal(literal.value)
    except ArithmeticError:
        return Decimal(1)


def _plain(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def number(term: Term) -> int | float | None:
    return _plain(_decimal(term)) if isinstance(term, Literal) else None
