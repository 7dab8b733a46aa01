"""Explorer link pages of one busy group (a lot consumed into N units) on the on-disk store:
the keyset pages the explorer serves (first page: one index scan and a sort in Python; later
pages: a bisection of the cached keys) against the peer a plain SPARQL page would use
(Oxigraph's ``ORDER BY ?other`` read at offset k), at the start, middle and end. "Keyset"
is a page while the store is unchanged (the sorted group cached), "cold" the first visit.

Usage: python bench/bench_explorer_links.py [UNITS ...]   (default: 10000 100000)
Medians of 5 runs per cell; the machine is shared with other jobs, so compare the ratios.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Triple

from common import table
from kgthread import ids, vocab
from kgthread.api import explorer_cursor, explorer_data
from kgthread.store.embedded import EmbeddedStore

RUNS = 5
PEER = """SELECT ?iri ?predicate ?other WHERE { ?other ?predicate ?iri FILTER(isIRI(?other)) }
ORDER BY ?other"""
"""The peer: the engine sorts the group and the page is read at its offset (what OFFSET k
LIMIT 50 costs: Oxigraph sorts everything before skipping)."""


def _median(action: Callable[[], object]) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _store(folder: Path, units: int) -> tuple[EmbeddedStore, str]:
    store = EmbeddedStore.open(folder)
    lot = ids.lot("RM-1", "L1")
    triples = [Triple(lot, vocab.RDF_TYPE, vocab.kgt("MaterialLot"))]
    for i in range(units):
        unit = ids.unit("P1", f"SN{i:07d}")
        triples += [
            Triple(unit, vocab.kgt("hasComponent"), lot),
            Triple(unit, vocab.RDF_TYPE, vocab.kgt("SerializedUnit")),
            Triple(unit, vocab.kgt("serialNumber"), Literal(f"SN{i:07d}")),
        ]
    graph = ids.batch_graph("bench")
    store.commit(graph, triples, [Triple(ids.batch("bench"), vocab.kgt("targetGraph"), graph)])
    return store, lot.value


def _rows(store: EmbeddedStore, lot: str, units: int) -> list[list[object]]:
    predicate = vocab.KGT_NS + "hasComponent"
    bound = {"iri": NamedNode(lot), "predicate": NamedNode(predicate)}
    keys = explorer_data.sorted_links(store, lot, "in", predicate)
    rows: list[list[object]] = []
    for where, offset in (("first", 0), ("middle", units // 2), ("last", units - 50)):
        cursor = None if offset == 0 else explorer_cursor.encode("after", keys[offset - 1])

        def keyset(cursor: str | None = cursor) -> object:
            return explorer_data.links(store, lot, "in", predicate, cursor)

        def cold(cursor: str | None = cursor) -> object:
            explorer_data.forget_sorted_links()
            return explorer_data.links(store, lot, "in", predicate, cursor)

        def peer(offset: int = offset) -> object:
            return list(islice(store.query(PEER, substitutions=bound), offset, offset + 50))

        cached_s, cold_s, peer_s = _median(keyset), _median(cold), _median(peer)
        rows.append(
            [
                units,
                where,
                cached_s,
                cold_s,
                peer_s,
                f"{peer_s / cold_s:.1f}x",
                f"{peer_s / cached_s:.0f}x",
            ]
        )
    return rows


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    rows = []
    for units in sizes:
        with tempfile.TemporaryDirectory() as folder:
            store, lot = _store(Path(folder), units)
            rows += _rows(store, lot, units)
            store.close()
    headers = ["links", "page", "keyset s", "cold s", "ORDER BY + offset s", "vs cold", "vs keyset"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
