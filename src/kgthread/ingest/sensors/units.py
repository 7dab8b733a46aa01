"""UNECE Rec. 20 unit codes to QUDT unit IRIs, derived from the QUDT vocabulary itself.

OPC UA carries a unit as EUInformation.UnitId: the UNECE common code with its characters
packed into an Int32 ("MMT" -> 0x4D4D54). QUDT states the same code on each unit as
``qudt:uneceCommonCode``, so the mapping is a look-up in the vocabulary, never a hand-written
table. The derived table is cached as JSON keyed by the vocabulary's digest, so a changed
vocabulary rebuilds it. Where QUDT gives one code to several units (ONE and UNITLESS for
C62), the choice is deterministic: not deprecated first, then the shortest IRI.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import cache
from pathlib import Path

from pyoxigraph import RdfFormat, parse

from kgthread import assets

UNECE_NAMESPACE = "http://www.opcfoundation.org/UA/units/un/cefact"
QUDT_UNITS_FILE = Path("ontologies") / "qudt" / "VOCAB_QUDT-UNITS-ALL.ttl"
_UNECE_CODE = "http://qudt.org/schema/qudt/uneceCommonCode"
_DEPRECATED = "http://qudt.org/schema/qudt/deprecated"
_TABLE_VERSION = "1"


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


def qudt_units_file() -> Path:
    return assets.shared_data_dir() / QUDT_UNITS_FILE


def _cache_dir() -> Path:
    override = os.environ.get("KGTHREAD_CACHE")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kgthread"


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
def unece_table(vocabulary: Path | None = None) -> dict[str, str]:
    """The cached table for ``vocabulary`` (default: the shared QUDT units file)."""
    source = vocabulary or qudt_units_file()
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    cached = _cache_dir() / f"unece-qudt-{_TABLE_VERSION}-{digest}.json"
    try:
        loaded = json.loads(cached.read_text(encoding="utf-8"))
        if isinstance(loaded, dict):
            return {str(k): str(v) for k, v in loaded.items()}
    except (OSError, ValueError):
        pass
    table = derive_table(source)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=cached.parent, delete=False, suffix=".tmp", encoding="utf-8"
        ) as out:
            json.dump(table, out, sort_keys=True)
        os.replace(out.name, cached)
    except OSError:
        pass  # a read-only home still gets the table, just not the cache
    return table


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
