"""Bytes to statements: decoding, comment removal and line numbers, in bounded memory.

A Part 21 file is a sequence of statements ended by ``;``. Splitting is the one pass over
every byte, so it is done by one possessive regular expression (linear, no backtracking)
that knows strings, binaries and comments can hold ``;``. The buffer never holds more than
one read chunk plus one unfinished statement, whatever the file size.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from kgthread.ingest.step.limits import MAX_STATEMENT

CHUNK_SIZE = 1 << 20

_STATEMENT = re.compile(
    r"""(?:[^;'"/]++|'(?:[^']++|'')*+'|"[^"]*+"|/\*(?:[^*]++|\*(?!/))*+\*/|/(?!\*))*+;"""
)
_STRING_OR_COMMENT = re.compile(r"""'(?:[^']++|'')*+'|"[^"]*+"|(/\*(?:[^*]++|\*(?!/))*+\*/)""")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True, slots=True)
class Statement:
    text: str
    """The statement without its comments (each replaced by a space and its line breaks)."""
    line: int
    """The line its first character is on."""


Complain = Callable[[str, int], None]
"""Reports a problem at a line: raises in strict mode, records it in failsafe mode."""


def decoded(stream: BinaryIO, complain: Complain, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """The file's text in chunks: UTF-8 (ASCII is a subset; edition 3 allows UTF-8 in
    strings). Anything else, and control characters, are complaints with their line."""
    data = stream.read(chunk_size)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if data[:2] in _UTF16_BOMS or b"\x00" in data[:4]:
        complain("the file is UTF-16 or binary; ISO 10303-21 files are ASCII or UTF-8", 1)
        return
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    line = 1
    while data:
        try:
            text = decoder.decode(data)
        except UnicodeDecodeError as exc:
            bad = data[exc.start : exc.start + 1].hex()
            complain(f"byte 0x{bad} is not UTF-8 text", line + data[: exc.start].count(b"\n"))
            decoder = codecs.getincrementaldecoder("utf-8")("replace")
            text = decoder.decode(data)
        control = _CONTROL.search(text)
        if control is not None:
            where = line + text.count("\n", 0, control.start())
            complain(f"control character {control.group()!r} outside the Part 21 alphabet", where)
            text = _CONTROL.sub(" ", text)
        line += text.count("\n")
        yield text
        data = stream.read(chunk_size)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        complain("the file ends inside a UTF-8 character", line)


def _drop_comment(match: re.Match[str]) -> str:
    comment = match.group(1)
    if comment is None:
        return match.group(0)
    return " " + "\n" * comment.count("\n")


def without_comments(text: str) -> str:
    return _STRING_OR_COMMENT.sub(_drop_comment, text) if "/*" in text else text


def statements(chunks: Iterator[str], complain: Complain) -> Iterator[Statement]:
    """Every ``;``-terminated statement; a tail without ``;`` is a truncated file."""
    buffer, pos, line = "", 0, 1
    exhausted = False
    while True:
        match = _STATEMENT.match(buffer, pos)
        if match is None:
            if exhausted:
                break
            chunk = next(chunks, None)
            if chunk is None:
                exhausted = True
                continue
            buffer = buffer[pos:] + chunk
            pos = 0
            if len(buffer) > MAX_STATEMENT + len(chunk):
                complain(f"a statement longer than {MAX_STATEMENT >> 20} MiB", line)
                return
            continue
        pos = match.end()
        text = without_comments(match.group())
        body = text.lstrip()
        start = line + text.count("\n", 0, len(text) - len(body))
        line += match.group().count("\n")
        yield Statement(body, start)
    tail = without_comments(buffer[pos:])
    if tail.strip():
        body = tail.lstrip()
        start = line + tail.count("\n", 0, len(tail) - len(body))
        complain(f"the file ends inside a statement (no ';'): {body[:40]!r}", start)
