"""OPC UA equipment, sensors and window statistics as RDF: the only module here that knows
the ontology.

Inputs are the reader's plain records (:mod:`information`, :mod:`windows`); outputs are
triples and a source location per resource. IRIs come from :mod:`kgthread.ids`: a sensor's
key is its expanded NodeId, so the NodeSet import and the live watcher mint the same IRI.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pyoxigraph import Literal, NamedNode, Triple

from kgthread import ids, vocab
from kgthread.ingest.sensors.information import Equipment, Findings, Sensor
from kgthread.ingest.sensors.units import qudt_unit_for_id


def _text(value: str) -> Literal:
    return Literal(value)


def _double(value: float) -> Literal:
    return Literal(repr(float(value)), datatype=vocab.XSD_DOUBLE)


def _integer(value: int) -> Literal:
    return Literal(str(value), datatype=vocab.XSD_INTEGER)


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, a fraction only when present: the window key form."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def _datetime(moment: datetime) -> Literal:
    return Literal(timestamp(moment), datatype=vocab.XSD_DATETIME)


@dataclass
class Mapped:
    triples: list[Triple]
    locations: dict[str, str]
    """Source location per resource, N-Triples form of the IRI as key (Batch.locations)."""


def equipment_iri(path: Sequence[str]) -> NamedNode:
    return ids.equipment(*path)


def sensor_iri(sensor_id: str) -> NamedNode:
    return ids.sensor(sensor_id)


def property_iri(name: str) -> NamedNode:
    return ids.observable_property(name)


_IDENTIFICATION = {
    "Manufacturer": vocab.MANUFACTURER,
    "ManufacturerUri": vocab.MANUFACTURER_URI,
    "Model": vocab.MODEL,
    "ProductCode": vocab.PRODUCT_CODE,
    "SerialNumber": vocab.EQUIPMENT_SERIAL_NUMBER,
    "ProductInstanceUri": vocab.PRODUCT_INSTANCE_URI,
    "YearOfConstruction": vocab.YEAR_OF_CONSTRUCTION,
    "MonthOfConstruction": vocab.MONTH_OF_CONSTRUCTION,
    "HardwareRevision": vocab.HARDWARE_REVISION,
    "SoftwareRevision": vocab.SOFTWARE_REVISION,
    "DeviceClass": vocab.DEVICE_CLASS,
    "AssetId": vocab.ASSET_ID,
    "InitialOperationDate": vocab.INITIAL_OPERATION_DATE,
}
_INTEGERS = {"YearOfConstruction": (1800, 9999), "MonthOfConstruction": (1, 12)}


def identification_value(name: str, value: str | float) -> Literal | None:
    """A nameplate value as its literal, or ``None`` when it says nothing (OPC UA's minimum
    DateTime, a year 0, a number where text belongs)."""
    if name in _INTEGERS:
        low, high = _INTEGERS[name]
        if isinstance(value, float) and value.is_integer() and low <= value <= high:
            return _integer(int(value))
        return None
    if not isinstance(value, str):
        return None
    if name == "InitialOperationDate":
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.year <= 1601:  # OPC UA's "no date" (DateTime.MinValue)
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return _datetime(moment)
    return _text(value)


def _opcua_triples(
    subject: NamedNode, node_id: str, namespace: str, type_name: str | None
) -> list[Triple]:
    triples = [
        Triple(subject, vocab.OPCUA_NODE_ID, _text(node_id)),
        Triple(subject, vocab.OPCUA_NAMESPACE, _text(namespace)),
    ]
    if type_name:
        triples.append(Triple(subject, vocab.OPCUA_TYPE, _text(type_name)))
    return triples


def map_findings(findings: Findings, *, prefix: Sequence[str] = (), source: str = "") -> Mapped:
    """Equipment, sensors and their observable properties from a NodeSet import.

    ``prefix`` is the ISA-95 path (site, area, ...) the OPC UA equipment sits under; when
    given, the outermost equipment is ``kgt:partOfEquipment`` of it, which must exist.
    """
    triples: list[Triple] = []
    locations: dict[str, str] = {}
    paths: dict[str, tuple[str, ...]] = {}
    for item in findings.equipment:
        path = (*prefix, *item.path)
        paths[item.node.node_id] = path
        subject = equipment_iri(path)
        triples += _equipment(item, subject, prefix)
        locations[str(subject)] = item.node.location
    properties: set[str] = set()
    for sensor in findings.sensors:
        host = paths.get(sensor.host)
        if host is None:
            continue
        subject = sensor_iri(sensor.node.node_id)
        triples += _sensor(sensor, subject, equipment_iri(host))
        locations[str(subject)] = sensor.node.location
        meaning = property_key(sensor)
        if meaning not in properties:
            properties.add(meaning)
            triples += observable_property(meaning)
    return Mapped(triples, locations)


def property_key(sensor: Sensor) -> str:
    """The observable property a NodeSet variable measures: its browse path within the type
    of its host (``MillType/SpindleTemperature``), so that variables named alike
    (``Value``) under different parents are different properties, and the same member of
    two machines of one type is one."""
    return "/".join(sensor.meaning) if sensor.meaning else sensor.node.browse_name


def _equipment(item: Equipment, subject: NamedNode, prefix: Sequence[str]) -> list[Triple]:
    triples = [
        Triple(subject, vocab.RDF_TYPE, vocab.EQUIPMENT),
        Triple(subject, vocab.EQUIPMENT_ID, _text(item.node.browse_name)),
        Triple(subject, vocab.RDFS_LABEL, _text(item.node.display_name)),
        *_opcua_triples(subject, item.node.node_id, item.node.namespace_uri, item.type_name),
    ]
    for name, value in sorted(item.identification.items()):
        predicate = _IDENTIFICATION.get(name)
        literal = identification_value(name, value) if predicate is not None else None
        if predicate is not None and literal is not None:
            triples.append(Triple(subject, predicate, literal))
    if item.parent is not None:
        parent_path = (*prefix, *item.path[:-1])
        triples.append(Triple(subject, vocab.PART_OF_EQUIPMENT, equipment_iri(parent_path)))
    elif prefix:
        triples.append(Triple(subject, vocab.PART_OF_EQUIPMENT, equipment_iri(prefix)))
    return triples


def _sensor(sensor: Sensor, subject: NamedNode, host: NamedNode) -> list[Triple]:
    node = sensor.node
    triples = sensor_declaration(
        node.node_id,
        host,
        property_key(sensor),
        namespace=node.namespace_uri,
        type_name=sensor.type_name,
    )
    if sensor.units is not None:
        unit = qudt_unit_for_id(sensor.units.namespace_uri, sensor.units.unit_id)
        if unit is not None:
            triples.append(Triple(subject, vocab.UNIT_OF_MEASURE, NamedNode(unit)))
    limits = sensor.range
    finite = limits is not None and math.isfinite(limits.low) and math.isfinite(limits.high)
    if limits is not None and finite and limits.low <= limits.high:
        triples.append(Triple(subject, vocab.RANGE_LOW, _double(limits.low)))
        triples.append(Triple(subject, vocab.RANGE_HIGH, _double(limits.high)))
    return triples


def sensor_declaration(
    sensor_id: str,
    host: NamedNode,
    property_name: str,
    *,
    namespace: str | None = None,
    type_name: str | None = None,
) -> list[Triple]:
    """A sensor hosted by equipment and observing one property (not the property itself)."""
    subject = sensor_iri(sensor_id)
    triples = [
        Triple(subject, vocab.RDF_TYPE, vocab.SENSOR),
        Triple(subject, vocab.SENSOR_ID, _text(sensor_id)),
        Triple(subject, vocab.SOSA_IS_HOSTED_BY, host),
        Triple(subject, vocab.SOSA_OBSERVES, property_iri(property_name)),
    ]
    if namespace is not None:
        triples += _opcua_triples(subject, sensor_id, namespace, type_name)
    return triples


def observable_property(name: str) -> list[Triple]:
    subject = property_iri(name)
    return [
        Triple(subject, vocab.RDF_TYPE, vocab.OBSERVABLE_PROPERTY),
        Triple(subject, vocab.RDFS_LABEL, _text(name)),
    ]


def equipment_declaration(path: Sequence[str], label: str | None = None) -> list[Triple]:
    """Minimal equipment, for a watcher whose configured equipment is not in the store yet."""
    subject = equipment_iri(path)
    triples = [
        Triple(subject, vocab.RDF_TYPE, vocab.EQUIPMENT),
        Triple(subject, vocab.EQUIPMENT_ID, _text(path[-1])),
    ]
    if label:
        triples.append(Triple(subject, vocab.RDFS_LABEL, _text(label)))
    return triples


@dataclass(frozen=True)
class SummaryRecord:
    """One window's statistics for one sensor, as the watcher hands them over."""

    sensor_id: str
    property_name: str
    unit: str
    """QUDT unit IRI."""
    window_key: str
    """Second key of the summary IRI: the window start, or the operation IRI."""
    start: datetime
    end: datetime
    count: int
    bad: int
    minimum: float
    maximum: float
    mean: float
    stdev: float
    first: datetime
    last: datetime
    operation: str | None = None


class MalformedSummary(ValueError):
    """A summary the mapping refuses to write (non-finite statistics, reversed window...)."""


def summary_iri(record: SummaryRecord) -> NamedNode:
    return ids.observation_summary(record.sensor_id, record.window_key)


def map_summary(record: SummaryRecord) -> list[Triple]:
    """The ``kgt:ObservationSummary``; raises :class:`MalformedSummary` instead of writing
    statistics that are not finite or a window that ends before it starts."""
    stats = (record.minimum, record.maximum, record.mean, record.stdev)
    if record.count < 1 or not all(math.isfinite(v) for v in stats):
        raise MalformedSummary(f"{record.sensor_id} {record.window_key}: no finite statistics")
    if record.minimum > record.maximum or record.end < record.start or record.last < record.first:
        raise MalformedSummary(f"{record.sensor_id} {record.window_key}: inconsistent window")
    if not record.unit.startswith(vocab.UNIT_NS):
        raise MalformedSummary(f"{record.sensor_id}: {record.unit!r} is not a QUDT unit")
    subject = summary_iri(record)
    triples = [
        Triple(subject, vocab.RDF_TYPE, vocab.OBSERVATION_SUMMARY),
        Triple(subject, vocab.SOSA_MADE_BY_SENSOR, sensor_iri(record.sensor_id)),
        Triple(subject, vocab.SOSA_OBSERVED_PROPERTY, property_iri(record.property_name)),
        Triple(subject, vocab.WINDOW_START, _datetime(record.start)),
        Triple(subject, vocab.WINDOW_END, _datetime(record.end)),
        Triple(subject, vocab.SAMPLE_COUNT, _integer(record.count)),
        Triple(subject, vocab.BAD_COUNT, _integer(record.bad)),
        Triple(subject, vocab.MINIMUM, _double(record.minimum)),
        Triple(subject, vocab.MAXIMUM, _double(record.maximum)),
        Triple(subject, vocab.MEAN, _double(record.mean)),
        Triple(subject, vocab.STANDARD_DEVIATION, _double(record.stdev)),
        Triple(subject, vocab.UNIT_OF_MEASURE, NamedNode(record.unit)),
        Triple(subject, vocab.FIRST_TIMESTAMP, _datetime(record.first)),
        Triple(subject, vocab.LAST_TIMESTAMP, _datetime(record.last)),
    ]
    if record.operation is not None:
        triples.append(Triple(subject, vocab.DURING_OPERATION, NamedNode(record.operation)))
    return triples
