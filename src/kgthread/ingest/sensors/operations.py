"""When the MES says operations ran on a piece of equipment: spans read from the store.

The watcher asks for the operations on each watched sensor's equipment and summarises the
sensor over each one. Read by triple pattern (``kgt:onEquipment``, ``prov:startedAtTime``,
``prov:endedAtTime``), so no query text is built; an operation without a start is ignored,
one without an end is still running.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pyoxigraph import Literal, NamedNode

from kgthread import vocab
from kgthread.ingest.sensors.windows import Span
from kgthread.store.base import GraphStore


def _epoch(term: object) -> float | None:
    if not isinstance(term, Literal):
        return None
    try:
        moment = datetime.fromisoformat(term.value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


class StoreOperations:
    """Operation spans per equipment IRI, from whatever the MES adapters committed."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def spans(self, equipment: NamedNode) -> list[Span]:
        found: dict[str, Span] = {}
        for quad in self.store.quads(None, vocab.ON_EQUIPMENT, equipment):
            operation = quad.subject
            if not isinstance(operation, NamedNode) or operation.value in found:
                continue
            starts = [_epoch(q.object) for q in self.store.quads(operation, vocab.PROV_STARTED_AT)]
            ends = [_epoch(q.object) for q in self.store.quads(operation, vocab.PROV_ENDED_AT)]
            start = next((s for s in starts if s is not None), None)
            end = next((e for e in ends if e is not None), None)
            if start is not None and (end is None or start <= end):
                found[operation.value] = Span(operation.value, start, end)
        return sorted(found.values(), key=lambda s: (s.start, s.operation))
