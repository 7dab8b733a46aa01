"""STEP reader and mapping speed against steputils, and streaming memory on a 200 MB file.

1. The largest NIST file (nist_ftc_06, 3.3 MB, ~17k instances) and the largest file of the
   Open CASCADE corpus (occt-corpus, CAD exports) read, extracted and mapped to triples,
   median of 3, beside steputils reading the same file in the same run (median of 3).
2. A synthetic Part 21 file of about 200 MB (the same file's data section repeated with
   fresh instance names, built once into build/bench/) streamed through the reader with the
   mapping's filter, and through the whole extraction, each in a fresh process whose peak
   RSS (``resource.getrusage``) is reported.

Usage: python bench/bench_step.py [SIZE_MB]   (default: 200)
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

from common import WORK, run_child, table
from kgthread import assets

SOURCE = assets.shared_data_dir() / "step" / "nist-pmi" / "nist_ftc_06_asme1_ap242-e1.stp"
CORPUS = assets.shared_data_dir() / "step" / "occt-corpus"
_NAME_OR_STRING = re.compile(r"'(?:[^']|'')*'|#(\d+)")

READER = """
import time
from kgthread.ingest.step.extract import wanted
from kgthread.ingest.step.part21 import Reader
started = time.perf_counter()
with open(sys.argv[1], "rb") as stream:
    reader = Reader(stream, "synthetic.stp", wanted=wanted)
    kept = sum(1 for _ in reader.instances())
RESULT = {"seconds": time.perf_counter() - started, "instances": reader.instance_count,
          "kept": kept}
"""

EXTRACT = """
import time
from kgthread.ingest.step.extract import extract
started = time.perf_counter()
with open(sys.argv[1], "rb") as stream:
    extracted, count = extract(stream, "synthetic.stp")
RESULT = {"seconds": time.perf_counter() - started, "instances": count,
          "kept": len(extracted.characteristics)}
"""


def ours(path: Path) -> float:
    from kgthread.ingest.batch import Source
    from kgthread.ingest.step.extract import extract
    from kgthread.ingest.step.mapping import map_files

    started = time.perf_counter()
    with path.open("rb") as stream:
        extracted, _ = extract(stream, path.name)
    mapped = map_files([(extracted, Source(path.name, "0" * 64))])
    assert mapped.triples
    return time.perf_counter() - started


def steputils(path: Path) -> float:
    from steputils import p21

    started = time.perf_counter()
    p21.readfile(str(path))
    return time.perf_counter() - started


def synthetic(size_mb: int) -> Path:
    """The source's data section repeated with every instance name shifted per copy."""
    out = WORK / f"step-synthetic-{size_mb}mb.stp"
    if out.exists():
        return out
    WORK.mkdir(parents=True, exist_ok=True)
    text = SOURCE.read_text(encoding="utf-8")
    start = text.index("DATA;") + len("DATA;")
    end = text.rindex("ENDSEC;")
    head, body = text[:start], text[start:end]
    span = 1 + max(int(m.group(1)) for m in _NAME_OR_STRING.finditer(body) if m.group(1))
    partial = out.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as handle:
        handle.write(head)
        copy = 0
        while handle.tell() < size_mb << 20:
            offset = copy * span

            def shift(match: re.Match[str], offset: int = offset) -> str:
                name = match.group(1)
                return match.group(0) if name is None else f"#{int(name) + offset}"

            handle.write(_NAME_OR_STRING.sub(shift, body))
            copy += 1
        handle.write("ENDSEC;\nEND-ISO-10303-21;\n")
    partial.rename(out)
    return out


def main() -> None:
    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    if not SOURCE.is_file():
        sys.exit(f"{SOURCE} is absent (set KGTHREAD_SHARED_DATA)")
    files = [SOURCE]
    if CORPUS.is_dir():
        files.append(max(CORPUS.glob("*.st*p"), key=lambda p: p.stat().st_size))
    rows: list[list[object]] = []
    for path in files:
        ours_s = statistics.median(ours(path) for _ in range(3))
        theirs_s = statistics.median(steputils(path) for _ in range(3))
        rows += [
            [f"{path.name} read + extract + map (median of 3)", ours_s, "", ""],
            [f"{path.name} steputils.p21.readfile (median of 3)", theirs_s, "", ""],
            [f"{path.name} speed-up over steputils", f"{theirs_s / ours_s:.1f}x", "", ""],
        ]
    big = synthetic(size_mb)
    mib = big.stat().st_size / (1 << 20)
    for label, code in (("reader (mapping's filter)", READER), ("read + extract", EXTRACT)):
        result, rss = run_child(code, str(big))
        rows.append(
            [
                f"{mib:,.0f} MiB synthetic, {label}: {int(result['instances']):,} instances",
                result["seconds"],
                f"{mib / result['seconds']:.1f}",
                rss,
            ]
        )
    print(table(["case", "seconds", "MiB/s", "peak RSS MiB"], rows))


if __name__ == "__main__":
    main()
