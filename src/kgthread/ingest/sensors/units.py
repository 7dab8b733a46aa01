"""UNECE Rec. 20 unit codes to QUDT unit IRIs, derived from the QUDT vocabulary itself.

OPC UA carries a unit as EUInformation.UnitId: the UNECE common code with its characters
packed into an Int32 ("MMT" -> 0x4D4D54). QUDT states the same code on each unit as
``qudt:uneceCommonCode``, so the mapping is a look-up in the vocabulary, never a hand-written
table. The table ships with the package (``unece_qudt.csv``, read with importlib.resources:
nothing outside the installed package is read at run time); it is generated from the
vocabulary by ``python -m kgthread.ingest.sensors.units VOCAB_QUDT-UNITS-ALL.ttl``, and a test
checks it equals what the vocabulary says. Where QUDT gives one code to several units (ONE
and UNITLESS for C62), the choice is deterministic: not deprecated first, then the shortest
IRI.
"""

from __future__ import annotations

import csv
import io
import sys
from functools import cache
from importlib import resources
from pathlib import Path

from pyoxigraph import RdfFormat, parse

UNECE_NAMESPACE = "http://www.opcfoundation.org/UA/units/un/cefact"
QUDT_UNITS_FILE = Path("ontologies") / "qudt" / "VOCAB_QUDT-UNITS-ALL.ttl"
TABLE = "unece_qudt.csv"
_UNIT_NS = "http://qudt.org/vocab/unit/"
_UNECE_CODE = "http://qudt.org/schema/qudt/uneceCommonCode"
_DEPRECATED = "http://qudt.org/schema/qudt/deprecated"


def unit_id_to_code(unit_id: int) -> str:
    """The UNECE code packed in an EUInformation.UnitId (big-endian ASCII, no padding)."""
    if unit_id <= 0 or unit_id >= 1 << 32:
        raise ValueError(f"UnitId {unit_id} is not a packed UNECE code")
    text = unit_id.to_bytes(4, "big").lstrip(b"\x00").decode("latin-1")
    if not (text.isascii() and text.isalnum()):
        raise ValueError(f"UnitId {unit_id} is not a packed UNECE code")
    return text


def code_to_unit_id(code: str) -> int:
    """The EUInformation.UnitId for a UNECE code (the inverse of :func:`unit_id_to_code`)."""
    return int.from_bytes(code.encode("ascii"), "big")


def derive_table(vocabulary: Path) -> dict[str, str]:
    """UNECE code -> QUDT unit IRI, read from the vocabulary's ``qudt:uneceCommonCode``."""
    candidates: dict[str, list[str]] = {}
    deprecated: set[str] = set()
    with vocabulary.open("rb") as handle:
        for quad in parse(handle, format=RdfFormat.TURTLE):
            predicate = quad.predicate.value
            if predicate == _UNECE_CODE:
                candidates.setdefault(quad.object.value.strip(), []).append(quad.subject.value)
            elif predicate == _DEPRECATED and quad.object.value == "true":
                deprecated.add(quad.subject.value)
    return {
        code: min(units, key=lambda iri: (iri in deprecated, len(iri), iri))
        for code, units in candidates.items()
    }


@cache
def unece_table() -> dict[str, str]:
    """UNECE code -> QUDT unit IRI, as shipped with the package."""
    text = resources.files(__package__ or "kgthread.ingest.sensors").joinpath(TABLE)
    rows = csv.reader(io.StringIO(text.read_text(encoding="utf-8")))
    next(rows)  # header
    return {code: _UNIT_NS + local for code, local in rows}


def write_table(table: dict[str, str]) -> str:
    """The CSV text of ``table`` (code, QUDT local name), sorted by code."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["unece_code", "qudt_unit"])
    for code in sorted(table):
        iri = table[code]
        if not iri.startswith(_UNIT_NS):
            raise ValueError(f"{code}: {iri} is not a QUDT unit IRI")
        writer.writerow([code, iri[len(_UNIT_NS) :]])
    return buffer.getvalue()


def qudt_unit(code: str) -> str | None:
    """The QUDT unit IRI for a UNECE common code, or None when QUDT has no unit with it."""
    return unece_table().get(code.strip())


def qudt_unit_for_id(namespace_uri: str | None, unit_id: int) -> str | None:
    """The QUDT unit for an EUInformation, or None for other unit namespaces or codes."""
    if namespace_uri and namespace_uri.rstrip("/") != UNECE_NAMESPACE:
        return None
    try:
        return qudt_unit(unit_id_to_code(unit_id))
    except ValueError:
        return None


def main(argv: list[str] | None = None) -> int:
    """Regenerate the packaged table from a QUDT units vocabulary file."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m kgthread.ingest.sensors.units VOCAB_QUDT-UNITS-ALL.ttl")
        return 2
    target = Path(__file__).with_name(TABLE)
    target.write_text(write_table(derive_table(Path(args[0]))), encoding="utf-8")
    print(f"{target}: written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
