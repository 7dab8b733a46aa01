"""Format-neutral MES records: what the B2MML, BatchML and tabular readers produce.

Readers fill these from their format and know nothing of RDF; the mapping turns them into
triples and knows nothing of XML or CSV. Values stay text as the source wrote them (the
mapping parses numbers, times and units, so every reader gets the same checks). ``where`` is
the source record (``file:line N`` or ``file:/XPath``) that provenance cites.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Quantity:
    value: str
    unit: str


@dataclass(frozen=True)
class Material:
    """A material definition or product definition: a part, maybe with a revision."""

    where: str
    part: str
    description: str | None = None
    revision: str | None = None
    bill: tuple[tuple[str, str, Quantity | None], ...] = ()
    """Bill of materials of the revision: (usage id, child part, quantity)."""


@dataclass(frozen=True)
class Lot:
    """A material lot, or a sublot when ``parent_lot`` is set."""

    where: str
    part: str
    lot: str
    parent_lot: str | None = None
    quantity: Quantity | None = None
    status: str | None = None


@dataclass(frozen=True)
class Equipment:
    where: str
    equipment_id: str
    level: str | None = None
    parent: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class WorkOrder:
    where: str
    work_order: str
    quantity: Quantity
    status: str | None
    part: str | None = None
    revision: str | None = None


@dataclass(frozen=True)
class MaterialActual:
    where: str
    use: str | None
    part: str
    lot: str | None = None
    sublot: str | None = None
    quantity: Quantity | None = None


@dataclass(frozen=True)
class Operation:
    """An executed step: a B2MML segment response, a BatchML recipe element, a table row."""

    where: str
    operation: str
    work_order: str | None = None
    response: str | None = None
    equipment: tuple[str, ...] = ()
    start: str | None = None
    end: str | None = None
    people: tuple[str, ...] = ()
    actuals: tuple[MaterialActual, ...] = field(default_factory=tuple)

    @property
    def owner(self) -> str:
        """The first key of the operation's identifier: its response, else its work order."""
        return self.response or self.work_order or ""


@dataclass(frozen=True)
class Genealogy:
    """A parent serial consumed a child serial or lot."""

    where: str
    parent_part: str
    parent_revision: str
    parent_serial: str
    child_part: str
    quantity: Quantity
    child_serial: str | None = None
    child_lot: str | None = None
    child_revision: str | None = None
    work_order: str | None = None
    operation: str | None = None
    time: str | None = None


@dataclass(frozen=True)
class Inspection:
    """One measured characteristic of one unit, with the tolerance it is judged against."""

    where: str
    inspection: str
    part: str
    revision: str
    serial: str
    characteristic: str
    value: Quantity
    time: str
    lower: str | None = None
    upper: str | None = None
    limit_unit: str | None = None
    passed: str | None = None
    work_order: str | None = None
    operation: str | None = None
    ncr: str | None = None


@dataclass(frozen=True)
class Nonconformance:
    where: str
    ncr: str
    part: str
    serial: str
    disposition: str
    inspection: str | None = None
    characteristic: str | None = None


@dataclass(frozen=True)
class Change:
    where: str
    change: str
    status: str
    affected: tuple[tuple[str, str], ...]
    superseded_by: tuple[tuple[str, str], ...] = ()
    work_orders: tuple[str, ...] = ()
    effective: str | None = None


@dataclass(frozen=True)
class Shipment:
    where: str
    shipment: str
    part: str
    serial: str
    customer: str
    date: str


Record = (
    Material
    | Lot
    | Equipment
    | WorkOrder
    | Operation
    | Genealogy
    | Inspection
    | Nonconformance
    | Change
    | Shipment
)
