"""OPC UA watcher benchmark: a local server floods value changes, the watcher summarises.

Prints a markdown table: value changes per second the server wrote and the watcher folded
into windows, the delivery lag (receive time minus source timestamp) at the start and the
end of the run (a growing lag is a growing backlog), summaries committed through the gate,
and the watcher's peak RSS. The server is asyncua (default) or node-opcua (``npm ci`` first;
it samples a change-driven item no faster than 20 times a second per node here, so it
cannot produce the flood).

    .venv/bin/python bench/bench_opcua.py --seconds 60 --rate 5000
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from ingest.sensors.opcua_servers import (  # noqa: E402
    MILL_KEYS,
    ServerProcess,
    asyncua_command,
    free_port,
    node_opcua_command,
)
from kgthread.gate import Gate  # noqa: E402
from kgthread.ingest.pipeline import Pipeline  # noqa: E402
from kgthread.ingest.sensors.config import parse_config  # noqa: E402
from kgthread.ingest.sensors.opcua import Sample  # noqa: E402
from kgthread.ingest.sensors.watcher import Watcher  # noqa: E402
from kgthread.store.embedded import EmbeddedStore  # noqa: E402


def _server(kind: str, port: int, rate: float, seconds: float, folder: Path) -> ServerProcess:
    timeout = seconds + 30
    if kind == "node-opcua":
        command = [*node_opcua_command(port, Path("-"), timeout), str(rate)]
    else:
        command = asyncua_command(port, None, "--rate", str(rate / 3), timeout=timeout)
    return ServerProcess(command)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=5000.0, help="value changes per second")
    parser.add_argument("--server", choices=["asyncua", "node-opcua"], default="asyncua")
    parser.add_argument("--window", type=float, default=5.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        port = free_port()
        server = _server(args.server, port, args.rate, args.seconds, tmp).start()
        store = EmbeddedStore.open(tmp / "store")
        try:
            result = asyncio.run(_measure(port, store, args, tmp))
        finally:
            server.stop()
            store.close()
    _print(args, result)


async def _measure(
    port: int, store: EmbeddedStore, args: argparse.Namespace, tmp: Path
) -> dict[str, float]:
    config = parse_config(
        {
            "endpoint": f"opc.tcp://127.0.0.1:{port}/kgthread/",
            "window_seconds": args.window,
            "grace_seconds": 1.0,
            "flush_seconds": 1.0,
            "queue_size": 10000,
            "publishing_interval_ms": 100,
            "security": {"policy": "None", "allow_insecure": True},
            "nodes": [{"node_id": key, "equipment": ["Mill01"]} for key in MILL_KEYS],
        },
        tmp,
    )
    watcher = Watcher(config, Pipeline(store, Gate.default()))
    received = [0]
    lags: list[tuple[float, float]] = []
    fold = watcher.on_sample

    def measured(sample: Sample) -> None:
        received[0] += 1
        if received[0] % 100 == 0 and sample.source_time is not None:
            now = time.time()
            lags.append((now, now - sample.source_time.timestamp()))
        fold(sample)

    watcher.on_sample = measured  # type: ignore[method-assign]
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    await asyncio.wait_for(watcher.connected.wait(), 30)
    await asyncio.sleep(2.0)  # settle: subscription and first notifications
    start, count0 = time.time(), received[0]
    await asyncio.sleep(args.seconds)
    end, count1 = time.time(), received[0]
    stop.set()
    await asyncio.wait_for(task, 30)
    span = [lag for at, lag in lags if start <= at <= end]
    tenth = max(1, len(span) // 10)
    report = watcher.report()
    return {
        "seconds": end - start,
        "rate": (count1 - count0) / (end - start),
        "lag_start": statistics.median(span[:tenth]) if span else float("nan"),
        "lag_end": statistics.median(span[-tenth:]) if span else float("nan"),
        "lag_max": max(span) if span else float("nan"),
        "summaries": report.get("summaries committed", 0),
        "refused": sum(v for k, v in report.items() if k.startswith("refused")),
        "overflow": report.get("server queue overflow", 0),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _print(args: argparse.Namespace, r: dict[str, float]) -> None:
    print(f"OPC UA watcher, {args.server} server, 3 nodes, window {args.window:g} s\n")
    print("| measure | value | target |")
    print("| --- | --- | --- |")
    print(f"| run length | {r['seconds']:.0f} s | 60 s |")
    print(f"| value changes folded into windows | {r['rate']:,.0f} /s | >= 5,000 /s |")
    print(f"| delivery lag, first tenth (median) | {r['lag_start'] * 1000:.0f} ms | |")
    print(
        f"| delivery lag, last tenth (median) | {r['lag_end'] * 1000:.0f} ms | "
        "not growing (no backlog) |"
    )
    print(f"| delivery lag, max | {r['lag_max'] * 1000:.0f} ms | |")
    print(f"| summaries committed through the gate | {r['summaries']:.0f} | |")
    refused = f"{r['refused']:.0f} / {r['overflow']:.0f}"
    print(f"| values refused / server queue overflows | {refused} | 0 / 0 |")
    print(f"| peak RSS of the watcher process | {r['rss_mb']:.0f} MB | < 200 MB |")


if __name__ == "__main__":
    main()
