"""The native engine: compiled checks evaluated in Python over the store's indexes.

One SPARQL query per check cost Oxigraph a few microseconds per joined row, hundreds of
times per batch. Instead each focus node's outgoing quads are read once, grouped by
predicate, and every shape that holds the node is judged on those values (an inverse
path costs one more index lookup). Constraints that depend on a value alone are
memoised per (shape, value), and ``rdf:type`` closures per node, so repeated values
(units, classes, linked nodes) cost a dictionary hit. Results are built only for
violations. Value semantics (comparison, regex, datatype) live in ``values``.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Store

from kgthread.validation.focus import focus_nodes
from kgthread.validation.messages import describe
from kgthread.validation.plan import Check, Plan, compile_plan
from kgthread.validation.report import Report, ValidationResult
from kgthread.validation.shapes import PropertyPath, ShapeNode, ShapesGraph, Term, shape_label
from kgthread.validation.values import (
    Pattern,
    count_above,
    count_below,
    has_datatype,
    less,
    sort_key,
)
from kgthread.vocab import RDF_TYPE, RDFS_SUBCLASS_OF, SH_NS

COUNTS = ("minCount", "maxCount")
PAIRS = ("equals", "disjoint", "lessThan", "lessThanOrEquals")
NODE_KINDS: dict[str, tuple[type, ...]] = {
    SH_NS + "IRI": (NamedNode,),
    SH_NS + "BlankNode": (BlankNode,),
    SH_NS + "Literal": (Literal,),
    SH_NS + "BlankNodeOrIRI": (NamedNode, BlankNode),
    SH_NS + "BlankNodeOrLiteral": (BlankNode, Literal),
    SH_NS + "IRIOrLiteral": (NamedNode, Literal),
}
MEMOISED = frozenset({"in", "pattern"})
EMPTY: frozenset[Term] = frozenset()
Test = Callable[[Term], bool]  # True when the value violates
Found = tuple[Check, Term, Term | None]


@dataclass(frozen=True, eq=False)
class Unit:
    """The checks of one shape, which all judge the same value nodes of a focus node."""

    path: PropertyPath | None
    counts: tuple[Check, ...]
    has_values: tuple[Check, ...]
    per_value: tuple[Check, ...]
    pairs: tuple[Check, ...]


def validate_native(
    store: Store,
    shapes: ShapesGraph,
    focus_graph: NamedNode | None,
    hierarchy: Sequence[Quad] = (),
) -> Report:
    """Validate ``store`` (all graphs) against ``shapes``; raises only for unsupported shapes."""
    plan = compile_plan(shapes)
    programs = _programs(shapes, plan)
    by_top = focus_nodes(store, plan.tops, focus_graph, hierarchy)
    holders: dict[Term, list[ShapeNode]] = {}
    for top, targeted in by_top.items():
        for node in targeted:
            holders.setdefault(node, []).append(top.node)
    # Nodes held by the same shapes are judged together, each node's quads read once.
    groups: dict[tuple[ShapeNode, ...], list[Term]] = {}
    for node, held in holders.items():
        groups.setdefault(tuple(held), []).append(node)
    run = _Run(store, hierarchy)
    with _collector_paused():
        for shapes_held, nodes in groups.items():
            units = list(dict.fromkeys(u for h in shapes_held for u in programs.get(h, ())))
            if units:
                run.evaluate(units, nodes)
    results = {_result(check, focus, value) for check, focus, value in run.found}
    return Report.build(results, "native", sum(len(nodes) for nodes in by_top.values()))


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: evaluation allocates millions of small acyclic
    objects, and the collections they trigger cost about a third of the run."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _programs(shapes: ShapesGraph, plan: Plan) -> dict[ShapeNode, tuple[Unit, ...]]:
    """Per holder shape, the units it evaluates on its focus nodes (cached on the shapes)."""
    cached = shapes.cache.get("native-programs")
    if isinstance(cached, dict):
        return cached
    by_shape: dict[ShapeNode, list[Check]] = {}
    for check in plan.checks:
        by_shape.setdefault(check.shape, []).append(check)
    programs: dict[ShapeNode, list[Unit]] = {}
    for checks in by_shape.values():
        unit = Unit(
            checks[0].path,
            tuple(c for c in checks if c.parameter in COUNTS),
            tuple(c for c in checks if c.parameter == "hasValue"),
            tuple(c for c in checks if c.parameter not in (*COUNTS, *PAIRS, "hasValue")),
            tuple(c for c in checks if c.parameter in PAIRS),
        )
        for holder in checks[0].holders:
            programs.setdefault(holder, []).append(unit)
    frozen = {holder: tuple(units) for holder, units in programs.items()}
    shapes.cache["native-programs"] = frozen
    return frozen


class _Run:
    """One validation's caches and findings."""

    def __init__(self, store: Store, hierarchy: Sequence[Quad] = ()) -> None:
        self.store = store
        self.found: list[Found] = []
        self._supers: dict[Term, list[Term]] = {}
        stated = store.quads_for_pattern(None, RDFS_SUBCLASS_OF, None, None)
        for quad in itertools.chain(stated, hierarchy):
            self._supers.setdefault(quad.subject, []).append(quad.object)  # type: ignore[arg-type]
        self._closures: dict[Term, frozenset[Term]] = {}
        self._types: dict[Term, frozenset[Term]] = {}
        self._judges: dict[Unit, Callable[[Term, dict[NamedNode, list[Term]]], None]] = {}

    def evaluate(self, units: list[Unit], nodes: list[Term]) -> None:
        """Judge ``nodes`` against ``units``: one outgoing-quads read per node."""
        store = self.store
        types = self._types
        judges = [self._judge(unit) for unit in units]
        for focus in nodes:
            out: dict[NamedNode, list[Term]] = {}
            if not isinstance(focus, Literal):
                for quad in store.quads_for_pattern(focus, None, None, None):
                    predicate = quad.predicate
                    listed = out.get(predicate)
                    if listed is None:
                        out[predicate] = [quad.object]  # type: ignore[list-item]
                    else:
                        listed.append(quad.object)  # type: ignore[arg-type]
                if focus not in types:
                    types[focus] = self._closure(out.get(RDF_TYPE, ()))
            for judge in judges:
                judge(focus, out)

    def _judge(self, unit: Unit) -> Callable[[Term, dict[NamedNode, list[Term]]], None]:
        """``unit`` as one closure over a focus node and its outgoing values."""
        judge = self._judges.get(unit)
        if judge is not None:
            return judge
        found = self.found
        store = self.store
        path = unit.path
        predicate = path.predicate if path else None
        inverse = path is not None and path.inverse
        tests = tuple((c, self._test(c)) for c in unit.per_value)
        # Memoise per value where repeats are likely and tests dear (units of measure,
        # enumerations); unique literals (IDs, readings) are cheaper to test directly, and
        # sh:class reads the per-node type cache anyway.
        memo: dict[Term, tuple[Check, ...]] | None = (
            {} if any(c.parameter in MEMOISED for c in unit.per_value) else None
        )
        counts = tuple((c, _count_test(c)) for c in unit.counts)
        has_values = unit.has_values
        pairs = tuple(
            (c, c.argument if isinstance(c.argument, NamedNode) else None) for c in unit.pairs
        )

        def judge_node(focus: Term, out: dict[NamedNode, list[Term]]) -> None:
            values: list[Term] | tuple[Term, ...]
            if predicate is None:
                values = (focus,)
            elif inverse:
                quads = store.quads_for_pattern(None, predicate, focus, None)
                values = [q.subject for q in quads]  # type: ignore[misc]
            else:
                values = out.get(predicate, ())
            if len(values) > 1:
                values = list(dict.fromkeys(values))
            if memo is not None:
                for value in values:
                    bad = memo.get(value)
                    if bad is None:
                        bad = memo[value] = tuple(c for c, test in tests if test(value))
                    for check in bad:
                        found.append((check, focus, value))
            elif tests:
                for value in values:
                    for check, test in tests:
                        if test(value):
                            found.append((check, focus, value))
            for check, count_fails in counts:
                if count_fails(len(values)):
                    found.append((check, focus, None))
            for check in has_values:
                if check.argument not in values:
                    found.append((check, focus, None))
            for check, other in pairs:
                theirs = out.get(other, ()) if other is not None else ()
                found.extend((check, focus, v) for v in _pair(check, values, theirs))

        self._judges[unit] = judge_node
        return judge_node

    def _test(self, check: Check) -> Test:
        """The violation test of one per-value check."""
        arg = check.argument
        name = check.parameter
        if name == "class":
            types, classes_of = self._types, self.classes_of
            return lambda v: arg not in (types.get(v) or classes_of(v))
        if name == "datatype":
            return lambda v: not has_datatype(v, arg)
        if name == "nodeKind":
            kinds = NODE_KINDS.get(arg.value, ()) if isinstance(arg, NamedNode) else ()
            return lambda v: not isinstance(v, kinds)
        if name == "minInclusive":
            return lambda v: less(arg, v, or_equal=True) is not True
        if name == "maxInclusive":
            return lambda v: less(v, arg, or_equal=True) is not True
        if name == "minExclusive":
            return lambda v: less(arg, v, or_equal=False) is not True
        if name == "maxExclusive":
            return lambda v: less(v, arg, or_equal=False) is not True
        if name == "minLength":
            return lambda v: isinstance(v, BlankNode) or count_below(len(v.value), arg) is True
        if name == "maxLength":
            return lambda v: isinstance(v, BlankNode) or count_above(len(v.value), arg) is True
        if name == "pattern":
            pattern = Pattern(arg, check.flags)
            return lambda v: not pattern.matches(v)
        if name == "in":
            members = check.members
            return lambda v: v not in members
        raise AssertionError(f"no per-value test for sh:{name}")

    def classes_of(self, node: Term) -> frozenset[Term]:
        """Every class ``node`` is a SHACL instance of (rdf:type, then rdfs:subClassOf*)."""
        classes = self._types.get(node)
        if classes is None:
            if isinstance(node, Literal):
                classes = EMPTY
            else:
                quads = self.store.quads_for_pattern(node, RDF_TYPE, None, None)
                classes = self._closure([q.object for q in quads])  # type: ignore[misc]
            self._types[node] = classes
        return classes

    def _closure(self, types: Iterable[Term]) -> frozenset[Term]:
        found: frozenset[Term] = EMPTY
        for cls in types:
            supers = self._closures.get(cls)
            if supers is None:
                seen = {cls: None}
                pending = [cls]
                while pending:
                    for parent in self._supers.get(pending.pop(), ()):
                        if parent not in seen:
                            seen[parent] = None
                            pending.append(parent)
                supers = self._closures[cls] = frozenset(seen)
            found = supers if not found else found | supers
        return found


def _count_test(check: Check) -> Callable[[int], bool]:
    """sh:minCount / sh:maxCount as SPARQL compares (a non-numeric bound never fails)."""
    key = sort_key(check.argument)
    minimum = check.parameter == "minCount"
    if key is not None and key[0] == "number":
        bound = key[1]
        assert isinstance(bound, int | Decimal)
        return (lambda n: n < bound) if minimum else (lambda n: n > bound)
    compare = count_below if minimum else count_above
    return lambda n: compare(n, check.argument) is True


def _pair(check: Check, values: Iterable[Term], other: list[Term] | tuple[Term, ...]) -> list[Term]:
    """Violating values of sh:equals, sh:disjoint, sh:lessThan or sh:lessThanOrEquals."""
    name = check.parameter
    if name == "equals":
        mine = set(values)
        theirs = set(other)
        return [v for v in mine if v not in theirs] + [v for v in theirs if v not in mine]
    if name == "disjoint":
        return [v for v in values if v in other]
    or_equal = name == "lessThanOrEquals"
    return [v for v in values if any(less(v, o, or_equal) is not True for o in other)]


def _result(check: Check, focus: Term, value: Term | None) -> ValidationResult:
    focus_text = str(focus)
    value_text = None if value is None or not check.has_value else str(value)
    return ValidationResult(
        focus_node=focus_text,
        result_path=check.path.to_ntriples() if check.path else None,
        constraint_component=check.component,
        source_shape=shape_label(check.shape),
        severity=check.severity,
        message=check.message or describe(check, focus_text, value_text),
        value=value_text,
    )
