"""A live server over one lot consumed into 10,000 units: the explorer's worst link group.

The units are committed through the store's own ``commit`` (one named graph with its catalog
entry, as the pipeline writes), not through the gate: they carry only what the explorer
reads (type, serial, the link to the lot), which the shapes would rightly refuse.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Triple

from api.live_server import Server
from kgthread import ids, vocab
from kgthread.config import Settings
from kgthread.store.embedded import EmbeddedStore

BUSY_LOT = ids.lot("RM-1", "L1").value
BUSY_UNITS = 10_000
BUSY_GRAPH = ids.batch_graph("busy")


@dataclass
class BusyServer:
    url: str
    store: EmbeddedStore


def busy_lot_triples(units: int = BUSY_UNITS) -> tuple[list[Triple], list[Triple]]:
    """The lot and ``units`` units that consumed it, and the catalog entry of their graph."""
    lot = NamedNode(BUSY_LOT)
    kgt = vocab.kgt
    triples = [
        Triple(lot, vocab.RDF_TYPE, kgt("MaterialLot")),
        Triple(lot, kgt("lotId"), Literal("L1")),
    ]
    for i in range(units):
        unit = ids.unit("P1", f"SN{i:06d}")
        triples += [
            Triple(unit, kgt("hasComponent"), lot),
            Triple(unit, vocab.RDF_TYPE, kgt("SerializedUnit")),
            Triple(unit, kgt("serialNumber"), Literal(f"SN{i:06d}")),
        ]
    batch, source = ids.batch("busy"), ids.source_document("0" * 64)
    catalog = [
        Triple(batch, kgt("targetGraph"), BUSY_GRAPH),
        Triple(batch, NamedNode(vocab.PROV_NS + "used"), source),
        Triple(source, kgt("fileName"), Literal("genealogy.csv")),
    ]
    return triples, catalog


@contextmanager
def serve_busy_lot(folder: Path) -> Iterator[BusyServer]:
    store = EmbeddedStore.open(folder / "store")
    triples, catalog = busy_lot_triples()
    store.commit(BUSY_GRAPH, triples, catalog)
    server = Server(Settings(data=folder / "store"), store)
    try:
        yield BusyServer(server.start(), store)
    finally:
        server.stop()
        store.close()
