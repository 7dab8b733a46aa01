"""One STEP file to :class:`Extracted` records: the reader keeps only the instances the
product structure, the units and the PMI need, and the extraction reads them."""

from __future__ import annotations

from typing import BinaryIO

from kgthread.errors import StepSyntaxError
from kgthread.ingest.step import pmi
from kgthread.ingest.step.index import Index
from kgthread.ingest.step.part21 import Reader
from kgthread.ingest.step.records import Extracted
from kgthread.ingest.step.structure import STRUCTURE_TYPES, Structure

_UNIT_SUFFIXES = ("_UNIT", "MEASURE_WITH_UNIT")


def wanted(name: str) -> bool:
    """Whether the mapping reads instances of entity ``name`` (all others are only checked)."""
    return name in STRUCTURE_TYPES or name.endswith(_UNIT_SUFFIXES) or pmi.wanted(name)


def extract(
    stream: BinaryIO, name: str, *, strict: bool = True, encoding: str | None = None
) -> tuple[Extracted, int]:
    """The records of one file and how many instances it holds; raises
    :class:`~kgthread.errors.StepSyntaxError` in strict mode (and in either mode for text
    that is not UTF-8, or not in ``encoding`` when the caller names one)."""
    reader = Reader(stream, name, strict=strict, wanted=wanted, encoding=encoding)
    header = reader.read_header()
    index = Index(name, reader.instances())
    structure = Structure(index, header)
    extracted = structure.extract()
    characteristics = pmi.Pmi(index, structure)
    extracted.characteristics = characteristics.extract()
    extracted.problems[:0] = [str(p) for p in reader.problems]
    extracted.problems += characteristics.problems
    if not strict and not extracted.parts and reader.problems:
        first = reader.problems[0]
        raise StepSyntaxError(
            f"{name}: nothing left to ingest: failsafe reading skipped {len(reader.problems)} "
            f"problems (the first: {first}) and no PRODUCT remains",
            file=name,
            line=first.line,
            entity=None if first.entity is None else f"#{first.entity}",
        )
    return extracted, reader.instance_count
