"""Shared helpers for the benchmarks: sample files, timing, peak memory, markdown tables."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(os.environ.get("KGTHREAD_BENCH_DIR", ROOT / "build" / "bench"))


def sample_file(scale: int, seed: int = 7) -> Path:
    """A sample factory of about ``scale`` triples, generated once and reused."""
    from kgthread.sample import generate

    WORK.mkdir(parents=True, exist_ok=True)
    out = WORK / f"factory-{scale}-{seed}.nt"
    if not out.exists():
        partial = out.with_suffix(".partial.nt")
        generate(scale, seed, partial, truth=out.with_suffix(".truth.json"))
        partial.rename(out)
    return out


def truth_of(sample: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(sample.with_suffix(".truth.json").read_text())
    return loaded


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def percentiles(samples: Sequence[float]) -> tuple[float, float]:
    """p50 and p99 of ``samples`` (seconds)."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def run_child(code: str, *args: str) -> tuple[dict[str, float], float]:
    """Run ``code`` in a fresh interpreter; returns what it printed as JSON and its peak RSS
    in MiB (``ru_maxrss`` of the child alone, so runs do not inherit each other's peaks)."""
    wrapper = (
        "import json, resource, sys\n"
        + code
        + "\nusage = resource.getrusage(resource.RUSAGE_SELF)\n"
        + "RESULT['peak_rss_mib'] = usage.ru_maxrss / 1024\n"
        + "print(json.dumps(RESULT))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result, result.pop("peak_rss_mib")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:,.3f}" if value < 100 else f"{value:,.0f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


async def loopback_get(
    port: int, paths: list[str], connections: int, extra: str = "", expect: int = 200
) -> list[float]:
    """Send every path once as a GET over ``connections`` keep-alive sockets to 127.0.0.1
    (raw HTTP/1.1, so the client costs next to nothing beside the server it measures);
    per-request seconds. ``extra`` holds header lines (each ending in CRLF); any status but
    ``expect`` stops the run."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for path in paths:
        queue.put_nowait(path)
    latencies: list[float] = []

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while not queue.empty():
            path = queue.get_nowait()
            started = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n{extra}\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            lines = head.split(b"\r\n")
            if any(line.lower() == b"transfer-encoding: chunked" for line in lines):
                while True:
                    size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            else:
                length = [
                    int(x.split(b":")[1]) for x in lines if x.lower().startswith(b"content-length:")
                ]
                await reader.readexactly(length[0] if length else 0)
            latencies.append(time.perf_counter() - started)
            if status != expect:
                raise RuntimeError(f"{path}: HTTP {status}")
        writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return latencies
