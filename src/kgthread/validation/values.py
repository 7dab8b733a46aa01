"""SPARQL value semantics in Python, for the native engine's per-value constraints.

The engine used to evaluate ``<``, ``REGEX`` and the datatype test inside Oxigraph; these
functions give the same answers without a query per value. Each has a fast path for the
forms that cover real data (Oxigraph stores valid literals in canonical form and keeps
ill-typed ones as written, so a strict canonical-form parser decides validity), and asks
Oxigraph itself, once per distinct input, for everything else: ill-typed literals, mixed
or rare datatypes, regexes whose meaning Python's ``re`` might not share. The fallback is
the old template expression, so the two paths cannot drift in meaning.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, Store, Variable

from kgthread.validation.shapes import Term
from kgthread.vocab import RDF_NS, XSD_NS

XSD_STRING = NamedNode(XSD_NS + "string")
RDF_LANG_STRING = NamedNode(RDF_NS + "langString")
_INTEGER = XSD_NS + "integer"
_DECIMAL = XSD_NS + "decimal"
_DOUBLE = XSD_NS + "double"
_FLOAT = XSD_NS + "float"
_BOOLEAN = XSD_NS + "boolean"
_DATE_TIME = XSD_NS + "dateTime"
# Datatypes whose lexical form the datatype template checks (others are valid as written).
_CHECKED_NAMES = """integer decimal float double long int short byte nonNegativeInteger
    positiveInteger nonPositiveInteger negativeInteger unsignedLong unsignedInt unsignedShort
    unsignedByte boolean dateTime dateTimeStamp date time gYear gYearMonth gMonth gMonthDay
    gDay duration yearMonthDuration dayTimeDuration"""
CHECKED = frozenset(XSD_NS + name for name in _CHECKED_NAMES.split())

# Oxigraph's canonical forms (what a valid literal looks like once stored).
_INTEGER_FORM = re.compile(r"-?(?:0|[1-9][0-9]{0,18})")
_DECIMAL_FORM = re.compile(r"-?(?:0|[1-9][0-9]{0,20})(?:\.[0-9]{0,17}[1-9])?")
_DOUBLE_FORM = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?(?:e-?[1-9][0-9]*)?")
_DATE_TIME_FORM = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?"
    r"(Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)?"
)
_I64 = 2**63
_DECIMAL_LIMIT = Decimal(2**127) / Decimal(10**18)

# Python and Rust regexes agree on this subset of syntax over printable ASCII text.
_SAFE_PATTERN = re.compile(
    r"(?:[A-Za-z0-9 _,:;/=!@#%&'\"<>~`-]|\\[dDwWsS.\\^$*+?|()\[\]{}/-]|[\^$.*+?|()]"
    r"|\{[0-9]+(?:,[0-9]*)?\}|\[\^?(?:[A-Za-z0-9 _,:;/=!@#%&'\"<>~`.*+?|(){}$-]"
    r"|\\[dDwWsS.\\^$*+?|()\[\]{}/-])+\])*"
)
_SAFE_TEXT = re.compile(r"[ -~\t]*")
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}

_ORACLE = Store()
_A, _B = Variable("a"), Variable("b")
_COMPARE = "SELECT ?a ?b (?a < ?b AS ?lt) (?a <= ?b AS ?le) WHERE {}"
_REGEX = "SELECT ?a ?b ?c (REGEX(?a, ?b, ?c) AS ?m) WHERE {}"
_DATATYPE = """PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?a ?b (COALESCE(
    IF(isNumeric(?a), true,
    IF(?b IN (xsd:integer, xsd:decimal, xsd:float, xsd:double, xsd:long, xsd:int,
              xsd:short, xsd:byte, xsd:nonNegativeInteger, xsd:positiveInteger,
              xsd:nonPositiveInteger, xsd:negativeInteger, xsd:unsignedLong,
              xsd:unsignedInt, xsd:unsignedShort, xsd:unsignedByte), false,
    IF(?b = xsd:boolean, isLiteral(xsd:boolean(STR(?a))),
    IF(?b IN (xsd:dateTime, xsd:dateTimeStamp), isLiteral(xsd:dateTime(STR(?a))),
    IF(?b = xsd:date, isLiteral(xsd:date(STR(?a))),
    IF(?b = xsd:time, isLiteral(xsd:time(STR(?a))),
    IF(?b = xsd:gYear, isLiteral(xsd:gYear(STR(?a))),
    IF(?b = xsd:gYearMonth, isLiteral(xsd:gYearMonth(STR(?a))),
    IF(?b = xsd:gMonth, isLiteral(xsd:gMonth(STR(?a))),
    IF(?b = xsd:gMonthDay, isLiteral(xsd:gMonthDay(STR(?a))),
    IF(?b = xsd:gDay, isLiteral(xsd:gDay(STR(?a))),
    IF(?b = xsd:duration, isLiteral(xsd:duration(STR(?a))),
    IF(?b = xsd:yearMonthDuration, isLiteral(xsd:yearMonthDuration(STR(?a))),
    IF(?b = xsd:dayTimeDuration, isLiteral(xsd:dayTimeDuration(STR(?a))),
    true)))))))))))))), false) AS ?ok) WHERE {}"""

Key = tuple[str, object]


def _ask(query: str, bindings: dict[Variable, Term], answer: str) -> bool | None:
    """One expression evaluated by Oxigraph; None when it raises a SPARQL error."""
    solutions = _ORACLE.query(query, substitutions=bindings)  # type: ignore[arg-type]
    assert isinstance(solutions, QuerySolutions)
    value = next(iter(solutions))[answer]
    return None if value is None else value.value == "true"


@functools.lru_cache(maxsize=1 << 18)
def sort_key(term: Term) -> Key | None:
    """(family, Python value) for a valid literal of a fast-path datatype, else None."""
    if not isinstance(term, Literal):
        return None
    lexical = term.value
    if term.language:
        return None
    datatype = term.datatype.value
    if datatype == _INTEGER:
        if _INTEGER_FORM.fullmatch(lexical) and -_I64 <= (number := int(lexical)) < _I64:
            return ("number", number)
    elif datatype == _DECIMAL:
        if _DECIMAL_FORM.fullmatch(lexical) and abs(exact := Decimal(lexical)) < _DECIMAL_LIMIT:
            return ("number", exact)
    elif datatype == _DOUBLE:
        if lexical in ("INF", "-INF") or _DOUBLE_FORM.fullmatch(lexical):  # NaN: oracle
            return ("double", float(lexical))
    elif datatype == XSD_STRING.value:
        return ("string", lexical)
    elif datatype == _DATE_TIME:
        return _date_time(lexical)
    return None


def _date_time(lexical: str) -> Key | None:
    match = _DATE_TIME_FORM.fullmatch(lexical)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        tz = None
        if zone == "Z":
            tz = UTC
        elif zone is not None:
            offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
            tz = timezone(-offset if zone[0] == "-" else offset)
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0").ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError:  # day 31 of a 30-day month, year 0, ...
        return None
    return ("dateTimeZoned" if tz else "dateTimeLocal", moment)


@functools.lru_cache(maxsize=1 << 16)
def _compare_oracle(a: Term, b: Term) -> tuple[bool | None, bool | None]:
    solutions = _ORACLE.query(_COMPARE, substitutions={_A: a, _B: b})
    assert isinstance(solutions, QuerySolutions)
    row = next(iter(solutions))
    lt, le = row["lt"], row["le"]
    return (None if lt is None else lt.value == "true", None if le is None else le.value == "true")


def less(a: Term, b: Term, or_equal: bool) -> bool | None:
    """SPARQL ``a < b`` (or ``<=``); None where SPARQL raises an error (incomparable)."""
    ka, kb = sort_key(a), sort_key(b)
    if ka is not None and kb is not None and ka[0] == kb[0]:
        x, y = ka[1], kb[1]
        return bool(x <= y if or_equal else x < y)  # type: ignore[operator]
    return _compare_oracle(a, b)[1 if or_equal else 0]


def count_below(count: int, bound: Term) -> bool | None:
    """SPARQL ``count < bound`` for an integer count."""
    return less(Literal(str(count), datatype=NamedNode(_INTEGER)), bound, or_equal=False)


def count_above(count: int, bound: Term) -> bool | None:
    """SPARQL ``count > bound`` for an integer count."""
    return less(bound, Literal(str(count), datatype=NamedNode(_INTEGER)), or_equal=False)


@functools.lru_cache(maxsize=1 << 16)
def has_datatype(value: Term, datatype: Term) -> bool:
    """sh:datatype: a literal of exactly ``datatype`` whose lexical form is valid for it."""
    if not isinstance(value, Literal) or value.datatype != datatype:
        return False
    iri = value.datatype.value
    if iri not in CHECKED or sort_key(value) is not None:
        return True
    if iri == _BOOLEAN and value.value in ("true", "false"):
        return True
    if iri == _FLOAT and (
        value.value in ("INF", "-INF", "NaN") or _DOUBLE_FORM.fullmatch(value.value)
    ):
        return True
    return well_formed_by_oxigraph(value, datatype)


def well_formed_by_oxigraph(value: Literal, datatype: Term) -> bool:
    """The datatype template's lexical test, evaluated by Oxigraph (the fallback)."""
    return _ask(_DATATYPE, {_A: value, _B: datatype}, "ok") is True


class Pattern:
    """sh:pattern with its flags: Python ``re`` where it means what SPARQL REGEX means."""

    def __init__(self, pattern: Term, flags: Term | None) -> None:
        self.pattern = pattern
        self.flags = flags if flags is not None else Literal("")
        self._compiled: re.Pattern[str] | None = None
        plain = (
            isinstance(pattern, Literal)
            and pattern.datatype == XSD_STRING
            and isinstance(self.flags, Literal)
            and self.flags.datatype == XSD_STRING
        )
        if plain and _SAFE_PATTERN.fullmatch(pattern.value):
            assert isinstance(self.flags, Literal)
            if set(self.flags.value) <= set(_FLAGS):
                options = 0
                for flag in self.flags.value:
                    options |= _FLAGS[flag]
                self._compiled = re.compile(pattern.value, options)

    def matches(self, value: Term) -> bool:
        """REGEX(STR(value), pattern, flags), an error counting as no match; blank: False."""
        if isinstance(value, BlankNode):
            return False
        text = value.value
        if self._compiled is not None and _SAFE_TEXT.fullmatch(text):
            return self._compiled.search(text) is not None
        return _regex_oracle(text, self.pattern, self.flags)


@functools.lru_cache(maxsize=1 << 16)
def _regex_oracle(text: str, pattern: Term, flags: Term) -> bool:
    return _ask(_REGEX, {_A: Literal(text), _B: pattern, Variable("c"): flags}, "m") is True
