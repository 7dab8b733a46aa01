"""Small, valid building blocks of the data model (docs/data-model.md) for tests."""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode, QuerySolutions, Triple

from kgthread import ids, vocab
from kgthread.store.base import GraphStore

COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def text(value: str) -> Literal:
    return Literal(value)


def decimal(value: str) -> Literal:
    return Literal(value, datatype=vocab.XSD_DECIMAL)


def part(number: str) -> list[Triple]:
    node = ids.part(number)
    return [
        Triple(node, vocab.RDF_TYPE, vocab.PART),
        Triple(node, vocab.PART_NUMBER, text(number)),
    ]


def revision(number: str, code: str) -> list[Triple]:
    node = ids.part_revision(number, code)
    return [
        Triple(node, vocab.RDF_TYPE, vocab.PART_REVISION),
        Triple(node, vocab.REVISION_OF, ids.part(number)),
        Triple(node, vocab.REVISION_CODE, text(code)),
    ]


def unit(number: str, code: str, serial: str) -> list[Triple]:
    node = ids.unit(number, serial)
    return [
        Triple(node, vocab.RDF_TYPE, vocab.SERIALIZED_UNIT),
        Triple(node, vocab.SERIAL_NUMBER, text(serial)),
        Triple(node, vocab.UNIT_OF_REVISION, ids.part_revision(number, code)),
    ]


def built_into(parent: NamedNode, child: NamedNode, quantity: str = "1") -> list[Triple]:
    """``child`` consumed into ``parent``: the qualified consumption and the direct edge."""
    event = ids.consumption(parent, child)
    return [
        Triple(parent, vocab.HAS_COMPONENT, child),
        Triple(event, vocab.RDF_TYPE, vocab.CONSUMPTION),
        Triple(event, vocab.CONSUMER, parent),
        Triple(event, vocab.CONSUMED_ENTITY, child),
        Triple(event, vocab.QUANTITY, decimal(quantity)),
        Triple(event, vocab.UNIT_OF_MEASURE, vocab.unit("NUM")),
    ]


def product(number: str, code: str = "A") -> list[Triple]:
    """A part with one revision: what a unit needs to refer to."""
    return part(number) + revision(number, code)


def catalog(batch_id: str, graph: NamedNode) -> list[Triple]:
    """The least catalog entry a store needs to make ``graph`` visible."""
    activity = ids.batch(batch_id)
    return [
        Triple(activity, vocab.BATCH_ID, Literal(batch_id)),
        Triple(activity, vocab.TARGET_GRAPH, graph),
    ]


def count(store: GraphStore, sparql: str = COUNT_ALL) -> int:
    """The ``?n`` of a ``COUNT`` query (every committed statement by default)."""
    result = store.query(sparql)
    assert isinstance(result, QuerySolutions)
    return int(next(iter(result))["n"].value)


SERIALS = "PREFIX kgt: <https://w3id.org/kgthread/ns#> SELECT ?s WHERE { ?u kgt:serialNumber ?s }"


def commit_unit(store: GraphStore, batch_id: str, serial: str) -> None:
    """A batch of its own holding part P-1 and its unit ``serial``, committed."""
    graph = ids.batch_graph(batch_id)
    store.commit(graph, product("P-1") + unit("P-1", "A", serial), catalog(batch_id, graph))


def serials(store: GraphStore) -> set[str]:
    """The serial numbers of every committed unit."""
    result = store.query(SERIALS)
    assert isinstance(result, QuerySolutions)
    found = {row["s"].value for row in result}
    del result  # pyoxigraph results are dropped on the thread that made them
    return found
