"""History you can query: the store "as known at" a moment.

A batch is current from its commit until a newer version of its document supersedes it;
superseded batches keep their graphs. The state at a moment is the set union of the graphs
whose batches were current then, copied into an in-memory store that answers queries like
the live one (every fact once). Its cost grows with the data current at that moment: it is
meant for looking back, not for every request.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from pyoxigraph import Literal, NamedNode, QuerySolutions

from kgthread import assets, vocab
from kgthread.errors import BadRequest
from kgthread.store.base import CATALOG_GRAPH, GraphStore
from kgthread.store.embedded import EmbeddedStore

_rq = assets.internal_query


def parse_moment(value: str, *, name: str = "as-of") -> datetime:
    """An ``xsd:dateTime`` (ISO 8601; UTC when it names no offset) or an HTTP date (the
    ``Accept-Datetime`` header of RFC 7089); a clear error naming the value otherwise."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            raise BadRequest(
                f"{name}: {value!r} is not a date and time "
                "(use ISO 8601, e.g. 2026-12-07T09:30:00Z, or an HTTP date)",
                parameter=name,
                value=value,
            ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def graphs_at(store: GraphStore, moment: datetime, *, name: str = "as-of") -> list[NamedNode]:
    """The graphs current at ``moment``; a moment before the first commit is refused."""
    first = _first_commit(store)
    if first is None or moment < first:
        since = (
            "the store holds no batch" if first is None else f"the first was {first.isoformat()}"
        )
        raise BadRequest(
            f"{name}: {moment.isoformat()} is before the first batch ({since})",
            parameter=name,
            value=moment.isoformat(),
        )
    at = Literal(moment.isoformat(), datatype=vocab.XSD_DATETIME)
    result = store.query(_rq("as-of-graphs.rq"), substitutions={"at": at})
    assert isinstance(result, QuerySolutions)
    return sorted(
        {g for row in result if isinstance(g := row["graph"], NamedNode)}, key=lambda g: g.value
    )


def store_at(store: GraphStore, moment: datetime, *, name: str = "as-of") -> EmbeddedStore:
    """An in-memory store holding what was current at ``moment`` (and the whole catalog)."""
    graphs = graphs_at(store, moment, name=name)
    snapshot = EmbeddedStore.open(None)
    catalog = [q.triple for q in store.quads(graph=CATALOG_GRAPH)]
    for graph in graphs:
        quads = list(store.quads(graph=graph))
        snapshot.commit(graph, [q.triple for q in quads], [])
    snapshot.commit(CATALOG_GRAPH, [], catalog)
    return snapshot


def _first_commit(store: GraphStore) -> datetime | None:
    result = store.query(_rq("first-commit.rq"))
    assert isinstance(result, QuerySolutions)
    for row in result:
        first = row["first"]
        if isinstance(first, Literal):
            return parse_moment(first.value)
    return None
