"""Material lots of raw parts, drawn down by consumption until used up.

Each raw part has one open lot at a time; a lot serves a scale-dependent number of
consumptions (hundreds at millions of triples), so recall-by-lot fans out to many units.
Bulk bar stock is often split into sublots and then drawn from those. A lot is written when
it closes, because its received quantity is what was drawn from it plus a remainder.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from pyoxigraph import NamedNode

from kgthread import ids
from kgthread.sample import terms
from kgthread.sample.catalog import Part
from kgthread.sample.terms import V, iri
from kgthread.sample.writer import NTriplesWriter


@dataclass(eq=False)
class Lot:
    part: Part
    lot_id: str
    node: NamedNode
    iri: str
    capacity: int
    supplier: str | None
    parent: Lot | None = None
    sublots: list[Lot] = field(default_factory=list)
    uses: int = 0
    drawn: float = 0.0
    quantity: float = 0.0


class LotPool:
    """The open lot per raw part; ``take`` draws from it and rolls over to a new one."""

    def __init__(
        self,
        w: NTriplesWriter,
        rng: random.Random,
        capacity: int,
        on_open: Callable[[Lot], None],
    ) -> None:
        self._w = w
        self._rng = rng
        self._capacity = capacity
        self._on_open = on_open
        self._open: dict[str, Lot] = {}
        self._pending: dict[str, list[Lot]] = {}  # sublots not yet drawn from
        self._serial = 0

    def take(self, part: Part, quantity: float) -> Lot:
        """The lot (or sublot) one consumption of ``quantity`` of ``part`` draws from."""
        lot = self._open.get(part.number)
        if lot is None:
            lot = self._next(part)
        lot.uses += 1
        lot.drawn += quantity
        if lot.uses >= lot.capacity:
            del self._open[part.number]
            self._close(lot)
        return lot

    def close_all(self) -> None:
        """Write every lot still open at the end (and the parents of split lots)."""
        for lot in list(self._open.values()):
            self._close(lot)
        self._open.clear()
        for pending in list(self._pending.values()):
            for sub in pending:
                self._close(sub)
        self._pending.clear()

    def _next(self, part: Part) -> Lot:
        pending = self._pending.get(part.number)
        if pending:
            lot = pending.pop(0)
            if not pending:
                del self._pending[part.number]
        else:
            lot = self._new_lot(part)
        self._open[part.number] = lot
        self._on_open(lot)
        return lot

    def _new_lot(self, part: Part) -> Lot:
        rng = self._rng
        self._serial += 1
        lot_id = f"L{self._serial:06d}"
        node = ids.lot(part.number, lot_id)
        capacity = rng.randint(max(1, self._capacity // 2), self._capacity * 3 // 2)
        supplier = rng.choice(part.suppliers) if rng.random() < 0.95 else None
        lot = Lot(part, lot_id, node, iri(node), capacity, supplier)
        if not part.bulk_stock or rng.random() < 0.5:
            return lot
        count = rng.randint(2, 3)
        for k in range(1, count + 1):
            sub_node = ids.sublot(part.number, lot_id, str(k))
            sub_capacity = max(1, capacity // count)
            sub = Lot(part, f"{lot_id}-{k}", sub_node, iri(sub_node), sub_capacity, supplier, lot)
            lot.sublots.append(sub)
        self._pending[part.number] = lot.sublots[1:]
        return lot.sublots[0]

    def _close(self, lot: Lot) -> None:
        rng, decimals = self._rng, lot.part.decimals
        remainder = lot.drawn * rng.uniform(0.0, 0.05)
        lot.quantity = round(lot.drawn + remainder, decimals)
        self._write(lot)
        parent = lot.parent
        if parent is not None and lot is parent.sublots[-1]:
            parent.quantity = round(sum(s.quantity for s in parent.sublots), decimals)
            self._write(parent)

    def _write(self, lot: Lot) -> None:
        w, s = self._w, lot.iri
        w.a(s, V.MATERIAL_SUBLOT if lot.parent is not None else V.MATERIAL_LOT)
        w.t(s, V.LOT_ID, terms.string(lot.lot_id))
        w.t(s, V.LOT_OF_PART, lot.part.iri)
        w.t(s, V.QUANTITY, terms.decimal(lot.quantity, lot.part.decimals))
        w.t(s, V.UNIT_OF_MEASURE, terms.qudt(lot.part.uom))
        if lot.supplier is not None:
            w.t(s, V.SUPPLIED_BY, lot.supplier)
        if lot.parent is not None:
            w.t(s, V.SUBLOT_OF, lot.parent.iri)
