"""Virtuoso's two slow spots in lineage queries, before and after, beside the embedded store.

Usage: python bench/bench_virtuoso_queries.py [SCALE] [--calls N] [--budget SECONDS]
(SCALE default 1000000, sample from bench/common.py; --calls default 50; --budget default
60: a variant stops after that many seconds once it has one call, and one whose warm-up
call took longer is measured by that call, since the shared text of ``recall`` takes over
a minute per call on Virtuoso at 10M).

The sample is loaded into a fresh embedded store and a fresh Virtuoso (the test suite's
helper, tests/backends/virtuoso.py). For ``recall`` (the sample's probe lots) and
``genealogy-down`` (its top units), p50 of:

- the embedded store and Virtuoso through the store interface (``lineage.run``, as shipped);
- the query sent straight to Virtuoso with httpx (same dataset, parameters written inline as
  the dialect does), in three variants: the shared text on a kept-alive connection (what
  kgthread sent before), the shared text on a connection per answer (``Connection: close``,
  as the dialect now asks), and the text the dialect now sends (``rq/virtuoso/<name>.rq``
  where there is one) on a connection per answer. Each variant's row counts are compared
  with the first's (over the probes both measured).

Virtuoso and the load generator share the machine's 2 cores with other jobs: read ratios.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import httpx
from pyoxigraph import NamedNode, RdfFormat

from common import percentiles, sample_file, table, truth_of
from kgthread import lineage, queries
from kgthread.config import Settings
from kgthread.ingest.batch import Batch, Source, provenance
from kgthread.store import sparql_text
from kgthread.store.base import GraphStore
from kgthread.store.embedded import EmbeddedStore
from kgthread.store.opening import open_store
from kgthread.store.virtuoso import RESULTS_XML, VirtuosoDialect

PLAN = {"recall": "item", "genealogy-down": "unit"}


def _load(store: GraphStore, sample: Path) -> float:
    batch = Batch("bench", "1", [Source.of_file(sample)], batch_id="sample")
    started = time.perf_counter()
    store.bulk_commit(
        batch.graph, sample, RdfFormat.N_TRIPLES, provenance(batch, 0, batch.started), lambda: None
    )
    return time.perf_counter() - started


def _timings(
    action: Callable[[str], int], values: list[str], calls: int, budget: float
) -> tuple[list[float], list[int]]:
    """Seconds and row counts per call (one warm-up call first), until ``calls`` or the
    budget is spent; a warm-up call longer than the budget is the one sample."""
    started = time.perf_counter()
    warm = action(values[0])
    if time.perf_counter() - started > budget:
        return [time.perf_counter() - started], [warm]
    samples: list[float] = []
    rows: list[int] = []
    began = time.monotonic()
    for i in range(calls):
        started = time.perf_counter()
        rows.append(action(values[i % len(values)]))
        samples.append(time.perf_counter() - started)
        if time.monotonic() - began > budget:
            break
    return samples, rows


def _bare(
    url: str, auth: httpx.Auth, dataset: list[tuple[str, str]], *, close: bool, own: bool
) -> Callable[[str, str, str], int]:
    client = httpx.Client(auth=auth, timeout=600)
    dialect = VirtuosoDialect()
    headers = {"Accept": RESULTS_XML, "Content-Type": "application/x-www-form-urlencoded"}
    if close:
        headers["Connection"] = "close"

    def run(name: str, parameter: str, value: str) -> int:
        shared = queries.get(name).text
        values = {parameter: NamedNode(value)}
        text = dialect.bind(shared, values) if own else sparql_text.bind_inline(shared, values)
        answer = client.post(url, content=urlencode([("query", text), *dataset]), headers=headers)
        answer.raise_for_status()
        return answer.text.count("<result>")

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description="Virtuoso lineage queries, before and after")
    parser.add_argument("scale", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--budget", type=float, default=60.0)
    arguments = parser.parse_args()
    sample = sample_file(arguments.scale)
    truth = truth_of(sample)
    probes = {
        "item": [str(lot["lot"]) for lot in truth["lots"]],  # type: ignore[attr-defined]
        "unit": [str(u["unit"]) for u in truth["top_units"]],  # type: ignore[attr-defined]
    }
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from backends.virtuoso import start_server

    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        server = start_server(folder / "virtuoso", max_rows=10_000_000, max_seconds=600)
        try:
            embedded = EmbeddedStore.open(folder / "embedded")
            settings = server.settings(Settings()).with_(store_timeout_seconds=1800)
            virtuoso = open_store(settings)
            loads = [_load(embedded, sample), _load(virtuoso, sample)]
            print(f"loaded: embedded {loads[0]:.0f} s, virtuoso {loads[1]:.0f} s", file=sys.stderr)
            graphs = virtuoso.graph_names()  # type: ignore[attr-defined]
            dataset = VirtuosoDialect().dataset_params(graphs, graphs)
            variants: dict[str, Callable[[str, str, str], int]] = {
                "shared text, kept-alive connection (before)": _bare(
                    server.query_url, server.auth(), dataset, close=False, own=False
                ),
                "shared text, connection per answer": _bare(
                    server.query_url, server.auth(), dataset, close=True, own=False
                ),
                "Virtuoso's text, connection per answer (now)": _bare(
                    server.query_url, server.auth(), dataset, close=True, own=True
                ),
            }
            rows: list[list[object]] = []
            for name, parameter in PLAN.items():
                values = probes[parameter]
                query = queries.get(name)
                base, _ = _timings(
                    lambda v, q=query, p=parameter: len(lineage.run(embedded, q, {p: v}).rows),
                    values,
                    arguments.calls,
                    arguments.budget,
                )
                e50 = percentiles(base)[0]
                rows.append([name, "embedded, store interface", len(base), e50 * 1000, 1.0, ""])
                through, _ = _timings(
                    lambda v, q=query, p=parameter: len(lineage.run(virtuoso, q, {p: v}).rows),
                    values,
                    arguments.calls,
                    arguments.budget,
                )
                v50 = percentiles(through)[0]
                rows.append([name, "virtuoso, store interface (now)", len(through), v50 * 1000])
                rows[-1] += [v50 / e50, ""]
                first: list[int] | None = None
                for label, run in variants.items():
                    samples, counts = _timings(
                        lambda v, r=run, n=name, p=parameter: r(n, p, v),
                        values,
                        arguments.calls,
                        arguments.budget,
                    )
                    common = min(len(counts), len(first or counts))
                    agree = first is None or counts[:common] == first[:common]
                    same = "" if first is None else ("yes" if agree else "NO")
                    first = first or counts
                    p50 = percentiles(samples)[0]
                    rows.append([name, f"virtuoso bare: {label}", len(samples), p50 * 1000])
                    rows[-1] += [p50 / e50, same]
                print(f"{name} measured", file=sys.stderr)
            virtuoso.close()
            embedded.close()
        finally:
            server.stop()
    print(
        f"Virtuoso lineage queries at {arguments.scale:,} triples; load average "
        f"{os.getloadavg()[0]:.1f} at the end (2 cores, shared with other jobs)"
    )
    print()
    headers = ["query", "how", "calls", "p50 ms", "/ embedded", "same row counts"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
