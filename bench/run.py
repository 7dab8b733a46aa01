"""Run every benchmark and print its table: ``make bench`` (takes a while at 10M triples).

Set ``KGTHREAD_BENCH_SCALES`` (comma separated) to run smaller scales.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCALES = os.environ.get("KGTHREAD_BENCH_SCALES", "1000000,10000000").split(",")


def run(script: str, *args: str) -> None:
    print(f"\n## {script} {' '.join(args)}\n", flush=True)
    subprocess.run([sys.executable, str(HERE / script), *args], check=True, cwd=HERE)


def main() -> None:
    run("bench_gate_engine.py")
    run("bench_load.py", *SCALES)
    run("bench_lineage.py", *SCALES)
    run("bench_conformance.py")
    run("bench_explorer_links.py")
    run("bench_query_limits.py")
    run("bench_audit.py")


if __name__ == "__main__":
    main()
