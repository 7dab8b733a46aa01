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


Refuse = Callable[[str, int], Exception]
"""The error for a problem no mode can read past, at a line (the caller raises it)."""


def decoded(
    stream: BinaryIO,
    complain: Complain,
    chunk_size: int = CHUNK_SIZE,
    *,
    refuse: Refuse | None = None,
    encoding: str | None = None,
) -> Iterator[str]:
    """The file's text in chunks: UTF-8 (ASCII is a subset; edition 3 allows UTF-8 in
    strings), or the ``encoding`` the caller names for files written in a legacy code page.

    Bytes that are not text in that encoding refuse the file in either mode (``refuse``):
    read with replacement characters, distinct part numbers would merge. Control characters
    are complaints with their line; NUL bytes padding the end of the file are dropped.
    """
    data = stream.read(chunk_size)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if data[:2] in _UTF16_BOMS or b"\x00" in data[:4]:
        complain("the file is UTF-16 or binary; ISO 10303-21 files are ASCII or UTF-8", 1)
        return
    codec = encoding or "utf-8"
    decoder = codecs.getincrementaldecoder(codec)("strict")
    line = 1
    padding = ""  # NULs (and blanks) that end the text so far: padding if nothing follows
    while data:
        try:
            text = decoder.decode(data)
        except UnicodeDecodeError as exc:
            bad = data[exc.start : exc.start + 1].hex()
            where = line + data[: exc.start].count(b"\n")
            message = f"byte 0x{bad} is not {encoding or 'UTF-8'} text"
            if encoding is None:
                message += (
                    ": the file is written in another encoding; ISO 10303-21 files are ASCII "
                    "or UTF-8. Name its encoding with the adapter option encoding= "
                    "(for example --option encoding=cp1251)"
                )
            if refuse is None:
                complain(message, where)
                return
            raise refuse(message, where) from None
        if padding:
            if not text.strip(_PADDING):
                padding += text
                data = stream.read(chunk_size)
                continue
            text, padding = padding + text, ""
        else:
            tail = len(text.rstrip(_PADDING))
            if "\x00" in text[tail:]:
                text, padding = text[:tail], text[tail:]
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
        message = f"the file ends inside a {encoding or 'UTF-8'} character"
        if refuse is None:
            complain(message, line)
        else:
            raise refuse(message, line) from None


_PADDING = "\x00 \t\r\n"


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
