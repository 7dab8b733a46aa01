"""Semantic PMI (AP242) as characteristics: dimensions with their tolerances, and
geometric tolerances with their datums.

A dimension (DIMENSIONAL_SIZE, DIMENSIONAL_LOCATION and their angular kin) takes its nominal
value from DIMENSIONAL_CHARACTERISTIC_REPRESENTATION -> SHAPE_DIMENSION_REPRESENTATION
('nominal value', or 'upper limit' / 'lower limit' for limit dimensions) and its limits from
PLUS_MINUS_TOLERANCE -> TOLERANCE_VALUE, whose bounds are deviations from the nominal. A
geometric tolerance's magnitude is the width of its zone, so its limits are 0 and the
magnitude. Limits are stored absolute: they are what an inspection is checked against.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from kgthread.ingest.step.index import Index, refs, text
from kgthread.ingest.step.records import CharacteristicRecord, Measure
from kgthread.ingest.step.structure import Structure
from kgthread.ingest.step.values import Instance, Typed, Value

SIZE_TYPES = ("DIMENSIONAL_SIZE", "ANGULAR_SIZE", "DIMENSIONAL_SIZE_WITH_PATH")
LOCATION_TYPES = (
    "DIMENSIONAL_LOCATION",
    "ANGULAR_LOCATION",
    "DIMENSIONAL_LOCATION_WITH_PATH",
    "DIRECTED_DIMENSIONAL_LOCATION",
)
GEOMETRIC_KINDS = frozenset(
    f"{kind}_TOLERANCE"
    for kind in (
        *("ANGULARITY", "CIRCULAR_RUNOUT", "COAXIALITY", "CONCENTRICITY", "CYLINDRICITY"),
        *("FLATNESS", "LINE_PROFILE", "PARALLELISM", "PERPENDICULARITY", "POSITION"),
        *("ROUNDNESS", "STRAIGHTNESS", "SURFACE_PROFILE", "SYMMETRY", "TOTAL_RUNOUT"),
    )
)
_PREFIXES = ("DATUM", "DIMENSIONAL_", "ANGULAR_", "GEOMETRIC_TOLERANCE", "DIRECTED_DIMENSIONAL")
_SUFFIXES = ("_TOLERANCE", "SHAPE_ASPECT", "MEASURE_WITH_UNIT", "MEASURE_REPRESENTATION_ITEM")
_NAMES = frozenset(
    {"SHAPE_DIMENSION_REPRESENTATION", "TOLERANCE_VALUE", "LIMITS_AND_FITS", "COMMON_DATUM"}
)


def wanted(name: str) -> bool:
    """Whether PMI extraction reads instances of entity ``name``."""
    return name in _NAMES or name.startswith(_PREFIXES) or name.endswith(_SUFFIXES)


class Pmi:
    """Characteristics of the parts one file's structure defines."""

    def __init__(self, index: Index, structure: Structure) -> None:
        self.index = index
        self.structure = structure
        self.problems: list[str] = []
        self._values: dict[int, dict[str, Measure]] = {}
        self._deviations: dict[int, tuple[Measure | None, Measure | None]] = {}
        definitions = set(structure.definitions.values())
        self._only = next(iter(definitions)) if len(definitions) == 1 else None

    def extract(self) -> list[CharacteristicRecord]:
        self._read_representations()
        self._read_tolerances()
        found: list[CharacteristicRecord] = []
        names: Counter[str] = Counter()  # a tolerance's name is its key only when unique
        for instance in self.index.by_id.values():
            kind = next((n for n in instance.records if n in GEOMETRIC_KINDS), None)
            params = instance.records.get("GEOMETRIC_TOLERANCE") or instance.records.get(kind or "")
            if params:
                names[text(params[0])] += 1
        for instance in sorted(self.index.by_id.values(), key=lambda i: i.id):
            record = self._dimension(instance) or self._geometric(instance, names)
            if record is not None:
                found.append(record)
        return found

    def _problem(self, instance: Instance, message: str) -> None:
        self.problems.append(f"{self.index.where(instance)}: {message}")

    def _owner(self, aspect: Value) -> tuple[str, str] | None:
        """(part, revision) of the product definition a shape aspect belongs to."""
        instance = self.index.deref(aspect)
        for params in instance.records.values() if instance else ():
            if len(params) < 3:
                continue
            shape = self.index.follow(params[2], "PRODUCT_DEFINITION_SHAPE")
            target = self.index.deref(shape[2]) if shape and len(shape) >= 3 else None
            owner = self.structure.definition(target.id) if target else None
            if owner is not None:
                return owner
        return self._only

    # --- dimensions ----------------------------------------------------------------------

    def _read_representations(self) -> None:
        for instance in self.index.by_name.get("DIMENSIONAL_CHARACTERISTIC_REPRESENTATION", ()):
            params = instance.records["DIMENSIONAL_CHARACTERISTIC_REPRESENTATION"]
            representation = self.index.follow(params[1], "SHAPE_DIMENSION_REPRESENTATION")
            dimension = self.index.deref(params[0])
            if dimension is None or not representation or len(representation) < 2:
                continue
            values = self._values.setdefault(dimension.id, {})
            for item in refs(representation[1]):
                measure = self.index.measure(item)
                if measure is not None:
                    label = self.index.label(self.index.deref(item)) or "nominal value"
                    values.setdefault(label, measure)

    def _read_tolerances(self) -> None:
        for instance in self.index.by_name.get("PLUS_MINUS_TOLERANCE", ()):
            params = instance.records["PLUS_MINUS_TOLERANCE"]
            target = self.index.deref(params[1]) if len(params) >= 2 else None
            bounds = self.index.follow(params[0], "TOLERANCE_VALUE") if params else None
            if target is None or not bounds or len(bounds) < 2:
                continue  # LIMITS_AND_FITS: a fit class, no numbers
            self._deviations[target.id] = (
                self.index.measure(bounds[0]),
                self.index.measure(bounds[1]),
            )

    def _dimension(self, instance: Instance) -> CharacteristicRecord | None:
        size = next((instance.records[n] for n in SIZE_TYPES if n in instance.records), None)
        location = next(
            (instance.records[n] for n in LOCATION_TYPES if n in instance.records), None
        )
        if size is not None and len(size) >= 2:
            aspect, kind = size[0], text(size[1])
        elif location is not None and len(location) >= 3:
            aspect, kind = location[2], text(location[0])
        else:
            return None
        owner = self._owner(aspect)
        values = self._values.get(instance.id, {})
        nominal = values.get("nominal value")
        lower, upper = values.get("lower limit"), values.get("upper limit")
        lower_value = lower.value if lower else None
        upper_value = upper.value if upper else None
        low_dev, high_dev = self._deviations.get(instance.id, (None, None))
        if nominal is not None and low_dev is not None and high_dev is not None:
            lower_value = nominal.value + low_dev.value
            upper_value = nominal.value + high_dev.value
        unit = next((m.unit for m in (nominal, upper, lower, high_dev) if m and m.unit), None)
        if owner is None or unit is None:
            missing = "no part it belongs to" if owner is None else "no value with a unit"
            self._problem(instance, f"dimension {kind!r} has {missing} and is left out")
            return None
        kind = kind or "dimension"
        return CharacteristicRecord(
            owner[0],
            owner[1],
            f"{kind} #{instance.id}",
            kind,
            nominal.value if nominal else None,
            lower_value,
            upper_value,
            unit,
            (),
            self.index.where(instance),
        )

    # --- geometric tolerances --------------------------------------------------------------

    def _geometric(self, instance: Instance, names: Counter[str]) -> CharacteristicRecord | None:
        kind_name = next((n for n in instance.records if n in GEOMETRIC_KINDS), None)
        base = instance.records.get("GEOMETRIC_TOLERANCE")
        if kind_name is None and base is None:
            return None
        params = base if base is not None else instance.records[kind_name or ""]
        if len(params) < 4:
            self._problem(instance, "a geometric tolerance with too few attributes")
            return None
        kind = (kind_name or "GEOMETRIC_TOLERANCE").removesuffix("_TOLERANCE")
        kind = kind.lower().replace("_", " ")
        magnitude = self.index.measure(params[2])
        owner = self._owner(params[3])
        if owner is None or magnitude is None or magnitude.unit is None:
            self._problem(instance, f"{kind} tolerance without a part or a magnitude is left out")
            return None
        with_datums = instance.records.get("GEOMETRIC_TOLERANCE_WITH_DATUM_REFERENCE")
        if with_datums is None and base is None and len(params) >= 5:
            with_datums = (params[4],)
        datums = self._datums(with_datums[0]) if with_datums else ()
        label = text(params[0])
        key = label if label and names.get(label) == 1 else f"{label or kind} #{instance.id}"
        return CharacteristicRecord(
            owner[0],
            owner[1],
            key,
            kind,
            None,
            Decimal(0),
            magnitude.value,
            magnitude.unit,
            datums,
            self.index.where(instance),
        )

    def _datums(self, systems: Value) -> tuple[str, ...]:
        """Datum labels in precedence order: ``A``, ``B``, or ``E-F`` for a common datum."""
        labels: list[str] = []
        for ref in refs(systems):
            system = self.index.deref(ref)
            if system is None:
                continue
            params = system.get("DATUM_SYSTEM")
            if params is not None and len(params) >= 5:
                for compartment in refs(params[4]):
                    base = self.index.follow(compartment, "DATUM_REFERENCE_COMPARTMENT")
                    label = self._datum_label(base[4]) if base and len(base) >= 5 else ""
                    if label:
                        labels.append(label)
            older = system.get("DATUM_REFERENCE")
            if older is not None and len(older) >= 2:
                label = self._datum_label(older[1])
                if label:
                    labels.append(label)
        return tuple(labels)

    def _datum_label(self, base: Value) -> str:
        if isinstance(base, Typed) and base.params:
            base = base.params[0]
        if isinstance(base, tuple):
            parts = [self._datum_label(item) for item in base]
            return "-".join(p for p in parts if p)
        instance = self.index.deref(base)
        if instance is None:
            return ""
        datum = instance.get("DATUM")
        if datum is not None and len(datum) >= 5:
            return text(datum[4])
        element = instance.get("DATUM_REFERENCE_ELEMENT")
        if element is not None and len(element) >= 5:
            return self._datum_label(element[4])
        return ""
