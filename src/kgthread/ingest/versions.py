"""Documents and their versions, as the catalog records them.

A batch is a version of a source document; the newest version is current and the older ones
are history. A client's idempotency key (the batch id it chose) identifies one write: a retry
with the same key and content is recognised, the same key with other content is a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, QuerySolutions

from kgthread import assets
from kgthread.store.base import CATALOG_GRAPH, GraphStore

_rq = assets.internal_query


@dataclass(frozen=True)
class Version:
    """One version of a document: its batch activity, graph, number and what it carried."""

    batch: NamedNode
    graph: NamedNode
    number: int
    digest: str | None
    triple_count: int | None
    current: bool = True


def versions(store: GraphStore, document: NamedNode) -> list[Version]:
    """Every version of the document, oldest first."""
    found: list[Version] = []
    if not store.contains_graph(CATALOG_GRAPH):
        return found  # Virtuoso plans catalog queries on a store with no catalog badly
    rows = _rows(store.query(_rq("document-current.rq"), substitutions={"document": document}))
    for row in rows:
        batch, graph = row["batch"], row["graph"]
        if not isinstance(batch, NamedNode) or not isinstance(graph, NamedNode):
            continue
        digest, count = row["digest"], row["count"]
        found.append(
            Version(
                batch,
                graph,
                int(row["version"].value),
                digest.value if isinstance(digest, Literal) else None,
                int(count.value) if isinstance(count, Literal) else None,
                current=row["newer"] is None,
            )
        )
    return sorted(found, key=lambda v: v.number)


def digest_for_key(store: GraphStore, key: str) -> str | None:
    """The content digest recorded for the batch committed under ``key``: ``None`` when no
    batch has that key, ``""`` when it was committed before digests were recorded."""
    if not store.contains_graph(CATALOG_GRAPH):
        return None
    for row in _rows(store.query(_rq("batch-by-key.rq"), substitutions={"key": Literal(key)})):
        digest = row["digest"]
        return digest.value if isinstance(digest, Literal) else ""
    return None


def _rows(result: object) -> QuerySolutions:
    if not isinstance(result, QuerySolutions):
        raise TypeError("catalog queries are SELECT queries")
    return result
