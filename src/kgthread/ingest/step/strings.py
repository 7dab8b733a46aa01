"""Part 21 string literals to Python text.

ISO 10303-21 strings are written in a 7-bit alphabet with escapes for everything else:
``''`` for a quote, ``\\\\`` for a backslash, ``\\S\\c`` for the ISO 8859 character ``c``+128
(in the part chosen by ``\\P?\\``, 8859-1 unless told), ``\\X\\hh`` for one 8-bit code,
``\\X2\\...\\X0\\`` for UCS-2 and ``\\X4\\...\\X0\\`` for UCS-4. Edition 3 also allows UTF-8
directly, which arrives here already decoded and passes through untouched.

Header strings are read leniently: CAD systems write Windows paths into FILE_NAME without
doubling their backslashes (a single ``\\`` between folder names), so a
backslash that starts no escape is taken as itself there (:func:`literal_backslashes`).
"""

from __future__ import annotations

import re

_DIRECTIVE = re.compile(
    r"\\\\"
    r"|\\S\\(.)"
    r"|\\P([A-I])\\"
    r"|\\X\\([0-9A-Fa-f]{2})"
    r"|\\X2\\((?:[0-9A-Fa-f]{4})*)\\X0\\"
    r"|\\X4\\((?:[0-9A-Fa-f]{8})*)\\X0\\"
    r"|\\",
    re.DOTALL,
)


def decode(literal: str) -> str:
    """The text of a string token (quotes included); :class:`ValueError` on a bad escape."""
    body = literal[1:-1]
    if "''" in body:
        body = body.replace("''", "'")
    if "\\" not in body:
        return body
    codepage = ["iso8859-1"]

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if text == "\\\\":
            return "\\"
        shifted, page, eight, ucs2, ucs4 = match.groups()
        if shifted is not None:
            return bytes([(ord(shifted) & 0x7F) + 128]).decode(codepage[0], errors="replace")
        if page is not None:
            codepage[0] = f"iso8859-{ord(page) - ord('A') + 1}"
            return ""
        if eight is not None:
            return chr(int(eight, 16))
        if ucs2 is not None:
            return "".join(chr(int(ucs2[i : i + 4], 16)) for i in range(0, len(ucs2), 4))
        if ucs4 is not None:
            return "".join(chr(int(ucs4[i : i + 8], 16)) for i in range(0, len(ucs4), 8))
        raise ValueError(f"bad escape in string {literal[:60]!r}")

    return _DIRECTIVE.sub(replace, body)


_ESCAPE_OR_STRAY = re.compile(
    r"\\\\"
    r"|\\S\\."
    r"|\\P[A-I]\\"
    r"|\\X\\[0-9A-Fa-f]{2}"
    r"|\\X2\\(?:[0-9A-Fa-f]{4})*\\X0\\"
    r"|\\X4\\(?:[0-9A-Fa-f]{8})*\\X0\\"
    r"|(\\)",
    re.DOTALL,
)
_QUOTED = re.compile(r"'(?:[^']++|'')*+'")


def _double_stray(match: re.Match[str]) -> str:
    return "\\\\" if match.group(1) is not None else match.group(0)


def _fix_string(match: re.Match[str]) -> str:
    return _ESCAPE_OR_STRAY.sub(_double_stray, match.group(0))


def literal_backslashes(statement: str) -> str:
    """``statement`` with every backslash that starts no escape, inside its strings, doubled
    so that it reads as itself."""
    return _QUOTED.sub(_fix_string, statement) if "\\" in statement else statement
