"""A named query as the number of committed batches grows: the embedded store against an
Oxigraph server (its default graph the current view, the batch graphs named), all in the
same run.

Usage: python bench/bench_many_batches.py [--steps 1,100,1000,2000] [--calls 50]

Each batch is a small one (a part, a revision, a unit: its own named graph and catalog entry,
committed through ``GraphStore.commit``), written to all three stores. At each step the
``trace-design`` of the first unit (its revision and part) is asked ``--calls`` times the
way a REST request asks it: the state token read, then the query. The default graph of every
query is the current view (one graph); the batch graphs are only named. The machine is
shared with other jobs: read the ratios against embedded.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from bench_backends import _stop, start_oxigraph
from common import percentiles, table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from factories import catalog, product, unit
from kgthread import ids, lineage, queries
from kgthread.store.base import GraphStore
from kgthread.store.dialects import dialect_for
from kgthread.store.embedded import EmbeddedStore
from kgthread.store.remote import RemoteStore


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="named queries as batches grow")
    parser.add_argument("--steps", default="1,100,1000,2000")
    parser.add_argument("--calls", type=int, default=50)
    return parser.parse_args()


def _asked(store: GraphStore, calls: int) -> float:
    query = queries.get("trace-design")
    values = {"unit": ids.unit("P-0", "SN-0").value}
    samples = []
    for _ in range(calls + 3):
        started = time.perf_counter()
        store.state()
        assert lineage.run(store, query, values).rows
        samples.append(time.perf_counter() - started)
    return percentiles(samples[3:])[0] * 1000


def main() -> None:
    arguments = _arguments()
    steps = [int(step) for step in arguments.steps.split(",")]
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        server, port = start_oxigraph(folder / "ox")
        url = f"http://127.0.0.1:{port}"
        try:
            dialect = dialect_for("oxigraph")
            listed = RemoteStore.open(dialect, dialect.endpoints(url))
            embedded = EmbeddedStore.open(folder / "embedded")
            made = 0
            for step in steps:
                while made < step:
                    graph = ids.batch_graph(f"b{made}")
                    triples = product(f"P-{made}") + unit(f"P-{made}", "A", f"SN-{made}")
                    for store in (embedded, listed):
                        store.commit(graph, triples, catalog(f"b{made}", graph))
                    made += 1
                e, lst = (_asked(s, arguments.calls) for s in (embedded, listed))
                rows.append([step, e, lst, lst / e])
                print(f"{step} batches done", file=sys.stderr, flush=True)
            for store in (embedded, listed):
                store.close()
        finally:
            _stop(server)
    print(
        f"trace-design (state read + query) as batches grow, {arguments.calls} calls per step; "
        f"load average {os.getloadavg()[0]:.1f} at the end (2 cores, shared)"
    )
    print()
    headers = ["batches", "embedded p50 ms", "server p50 ms", "server / embedded"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
