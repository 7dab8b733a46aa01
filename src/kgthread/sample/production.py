"""Production: work orders, operations, serialized units built to their BOM, shipments.

A top-level work order builds its units depth first: each unit consumes child units made
in a child work order of the same build (one per child part) and draws raw material from
lots, exactly as its revision's BOM says. Every consumption is written twice, as a
``kgt:Consumption`` node and as the direct ``kgt:hasComponent`` edge. Operations are queued
on work units, so one machine never has two windows starting at the same second (an
observation summary's identifier is its sensor and window start).
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Final

from pyoxigraph import NamedNode

from kgthread import ids
from kgthread.sample import quality, terms
from kgthread.sample.catalog import MACHINED, Part, Revision
from kgthread.sample.lots import Lot, LotPool
from kgthread.sample.plant import Plant, WorkUnit
from kgthread.sample.terms import V, iri
from kgthread.sample.truth import Record, Truth
from kgthread.sample.writer import NTriplesWriter

HOUR: Final = 3600
_ROUTES: Final = {
    "machined": (("0010", "saw"), ("0020", "mill|turn"), ("0030", "cmm")),
    "assembly": (("0010", "assembly"), ("0020", "test")),
}


@dataclass(eq=False)
class Operation:
    op_id: str
    iri: str
    unit: WorkUnit
    start: int
    end: int | None


@dataclass(eq=False)
class WorkOrder:
    wo_id: str
    iri: str
    revision: Revision
    status: str
    ordered: int
    ops: list[Operation] = field(default_factory=list)
    built: int = 0

    @property
    def consuming_op(self) -> Operation:
        return self.ops[0]

    @property
    def generating_op(self) -> Operation:
        return self.ops[1] if self.revision.part.level == MACHINED else self.ops[0]


class Production:
    def __init__(
        self, w: NTriplesWriter, rng: random.Random, plant: Plant, lots: LotPool, truth: Truth
    ) -> None:
        self.w, self.rng, self.plant, self.lots, self.truth = w, rng, plant, lots, truth
        self.clock = 1672639200  # 2023-01-02T06:00:00Z
        self.latest = self.clock  # the last operation end so far
        self.closed_orders: dict[str, deque[str]] = {}  # part number -> last closed WOs
        self.inspector = quality.Inspector(w, rng)
        self._wo_serial = self._unit_serial = self._ship_serial = 0
        self._load: dict[str, int] = {}
        self._children: dict[str, WorkOrder] = {}
        self._num = terms.qudt("NUM")
        self._one = terms.decimal_text("1")
        self._reported: set[str] = set()  # operations with a material actual written

    # -- work orders ----------------------------------------------------------------------
    def order(self, rev: Revision, status: str, ordered: int) -> WorkOrder:
        """A work order, routed and scheduled unless it has not started."""
        self._wo_serial += 1
        wo_id = f"WO{self._wo_serial:07d}"
        wo = WorkOrder(wo_id, iri(ids.work_order(wo_id)), rev, status, ordered)
        if status in ("planned", "released"):
            return wo
        route = _ROUTES["machined" if rev.part.level == MACHINED else "assembly"]
        at = self.clock + (MACHINED - rev.part.level) * 6 * HOUR + self.rng.randrange(HOUR)
        for op_id, function in route:
            fn = self.rng.choice(function.split("|"))
            unit = self.rng.choice(self.plant.by_function[fn])
            start = max(at, unit.free_at)
            duration = self.rng.randint(20, 150) * 60
            unit.free_at = start + duration + 300
            self.latest = max(self.latest, start + duration)
            self._load[fn] = self._load.get(fn, 0) + duration + 300
            op_iri = iri(ids.operation(wo_id, op_id))
            wo.ops.append(Operation(op_id, op_iri, unit, start, start + duration))
            at = start + duration + self.rng.randint(5, 60) * 60
        if status == "in-progress":
            wo.ops[-1].end = None
        return wo

    def write_order(self, wo: WorkOrder) -> None:
        w, s = self.w, wo.iri
        w.a(s, V.WORK_ORDER)
        w.t(s, V.WORK_ORDER_ID, terms.string(wo.wo_id))
        w.t(s, V.ORDERED_REVISION, wo.revision.iri)
        w.t(s, V.ORDERED_QUANTITY, terms.decimal_text(str(wo.ordered)))
        w.t(s, V.WORK_ORDER_STATUS, terms.string(wo.status))
        for op in wo.ops:
            w.a(op.iri, V.OPERATION)
            w.t(op.iri, V.OPERATION_ID, terms.string(op.op_id))
            w.t(op.iri, V.OPERATION_OF, s)
            w.t(op.iri, V.ON_EQUIPMENT, op.unit.iri)
            w.t(op.iri, V.PROV_STARTED_AT, terms.datetime(op.start))
            if op.end is not None:
                w.t(op.iri, V.PROV_ENDED_AT, terms.datetime(op.end))
                self.inspector.summaries(op.iri, op.unit, op.start, op.end)
        if wo.status == "closed":
            self.closed_orders.setdefault(wo.revision.part.number, deque(maxlen=3)).append(s)

    def build(self, product: Part, ordered: int, status: str) -> None:
        """One top-level work order with its child work orders, units and shipments."""
        self._children = {}
        self._load = {}
        top = self.order(product.current, status, ordered)
        built = ordered if status == "closed" else ordered // 2
        units = [self._unit(top, 0, [])[1] for _ in range(built)]
        for wo in self._children.values():
            wo.ordered = wo.built
            self.write_order(wo)
        self.write_order(top)
        if status == "closed":
            self._ship(units, top)
        for unit in units:
            self.truth.root_done(unit, None, None)
        loads = self._load.items()
        busiest = max((load / len(self.plant.by_function[fn]) for fn, load in loads), default=0)
        self.clock += int(busiest * 1.2) + self.rng.randrange(HOUR)

    # -- units ----------------------------------------------------------------------------
    def _unit(self, wo: WorkOrder, depth: int, chain: list[str]) -> tuple[NamedNode, str]:
        rev, w, truth = wo.revision, self.w, self.truth
        self._unit_serial += 1
        serial = f"SN{self._unit_serial:08d}"
        node = ids.unit(rev.part.number, serial)
        s = iri(node)
        w.a(s, V.SERIALIZED_UNIT)
        w.t(s, V.SERIAL_NUMBER, terms.string(serial))
        w.t(s, V.UNIT_OF_REVISION, rev.iri)
        w.t(s, V.PROV_WAS_GENERATED_BY, wo.generating_op.iri)
        wo.built += 1
        for rec, top_depth in truth.active:
            rec["descendants"].append({"item": s, "kind": "unit", "depth": depth - top_depth})
        if rev.iri in truth.watched:
            truth.superseded_unit(rev.iri, s, chain)
        probe: Record | None = truth.unit_started(depth)
        if probe is not None:
            self._describe(probe, s, wo, chain)
            truth.active.append((probe, depth))
        chain.append(s)
        op = wo.consuming_op.iri
        for usage in rev.usages:
            child = usage.child
            if child.serialized:
                child_wo = self._children.get(child.number)
                if child_wo is None:
                    child_wo = self.order(child.current, "closed", 0)
                    self._children[child.number] = child_wo
                for _ in range(int(usage.quantity)):
                    c_node, c = self._unit(child_wo, depth + 1, chain)
                    self._consume(node, s, c_node, c, self._one, self._num, op)
            else:
                lot = self.lots.take(child, usage.quantity)
                qty = terms.decimal_text(usage.lexical)
                self._consume(node, s, lot.node, lot.iri, qty, terms.qudt(child.uom), op)
                self._material_actual(op, child.iri, lot.iri, qty, terms.qudt(child.uom))
                self._lot_used(lot, s, depth + 1, chain)
        chain.pop()
        if rev.characteristics:
            ops = wo.ops
            self.inspector.inspect(s, rev, ops[-1].iri, ops[-1].end or ops[-1].start, truth.active)
        if probe is not None:
            truth.active.pop()
        return node, s

    def _describe(self, rec: Record, s: str, wo: WorkOrder, chain: list[str]) -> None:
        rec.update(unit=s, part=wo.revision.part.iri, revision=wo.revision.iri)
        rec.update(work_order=wo.iri, generated_by=wo.generating_op.iri)
        rec["operations"] = [{"operation": op.iri, "equipment": op.unit.iri} for op in wo.ops]
        self.truth.unit_record(rec, list(chain))

    def _lot_used(self, lot: Lot, consumer: str, depth: int, chain: list[str]) -> None:
        for rec, top_depth in self.truth.active:
            rec["descendants"].append({"item": lot.iri, "kind": "lot", "depth": depth - top_depth})
        probe = self.truth.lot_index.get(lot.iri)
        if probe is not None:
            self.truth.lot_used(probe, consumer, chain)

    def _consume(
        self, parent: NamedNode, p: str, child: NamedNode, c: str, qty: str, uom: str, op: str
    ) -> None:
        w = self.w
        s = iri(ids.consumption(parent, child))
        w.a(s, V.CONSUMPTION)
        w.t(s, V.CONSUMER, p)
        w.t(s, V.CONSUMED_ENTITY, c)
        w.t(s, V.QUANTITY, qty)
        w.t(s, V.UNIT_OF_MEASURE, uom)
        w.t(s, V.AT_OPERATION, op)
        w.t(p, V.HAS_COMPONENT, c)

    def _material_actual(self, op: str, part: str, item: str, qty: str, uom: str) -> None:
        """The first lot draw of an operation also as an MES reports it (ISA-95 material
        actual), so the sample holds the batch-genealogy form of the data model too."""
        if op in self._reported:
            return
        self._reported.add(op)
        w, s = self.w, iri(ids.material_actual(NamedNode(op[1:-1]), "1"))
        w.a(s, V.MATERIAL_ACTUAL)
        w.t(s, V.AT_OPERATION, op)
        w.t(s, V.MATERIAL_USE, terms.string("consumed"))
        w.t(s, V.ACTUAL_MATERIAL, part)
        w.t(s, V.ACTUAL_ITEM, item)
        w.t(s, V.QUANTITY, qty)
        w.t(s, V.UNIT_OF_MEASURE, uom)

    # -- shipping -------------------------------------------------------------------------
    def _ship(self, units: list[str], wo: WorkOrder) -> None:
        rng, w = self.rng, self.w
        pending = [u for u in units if rng.random() < 0.9]
        finished = max(op.end or op.start for op in wo.ops)
        while pending:
            size = rng.randint(1, 4)
            batch, pending = pending[:size], pending[size:]
            self._ship_serial += 1
            shipment_id = f"SHP{self._ship_serial:07d}"
            s = iri(ids.shipment(shipment_id))
            customer = rng.choice(self.plant.customers)
            w.a(s, V.SHIPMENT)
            for unit in batch:
                w.t(s, V.SHIPPED_UNIT, unit)
                self.truth.root_done(unit, s, customer)
            w.t(s, V.SHIPPED_TO, customer)
            w.t(s, V.PROV_ENDED_AT, terms.datetime(finished + rng.randint(24, 120) * HOUR))
