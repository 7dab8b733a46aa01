"""Sample factories of two sizes loaded through the gate, and a hand-built store builder."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import Literal, NamedNode, QuerySolutions, Triple

from backends.stores import open_backend
from kgthread import ids, queries, vocab
from kgthread.gate import Gate
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.rdf_files import batch_from_file
from kgthread.sample import generate
from kgthread.store.base import GraphStore
from kgthread.store.embedded import EmbeddedStore

Loaded = tuple[GraphStore, dict[str, Any]]
Build = Callable[[Iterable[Triple]], EmbeddedStore]


@pytest.fixture(
    scope="module",
    params=[(10_000, "embedded"), (50_000, "embedded"), (10_000, "oxigraph"), (10_000, "virtuoso")],
    ids=["10k", "50k", "10k-oxigraph", "10k-virtuoso"],
)
def factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loaded]:
    """A sample factory loaded through the gate into a store with its truth: on disk at two
    sizes, and the small one on each remote backend (backend parity)."""
    scale, backend = request.param
    folder = tmp_path_factory.mktemp(f"factory{scale}-{backend}")
    store = open_backend(request, backend, folder)
    summary = generate(scale, 5, folder / "factory.nt")
    Pipeline(store, Gate.default()).ingest(batch_from_file(folder / "factory.nt", bulk_threshold=0))
    yield store, json.loads(Path(summary.truth).read_text(encoding="utf-8"))
    store.close()


@pytest.fixture
def build(tmp_path: Path) -> Iterator[Build]:
    """A store holding exactly the given triples in one catalogued graph, bypassing the gate
    (so it may hold data the gate would refuse, such as cycles)."""
    opened: list[EmbeddedStore] = []

    def make(triples: Iterable[Triple]) -> EmbeddedStore:
        store = EmbeddedStore.open(tmp_path / f"store{len(opened)}")
        opened.append(store)
        graph, batch = ids.batch_graph("hand"), ids.batch("hand")
        catalog = [
            Triple(batch, vocab.RDF_TYPE, vocab.INGEST_BATCH),
            Triple(batch, vocab.TARGET_GRAPH, graph),
        ]
        store.commit(graph, list(triples), catalog)
        return store

    yield make
    for store in opened:
        store.close()


def rows(store: GraphStore, name: str, **values: str) -> list[dict[str, str]]:
    result = queries.get(name).run(store, values)
    assert isinstance(result, QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]


def iri(node: NamedNode) -> str:
    return node.value


def literal(value: str, datatype: NamedNode = vocab.XSD_DECIMAL) -> Literal:
    return Literal(value, datatype=datatype)
