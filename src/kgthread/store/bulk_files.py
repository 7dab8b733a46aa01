"""A bulk file cut into Graph Store pieces for a remote store: whole files stream in
chunks, line formats split on line boundaries without parsing, other formats are parsed and
re-serialised. No HTTP here: ``RemoteStore`` sends what these yield."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pyoxigraph import BlankNode, RdfFormat, parse, serialize

from kgthread.errors import BadRequest

UPLOAD_CHUNK = 1024 * 1024
"""Bytes read (and sent) at a time when a file streams whole."""


def file_chunks(source: Path, progress: Callable[[int], None] | None) -> Iterator[bytes]:
    """The file in chunks, reporting bytes sent (httpx streams an iterator as it goes)."""
    sent = 0
    with source.open("rb") as handle:
        while chunk := handle.read(UPLOAD_CHUNK):
            sent += len(chunk)
            if progress is not None:
                progress(sent)
            yield chunk


LINE_FORMATS = (RdfFormat.N_TRIPLES, RdfFormat.N_QUADS)


def mentions_blank_nodes(source: Path, rdf_format: RdfFormat) -> bool:
    """Whether ``source`` may name a blank node. A line format is scanned for ``_:`` (one
    inside a literal only costs the split); another is parsed until the first one."""
    if rdf_format in LINE_FORMATS:
        tail = b""
        with source.open("rb") as handle:
            while chunk := handle.read(UPLOAD_CHUNK):
                if b"_:" in tail + chunk[:1] or b"_:" in chunk:
                    return True
                tail = chunk[-1:]
        return False
    try:
        return any(
            isinstance(q.subject, BlankNode) or isinstance(q.object, BlankNode)
            for q in parse(path=str(source), format=rdf_format)
        )
    except SyntaxError as exc:
        raise BadRequest(f"{source.name}: {exc}") from exc


def line_pieces(source: Path, statements: int) -> Iterator[bytes]:
    """The file cut after every ``statements`` lines (a line holds at most one statement);
    at least one piece, so an empty file still makes its graph."""
    lines: list[bytes] = []
    yielded = False
    with source.open("rb") as handle:
        for line in handle:
            lines.append(line if line.endswith(b"\n") else line + b"\n")
            if len(lines) >= statements:
                yield b"".join(lines)
                lines, yielded = [], True
    if lines or not yielded:
        yield b"".join(lines)


def parsed_pieces(source: Path, rdf_format: RdfFormat, statements: int) -> Iterator[bytes]:
    """``source`` parsed and re-serialised as N-Triples (N-Quads for a dataset format)
    every ``statements`` statements; at least one piece."""
    out = RdfFormat.N_QUADS if rdf_format.supports_datasets else RdfFormat.N_TRIPLES
    piece: list[Any] = []
    yielded = False
    try:
        for quad in parse(path=str(source), format=rdf_format):
            piece.append(quad if out == RdfFormat.N_QUADS else quad.triple)
            if len(piece) >= statements:
                yield serialize(piece, format=out) or b""
                piece, yielded = [], True
    except SyntaxError as exc:
        raise BadRequest(f"{source.name}: {exc}") from exc
    if piece or not yielded:
        yield serialize(piece, format=out) or b""
