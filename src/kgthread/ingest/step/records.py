"""What the extraction finds in a STEP file, in the file's own terms and no RDF.

These records are the hand-over between the STEP side (which knows entity names and
attribute positions) and the mapping (which knows the ontology). Each keeps where it came
from, so a gate report can cite ``file.stp line N #id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from kgthread.ingest.step.values import Header


@dataclass(frozen=True, slots=True)
class Location:
    file: str
    line: int
    entity: int

    def __str__(self) -> str:
        return f"{self.file} line {self.line} #{self.entity}"


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit as STEP names it: an SI unit with its prefix, or a conversion-based unit."""

    name: str
    """``METRE``, ``RADIAN`` (SI) or the conversion-based name, ``INCH``, ``DEGREE``."""
    prefix: str = ""
    """``MILLI``, ``MICRO``, ... for SI units."""


@dataclass(frozen=True, slots=True)
class Measure:
    value: Decimal
    unit: Unit | None


@dataclass(frozen=True, slots=True)
class PartRecord:
    """A PRODUCT: ``number`` is its id, the part number."""

    number: str
    name: str
    description: str
    where: Location


@dataclass(frozen=True, slots=True)
class RevisionRecord:
    """A PRODUCT_DEFINITION_FORMATION; ``code`` is its id, possibly blank."""

    part: str
    code: str
    where: Location


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One NEXT_ASSEMBLY_USAGE_OCCURRENCE (or quantified usage) of ``child`` in ``parent``."""

    parent: str
    parent_code: str
    child: str
    key: str
    """The occurrence's id (or name, or a counter where the file gives none), unique per parent."""
    designator: str
    quantity: Decimal
    where: Location


@dataclass(frozen=True, slots=True)
class CharacteristicRecord:
    """A dimension or geometric tolerance of a part (semantic PMI)."""

    part: str
    code: str
    key: str
    kind: str
    nominal: Decimal | None
    lower: Decimal | None
    upper: Decimal | None
    unit: Unit | None
    datums: tuple[str, ...]
    where: Location


@dataclass(frozen=True, slots=True)
class ExternalReference:
    """A product definition whose shape lives in another file (APPLIED_DOCUMENT_REFERENCE)."""

    part: str
    file_name: str
    where: Location


@dataclass
class Extracted:
    """Everything mapped from one file."""

    file: str
    header: Header
    parts: list[PartRecord] = field(default_factory=list)
    revisions: list[RevisionRecord] = field(default_factory=list)
    usages: list[UsageRecord] = field(default_factory=list)
    characteristics: list[CharacteristicRecord] = field(default_factory=list)
    external: list[ExternalReference] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """What could not be mapped as written: left out, or read by a documented convention
    (a blank or repeated PRODUCT id); never silent."""
