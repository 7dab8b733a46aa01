"""Shared pieces of the fuzz tests: bounded, deterministic Hypothesis settings and strategies
that mutate real files (truncate, flip bytes, insert junk, duplicate and drop regions).

``KGTHREAD_FUZZ_EXAMPLES`` raises the number of examples for a longer local run; the default
keeps the suite short. Runs are derandomized (the seed is fixed by the test's name) and use no
example database, so every run of the suite tries the same inputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import shared_data
from kgthread.errors import KgthreadError

EXAMPLES = int(os.environ.get("KGTHREAD_FUZZ_EXAMPLES", "40"))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=10),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
"""Bounded and deterministic; the deadline is the "no hang" bound of every example (generous,
because the machine is shared)."""

MES_DATA = Path(__file__).resolve().parent.parent / "ingest" / "mes" / "data"


def shared(*parts: str) -> Path:
    """A real third-party file or folder under the shared data (see ``shared_data.py``)."""
    return shared_data.require(*parts)


JUNK = st.one_of(
    st.binary(min_size=1, max_size=64),
    st.sampled_from(
        [
            b"\x00",
            b"\xff\xfe",
            b"\xc3",
            b"'",
            b'"',
            b"(",
            b")" * 40,
            b"(" * 200,
            b";",
            b"#",
            b"#999999999=",
            b"/*",
            b"<",
            b"<!DOCTYPE x [<!ENTITY a 'b'>]>",
            b"&a;",
            b"]]>",
            b"\r\n",
            b",,,,",
            b"{",
            b"[" * 3000,
            b"\\",
            b"\\X2\\00",
            "é€𝄞".encode(),
        ]
    ),
)


@st.composite
def mutated(draw: st.DrawFn, originals: list[bytes], max_mutations: int = 3) -> bytes:
    """One of ``originals`` with one to ``max_mutations`` random edits."""
    data = bytearray(draw(st.sampled_from(originals)))
    for _ in range(draw(st.integers(1, max_mutations))):
        size = len(data)
        at = draw(st.integers(0, size))
        kind = draw(st.sampled_from(["truncate", "flip", "insert", "duplicate", "drop"]))
        if kind == "truncate":
            del data[at:]
        elif kind == "flip" and size:
            index = min(at, size - 1)
            data[index] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            data[at:at] = draw(JUNK)
        elif kind == "duplicate" and size:
            end = min(size, at + draw(st.integers(1, 400)))
            data[end:end] = data[at:end]
        elif kind == "drop":
            del data[at : at + draw(st.integers(1, 400))]
    return bytes(data)


def duplicate_line(data: bytes, marker: bytes) -> list[bytes]:
    """Variants of ``data`` where one line holding ``marker`` appears twice (a duplicate id)."""
    lines = data.splitlines(keepends=True)
    found = [i for i, line in enumerate(lines) if marker in line][:5]
    return [b"".join([*lines[: i + 1], lines[i], *lines[i + 1 :]]) for i in found]


def outcome(call: Callable[[], Any]) -> KgthreadError | None:
    """Run ``call``; return the kgthread error it raised (anything else fails the test)."""
    try:
        call()
    except KgthreadError as exc:
        return exc
    return None
