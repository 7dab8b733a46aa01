"""MES records to triples: the ontology side of the MES adapters.

The mapper knows the data model (docs/data-model.md) and nothing of B2MML or CSV. Each record
yields the triples of the entity it asserts, with ``kgt:sourceLocation`` naming the record,
plus the least a linked node needs to be a valid target (a part's number, a lot's id) when the
record itself proves that node exists. Serialized units, characteristics, work orders and
operations named only as link targets are not invented: they must be in the batch or the
store, or the gate refuses the link and cites the record.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from pyoxigraph import Literal, NamedNode

from kgthread import ids, vocab
from kgthread.errors import IdentifierError
from kgthread.ingest.mes import minting, terms
from kgthread.ingest.mes import records as r
from kgthread.ingest.mes.quality import map_quality

_EQUIPMENT_LEVELS = {
    "site": vocab.SITE,
    "area": vocab.AREA,
    **dict.fromkeys(
        ("processcell", "productionunit", "productionline", "workcell", "storagezone"),
        vocab.WORK_CENTER,
    ),
    **dict.fromkeys(("workcenter", "unit", "workunit", "storageunit"), vocab.WORK_UNIT),
}
_NEEDS_PARENT = {vocab.AREA, vocab.WORK_CENTER, vocab.WORK_UNIT}

Statement = tuple[NamedNode, NamedNode, NamedNode | Literal]
"""One mapped statement. Plain tuples, not ``pyoxigraph.Triple``: building a Triple costs
more than minting its terms, and a large table goes to N-Triples text without ever needing
one (the adapter makes Triples only for batches held in memory)."""
# Minting normalises and percent-encodes every key; the same part, lot, equipment or person
# recurs on most records of a large document, so their IRIs are remembered.
_part_iri = lru_cache(maxsize=1 << 16)(ids.part)
_lot_iri = lru_cache(maxsize=1 << 16)(ids.lot)
_sublot_iri = lru_cache(maxsize=1 << 16)(ids.sublot)
_equipment_iri = lru_cache(maxsize=1 << 12)(ids.equipment)
_agent_iri = lru_cache(maxsize=1 << 12)(ids.agent)
_revision_iri = lru_cache(maxsize=1 << 16)(ids.part_revision)


class Mapper:
    """Maps records one at a time into ``sink``; ``locations`` maps each asserted node (in
    N-Triples form) to the first record that asserted or named it, for the gate's reports."""

    def __init__(self, *, keep_locations: bool = True) -> None:
        self.locations: dict[str, str] = {}
        self._keep_locations = keep_locations
        self._declared: set[NamedNode] = set()
        self._new: list[NamedNode] = []
        self._buffer: list[Statement] = []
        self._built_into: dict[NamedNode, tuple[NamedNode, str]] = {}

    def map(self, record: r.Record) -> list[Statement]:
        """The triples of one record, all or none: a refused record leaves no declarations
        behind, so failsafe mode can skip it and go on."""
        self._buffer, self._new = [], []
        try:
            self._dispatch(record)
        except IdentifierError as exc:
            self._declared.difference_update(self._new)
            raise terms.fail(record.where, f"bad identifier: {exc.message}") from exc
        except Exception:
            self._declared.difference_update(self._new)
            raise
        return self._buffer

    # --- emitting ---------------------------------------------------------------------------

    def t(self, s: NamedNode, p: NamedNode, o: NamedNode | Literal) -> None:
        self._buffer.append((s, p, o))

    def located(self, node: NamedNode, where: str) -> None:
        self.t(node, vocab.SOURCE_LOCATION, Literal(where))
        self.cite(node, where)

    def cite(self, node: NamedNode, where: str) -> None:
        if self._keep_locations:
            self.locations.setdefault(str(node), where)

    def once(self, node: NamedNode) -> bool:
        """True the first time ``node``'s minimal declaration is due."""
        if node in self._declared:
            return False
        self._declared.add(node)
        self._new.append(node)
        return True

    # --- linked nodes the record proves exist ---------------------------------------------

    def part(self, number: str, where: str) -> NamedNode:
        node = _part_iri(number)
        if self.once(node):
            self.t(node, vocab.RDF_TYPE, vocab.PART)
            self.t(node, vocab.PART_NUMBER, Literal(number))
            self.cite(node, where)
        return node

    def revision(self, number: str, code: str, where: str) -> NamedNode:
        node = _revision_iri(number, code)
        if self.once(node):
            self.t(node, vocab.RDF_TYPE, vocab.PART_REVISION)
            self.t(node, vocab.REVISION_OF, self.part(number, where))
            self.t(node, vocab.REVISION_CODE, Literal(code))
            self.cite(node, where)
        return node

    def lot(self, part: str, lot: str, where: str, parent: str | None = None) -> NamedNode:
        node = _lot_iri(part, lot) if parent is None else _sublot_iri(part, parent, lot)
        if self.once(node):
            kind = vocab.MATERIAL_LOT if parent is None else vocab.MATERIAL_SUBLOT
            self.t(node, vocab.RDF_TYPE, kind)
            self.t(node, vocab.LOT_ID, Literal(lot))
            self.t(node, vocab.LOT_OF_PART, self.part(part, where))
            if parent is not None:
                self.t(node, vocab.SUBLOT_OF, self.lot(part, parent, where))
            self.cite(node, where)
        return node

    def equipment(self, equipment_id: str, where: str) -> NamedNode:
        """Equipment by its path (``SITE/AREA/CELL`` in tables, one B2MML EquipmentID)."""
        path = [p for p in equipment_id.split("/") if p.strip()]
        node = _equipment_iri(*path)
        if self.once(node):
            self.t(node, vocab.RDF_TYPE, vocab.EQUIPMENT)
            self.t(node, vocab.EQUIPMENT_ID, Literal(path[-1].strip()))
            if len(path) > 1:
                self.t(node, vocab.PART_OF_EQUIPMENT, self.equipment("/".join(path[:-1]), where))
            self.cite(node, where)
        return node

    def customer(self, name: str, where: str) -> NamedNode:
        node = ids.customer(name)
        if self.once(node):
            self.t(node, vocab.RDF_TYPE, vocab.CUSTOMER)
            self.t(node, vocab.PARTY_NAME, Literal(name))
            self.cite(node, where)
        return node

    # --- records ----------------------------------------------------------------------------

    def _dispatch(self, record: r.Record) -> None:
        if isinstance(record, r.Genealogy):
            self.genealogy(record)
        elif isinstance(record, r.Operation):
            self.operation(record)
        elif isinstance(record, r.Lot):
            self.material_lot(record)
        elif isinstance(record, r.Material):
            self.material(record)
        elif isinstance(record, r.Equipment):
            self.equipment_record(record)
        elif isinstance(record, r.WorkOrder):
            self.work_order(record)
        else:
            map_quality(self, record)

    def material(self, rec: r.Material) -> None:
        node = self.part(rec.part, rec.where)
        self.located(node, rec.where)
        if rec.description:
            self.t(node, vocab.DESCRIPTION, Literal(rec.description))
        if rec.revision is None:
            return
        revision = self.revision(rec.part, rec.revision, rec.where)
        for usage_id, child, amount in rec.bill:
            usage = ids.assembly_usage(rec.part, rec.revision, usage_id)
            count = (
                terms.decimal(rec.where, amount.value, "bill quantity", minimum=">0")
                if amount is not None
                else Decimal(1)
            )
            self.t(usage, vocab.RDF_TYPE, vocab.ASSEMBLY_USAGE)
            self.t(usage, vocab.USAGE_PARENT, revision)
            self.t(usage, vocab.USAGE_CHILD, self.part(child, rec.where))
            self.t(usage, vocab.QUANTITY, terms.decimal_literal(count))
            self.located(usage, rec.where)

    def material_lot(self, rec: r.Lot) -> None:
        node = self.lot(rec.part, rec.lot, rec.where, rec.parent_lot)
        self.located(node, rec.where)
        if rec.quantity is not None:
            value, unit = terms.quantity(rec.where, rec.quantity, "lot quantity")
            self.t(node, vocab.QUANTITY, value)
            self.t(node, vocab.UNIT_OF_MEASURE, unit)
        if rec.status:
            self.t(node, vocab.LOT_STATUS, Literal(rec.status))

    def equipment_record(self, rec: r.Equipment) -> None:
        node = self.equipment(rec.equipment_id, rec.where)
        level = _EQUIPMENT_LEVELS.get((rec.level or "").replace(" ", "").lower())
        if rec.parent is not None:
            self.t(node, vocab.PART_OF_EQUIPMENT, self.equipment(rec.parent, rec.where))
        if level is not None and (rec.parent is not None or level not in _NEEDS_PARENT):
            self.t(node, vocab.RDF_TYPE, level)
        if rec.label:
            self.t(node, vocab.RDFS_LABEL, Literal(rec.label))
        if rec.level is not None or rec.label is not None or rec.parent is not None:
            self.located(node, rec.where)

    def work_order(self, rec: r.WorkOrder) -> None:
        node = ids.work_order(rec.work_order)
        status = terms.choice(
            rec.where, rec.status, terms.WORK_ORDER_STATES, "work order status", "planned"
        )
        quantity = terms.decimal(rec.where, rec.quantity.value, "ordered quantity", minimum=">0")
        self.t(node, vocab.RDF_TYPE, vocab.WORK_ORDER)
        self.t(node, vocab.WORK_ORDER_ID, Literal(rec.work_order))
        self.t(node, vocab.ORDERED_QUANTITY, terms.decimal_literal(quantity))
        if rec.quantity.unit.strip():
            unit = terms.unit(rec.where, rec.quantity.unit.strip())
            self.t(node, vocab.UNIT_OF_MEASURE, terms.unit_iri(unit))
        self.t(node, vocab.WORK_ORDER_STATUS, Literal(status))
        if rec.part is not None and rec.revision is not None:
            self.t(node, vocab.ORDERED_REVISION, self.revision(rec.part, rec.revision, rec.where))
        elif rec.part is not None:
            self.t(node, vocab.ORDERED_PART, self.part(rec.part, rec.where))
        self.located(node, rec.where)

    def operation(self, rec: r.Operation) -> None:
        node = ids.operation(rec.owner, rec.operation)
        self.t(node, vocab.RDF_TYPE, vocab.OPERATION)
        self.t(node, vocab.OPERATION_ID, Literal(rec.operation))
        if rec.response is not None:
            self.t(node, vocab.RESPONSE_ID, Literal(rec.response))
        if rec.work_order is not None:
            self.t(node, vocab.OPERATION_OF, ids.work_order(rec.work_order))
        for i, equipment in enumerate(rec.equipment):
            target = self.equipment(equipment, rec.where)
            if i == 0:
                self.t(node, vocab.ON_EQUIPMENT, target)
        if rec.start:
            self.t(node, vocab.PROV_STARTED_AT, terms.timestamp(rec.where, rec.start, "start"))
        if rec.end:
            self.t(node, vocab.PROV_ENDED_AT, terms.timestamp(rec.where, rec.end, "end"))
        for person in rec.people:
            agent = _agent_iri(person)
            self.t(node, vocab.PROV_WAS_ASSOCIATED_WITH, agent)
            self.t(agent, vocab.RDF_TYPE, vocab.PROV_AGENT)
            self.t(agent, vocab.RDFS_LABEL, Literal(person))
        self.located(node, rec.where)
        for position, actual in enumerate(rec.actuals, 1):
            self.material_actual(node, str(position), actual)

    def material_actual(self, operation: NamedNode, position: str, rec: r.MaterialActual) -> None:
        if rec.use is None:
            raise terms.fail(rec.where, "MaterialActual has no MaterialUse")
        use = terms.choice(rec.where, rec.use, terms.MATERIAL_USES, "material use", "")
        node = ids.material_actual(operation, position)
        self.t(node, vocab.RDF_TYPE, vocab.MATERIAL_ACTUAL)
        self.t(node, vocab.AT_OPERATION, operation)
        self.t(node, vocab.MATERIAL_USE, Literal(use))
        self.t(node, vocab.ACTUAL_MATERIAL, self.part(rec.part, rec.where))
        if rec.lot is not None and rec.sublot is not None:
            item = self.lot(rec.part, rec.sublot, rec.where, rec.lot)
            self.t(node, vocab.ACTUAL_ITEM, item)
        elif rec.lot is not None:
            self.t(node, vocab.ACTUAL_ITEM, self.lot(rec.part, rec.lot, rec.where))
        elif rec.sublot is not None:
            raise terms.fail(rec.where, "MaterialSubLotID without MaterialLotID")
        if rec.quantity is not None:
            value, unit = terms.quantity(rec.where, rec.quantity, "material actual quantity")
            self.t(node, vocab.QUANTITY, value)
            self.t(node, vocab.UNIT_OF_MEASURE, unit)
        self.located(node, rec.where)

    def genealogy(self, rec: r.Genealogy) -> None:
        parent = minting.unit(rec.parent_part, rec.parent_serial)
        if self.once(parent):
            self.t(parent, vocab.RDF_TYPE, vocab.SERIALIZED_UNIT)
            self.t(parent, vocab.SERIAL_NUMBER, Literal(rec.parent_serial))
            revision = self.revision(rec.parent_part, rec.parent_revision, rec.where)
            self.t(parent, vocab.UNIT_OF_REVISION, revision)
            self.cite(parent, rec.where)
        if rec.child_serial is not None:
            child = minting.unit(rec.child_part, rec.child_serial)
            self._once_into(child, parent, rec.where)
            if rec.child_revision is not None and self.once(child):
                self.t(child, vocab.RDF_TYPE, vocab.SERIALIZED_UNIT)
                self.t(child, vocab.SERIAL_NUMBER, Literal(rec.child_serial))
                child_rev = self.revision(rec.child_part, rec.child_revision, rec.where)
                self.t(child, vocab.UNIT_OF_REVISION, child_rev)
            self.cite(child, rec.where)
        elif rec.child_lot is not None:
            child = self.lot(rec.child_part, rec.child_lot, rec.where)
        else:
            raise terms.fail(rec.where, "a genealogy event needs child_serial or child_lot")
        value, unit = terms.quantity(rec.where, rec.quantity, "quantity", minimum=">0")
        event = minting.consumption(parent, child)
        self.t(parent, vocab.HAS_COMPONENT, child)
        self.t(event, vocab.RDF_TYPE, vocab.CONSUMPTION)
        self.t(event, vocab.CONSUMER, parent)
        self.t(event, vocab.CONSUMED_ENTITY, child)
        self.t(event, vocab.QUANTITY, value)
        self.t(event, vocab.UNIT_OF_MEASURE, unit)
        if rec.operation is not None and rec.work_order is not None:
            self.t(event, vocab.AT_OPERATION, minting.operation(rec.work_order, rec.operation))
        if rec.time:
            self.t(event, vocab.PROV_AT_TIME, terms.timestamp(rec.where, rec.time, "time"))
        self.located(event, rec.where)

    def _once_into(self, child: NamedNode, parent: NamedNode, where: str) -> None:
        """A serial goes into one parent: a second parent in the same input is refused here,
        naming both records (across batches the gate's shape refuses it)."""
        earlier = self._built_into.setdefault(child, (parent, where))
        if earlier[0] != parent:
            raise terms.fail(
                where,
                f"serial {ids.parse(child).keys[1]} is already consumed into "
                f"{ids.parse(earlier[0]).keys[1]} at {earlier[1]}; a unit has one parent",
            )
