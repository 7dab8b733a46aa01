"""The instances the extraction reads, with look-ups by name and the shared readings
(measures, units) that product structure and PMI both need.

STEP subtypes list their supertype's attributes first, so a simple instance of a subtype
(``PRODUCT_DEFINITION_FORMATION_WITH_SPECIFIED_SOURCE``) is read through its supertype's
attribute positions; a complex instance holds each supertype as its own record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from kgthread.ingest.step.records import Location, Measure, Unit
from kgthread.ingest.step.values import Enum, Instance, Ref, Typed, Value

SUBTYPES: dict[str, tuple[str, ...]] = {
    "PRODUCT": ("PRODUCT",),
    "PRODUCT_DEFINITION_FORMATION": (
        "PRODUCT_DEFINITION_FORMATION",
        "PRODUCT_DEFINITION_FORMATION_WITH_SPECIFIED_SOURCE",
    ),
    "PRODUCT_DEFINITION": (
        "PRODUCT_DEFINITION",
        "PRODUCT_DEFINITION_WITH_ASSOCIATED_DOCUMENTS",
        "COMPOSITE_ASSEMBLY_DEFINITION",
    ),
    "PRODUCT_DEFINITION_SHAPE": ("PRODUCT_DEFINITION_SHAPE",),
}


class Index:
    """Instances by ``#id`` and by entity name (every record of a complex instance counts)."""

    def __init__(self, file: str, instances: Iterable[Instance]) -> None:
        self.file = file
        self.by_id: dict[int, Instance] = {}
        self.by_name: defaultdict[str, list[Instance]] = defaultdict(list)
        for instance in instances:
            self.by_id[instance.id] = instance
            for name in instance.records:
                self.by_name[name].append(instance)

    def where(self, instance: Instance) -> Location:
        return Location(self.file, instance.line, instance.id)

    def of(self, supertype: str) -> list[Instance]:
        """Instances of ``supertype`` or a subtype SUBTYPES lists, in file order."""
        found: dict[int, Instance] = {}
        for name in SUBTYPES.get(supertype, (supertype,)):
            for instance in self.by_name.get(name, ()):
                found[instance.id] = instance
        return sorted(found.values(), key=lambda i: i.id)

    def record(self, instance: Instance | None, supertype: str) -> tuple[Value, ...] | None:
        """The attributes of ``instance`` read as ``supertype`` (or ``None``)."""
        if instance is None:
            return None
        for name in SUBTYPES.get(supertype, (supertype,)):
            params = instance.records.get(name)
            if params is not None:
                return params
        return None

    def deref(self, value: Value) -> Instance | None:
        return self.by_id.get(value.id) if isinstance(value, Ref) else None

    def follow(self, value: Value, supertype: str) -> tuple[Value, ...] | None:
        return self.record(self.deref(value), supertype)

    # --- measures and units ------------------------------------------------------------

    def measure(self, value: Value) -> Measure | None:
        """A MEASURE_WITH_UNIT (any subtype, simple or complex) the value refers to, or is."""
        instance = self.deref(value)
        if instance is None:
            return None
        for name, params in instance.records.items():
            if name == "MEASURE_REPRESENTATION_ITEM" and len(params) == 3:
                params = params[1:]  # a simple instance: the item's name comes first
            elif not name.endswith("MEASURE_WITH_UNIT") or len(params) < 2:
                continue
            number = _number(params[0])
            if number is not None:
                return Measure(number, self.unit(params[1]))
        return None

    def unit(self, value: Value) -> Unit | None:
        instance = self.deref(value)
        if instance is None:
            return None
        si = instance.records.get("SI_UNIT")
        if si is not None and len(si) >= 2 and isinstance(si[1], Enum):
            prefix = si[0].value if isinstance(si[0], Enum) else ""
            return Unit(si[1].value, prefix)
        converted = instance.records.get("CONVERSION_BASED_UNIT")
        if converted is not None and converted and isinstance(converted[0], str):
            return Unit(converted[0].upper())
        return None

    def label(self, instance: Instance | None) -> str:
        """The ``name`` a representation item carries (REPRESENTATION_ITEM record)."""
        if instance is None:
            return ""
        item = instance.records.get("REPRESENTATION_ITEM")
        if item and isinstance(item[0], str):
            return item[0].strip().lower()
        for name, params in instance.records.items():
            if name.endswith("REPRESENTATION_ITEM") and params and isinstance(params[0], str):
                return params[0].strip().lower()
        return ""


def _number(value: Value) -> Decimal | None:
    if isinstance(value, Typed) and value.params:
        value = value.params[0]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return None


def text(value: Value) -> str:
    return value.strip() if isinstance(value, str) else ""


def refs(value: Value) -> list[Ref]:
    if isinstance(value, Ref):
        return [value]
    if isinstance(value, tuple):
        return [item for item in value if isinstance(item, Ref)]
    return []
