"""B2MML reader: ISA-95 documents (V0401, V0600, V0700) as MES records, streamed.

The version is the root element's namespace; an unknown namespace is refused before anything
is read. Verb wrappers (``SyncProductionPerformance`` with ``ApplicationArea`` and
``DataArea``) and bare documents read alike, because records are recognised by element name
wherever they stand. V0700 renamed the schedule and performance documents (Operations*
instead of Production*); both generations yield the same records. Each record is handled when
its element ends and then dropped, so a gigabyte of segment responses streams in flat memory.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import BinaryIO

from kgthread.errors import MesInputError
from kgthread.ingest.mes import batchml
from kgthread.ingest.mes.records import (
    Equipment,
    Lot,
    Material,
    MaterialActual,
    Operation,
    Quantity,
    Record,
    WorkOrder,
)
from kgthread.ingest.mes.xmlstream import Cursor, child_text, children, elements, split

VERSIONS = {
    "http://www.wbf.org/xml/B2MML-V0401": "V0401",
    "http://www.mesa.org/xml/B2MML-V0600": "V0600",
    "http://www.mesa.org/xml/B2MML": "V0700",
    batchml.V02_NAMESPACE: "BatchML-V02",
}
RESPONSES = ("ProductionResponse", "OperationsResponse")
REQUEST_IDS = ("ProductionRequestID", "OperationsRequestID")
# Elements dropped once they end: records are mapped by then, containers are empty.
_CONTAINERS = frozenset(
    {
        *RESPONSES,
        *("ProductionPerformance", "OperationsPerformance", "ProductionSchedule"),
        *("OperationsSchedule", "MaterialInformation", "EquipmentInformation"),
        *("ExecutedControlRecipes", "MasterRecipe", "ControlRecipe"),
    }
)

Handler = Callable[[ET.Element, str, str, Cursor], Iterator[Record]]


def version_of(namespace: str, name: str, path: str) -> str:
    """The B2MML version a namespace names, or :class:`MesInputError`."""
    version = VERSIONS.get(namespace)
    if version is None:
        known = ", ".join(f"{v} ({n})" for n, v in VERSIONS.items())
        raise MesInputError(
            f"{name}:{path}: unknown namespace {namespace!r}; supported: {known}",
            file=name,
            location=path,
        )
    return version


def read(
    source: BinaryIO, name: str, on_error: Callable[[MesInputError], None] | None = None
) -> Iterator[Record]:
    """The records of one B2MML or BatchML document, in document order."""
    cursor = Cursor(name)
    stream = elements(source, cursor)
    root = next(stream, None)
    if root is None:
        raise MesInputError(f"{name}: empty document", file=name)
    namespace = split(root.tag)[0]
    version_of(namespace, name, cursor.path())
    prefix = f"{{{namespace}}}"
    for element in stream:
        if not element.tag.startswith(prefix):
            continue
        local = element.tag[len(prefix) :]
        handler = _HANDLERS.get(local)
        if handler is not None:
            try:
                yield from handler(element, namespace, cursor.where(), cursor)
            except MesInputError as exc:
                if on_error is None:
                    raise
                on_error(exc)
            cursor.drop(element)
        elif local in _CONTAINERS:
            cursor.drop(element)


def require(element: ET.Element, ns: str, where: str, *path: str) -> str:
    value = child_text(element, ns, *path)
    if value is None:
        local = split(element.tag)[1]
        raise MesInputError(
            f"{where}: {local} has no {'/'.join(path)}", file=where.split(":", 1)[0], location=where
        )
    return value


def quantity(element: ET.Element, ns: str) -> Quantity | None:
    found = element.find(f"{{{ns}}}Quantity")
    if found is None:
        return None
    value = child_text(found, ns, "QuantityString")
    if value is None:
        return None
    return Quantity(value, child_text(found, ns, "UnitOfMeasure") or "")


def _material_definition(el: ET.Element, ns: str, where: str, cur: Cursor) -> Iterator[Record]:
    yield Material(where, require(el, ns, where, "ID"), child_text(el, ns, "Description"))


def _product_definition(el: ET.Element, ns: str, where: str, cur: Cursor) -> Iterator[Record]:
    part = require(el, ns, where, "ID")
    revision = child_text(el, ns, "Version")
    bill = tuple(
        (
            require(line, ns, f"{where}/ManufacturingBill[{i}]", "ID"),
            require(line, ns, f"{where}/ManufacturingBill[{i}]", "MaterialDefinitionID"),
            quantity(line, ns),
        )
        for i, line in enumerate(children(el, ns, "ManufacturingBill"), 1)
    )
    yield Material(where, part, child_text(el, ns, "Description"), revision, bill)


def _lot_material(el: ET.Element, ns: str, cur: Cursor) -> str | None:
    """A lot's material: its own MaterialDefinitionID, else the enclosing MaterialInformation's
    ID (how the Courbon V0401 exchange names it)."""
    own = child_text(el, ns, "MaterialDefinitionID")
    if own is not None:
        return own
    info = cur.ancestor("MaterialInformation")
    return None if info is None else child_text(info, ns, "ID")


def _material_lot(el: ET.Element, ns: str, where: str, cur: Cursor) -> Iterator[Record]:
    part = _lot_material(el, ns, cur)
    if part is None:
        require(el, ns, where, "MaterialDefinitionID")
        return
    lot = require(el, ns, where, "ID")
    yield Lot(where, part, lot, None, quantity(el, ns), child_text(el, ns, "Status"))


def _material_sublot(el: ET.Element, ns: str, where: str, cur: Cursor) -> Iterator[Record]:
    lot_element = cur.ancestor("MaterialLot")
    lot = child_text(el, ns, "MaterialLotID")
    if lot is None and lot_element is not None:
        lot = child_text(lot_element, ns, "ID")
    part = _lot_material(lot_element if lot_element is not None else el, ns, cur)
    if lot is None or part is None:
        require(el, ns, where, "MaterialLotID")
        require(el, ns, where, "MaterialDefinitionID")
        return
    sublot = require(el, ns, where, "ID")
    yield Lot(where, part, sublot, lot, quantity(el, ns), child_text(el, ns, "Status"))


_PRODUCED_USES = frozenset({"produced", "material produced", "yield produced"})
_SIDE_PRODUCTS = frozenset({"by-product produced", "co-product produced"})
_OTHER_USES = frozenset(
    {"consumed", "material consumed", "consumable", "destructive sample", "returned sample"}
    | {"retained sample", "inventoried", "other", "sample", "carrier", "returned carrier"}
    | {"replaced asset", "replacement asset"}
)
_AMOUNT_KEYS = frozenset(
    {"quantity", "ordered", "orderedquantity", "orderquantity", "planned", "plannedquantity"}
    | {"requested", "requestedquantity", "target", "targetquantity", "total", "lotsize"}
)
_RATE_WORDS = ("rate", "speed", "throughput", "velocity", "flow", "per")


def _use(element: ET.Element, ns: str, where: str, name: str) -> str | None:
    """``produced`` or ``other`` for a requirement's MaterialUse; an unknown use is refused
    naming it (a misspelt use must not read as a missing requirement)."""
    text = child_text(element, ns, "MaterialUse")
    if text is None:
        return None
    key = " ".join(text.lower().replace("_", " ").split())
    if key in _PRODUCED_USES:
        return "produced"
    if key in _SIDE_PRODUCTS:
        return "side"
    if key in _OTHER_USES:
        return "other"
    known = "Produced, Material Produced, Co-product Produced, Consumed, Material Consumed, ..."
    raise MesInputError(
        f"{where}/MaterialUse: unknown MaterialUse {text!r} (known: {known})",
        file=name,
        location=f"{where}/MaterialUse",
    )


def _produced(el: ET.Element, ns: str, where: str, name: str) -> list[tuple[ET.Element, str]]:
    """What a request says it produces, with each element's XML path: every
    MaterialProducedRequirement (V0401, V0600) and every MaterialRequirement whose MaterialUse
    is a produced use (V0700, and V0401 as Courbon writes it), at any depth. By-products and
    co-products count only when nothing else is produced."""
    found: list[tuple[ET.Element, str]] = []
    side: list[tuple[ET.Element, str]] = []
    counters: dict[tuple[int, str], int] = {}

    def walk(node: ET.Element, path: str) -> None:
        for child in node:
            local = split(child.tag)[1]
            index = counters[id(node), local] = counters.get((id(node), local), 0) + 1
            here = f"{path}/{local}[{index}]"
            if local == "MaterialProducedRequirement":
                found.append((child, here))
            elif local == "MaterialRequirement":
                use = _use(child, ns, here, name)
                if use == "produced":
                    found.append((child, here))
                elif use == "side":
                    side.append((child, here))
            elif local.endswith("Requirement") or local in ("SegmentRequirement",):
                walk(child, here)

    walk(el, where)
    return found or side


def _amount(element: ET.Element, ns: str, where: str, name: str) -> Quantity:
    """The ordered amount among a requirement's Quantity elements, chosen by Key and unit:
    a Key that names an amount wins; otherwise rates (a Key such as ProductionRate, a unit
    such as t/h) are set aside and exactly one quantity must remain."""
    options: list[tuple[str | None, Quantity, str]] = []
    for i, item in enumerate(children(element, ns, "Quantity"), 1):
        value = child_text(item, ns, "QuantityString")
        if value is None:
            continue
        unit = child_text(item, ns, "UnitOfMeasure") or ""
        options.append(
            (child_text(item, ns, "Key"), Quantity(value, unit), f"{where}/Quantity[{i}]")
        )
    if not options:
        raise MesInputError(
            f"{where}: the produced requirement has no Quantity with a QuantityString",
            file=name,
            location=where,
        )
    keyed = [o for o in options if o[0] is not None and _squash(o[0]) in _AMOUNT_KEYS]
    if len(keyed) == 1:
        return keyed[0][1]
    amounts = keyed or [o for o in options if not _is_rate(o[0], o[1].unit)]
    if len(amounts) == 1:
        return amounts[0][1]
    said = "; ".join(
        f"{path}: {q.value} {q.unit or '(no unit)'}" + (f" (Key {key})" if key else "")
        for key, q, path in options
    )
    problem = "only rates" if not amounts else "several amounts and no Key saying which is ordered"
    raise MesInputError(
        f"{where}: cannot tell the ordered quantity, {problem}: {said}",
        file=name,
        location=where,
    )


def _squash(key: str) -> str:
    return "".join(ch for ch in key.lower() if ch.isalnum())


def _is_rate(key: str | None, unit: str) -> bool:
    lowered = unit.lower()
    if "/" in lowered or " per " in f" {lowered} ":
        return True
    return key is not None and any(word in key.lower() for word in _RATE_WORDS)


def _request(el: ET.Element, ns: str, where: str, cur: Cursor) -> Iterator[Record]:
    order = require(el, ns, where, "ID")
    produced = _produced(el, ns, where, cur.name)
    if not produced:
        raise MesInputError(
            f"{where}: request {order} says nothing it produces: no MaterialProducedRequirement "
            "and no MaterialRequirement with a produced MaterialUse",
            file=cur.name,
            location=where,
        )
    parts = {child_text(p, ns, "MaterialDefinitionID") for p, _ in produced}
    first, path = produced[0]
    part = require(first, ns, path, "MaterialDefinitionID")
    if len(parts) > 1:
        named = ", ".join(sorted(p or "(none)" for p in parts))
        raise MesInputError(
            f"{where}: request {order} produces several materials ({named}); "
            "a work order orders one part",
            file=cur.name,
            location=where,
        )
    amount = _amount(first, ns, path, cur.name)
    for location in el.iter(f"{{{ns}}}EquipmentID"):
        if location.text and location.text.strip():
            yield Equipment(where, location.text.strip())
    yield WorkOrder(where, order, amount, child_text(el, ns, "RequestState"), part)


def _segment_response(el: ET.Element, ns: str, where: str, cur: Cursor) -> Iterator[Record]:
    response = cur.ancestor(*RESPONSES)
    response_id = None if response is None else child_text(response, ns, "ID")
    order = _first(el, ns, REQUEST_IDS)
    if order is None and response is not None:
        order = _first(response, ns, REQUEST_IDS)
    if response_id is None and order is None:
        raise MesInputError(
            f"{where}: SegmentResponse outside a production or operations response",
            file=cur.name,
            location=where,
        )
    equipment = tuple(
        e for x in children(el, ns, "EquipmentActual") if (e := child_text(x, ns, "EquipmentID"))
    )
    for item in equipment:
        yield Equipment(where, item)
    people = tuple(
        p for x in children(el, ns, "PersonnelActual") if (p := child_text(x, ns, "PersonID"))
    )
    actuals = tuple(
        _material_actual(actual, ns, f"{where}/MaterialActual[{i}]")
        for i, actual in enumerate(children(el, ns, "MaterialActual"), 1)
    )
    yield Operation(
        where,
        require(el, ns, where, "ID"),
        work_order=order,
        response=response_id,
        equipment=equipment,
        start=child_text(el, ns, "ActualStartTime"),
        end=child_text(el, ns, "ActualEndTime"),
        people=people,
        actuals=actuals,
    )


def _material_actual(el: ET.Element, ns: str, where: str) -> MaterialActual:
    return MaterialActual(
        where,
        child_text(el, ns, "MaterialUse"),
        require(el, ns, where, "MaterialDefinitionID"),
        child_text(el, ns, "MaterialLotID"),
        child_text(el, ns, "MaterialSubLotID"),
        quantity(el, ns),
    )


def _equipment(el: ET.Element, ns: str, where: str, cur: Cursor) -> Iterator[Record]:
    parent = cur.ancestor("Equipment")
    yield Equipment(
        where,
        require(el, ns, where, "ID"),
        child_text(el, ns, "EquipmentLevel") or child_text(el, ns, "EquipmentElementLevel"),
        None if parent is None else child_text(parent, ns, "ID"),
        child_text(el, ns, "Description"),
    )


def _first(el: ET.Element, ns: str, names: tuple[str, ...]) -> str | None:
    for name in names:
        value = child_text(el, ns, name)
        if value is not None:
            return value
    return None


def _control_recipe(el: ET.Element, ns: str, where: str, cur: Cursor) -> Iterator[Record]:
    record = cur.ancestor("BatchProductionRecord")
    record_id = None if record is None else child_text(record, ns, "ID")
    yield from batchml.executed_control_recipe(el, ns, where, record_id)


def _master_recipe(el: ET.Element, ns: str, where: str, cur: Cursor) -> Iterator[Record]:
    yield from batchml.master_recipe(el, ns, where)


_HANDLERS: dict[str, Handler] = {
    "MaterialDefinition": _material_definition,
    "ProductDefinition": _product_definition,
    "MaterialLot": _material_lot,
    "MaterialSubLot": _material_sublot,
    "ProductionRequest": _request,
    "OperationsRequest": _request,
    "SegmentResponse": _segment_response,
    "Equipment": _equipment,
    "ExecutedControlRecipe": _control_recipe,
    "MasterRecipe": _master_recipe,
}
