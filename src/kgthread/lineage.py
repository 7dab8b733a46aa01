"""Lineage answers as tables: named queries run to completion under limits, their evidence,
and ``trace``, the closed loop composed from several named queries.

A lineage answer is all or nothing: rows are read in full on the calling thread, and a
query that passes its row or time limit raises :class:`QueryLimitExceeded` (503) instead of
returning the rows read so far. Rows come back in a stable order (the query's ``ORDER BY``
if it has one, else sorted by every column), so an offset into them is a usable cursor.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions

from kgthread import queries
from kgthread.errors import BadRequest, KgthreadError, NotFound
from kgthread.queries import NamedQuery
from kgthread.store.base import GraphStore, Term

_ORDERED = re.compile(r"^\s*ORDER\s+BY\b", re.IGNORECASE | re.MULTILINE)

Row = dict[str, Term]


class QueryLimitExceeded(KgthreadError):
    """A lineage query passed its row or time limit: no partial answer is given."""

    status = 503
    code = "query-limit"
    title = "Query exceeded its limit"


@dataclass(frozen=True)
class Limits:
    """How much one lineage answer may cost: rows read and wall-clock seconds."""

    max_rows: int = 200_000
    seconds: float = 30.0


@dataclass
class Table:
    """The complete answer of one named query, in a stable order."""

    query: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class Trace:
    """The closed loop for one unit: each section is the table of one named query."""

    unit: str
    sections: dict[str, Table]


TRACE_SECTIONS = (
    ("ancestry", "genealogy-up", "item"),
    ("components", "genealogy-down", "unit"),
    ("supplierLots", "trace-suppliers", "unit"),
    ("operations", "trace-operations", "unit"),
    ("quality", "trace-quality", "unit"),
    ("design", "trace-design", "unit"),
)
"""trace = (section, named query, the query's unit parameter), in the order returned."""


def run(
    store: GraphStore,
    query: NamedQuery,
    values: Mapping[str, str],
    limits: Limits | None = None,
    *,
    check_identifiers: bool = True,
) -> Table:
    """Run ``query`` to completion; 404 when an IRI parameter names nothing in the store."""
    limits = limits or Limits()
    started = time.monotonic()
    result = query.run(store, values)
    if not isinstance(result, QuerySolutions):
        raise BadRequest(f"named query {query.name} is not a SELECT query")
    columns = [v.value for v in result.variables]
    rows: list[Row] = []
    try:
        for solution in result:
            # A solution iterates its values in column order: zip is cheaper than a lookup
            # by name per column, which matters on answers of thousands of rows.
            pairs = zip(columns, solution, strict=True)
            row = {name: term for name, term in pairs if type(term) in _TERMS}
            rows.append(row)
            if len(rows) > limits.max_rows:
                raise QueryLimitExceeded(
                    f"{query.name} returned more than {limits.max_rows} rows; narrow the question",
                    limit=limits.max_rows,
                )
            if len(rows) % 256 == 0 and time.monotonic() - started > limits.seconds:
                raise _timeout(query, limits)
    except (RuntimeError, ValueError) as exc:  # results are lazy: errors surface here
        raise BadRequest(f"{query.name} could not be evaluated: {exc}") from exc
    # Read whole: nothing pyoxigraph made stays in this frame, so an error raised below
    # cannot keep it alive into a reference cycle freed on some other thread.
    del result
    if check_identifiers and not rows:
        # A row already shows the IRIs are known: every named query needs a statement that
        # touches its IRI parameters before it yields one (paths that may be empty are
        # followed by a FILTER on what they reached). One store request fewer per answer.
        _require_known(store, query, values)
    if time.monotonic() - started > limits.seconds:
        raise _timeout(query, limits)
    if not _ORDERED.search(query.text):
        # A parameter bound by substitution holds the same term in every row, so it cannot
        # change the order: leaving it out of the key is exact, and cheaper.
        bound = {parameter.name for parameter in query.parameters}
        rows.sort(key=_order_key([c for c in columns if c not in bound]))
    return Table(query.name, columns, rows)


_TERMS = frozenset((NamedNode, Literal, BlankNode))
_NONE = (0, "")
"""An unbound cell sorts before every value."""


def _order_key(columns: list[str]) -> Callable[[Row], tuple[object, ...]]:
    """Rows ordered by every column's value, an unbound cell first: one flat tuple
    ``(bound, value, bound, value, ...)`` per row, which compares as the nested pairs would
    but builds and compares faster (the sort is a sizeable part of a 1,000-row answer)."""

    def key(row: Row) -> tuple[object, ...]:
        flat: list[object] = []
        for column in columns:
            term = row.get(column)
            flat += _NONE if term is None else (1, term.value)
        return tuple(flat)

    return key


def _timeout(query: NamedQuery, limits: Limits) -> QueryLimitExceeded:
    return QueryLimitExceeded(
        f"{query.name} ran longer than {limits.seconds:g} s; narrow the question",
        seconds=limits.seconds,
    )


def _require_known(store: GraphStore, query: NamedQuery, values: Mapping[str, str]) -> None:
    for parameter in query.parameters:
        if parameter.type != "iri":
            continue
        node = NamedNode(values[parameter.name])
        if not known(store, node):
            raise NotFound(
                f"nothing is known about {parameter.name} {node.value!r}",
                parameter=parameter.name,
                identifier=node.value,
            )


def known(store: GraphStore, node: NamedNode) -> bool:
    """Whether any committed statement has ``node`` as its subject, predicate or object."""
    return any(True for _ in _first(store.quads(node))) or any(
        True for _ in _first(store.quads(None, None, node))
    )


def _first(items: Iterable[Any]) -> Iterable[Any]:
    for item in items:
        yield item
        return


def evidence(
    store: GraphStore, query: NamedQuery, rows: Iterable[Row]
) -> list[list[dict[str, Any]]]:
    """Per row, per declared hop present in it: the batches (named graphs) asserting the hop,
    their source documents and the subject's ``kgt:sourceLocation`` records there."""
    finder = queries.get("evidence")
    seen: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    out: list[list[dict[str, Any]]] = []
    for row in rows:
        hops: list[dict[str, Any]] = []
        for hop in query.evidence:
            subject, obj = row.get(hop.subject), row.get(hop.object)
            if not isinstance(subject, NamedNode) or not isinstance(obj, NamedNode):
                continue
            key = (subject.value, hop.predicate.value, obj.value)
            if key not in seen:
                values = dict(zip(("subject", "predicate", "object"), key, strict=True))
                table = run(store, finder, values, check_identifiers=False)
                seen[key] = _batches(table)
            hops.append(
                {"subject": key[0], "predicate": key[1], "object": key[2], "batches": seen[key]}
            )
        out.append(hops)
    return out


def _batches(table: Table) -> list[dict[str, Any]]:
    by_batch: dict[str, dict[str, Any]] = {}
    for row in table.rows:
        batch = row.get("batch")
        if batch is None:
            continue
        entry = by_batch.setdefault(
            batch.value,
            {"batch": batch.value, "graph": row["graph"].value, "sources": [], "locations": []},
        )
        for column, target in (("source", "sources"), ("sourceLocation", "locations")):
            term = row.get(column)
            if term is not None and term.value not in entry[target]:
                entry[target].append(term.value)
        if (name := row.get("fileName")) is not None:
            entry["fileName"] = name.value
    return list(by_batch.values())


def trace(store: GraphStore, unit: str, limits: Limits | None = None) -> Trace:
    """The closed loop for a unit reported failed in the field, in one call: where it went
    (ancestry, shipment, customer), what went into it, supplier lots, operations with
    equipment and sensor summaries, failed or marginal inspections, revisions and changes."""
    limits = limits or Limits()
    started = time.monotonic()
    # Checked here, so a refusal names the caller's parameter, not a section query's.
    node = queries.Parameter("unit", "iri", "the unit").bind(unit)
    if not isinstance(node, NamedNode) or not known(store, node):
        raise NotFound(f"nothing is known about unit {unit!r}", parameter="unit", identifier=unit)
    sections: dict[str, Table] = {}
    for section, name, parameter in TRACE_SECTIONS:
        left = Limits(limits.max_rows, max(0.0, limits.seconds - (time.monotonic() - started)))
        sections[section] = run(
            store, queries.get(name), {parameter: unit}, left, check_identifiers=False
        )
    return Trace(unit, sections)
