"""Source values as RDF literals and unit IRIs, each refused with the record that held it.

MES exports spell numbers, times, units and states many ways; this is the one place they are
checked and normalised, so B2MML and tables refuse the same bad values with the same words.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from pyoxigraph import Literal, NamedNode

from kgthread import vocab
from kgthread.errors import MesInputError
from kgthread.ingest.mes import units
from kgthread.ingest.mes.records import Quantity

_DATETIME = re.compile(
    r"^-?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$",
)
_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")

WORK_ORDER_STATES = {
    **dict.fromkeys(("planned", "forecast", "waiting", "new", "created"), "planned"),
    **dict.fromkeys(("released", "ready", "dispatched"), "released"),
    **dict.fromkeys(("in-progress", "in progress", "running", "started", "active"), "in-progress"),
    **dict.fromkeys(("held", "suspended"), "in-progress"),
    **dict.fromkeys(("closed", "completed", "complete", "done", "finished"), "closed"),
    **dict.fromkeys(("aborted", "cancelled", "canceled"), "closed"),
}
MATERIAL_USES = {
    **{u: u for u in ("consumed", "produced", "consumable", "sample", "carrier", "other")},
    **{u: u for u in ("replaced-asset", "replacement-asset", "returned-sample")},
    **{u: u for u in ("returned-carrier",)},
    "material-consumed": "consumed",
    **dict.fromkeys(
        ("material-produced", "by-product-produced", "co-product-produced", "yield-produced"),
        "produced",
    ),
    **dict.fromkeys(("destructive-sample", "retained-sample"), "sample"),
    "inventoried": "other",
}
DISPOSITIONS = ("open", "rework", "scrap", "use-as-is", "return-to-supplier")
CHANGE_STATES = ("proposed", "approved", "released", "rejected")


def fail(where: str, message: str) -> MesInputError:
    """The error for a bad value in the record at ``where`` (``file:line N`` or ``file:/path``)."""
    name, _, location = where.partition(":")
    return MesInputError(f"{where}: {message}", file=name, location=location)


def decimal(where: str, text: str, what: str, *, minimum: str | None = None) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise fail(where, f"{what} {text!r} is not a number") from None
    if not value.is_finite():
        raise fail(where, f"{what} {text!r} is not a finite number")
    if minimum == "0" and value < 0:
        raise fail(where, f"{what} {text} is negative")
    if minimum == ">0" and value <= 0:
        raise fail(where, f"{what} {text} must be greater than 0")
    return value


def decimal_literal(value: Decimal) -> Literal:
    return Literal(format(value, "f"), datatype=vocab.XSD_DECIMAL)


def unit(where: str, code: str) -> units.Unit:
    found = units.lookup(code)
    if found is None:
        known = ", ".join(units.known_codes())
        shown = repr(code) if code else "an empty code"
        raise fail(where, f"unknown unit of measure {shown} (supported QUDT units: {known})")
    return found


def unit_iri(found: units.Unit) -> NamedNode:
    return vocab.unit(found.qudt)


def quantity(
    where: str, amount: Quantity, what: str, minimum: str = "0"
) -> tuple[Literal, NamedNode]:
    value = decimal(where, amount.value, what, minimum=minimum)
    return decimal_literal(value), unit_iri(unit(where, amount.unit))


def timestamp(where: str, text: str, what: str) -> Literal:
    value = text.strip()
    if _DATE.match(value):
        value += "T00:00:00"
    elif len(value) > 10 and value[10] == " ":
        value = value[:10] + "T" + value[11:]
    if not _DATETIME.match(value):
        raise fail(where, f"{what} {text!r} is not a date-time (ISO 8601, e.g. 2024-03-05T08:00Z)")
    return Literal(value, datatype=vocab.XSD_DATETIME)


def choice(where: str, text: str | None, table: dict[str, str], what: str, default: str) -> str:
    if text is None or not text.strip():
        return default
    key = text.strip().lower()
    found = table.get(key) or table.get(key.replace(" ", "-"))
    if found is None:
        raise fail(where, f"unknown {what} {text!r} (known: {', '.join(sorted(set(table)))})")
    return found


def one_of(where: str, text: str, allowed: tuple[str, ...], what: str) -> str:
    key = text.strip().lower()
    if key not in allowed:
        raise fail(where, f"unknown {what} {text!r} (one of: {', '.join(allowed)})")
    return key


def boolean(where: str, text: str, what: str) -> bool:
    key = text.strip().lower()
    if key in ("true", "1", "yes", "pass", "passed", "ok"):
        return True
    if key in ("false", "0", "no", "fail", "failed", "nok"):
        return False
    raise fail(where, f"{what} {text!r} is not a boolean (true/false, pass/fail)")
