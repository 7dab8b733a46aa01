"""The CAD-to-MES part number crosswalk: a CSV file with the columns ``cad_id,part_number``.

Where a site's CAD system numbers parts differently from its MES, the crosswalk says which
MES part number a STEP PRODUCT id stands for, so both mint the same Part IRI. Ids not
listed keep their STEP id. A CAD id listed twice with different numbers is refused: the
thread would silently join the wrong parts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path

from kgthread.errors import BadRequest

COLUMNS = ("cad_id", "part_number")


def load(path: Path) -> dict[str, str]:
    """The crosswalk in ``path``; :class:`BadRequest` names the file and row of a problem."""
    try:
        content = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BadRequest(f"crosswalk {path}: {exc.strerror or exc}", file=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise BadRequest(f"crosswalk {path}: not UTF-8 text", file=str(path)) from exc
    return parse(content, path.name)


def parse(content: str, name: str) -> dict[str, str]:
    reader = csv.DictReader(io.StringIO(content))
    fields = tuple(f.strip() for f in reader.fieldnames or ())
    if not set(COLUMNS) <= set(fields):
        raise BadRequest(
            f"crosswalk {name}: the header must name the columns {', '.join(COLUMNS)} "
            f"(found {', '.join(fields) or 'none'})",
            file=name,
        )
    reader.fieldnames = list(fields)
    table: dict[str, str] = {}
    for row in reader:
        cad = (row.get("cad_id") or "").strip()
        number = (row.get("part_number") or "").strip()
        if not cad and not number:
            continue
        line = reader.line_num
        if not cad or not number:
            raise BadRequest(f"crosswalk {name} line {line}: both columns are required", file=name)
        if table.get(cad, number) != number:
            raise BadRequest(
                f"crosswalk {name} line {line}: {cad!r} maps to both {table[cad]!r} and {number!r}",
                file=name,
                line=line,
            )
        table[cad] = number
    return table


def apply(table: Mapping[str, str], cad_id: str) -> str:
    return table.get(cad_id.strip(), cad_id.strip())
