"""The shop floor and the parties: ISA-95 equipment, SOSA sensors, suppliers, customers.

Sites hold three areas (machining, assembly, quality); work centres in them have work
units, and operations are routed to work units by function (saw, mill, ...). Sensors sit
on work units and observe one main property (some a second), so every operation on an
instrumented work unit gets one ``kgt:ObservationSummary`` per sensor.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from pyoxigraph import NamedNode

from kgthread import ids
from kgthread.sample import terms
from kgthread.sample.terms import V, iri
from kgthread.sample.writer import NTriplesWriter


@dataclass(frozen=True)
class Property:
    key: str
    iri: str
    label: str
    uom: str  # rendered QUDT unit IRI
    mean: float
    spread: float


@dataclass(eq=False)
class Sensor:
    sensor_id: str
    iri: str
    observes: tuple[Property, ...]


@dataclass(eq=False)
class WorkUnit:
    equipment_id: str
    iri: str
    sensors: list[Sensor] = field(default_factory=list)
    free_at: int = 0  # the next start time free on this machine (keeps windows apart)


@dataclass
class Plant:
    by_function: dict[str, list[WorkUnit]]
    suppliers: list[str]
    customers: list[str]
    properties: dict[str, Property]


# (area, work centre, function, sensors as property keys; "a+b" is one sensor observing both)
_LAYOUT = (
    ("MACH", "SAW", "saw", ("power",)),
    ("MACH", "MILL", "mill", ("spindle-speed", "vibration+temperature", "power")),
    ("MACH", "TURN", "turn", ("spindle-speed", "temperature")),
    ("ASSY", "LINE", "assembly", ("temperature",)),
    ("ASSY", "TEST", "test", ("power",)),
    ("QA", "CMM", "cmm", ("temperature",)),
)
_PROPERTIES = (
    ("spindle-speed", "spindle speed (rev/min)", "REV-PER-MIN", 8000.0, 400.0),
    ("temperature", "temperature (°C)", "DEG_C", 28.0, 2.5),
    ("vibration", "vibration velocity (mm/s)", "MilliM-PER-SEC", 2.5, 0.6),
    ("power", "active power (kW)", "KiloW", 7.5, 1.5),
)


def build(
    w: NTriplesWriter,
    rng: random.Random,
    sites: int,
    units_per_centre: int,
    suppliers: int,
    customers: int,
) -> Plant:
    """Create and write the equipment tree, sensors, properties and parties."""
    props: dict[str, Property] = {}
    for key, label, uom, mean, spread in _PROPERTIES:
        prop = Property(
            key, iri(ids.observable_property(key)), label, terms.qudt(uom), mean, spread
        )
        props[key] = prop
        w.a(prop.iri, V.OBSERVABLE_PROPERTY)
        w.t(prop.iri, V.RDFS_LABEL, terms.string(label))
    by_function: dict[str, list[WorkUnit]] = {}
    for s in range(1, sites + 1):
        site = f"S{s}"
        site_iri = _equipment(w, (site,), V.SITE, f"Plant {s}", None)
        areas: dict[str, str] = {}
        for area, centre, function, sensor_keys in _LAYOUT:
            if area not in areas:
                areas[area] = _equipment(w, (site, area), V.AREA, f"{area} area", site_iri)
            centre_iri = _equipment(
                w, (site, area, centre), V.WORK_CENTER, f"{centre} cell", areas[area]
            )
            for u in range(1, units_per_centre + 1):
                path = (site, area, centre, f"{centre}{u:02d}")
                unit = WorkUnit(".".join(path), "")
                unit.iri = _equipment(w, path, V.WORK_UNIT, f"{centre} {u}", centre_iri)
                for n, spec in enumerate(sensor_keys, start=1):
                    if function == "assembly" and rng.random() < 0.5:
                        continue
                    observed = tuple(props[k] for k in spec.split("+"))
                    sensor_id = f"{unit.equipment_id}.T{n}"
                    sensor = Sensor(sensor_id, iri(ids.sensor(sensor_id)), observed)
                    w.a(sensor.iri, V.SENSOR)
                    w.t(sensor.iri, V.SENSOR_ID, terms.string(sensor_id))
                    w.t(sensor.iri, V.SOSA_IS_HOSTED_BY, unit.iri)
                    for prop in observed:
                        w.t(sensor.iri, V.SOSA_OBSERVES, prop.iri)
                    unit.sensors.append(sensor)
                by_function.setdefault(function, []).append(unit)
    return Plant(
        by_function,
        [_party(w, ids.supplier, V.SUPPLIER, f"Supplier {n:03d} GmbH") for n in range(suppliers)],
        [_party(w, ids.customer, V.CUSTOMER, f"Customer {n:03d} AG") for n in range(customers)],
        props,
    )


def _equipment(
    w: NTriplesWriter, path: tuple[str, ...], cls: str, label: str, parent: str | None
) -> str:
    s = iri(ids.equipment(*path))
    w.a(s, cls)
    w.t(s, V.EQUIPMENT_ID, terms.string(".".join(path)))
    w.t(s, V.RDFS_LABEL, terms.string(label))
    if parent is not None:
        w.t(s, V.PART_OF_EQUIPMENT, parent)
    return s


def _party(w: NTriplesWriter, mint: Callable[[str], NamedNode], cls: str, name: str) -> str:
    s = iri(mint(name))
    w.a(s, cls)
    w.t(s, V.PARTY_NAME, terms.string(name))
    return s
