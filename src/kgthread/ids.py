"""IRI minting for every entity kind: the one place identifiers become IRIs.

The thread joins only where two systems mint the same IRI for the same thing, so every
adapter calls these functions and none builds an IRI itself. Keys are normalised (Unicode
NFC, surrounding white space removed) and then percent-encoded byte by byte, leaving only
RFC 3986 unreserved characters, so that ``/``, ``#``, ``>``, quotes, spaces and non-ASCII
text can never change the shape of an IRI or of a query. Minting is injective on
normalised keys and :func:`parse` inverts it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import Enum
from urllib.parse import quote, unquote

from pyoxigraph import NamedNode

from kgthread.errors import IdentifierError

DATA_BASE = "https://w3id.org/kgthread/id/"
MAX_KEY_LENGTH = 512


class Kind(Enum):
    """Entity kinds and the number of source keys that identify one."""

    PART = ("part", 1)
    PART_REVISION = ("revision", 2)
    ASSEMBLY_USAGE = ("usage", 3)
    CHARACTERISTIC = ("characteristic", 3)
    UNIT = ("unit", 2)
    LOT = ("lot", 2)
    SUBLOT = ("sublot", 3)
    CONSUMPTION = ("consumption", 2)
    MATERIAL_ACTUAL = ("materialactual", 2)
    WORK_ORDER = ("workorder", 1)
    OPERATION = ("operation", 2)
    EQUIPMENT = ("equipment", -1)
    SENSOR = ("sensor", 1)
    OBSERVABLE_PROPERTY = ("property", 1)
    OBSERVATION_SUMMARY = ("summary", 2)
    INSPECTION = ("inspection", 1)
    MEASUREMENT = ("measurement", 2)
    NONCONFORMANCE = ("nonconformance", 1)
    CHANGE = ("change", 1)
    SUPPLIER = ("supplier", 1)
    CUSTOMER = ("customer", 1)
    SHIPMENT = ("shipment", 1)
    BATCH = ("batch", 1)
    GRAPH = ("graph", 1)
    SOURCE = ("source", 1)
    DOCUMENT = ("document", 2)
    ADAPTER = ("adapter", 1)
    AGENT = ("agent", 1)

    @property
    def segment(self) -> str:
        return self.value[0]

    @property
    def arity(self) -> int:
        """Number of keys; -1 means a path of one or more keys (equipment hierarchy)."""
        return self.value[1]


_BY_SEGMENT = {kind.segment: kind for kind in Kind}


def normalise_key(key: str) -> str:
    """The canonical form of a source key: NFC, surrounding white space removed."""
    if not isinstance(key, str):
        raise IdentifierError(f"identifier must be text, got {type(key).__name__}")
    text = unicodedata.normalize("NFC", key).strip()
    if not text:
        raise IdentifierError("identifier is empty")
    if len(text) > MAX_KEY_LENGTH:
        raise IdentifierError(f"identifier longer than {MAX_KEY_LENGTH} characters")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise IdentifierError(f"identifier contains a control character: {text!r}")
    return text


def _encode(key: str) -> str:
    return quote(normalise_key(key), safe="", encoding="utf-8", errors="strict")


def mint(kind: Kind, *keys: str) -> NamedNode:
    """The IRI of the entity of ``kind`` identified by ``keys``."""
    if kind.arity >= 0 and len(keys) != kind.arity:
        raise IdentifierError(f"{kind.segment} takes {kind.arity} key(s), got {len(keys)}")
    if not keys:
        raise IdentifierError(f"{kind.segment} needs at least one key")
    return NamedNode(DATA_BASE + kind.segment + "/" + "/".join(_encode(k) for k in keys))


@dataclass(frozen=True)
class ParsedIri:
    kind: Kind
    keys: tuple[str, ...]


def parse(iri: str | NamedNode) -> ParsedIri:
    """Invert :func:`mint`; raises :class:`IdentifierError` for IRIs this module did not mint."""
    value = iri.value if isinstance(iri, NamedNode) else iri
    if not value.startswith(DATA_BASE):
        raise IdentifierError(f"not a kgthread identifier: {value!r}")
    segment, _, rest = value[len(DATA_BASE) :].partition("/")
    kind = _BY_SEGMENT.get(segment)
    if kind is None or not rest:
        raise IdentifierError(f"unknown identifier kind in {value!r}")
    keys = tuple(unquote(part, encoding="utf-8", errors="strict") for part in rest.split("/"))
    if kind.arity >= 0 and len(keys) != kind.arity:
        raise IdentifierError(
            f"{value!r} has {len(keys)} key(s), {kind.segment} takes {kind.arity}"
        )
    if mint(kind, *keys).value != value:
        raise IdentifierError(f"not in canonical form: {value!r}")
    return ParsedIri(kind, keys)


# Convenience minters: one per entity kind, named for what callers have in hand.


def part(part_number: str) -> NamedNode:
    return mint(Kind.PART, part_number)


def part_revision(part_number: str, revision: str) -> NamedNode:
    return mint(Kind.PART_REVISION, part_number, revision)


def assembly_usage(parent_part: str, parent_revision: str, usage_id: str) -> NamedNode:
    return mint(Kind.ASSEMBLY_USAGE, parent_part, parent_revision, usage_id)


def characteristic(part_number: str, revision: str, characteristic_id: str) -> NamedNode:
    return mint(Kind.CHARACTERISTIC, part_number, revision, characteristic_id)


def unit(part_number: str, serial: str) -> NamedNode:
    """A serialized unit: serial numbers are unique only within a part number."""
    return mint(Kind.UNIT, part_number, serial)


def lot(part_number: str, lot_id: str) -> NamedNode:
    """A material lot: lot ids are unique only within a material (part) number."""
    return mint(Kind.LOT, part_number, lot_id)


def sublot(part_number: str, lot_id: str, sublot_id: str) -> NamedNode:
    return mint(Kind.SUBLOT, part_number, lot_id, sublot_id)


def consumption(parent: NamedNode, child: NamedNode) -> NamedNode:
    """One consumption event: the parent unit's IRI and the consumed unit's or lot's IRI."""
    return mint(Kind.CONSUMPTION, parent.value, child.value)


def material_actual(operation_iri: NamedNode, position: str) -> NamedNode:
    """An ISA-95 material actual: the operation's IRI and its position in the segment response
    (B2MML gives material actuals no identifier of their own)."""
    return mint(Kind.MATERIAL_ACTUAL, operation_iri.value, position)


def work_order(work_order_id: str) -> NamedNode:
    return mint(Kind.WORK_ORDER, work_order_id)


def operation(work_order_id: str, operation_id: str) -> NamedNode:
    return mint(Kind.OPERATION, work_order_id, operation_id)


def equipment(*path: str) -> NamedNode:
    """Equipment by its ISA-95 path: site, area, work centre, work unit (as deep as known)."""
    return mint(Kind.EQUIPMENT, *path)


def sensor(sensor_id: str) -> NamedNode:
    return mint(Kind.SENSOR, sensor_id)


def observable_property(name: str) -> NamedNode:
    return mint(Kind.OBSERVABLE_PROPERTY, name)


def observation_summary(sensor_id: str, window_start: str) -> NamedNode:
    return mint(Kind.OBSERVATION_SUMMARY, sensor_id, window_start)


def inspection(inspection_id: str) -> NamedNode:
    return mint(Kind.INSPECTION, inspection_id)


def measurement(inspection_id: str, characteristic_key: str) -> NamedNode:
    return mint(Kind.MEASUREMENT, inspection_id, characteristic_key)


def nonconformance(ncr_id: str) -> NamedNode:
    return mint(Kind.NONCONFORMANCE, ncr_id)


def change(change_id: str) -> NamedNode:
    return mint(Kind.CHANGE, change_id)


def supplier(name: str) -> NamedNode:
    return mint(Kind.SUPPLIER, name)


def customer(name: str) -> NamedNode:
    return mint(Kind.CUSTOMER, name)


def shipment(shipment_id: str) -> NamedNode:
    return mint(Kind.SHIPMENT, shipment_id)


def batch(batch_id: str) -> NamedNode:
    return mint(Kind.BATCH, batch_id)


def batch_graph(batch_id: str) -> NamedNode:
    """The named graph a batch's quads land in."""
    return mint(Kind.GRAPH, batch_id)


def source_document(sha256: str) -> NamedNode:
    return mint(Kind.SOURCE, sha256)


def document(system: str, identity: str) -> NamedNode:
    """A source document across its versions: the system that sends it and the identity
    that survives a re-export (a STEP assembly's root products, a B2MML document ID)."""
    return mint(Kind.DOCUMENT, system, identity)


def adapter(name: str) -> NamedNode:
    return mint(Kind.ADAPTER, name)


def agent(name: str) -> NamedNode:
    """The person or system on whose behalf a batch was ingested."""
    return mint(Kind.AGENT, name)
