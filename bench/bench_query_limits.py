"""What the capped serialisation of query results costs, beside pyoxigraph serialising the
same result directly in the same run.

Usage: python bench/bench_query_limits.py [ROWS]   (default: 100000)

``kgthread.api.limits.serialize_capped`` writes solutions as TSV through a sink that counts
rows and bytes and checks the deadline, then converts to the format asked for (a second
pass); the peer is ``QuerySolutions.serialize`` straight to that format, with no checks.
Medians of several runs on an in-memory store of ROWS triples; the machine is shared, so the
ratio is the figure to read.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from pyoxigraph import Literal, NamedNode, Quad, QueryResultsFormat, QuerySolutions, Store

from common import table
from kgthread.api.limits import Deadline, QueryLimits, serialize_capped

RUNS = 7
QUERY = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"


def _timed(run: Callable[[], bytes]) -> tuple[float, int]:
    samples, size = [], 0
    for _ in range(RUNS):
        started = time.perf_counter()
        size = len(run())
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), size


def main(rows: int) -> None:
    store = Store()
    ex = "http://example.org/bench/"
    store.extend(
        Quad(NamedNode(f"{ex}s{n}"), NamedNode(f"{ex}p{n % 7}"), Literal(f"value {n}"))
        for n in range(rows)
    )
    limits = QueryLimits(60.0, rows + 1, 1 << 40, 100_000, 1.0)

    def solutions() -> QuerySolutions:
        result = store.query(QUERY)
        assert isinstance(result, QuerySolutions)
        return result

    lines = []
    for fmt in (QueryResultsFormat.JSON, QueryResultsFormat.XML, QueryResultsFormat.TSV):
        direct, size = _timed(lambda fmt=fmt: solutions().serialize(format=fmt) or b"")
        capped, capped_size = _timed(
            lambda fmt=fmt: serialize_capped(solutions(), fmt, limits, Deadline(60.0))
        )
        assert capped_size == size, (fmt, capped_size, size)
        lines.append(
            (fmt.name, rows, size, direct * 1000, capped * 1000, f"{capped / direct:.2f}x")
        )
    print(f"Capped serialisation, {rows:,} rows, median of {RUNS} runs (shared machine)\n")
    print(
        table(
            ("format", "rows", "bytes", "direct ms", "capped ms", "capped / direct"),
            lines,
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
