"""Tabular MES exports: CSV and JSON Lines, one record type per file (docs/mes-tables.md).

Columns are named, not positional, so exports may add columns of their own (ignored) and order
them freely; a missing required column is refused at the header. Text must be UTF-8 (a BOM is
fine) or UTF-16 with a BOM; anything else is refused with the line of the first bad byte,
unless the caller names the encoding. Rows stream: a million-line file is never held whole.
Structural limits (:data:`MAX_LINE`, :data:`MAX_FIELD`, :data:`MAX_COLUMNS`, JSON nesting) keep
a hostile file from holding the memory or the stack; each refusal names the file and line.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import BinaryIO

from kgthread.errors import MesInputError
from kgthread.ingest.mes import records as r

Row = Mapping[str, str | None]

MAX_LINE = 1 << 20
"""Bytes in one physical line (a whole JSON Lines record); a longer line is refused unread."""
MAX_FIELD = 64 << 10
"""Characters in one value."""
MAX_COLUMNS = 1000
"""Columns in a CSV header, keys in a JSON Lines record."""


def _pairs(text: str | None) -> tuple[tuple[str, str], ...]:
    """``P-100/A;P-200/B``: part revisions, the revision after the last slash."""
    found = []
    for item in _list(text):
        part, sep, code = item.rpartition("/")
        if not sep or not part or not code:
            raise ValueError(f"{item!r} is not PART/REVISION")
        found.append((part.strip(), code.strip()))
    return tuple(found)


def _list(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(";") if item.strip()]


def _q(row: Row, value: str, unit: str) -> r.Quantity:
    return r.Quantity(row[value] or "", row.get(unit) or "")


Builder = Callable[[str, Row], r.Record]

SCHEMAS: dict[str, tuple[tuple[str, ...], tuple[str, ...], Builder]] = {
    # kind: (required columns, optional columns, builder)
    "work-orders": (
        ("work_order", "part_number", "quantity"),
        ("revision", "status"),
        lambda w, row: r.WorkOrder(
            w,
            row["work_order"] or "",
            r.Quantity(row["quantity"] or "", "NUM"),
            row.get("status"),
            row["part_number"],
            row.get("revision"),
        ),
    ),
    "operations": (
        ("work_order", "operation"),
        ("equipment", "start", "end"),
        lambda w, row: r.Operation(
            w,
            row["operation"] or "",
            work_order=row["work_order"],
            equipment=tuple(_list(row.get("equipment"))),
            start=row.get("start"),
            end=row.get("end"),
        ),
    ),
    "genealogy": (
        ("parent_part", "parent_revision", "parent_serial", "child_part", "quantity", "unit"),
        ("child_serial", "child_lot", "child_revision", "work_order", "operation", "time"),
        lambda w, row: r.Genealogy(
            w,
            row["parent_part"] or "",
            row["parent_revision"] or "",
            row["parent_serial"] or "",
            row["child_part"] or "",
            _q(row, "quantity", "unit"),
            row.get("child_serial"),
            row.get("child_lot"),
            row.get("child_revision"),
            row.get("work_order"),
            row.get("operation"),
            row.get("time"),
        ),
    ),
    "inspections": (
        ("inspection", "part_number", "revision", "serial", "characteristic", "value", "unit"),
        (
            "time",
            "lower_limit",
            "upper_limit",
            "limit_unit",
            "result",
            "work_order",
            "operation",
            "ncr",
        ),
        lambda w, row: r.Inspection(
            w,
            row["inspection"] or "",
            row["part_number"] or "",
            row["revision"] or "",
            row["serial"] or "",
            row["characteristic"] or "",
            _q(row, "value", "unit"),
            row.get("time") or "",
            row.get("lower_limit"),
            row.get("upper_limit"),
            row.get("limit_unit"),
            row.get("result"),
            row.get("work_order"),
            row.get("operation"),
            row.get("ncr"),
        ),
    ),
    "nonconformances": (
        ("ncr", "part_number", "serial", "disposition"),
        ("inspection", "characteristic"),
        lambda w, row: r.Nonconformance(
            w,
            row["ncr"] or "",
            row["part_number"] or "",
            row["serial"] or "",
            row["disposition"] or "",
            row.get("inspection"),
            row.get("characteristic"),
        ),
    ),
    "changes": (
        ("change", "status", "affected"),
        ("superseded_by", "work_orders", "effective_from"),
        lambda w, row: r.Change(
            w,
            row["change"] or "",
            row["status"] or "",
            _pairs(row["affected"]),
            _pairs(row.get("superseded_by")),
            tuple(_list(row.get("work_orders"))),
            row.get("effective_from"),
        ),
    ),
    "shipments": (
        ("shipment", "part_number", "serial", "customer", "date"),
        (),
        lambda w, row: r.Shipment(
            w,
            row["shipment"] or "",
            row["part_number"] or "",
            row["serial"] or "",
            row["customer"] or "",
            row["date"] or "",
        ),
    ),
}


def kind_of(kind: str | None, name: str) -> str:
    """The record type: given, or the file's stem when that names one."""
    stem = name.rsplit("/", 1)[-1].split(".", 1)[0]
    for candidate in (kind, stem):
        key = (candidate or "").strip().lower().replace("_", "-")
        if key in SCHEMAS:
            return key
    raise MesInputError(
        f"{name}: say which record type the file holds (--kind / ?kind=): "
        f"one of {', '.join(sorted(SCHEMAS))}",
        file=name,
    )


def read(
    source: BinaryIO,
    name: str,
    kind: str,
    encoding: str | None = None,
    on_error: Callable[[MesInputError], None] | None = None,
) -> Iterator[r.Record]:
    """The records of one CSV (``.csv``) or JSON Lines (``.jsonl``, ``.ndjson``) file."""
    required, optional, build = SCHEMAS[kind]
    lines = _decoded_lines(source, name, encoding)
    rows = _json_rows(lines, name) if name.lower().endswith((".jsonl", ".ndjson")) else None
    if rows is None:
        rows = _csv_rows(lines, name, required)
    known = set(required) | set(optional)
    for line, row in rows:
        where = f"{name}:line {line}"
        try:
            missing = [c for c in required if not (row.get(c) or "").strip()]
            if missing:
                raise ValueError(f"missing {', '.join(missing)}")
            clean = {k: (v.strip() or None) if v else None for k, v in row.items() if k in known}
            record = build(where, clean)
        except ValueError as exc:
            error = MesInputError(f"{where}: {exc}", file=name, location=f"line {line}")
            if on_error is None:
                raise error from exc
            on_error(error)
            continue
        yield record


def _decoded_lines(source: BinaryIO, name: str, encoding: str | None) -> Iterator[str]:
    head = source.read(4)
    source.seek(0)
    if encoding is None and head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    if encoding is not None:
        try:
            wrapper = io.TextIOWrapper(source, encoding=encoding, newline="")
        except LookupError as exc:
            raise MesInputError(f"{name}: unknown encoding {encoding!r}", file=name) from exc
        try:
            for number, text in enumerate(iter(lambda: wrapper.readline(MAX_LINE + 1), ""), 1):
                _check_length(len(text) > MAX_LINE, text, name, number)
                yield text
        except UnicodeDecodeError as exc:
            raise MesInputError(f"{name}: cannot decode as {encoding}: {exc}", file=name) from exc
        finally:
            wrapper.detach()  # the caller owns the binary stream
        return
    for number, raw in enumerate(iter(lambda: source.readline(MAX_LINE + 1), b""), 1):
        _check_length(len(raw) > MAX_LINE, raw, name, number)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MesInputError(
                f"{name}: line {number}: not UTF-8 (byte 0x{raw[exc.start]:02X} at column "
                f"{exc.start + 1}); re-export as UTF-8 or name the encoding "
                "(--option encoding=latin-1)",
                file=name,
                location=f"line {number}",
            ) from exc
        yield text.removeprefix("\ufeff") if number == 1 else text


def _check_length(too_long: bool, line: str | bytes, name: str, number: int) -> None:
    ended = line.endswith("\n") if isinstance(line, str) else line.endswith(b"\n")
    if too_long and not ended:
        raise MesInputError(
            f"{name}: line {number}: longer than {MAX_LINE} bytes",
            file=name,
            location=f"line {number}",
        )


def _check_row(row: Row, name: str, number: int) -> None:
    """One record within the column and value limits (one C-speed pass when it is)."""
    too_many = len(row) > MAX_COLUMNS
    if not too_many and max(map(len, filter(None, row.values())), default=0) <= MAX_FIELD:
        return
    long = next((k for k, v in row.items() if isinstance(v, str) and len(v) > MAX_FIELD), None)
    if too_many or long is None:  # a CSV row's surplus fields come as one long list
        raise MesInputError(
            f"{name}: line {number}: more than {MAX_COLUMNS} columns",
            file=name,
            location=f"line {number}",
        )
    raise MesInputError(
        f"{name}: line {number}: field {long!r} longer than {MAX_FIELD} characters",
        file=name,
        location=f"line {number}",
        field=long,
    )


def _csv_rows(
    lines: Iterable[str], name: str, required: tuple[str, ...]
) -> Iterator[tuple[int, Row]]:
    reader = csv.DictReader(lines)
    try:
        header = reader.fieldnames or []
        if len(header) > MAX_COLUMNS:
            raise MesInputError(
                f"{name}: line 1: more than {MAX_COLUMNS} columns",
                file=name,
                location="line 1",
            )
        missing = [c for c in required if c not in header]
        if missing:
            raise MesInputError(
                f"{name}: line 1: missing column(s) {', '.join(missing)} (header: "
                f"{', '.join(header) or 'empty'})",
                file=name,
                location="line 1",
            )
        for row in reader:
            _check_row(row, name, reader.line_num)
            yield reader.line_num, row
    except csv.Error as exc:
        raise MesInputError(
            f"{name}: line {reader.line_num}: {exc}", file=name, location=f"line {reader.line_num}"
        ) from exc


def _json_rows(lines: Iterable[str], name: str) -> Iterator[tuple[int, Row]]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line, parse_float=str, parse_int=str)
        except json.JSONDecodeError as exc:
            raise MesInputError(
                f"{name}: line {number}: not JSON: {exc.msg}", file=name, location=f"line {number}"
            ) from exc
        except RecursionError as exc:
            raise MesInputError(
                f"{name}: line {number}: JSON nested too deeply (a record is one flat object)",
                file=name,
                location=f"line {number}",
            ) from exc
        if not isinstance(value, dict):
            raise MesInputError(
                f"{name}: line {number}: expected a JSON object",
                file=name,
                location=f"line {number}",
            )
        row = {k: _text(v) for k, v in value.items()}
        _check_row(row, name, number)
        yield number, row


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
