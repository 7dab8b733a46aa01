"""Soak: a bounded mixed workload against a real server on loopback.

Usage: python bench/soak.py [--seconds 60] [--scale 50000] [--json]

A sample factory (seed 7, cached by bench/common.py) is loaded through the gate with
``kgthread load``; ``kgthread serve`` then runs in its own process on a free loopback port.
This process is the load generator (asyncio, httpx): each kind of call first runs alone,
sequentially (the peer), then all kinds run at once for ``--seconds``:

- ``sparql``: SELECT, aggregate and ASK queries from ``bench/soak_rq/`` on ``/sparql``;
- ``lineage``: ``recall``, ``genealogy-down`` and ``unit-history`` on ``/api/queries``,
  with the sample's probe lots and units;
- ``ingest``: small valid batches (a new part, revision and units) on ``/api/ingest/rdf``,
  each with a client batch id; every fifth is sent twice, as a client does after a lost
  acknowledgement, and must be answered 200 ``duplicate``.

Afterwards the acknowledged batch ids are compared with the catalog: a lost batch is
acknowledged but absent, a duplicated one appears twice, a phantom is committed but was
never acknowledged. Any non-2xx answer or transport error is an error. The table gives
p50/p99 per kind, alone and under the mixed load, and their ratio (the machine is shared,
so the ratio is the figure to compare). Exit status 1 when anything was lost, duplicated or
failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pyoxigraph import Literal, Triple

from common import percentiles, sample_file, table, truth_of
from kgthread import ids, vocab

HERE = Path(__file__).resolve().parent
QUERIES = {p.stem: p.read_text("utf-8") for p in sorted((HERE / "soak_rq").glob("*.rq"))}
WORKLOAD = ("classes", "units", "ask-consumption")
LINEAGE = (
    ("recall", "item", "lots"),
    ("genealogy-down", "unit", "top"),
    ("unit-history", "unit", "top"),
)
RESULTS_JSON = {"Accept": "application/sparql-results+json"}
RETRY_EVERY = 5


@dataclass
class Kind:
    """The calls of one kind: latencies of the successful ones, and every failure."""

    name: str
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Ledger:
    """What the server acknowledged: batch id -> answers (``committed`` / ``duplicate``)."""

    run: str
    answers: dict[str, list[str]] = field(default_factory=dict)


Call = Callable[[httpx.AsyncClient, int], Awaitable[None]]


def _document(prefix: str, n: int) -> bytes:
    """A valid batch: a new part with one revision and three serialized units of it."""
    number = f"{prefix}-{n:06d}"
    part, revision = ids.part(number), ids.part_revision(number, "A")
    triples = [
        Triple(part, vocab.RDF_TYPE, vocab.PART),
        Triple(part, vocab.PART_NUMBER, Literal(number)),
        Triple(revision, vocab.RDF_TYPE, vocab.PART_REVISION),
        Triple(revision, vocab.REVISION_OF, part),
        Triple(revision, vocab.REVISION_CODE, Literal("A")),
    ]
    for serial in ("S1", "S2", "S3"):
        unit = ids.unit(number, serial)
        triples += [
            Triple(unit, vocab.RDF_TYPE, vocab.SERIALIZED_UNIT),
            Triple(unit, vocab.SERIAL_NUMBER, Literal(serial)),
            Triple(unit, vocab.UNIT_OF_REVISION, revision),
        ]
    return "".join(f"{t} .\n" for t in triples).encode()


async def _timed(
    kind: Kind, send: Awaitable[httpx.Response], expected: set[int]
) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await send
    except httpx.HTTPError as exc:
        kind.errors.append(f"{type(exc).__name__}: {exc}")
        return None
    elapsed = time.perf_counter() - started
    if response.status_code not in expected:
        kind.errors.append(f"{response.status_code}: {response.text[:200]}")
        return None
    kind.seconds.append(elapsed)
    return response


def _calls(truth: dict[str, Any], ledger: Ledger, kinds: dict[str, Kind]) -> dict[str, Call]:
    lots = [lot["lot"] for lot in truth["lots"]][:50]
    top = [unit["unit"] for unit in truth["top_units"]][:50]
    probes = {"lots": lots, "top": top}

    async def sparql(client: httpx.AsyncClient, n: int) -> None:
        text = QUERIES[WORKLOAD[n % len(WORKLOAD)]]
        send = client.get("/sparql", params={"query": text}, headers=RESULTS_JSON)
        await _timed(kinds["sparql"], send, {200})

    async def lineage(client: httpx.AsyncClient, n: int) -> None:
        name, parameter, pool = LINEAGE[n % len(LINEAGE)]
        values = probes[pool]
        send = client.get(f"/api/queries/{name}", params={parameter: values[n % len(values)]})
        await _timed(kinds["lineage"], send, {200})

    async def ingest(client: httpx.AsyncClient, n: int) -> None:
        batch = f"soak-{ledger.run}-{n:06d}"
        body = _document(f"SOAK-{ledger.run}", n)
        params = {"name": f"{batch}.nt", "batch_id": batch}
        sends = 2 if n % RETRY_EVERY == 0 else 1
        for attempt in range(sends):
            send = client.post("/api/ingest/rdf", params=params, content=body)
            response = await _timed(kinds["ingest"], send, {200, 201})
            if response is None:
                return
            status = response.json()["status"]
            ledger.answers.setdefault(batch, []).append(status)
            wanted = "committed" if attempt == 0 else "duplicate"
            if status != wanted:
                kinds["ingest"].errors.append(f"{batch}: answer {attempt + 1} was {status}")

    return {"sparql": sparql, "lineage": lineage, "ingest": ingest}


async def _alone(url: str, calls: dict[str, Call], count: int, start: int) -> None:
    """Each kind on its own, one call at a time: the peer the mixed figures are set beside."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for call in calls.values():
            for n in range(start, start + count):
                await call(client, n)


async def _mixed(url: str, calls: dict[str, Call], workers: dict[str, int], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    counters = {name: 10_000_000 * (i + 1) for i, name in enumerate(calls)}
    limits = httpx.Limits(max_connections=sum(workers.values()) + 2)

    async def worker(client: httpx.AsyncClient, name: str) -> None:
        while time.monotonic() < deadline:
            counters[name] += 1
            await calls[name](client, counters[name])

    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        tasks = [worker(client, name) for name, count in workers.items() for _ in range(count)]
        await asyncio.gather(*tasks)


def _catalog(url: str, prefix: str) -> Counter[str]:
    """How often each batch id with ``prefix`` appears in the catalog."""
    response = httpx.get(
        f"{url}/sparql",
        params={"query": QUERIES["catalog-batches"]},
        headers=RESULTS_JSON,
        timeout=60,
    )
    response.raise_for_status()
    rows = response.json()["results"]["bindings"]
    return Counter(r["id"]["value"] for r in rows if r["id"]["value"].startswith(prefix))


def soak(
    url: str, truth: dict[str, Any], seconds: float, workers: dict[str, int], alone: int
) -> dict[str, Any]:
    """Run both phases against the server at ``url``; the report as a JSON-ready dict."""
    ledger = Ledger(uuid.uuid4().hex[:8])
    quiet = {name: Kind(name) for name in workers}
    loaded = {name: Kind(name) for name in workers}
    asyncio.run(_alone(url, _calls(truth, ledger, quiet), alone, 0))
    asyncio.run(_mixed(url, _calls(truth, ledger, loaded), workers, seconds))
    acknowledged = {batch for batch, answers in ledger.answers.items() if answers}
    catalog = _catalog(url, f"soak-{ledger.run}-")
    report: dict[str, Any] = {
        "seconds": seconds,
        "workers": workers,
        "acknowledged": len(acknowledged),
        "retries": sum(len(a) - 1 for a in ledger.answers.values()),
        "lost": sorted(acknowledged - set(catalog)),
        "duplicated": sorted(b for b, n in catalog.items() if n > 1),
        "phantom": sorted(set(catalog) - acknowledged),
        "kinds": {},
    }
    for name in workers:
        entry: dict[str, Any] = {
            "calls": len(loaded[name].seconds),
            "errors": quiet[name].errors + loaded[name].errors,
        }
        for label, kind in (("alone", quiet[name]), ("mixed", loaded[name])):
            if kind.seconds:
                p50, p99 = percentiles(kind.seconds)
                entry[label] = {"p50_ms": p50 * 1000, "p99_ms": p99 * 1000}
        report["kinds"][name] = entry
    report["errors"] = sum(len(k["errors"]) for k in report["kinds"].values())
    return report


def _pair(figures: dict[str, float]) -> str:
    if not figures:
        return "-"
    return f"{figures['p50_ms']:.1f} / {figures['p99_ms']:.1f}"


def print_report(report: dict[str, Any]) -> None:
    rows = []
    for name, entry in report["kinds"].items():
        alone, mixed = entry.get("alone", {}), entry.get("mixed", {})
        ratio = mixed["p50_ms"] / alone["p50_ms"] if alone and mixed else float("nan")
        rows.append(
            [
                name,
                entry["calls"],
                f"{entry['calls'] / report['seconds']:.1f}",
                _pair(alone),
                _pair(mixed),
                f"{ratio:.1f}x",
                len(entry["errors"]),
            ]
        )
    headers = [
        "kind",
        "calls",
        "calls/s",
        "alone p50 / p99 ms",
        "mixed p50 / p99 ms",
        "p50 mixed/alone",
        "errors",
    ]
    print(table(headers, rows))
    print(
        f"\n{report['seconds']:.0f} s, workers {report['workers']}: "
        f"{report['acknowledged']} batches acknowledged ({report['retries']} retried), "
        f"lost {len(report['lost'])}, duplicated {len(report['duplicated'])}, "
        f"phantom {len(report['phantom'])}, errors {report['errors']}"
    )
    for name, entry in report["kinds"].items():
        for error in entry["errors"][:5]:
            print(f"  {name}: {error}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _kgthread() -> list[str]:
    return [sys.executable, "-m", "kgthread.cli"]


def _wait_ready(url: str, server: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"{url}/sparql", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not answer within {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the mixed phase")
    parser.add_argument("--scale", type=int, default=50_000, help="sample size in triples")
    parser.add_argument("--alone", type=int, default=30, help="calls per kind in the peer phase")
    parser.add_argument("--sparql", type=int, default=4, help="concurrent SPARQL clients")
    parser.add_argument("--lineage", type=int, default=4, help="concurrent lineage clients")
    parser.add_argument("--ingest", type=int, default=2, help="concurrent ingest clients")
    parser.add_argument("--json", action="store_true", help="also print the report as JSON")
    args = parser.parse_args(argv)
    workers = {"sparql": args.sparql, "lineage": args.lineage, "ingest": args.ingest}
    sample = sample_file(args.scale)
    truth = truth_of(sample)
    env = {**os.environ, "KGTHREAD_HOST": "127.0.0.1"}
    with tempfile.TemporaryDirectory(prefix="kgthread-soak-") as folder:
        data = Path(folder) / "store"
        subprocess.run(
            [*_kgthread(), "--data", str(data), "load", str(sample)], check=True, env=env
        )
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            *_kgthread(),
            "--data",
            str(data),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        quiet = subprocess.DEVNULL
        server = subprocess.Popen(command, env=env, stdout=quiet, stderr=quiet)
        try:
            _wait_ready(url, server)
            report = soak(url, truth, args.seconds, workers, args.alone)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=30)
    print_report(report)
    if args.json:
        print(json.dumps(report))
    failed = report["errors"] or report["lost"] or report["duplicated"] or report["phantom"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
