"""The ground truth file agrees with independent traversals of the written graph."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pyoxigraph import Literal, NamedNode, Store

from kgthread import vocab

if TYPE_CHECKING:
    from sample.conftest import Sample


def _n(iri: str) -> NamedNode:
    return NamedNode(iri)


def _objs(store: Store, s: NamedNode | None, p: NamedNode) -> list[str]:
    return [q.object.value for q in store.quads_for_pattern(s, p, None)]


def _subjs(store: Store, p: NamedNode, o: NamedNode) -> list[str]:
    return [q.subject.value for q in store.quads_for_pattern(None, p, o)]


def _objs_terms(store: Store, s: object, p: NamedNode) -> list[object]:
    assert isinstance(s, NamedNode)
    return [q.object for q in store.quads_for_pattern(s, p, None)]


def _one(values: list[str]) -> str:
    assert len(values) == 1, values
    return values[0]


def _is_lot(store: Store, iri: str) -> bool:
    types = set(_objs(store, _n(iri), vocab.RDF_TYPE))
    return bool(types & {vocab.MATERIAL_LOT.value, vocab.MATERIAL_SUBLOT.value})


def _ancestors(store: Store, iri: str) -> list[str]:
    chain = []
    parents = _subjs(store, vocab.HAS_COMPONENT, _n(iri))
    while parents:
        chain.append(_one(parents))
        parents = _subjs(store, vocab.HAS_COMPONENT, _n(chain[-1]))
    return chain


def _shipment(store: Store, unit: str) -> tuple[str | None, str | None]:
    shipments = _subjs(store, vocab.SHIPPED_UNIT, _n(unit))
    if not shipments:
        return None, None
    return shipments[0], _one(_objs(store, _n(_one(shipments)), vocab.SHIPPED_TO))


def test_probe_lots_match_a_traversal(sample: Sample) -> None:
    store, lots = sample.store, sample.truth["lots"]
    assert len(lots) >= 10
    for rec in lots:
        lot = _n(rec["lot"])
        consumers = _subjs(store, vocab.HAS_COMPONENT, lot)
        assert sorted(consumers) == sorted(rec["consumers"])
        containing = set(consumers)
        for unit in consumers:
            containing.update(_ancestors(store, unit))
        assert sorted(containing) == rec["contained_in"]
        roots = {(_ancestors(store, u) or [u])[-1] for u in consumers}
        shipped = set()
        for root in roots:
            shipment, customer = _shipment(store, root)
            if shipment is not None:
                shipped.add((root, shipment, customer))
        assert shipped == {(s["unit"], s["shipment"], s["customer"]) for s in rec["shipped"]}
        assert _one(_objs(store, lot, vocab.LOT_OF_PART)) == rec["part"]
    assert any(rec["shipped"] for rec in lots)


def _descendants(store: Store, unit: str) -> set[tuple[str, str, int]]:
    out: set[tuple[str, str, int]] = set()
    frontier, depth = [unit], 0
    while frontier:
        depth += 1
        frontier = [c for u in frontier for c in _objs(store, _n(u), vocab.HAS_COMPONENT)]
        for c in frontier:
            out.add((c, "lot" if _is_lot(store, c) else "unit", depth))
        frontier = [c for c in frontier if not _is_lot(store, c)]
    return out


def _check_unit(store: Store, rec: dict[str, Any]) -> None:
    unit = _n(rec["unit"])
    found = _descendants(store, rec["unit"])
    assert found == {(d["item"], d["kind"], d["depth"]) for d in rec["descendants"]}
    assert _ancestors(store, rec["unit"]) == rec["ancestors"]
    assert len(rec["ancestors"]) == rec["depth"]
    assert _one(_objs(store, unit, vocab.UNIT_OF_REVISION)) == rec["revision"]
    generated_by = _one(_objs(store, unit, vocab.PROV_WAS_GENERATED_BY))
    assert generated_by == rec["generated_by"]
    work_order = _one(_objs(store, _n(generated_by), vocab.OPERATION_OF))
    assert work_order == rec["work_order"]
    ops = {
        (op, _one(_objs(store, _n(op), vocab.ON_EQUIPMENT)))
        for op in _subjs(store, vocab.OPERATION_OF, _n(work_order))
    }
    assert ops == {(o["operation"], o["equipment"]) for o in rec["operations"]}
    tree = {rec["unit"]} | {item for item, kind, _ in found if kind == "unit"}
    inspections = set()
    for u in tree:
        for insp in _subjs(store, vocab.INSPECTED_UNIT, _n(u)):
            measurements = _subjs(store, vocab.MEASUREMENT_OF, _n(insp))
            ncrs = sorted(n for m in measurements for n in _subjs(store, vocab.RAISED_BY, _n(m)))
            inspections.add((insp, u, not ncrs, tuple(ncrs)))
    expected = rec["inspections"]
    assert inspections == {
        (i["inspection"], i["unit"], i["passed"], tuple(sorted(i["nonconformances"])))
        for i in expected
    }
    assert (rec["shipment"], rec["customer"]) == _shipment(store, rec["root"])


def test_probe_units_match_a_traversal(sample: Sample) -> None:
    tops, mids = sample.truth["top_units"], sample.truth["mid_units"]
    assert len(tops) >= 5
    assert len(mids) >= 10
    for rec in tops + mids:
        _check_unit(sample.store, rec)
    assert max(d["depth"] for r in tops for d in r["descendants"] if d["kind"] == "lot") >= 5
    assert any(r["inspections"] for r in mids)


def test_changes_match_the_graph(sample: Sample) -> None:
    store = sample.store
    changes = sample.truth["changes"]
    assert changes
    for rec in changes:
        change = _n(rec["change"])
        assert sorted(_objs(store, change, vocab.AFFECTS_REVISION)) == sorted(
            rec["affected_revisions"]
        )
        new = _objs(store, change, vocab.INTRODUCES_REVISION)
        assert sorted(new) == sorted(rec["new_revisions"])
        superseded = {_one(_objs(store, _n(r), vocab.SUPERSEDES)) for r in new}
        assert superseded == set(rec["affected_revisions"])
        orders = rec["affected_work_orders"]
        by_status: dict[str, set[str]] = defaultdict(set)
        for wo in _objs(store, change, vocab.AFFECTS_WORK_ORDER):
            status = _one(_objs(store, _n(wo), vocab.WORK_ORDER_STATUS))
            by_status["closed" if status == "closed" else "open"].add(wo)
        assert by_status["open"] == set(orders["open"])
        assert by_status["closed"] == set(orders["closed"])
        assert orders["open"]
        assert orders["closed"]
        built = rec["units_built_to_superseded"]
        units = {
            u
            for r in rec["affected_revisions"]
            for u in _subjs(store, vocab.UNIT_OF_REVISION, _n(r))
        }
        assert built["count"] == len(units) > 0
        assert not built["truncated"]
        assert {u["unit"] for u in built["units"]} == units
        for entry in built["units"]:
            assert entry["root"] == (_ancestors(store, entry["unit"]) or [entry["unit"]])[-1]
            assert (entry["shipment"], entry["customer"]) == _shipment(store, entry["root"])


def _latest(store: Store, part: str) -> str | None:
    revisions = set(_subjs(store, vocab.REVISION_OF, _n(part)))
    superseded = {s for r in revisions for s in _objs(store, _n(r), vocab.SUPERSEDES)}
    current = revisions - superseded
    return _one(sorted(current)) if current else None


def test_probe_revisions_match_the_bom_in_the_graph(sample: Sample) -> None:
    store = sample.store
    usages_of: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    parents_of: dict[str, set[str]] = defaultdict(set)
    for q in store.quads_for_pattern(None, vocab.USAGE_PARENT, None):
        child = _one(_objs(store, q.subject, vocab.USAGE_CHILD))
        [qty] = _objs_terms(store, q.subject, vocab.QUANTITY)
        assert isinstance(qty, Literal)
        usages_of[q.object.value].append((child, Decimal(qty.value)))
        parents_of[child].add(q.object.value)
    revisions = sample.truth["revisions"]
    assert len(revisions) >= 4
    for rec in revisions:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        todo = [(rec["revision"], Decimal(1))]
        while todo:
            rev, factor = todo.pop()
            for child, qty in usages_of[rev]:
                totals[child] += qty * factor
                latest = _latest(store, child)
                if latest is not None:
                    todo.append((latest, qty * factor))
        assert totals == {k: Decimal(v) for k, v in rec["bom_explosion"].items()}
        levels: dict[str, int] = {}
        frontier, level = [rec["part"]], 0
        while frontier:
            level += 1
            nxt = []
            for part in frontier:
                for parent in sorted(parents_of[part]):
                    if parent not in levels:
                        levels[parent] = level
                        nxt.append(_one(_objs(store, _n(parent), vocab.REVISION_OF)))
            frontier = nxt
        assert levels == {w["revision"]: w["level"] for w in rec["where_used"]}
    assert any(rec["where_used"] for rec in revisions)
