"""A streaming N-Triples sink: lines go to disk in chunks, never into a graph.

Bounded memory at ten million triples is the point of this module: triples are joined
into a small buffer and written, counted on the way (the factory steers its size by the
count) and per ``rdf:type`` class (the summary and the ground truth's totals).
``.nt.gz`` output is gzip with a zero timestamp and no file name in the header, so the
same seed gives byte-identical files.
"""

from __future__ import annotations

import gzip
import io
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Final

from kgthread.sample.terms import V

_FLUSH_LINES: Final = 16_384
_PROGRESS_EVERY: Final = 100_000


class NTriplesWriter:
    """Write pre-rendered terms as N-Triples lines; use as a context manager."""

    def __init__(self, out: Path, progress: Callable[[int], None] | None = None) -> None:
        self.count = 0
        self.classes: Counter[str] = Counter()
        self._progress = progress
        self._next_report = _PROGRESS_EVERY
        self._buf: list[str] = []
        self._raw: IO[bytes] = open(out, "wb")  # noqa: SIM115 - closed in close()
        self._gz: gzip.GzipFile | None = None
        if out.name.endswith(".gz"):
            self._gz = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)
        self._text = io.TextIOWrapper(
            self._gz or self._raw, encoding="utf-8", newline="\n", write_through=False
        )
        self._type = V.RDF_TYPE
        self._closed = False

    def __enter__(self) -> NTriplesWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def t(self, s: str, p: str, o: str) -> None:
        """One triple of rendered terms."""
        self._buf.append(f"{s} {p} {o} .\n")
        self.count += 1
        if len(self._buf) >= _FLUSH_LINES:
            self.flush()

    def a(self, s: str, cls: str) -> None:
        """``s rdf:type cls``, counted as an instance of ``cls``."""
        self.classes[cls] += 1
        self.t(s, self._type, cls)

    def flush(self) -> None:
        self._text.write("".join(self._buf))
        self._buf.clear()
        if self._progress is not None and self.count >= self._next_report:
            self._next_report = self.count + _PROGRESS_EVERY
            self._progress(self.count)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.flush()
        self._text.flush()
        self._text.detach()
        if self._gz is not None:
            self._gz.close()
        self._raw.close()
        if self._progress is not None:
            self._progress(self.count)
