"""Extracted STEP records to kgthread triples: it knows the ontology, not the file format.

Several files ingested together become one graph: a part is one node however many files
name it (its IRI is its part number, through the crosswalk), its label and description come
from the first file that gives them, and usages join parents in one file to children
defined in another. A formation without an id gets the revision code ``-``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from pyoxigraph import Literal, NamedNode, Triple

from kgthread import ids, vocab
from kgthread.ingest.batch import Source
from kgthread.ingest.step import crosswalk
from kgthread.ingest.step.records import Extracted, Location, Unit

NO_REVISION = "-"
"""The revision code of a PRODUCT_DEFINITION_FORMATION whose id is blank."""

QUDT_UNITS: dict[tuple[str, str], str] = {
    ("", "METRE"): "M",
    ("MILLI", "METRE"): "MilliM",
    ("CENTI", "METRE"): "CentiM",
    ("DECI", "METRE"): "DeciM",
    ("MICRO", "METRE"): "MicroM",
    ("NANO", "METRE"): "NanoM",
    ("KILO", "METRE"): "KiloM",
    ("", "INCH"): "IN",
    ("", "FOOT"): "FT",
    ("", "RADIAN"): "RAD",
    ("MILLI", "RADIAN"): "MilliRAD",
    ("", "DEGREE"): "DEG",
    ("", "DEGREES"): "DEG",
}


@dataclass
class Mapped:
    """The triples of a batch, where each mapped node came from, and what was left out."""

    triples: list[Triple] = field(default_factory=list)
    locations: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def qudt_unit(unit: Unit) -> NamedNode | None:
    code = QUDT_UNITS.get((unit.prefix, unit.name))
    return vocab.unit(code) if code else None


def _string(value: str) -> Literal:
    return Literal(value)


def _decimal(value: Decimal) -> Literal:
    text = format(value.normalize(), "f")
    return Literal(text, datatype=vocab.XSD_DECIMAL)


class _Builder:
    def __init__(self, table: Mapping[str, str]) -> None:
        self.table = table
        self.out = Mapped()
        self.seen: set[Triple] = set()
        self.labelled: set[tuple[NamedNode, NamedNode]] = set()

    def add(self, subject: NamedNode, predicate: NamedNode, obj: NamedNode | Literal) -> None:
        triple = Triple(subject, predicate, obj)
        if triple not in self.seen:
            self.seen.add(triple)
            self.out.triples.append(triple)

    def add_once(self, subject: NamedNode, predicate: NamedNode, obj: Literal) -> None:
        """A functional value: the first file that gives one wins."""
        if (subject, predicate) not in self.labelled:
            self.labelled.add((subject, predicate))
            self.add(subject, predicate, obj)

    def locate(self, node: NamedNode, where: Location) -> None:
        self.out.locations.setdefault(str(node), str(where))
        self.add(node, vocab.SOURCE_LOCATION, _string(str(where)))

    def number(self, cad_id: str) -> str:
        return crosswalk.apply(self.table, cad_id)

    def revision(self, cad_id: str, code: str) -> tuple[NamedNode, str, str]:
        number, code = self.number(cad_id), code.strip() or NO_REVISION
        return ids.part_revision(number, code), number, code


def map_files(
    files: Sequence[tuple[Extracted, Source]], table: Mapping[str, str] | None = None
) -> Mapped:
    """The batch triples for files read together, each with its source (name and digest)
    so its header lands on that file's source document."""
    builder = _Builder(table or {})
    for extracted, _ in files:
        _parts(builder, extracted)
    cyclic = _cycles(builder, files)
    for extracted, source in files:
        _usages(builder, extracted, cyclic)
        _characteristics(builder, extracted)
        _header(builder, extracted, source)
    return builder.out


def _parts(builder: _Builder, extracted: Extracted) -> None:
    for part in extracted.parts:
        number = builder.number(part.number)
        node = ids.part(number)
        builder.add(node, vocab.RDF_TYPE, vocab.PART)
        builder.add(node, vocab.PART_NUMBER, _string(number))
        if part.name:
            builder.add_once(node, vocab.RDFS_LABEL, _string(part.name))
        if part.description:
            builder.add_once(node, vocab.DESCRIPTION, _string(part.description))
        builder.locate(node, part.where)
    for revision in extracted.revisions:
        node, number, code = builder.revision(revision.part, revision.code)
        builder.add(node, vocab.RDF_TYPE, vocab.PART_REVISION)
        builder.add(node, vocab.REVISION_OF, ids.part(number))
        builder.add(node, vocab.REVISION_CODE, _string(code))
        builder.locate(node, revision.where)


def _cycles(builder: _Builder, files: Sequence[tuple[Extracted, Source]]) -> set[tuple[str, int]]:
    """The usages (file, #id) that would close a cycle once part numbers are joined across
    the files and through the crosswalk: a part cannot contain itself, and a BOM explosion
    over a cycle never ends. Each is left out and reported; the first usages in file order
    stay."""
    children: dict[str, set[str]] = {}
    cyclic: set[tuple[str, int]] = set()

    def reaches(start: str, goal: str) -> bool:
        stack, seen = [start], {start}
        while stack:
            node = stack.pop()
            if node == goal:
                return True
            for child in children.get(node, ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return False

    for extracted, _ in files:
        for usage in extracted.usages:
            parent, child = builder.number(usage.parent), builder.number(usage.child)
            if child in children.get(parent, ()):
                continue
            if reaches(child, parent):
                cyclic.add((usage.where.file, usage.where.entity))
                builder.out.problems.append(
                    f"{usage.where}: the usage of {child!r} in {parent!r} would make "
                    f"{parent!r} contain itself and is left out"
                )
                continue
            children.setdefault(parent, set()).add(child)
    return cyclic


def _usages(builder: _Builder, extracted: Extracted, cyclic: set[tuple[str, int]]) -> None:
    for usage in extracted.usages:
        if (usage.where.file, usage.where.entity) in cyclic:
            continue
        parent, number, code = builder.revision(usage.parent, usage.parent_code)
        node = ids.assembly_usage(number, code, usage.key)
        builder.add(node, vocab.RDF_TYPE, vocab.ASSEMBLY_USAGE)
        builder.add(node, vocab.USAGE_PARENT, parent)
        builder.add(node, vocab.USAGE_CHILD, ids.part(builder.number(usage.child)))
        builder.add_once(node, vocab.QUANTITY, _decimal(usage.quantity))
        if usage.designator:
            builder.add_once(node, vocab.REFERENCE_DESIGNATOR, _string(usage.designator))
        builder.locate(node, usage.where)


def _characteristics(builder: _Builder, extracted: Extracted) -> None:
    for item in extracted.characteristics:
        unit = qudt_unit(item.unit) if item.unit else None
        if unit is None:
            builder.out.problems.append(
                f"{item.where}: {item.kind} in a unit kgthread does not know "
                f"({item.unit}) is left out"
            )
            continue
        revision, number, code = builder.revision(item.part, item.code)
        node = ids.characteristic(number, code, item.key)
        builder.add(node, vocab.RDF_TYPE, vocab.CHARACTERISTIC)
        builder.add(node, vocab.CHARACTERISTIC_OF, revision)
        builder.add_once(node, vocab.CHARACTERISTIC_KIND, _string(item.kind))
        builder.add(node, vocab.UNIT_OF_MEASURE, unit)
        for predicate, value in (
            (vocab.NOMINAL_VALUE, item.nominal),
            (vocab.LOWER_LIMIT, item.lower),
            (vocab.UPPER_LIMIT, item.upper),
        ):
            if value is not None:
                builder.add_once(node, predicate, _decimal(value))
        for datum in item.datums:
            builder.add(node, vocab.DATUM_REFERENCE, _string(datum))
        builder.locate(node, item.where)


def _header(builder: _Builder, extracted: Extracted, file: Source) -> None:
    """The file's header on its source document: who wrote it, with what, and when. The
    document is typed here too, so the gate checks these values against its shape."""
    header = extracted.header
    source = ids.source_document(file.sha256)
    builder.add(source, vocab.RDF_TYPE, vocab.SOURCE_DOCUMENT)
    builder.add(source, vocab.SHA256, _string(file.sha256))
    if file.name:
        builder.add(source, vocab.SOURCE_FILE_NAME, _string(file.name))
    if header.originating_system.strip():
        builder.add(source, vocab.ORIGINATING_SYSTEM, _string(header.originating_system.strip()))
    for organization in _meaningful(header.organizations):
        builder.add(source, vocab.AUTHORING_ORGANIZATION, _string(organization))
    for author in _meaningful(header.authors):
        builder.add(source, vocab.AUTHOR, _string(author))
    if header.schema is not None:
        builder.add(source, vocab.APPLICATION_PROTOCOL, _string(header.schema.label))
    stamp = _timestamp(header.time_stamp)
    if stamp is not None:
        builder.add(source, vocab.PROV_GENERATED_AT, stamp)


def _meaningful(values: Iterable[str]) -> list[str]:
    """Header values that say something: CAD systems write 'none', 'Unknown' or blanks."""
    placeholders = {"", "none", "unknown", "n/a", "-"}
    return [v.strip() for v in values if v.strip().lower() not in placeholders]


def _timestamp(value: str) -> Literal | None:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return Literal(moment.isoformat(), datatype=vocab.XSD_DATETIME)
