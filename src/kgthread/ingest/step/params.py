"""Parameter lists: the full parser, and a check that validates without building values.

Most instances of a real file are geometry the mapping never reads. Those are only checked:
the text is rewritten by a few C-speed substitutions into a skeleton (``v`` a value, ``k`` a
keyword) and lists are collapsed innermost-first; the list is well formed exactly when the
skeleton collapses to one ``v``. Instances the mapping needs are parsed into values.
Both refuse lists nested deeper than :data:`~kgthread.ingest.step.limits.MAX_NESTING`, so a
hostile file can exhaust neither the stack nor (one pass per level) the time.
"""

from __future__ import annotations

import re

from kgthread.ingest.step import strings
from kgthread.ingest.step.limits import MAX_NESTING, MAX_STRING
from kgthread.ingest.step.values import DERIVED, Binary, Enum, Ref, Typed, Value

_TOKEN = re.compile(
    r"""[ \t\r\n]*("""
    r"""'(?:[^']++|'')*+'|"[^"]*+"|#\d+|[+-]?\d+(?:\.\d*)?(?:[Ee][+-]?\d+)?"""
    r"""|\.[A-Za-z_][A-Za-z0-9_]*\.|!?[A-Za-z_][A-Za-z0-9_]*|[(),$*]|\S)"""
)
_QUOTED = re.compile(r"'(?:[^']++|'')*+'" + r'|"[^"]*+"')
_REF = re.compile(r"#(\d+)")
_KEYWORD = re.compile(r"!?[A-Za-z_][A-Za-z0-9_]*")
_ATOM = re.compile(r"\x01|#\d+|[+-]?\d+(?:\.\d*)?(?:k[+-]?\d*)?|\.k\.|[$*]")
_LIST = re.compile(r"k?\((?:v(?:,v)*+)?\)")
_BINARY = re.compile(r'"[0-3][0-9A-Fa-f]*"')
_REAL_MARKS = frozenset(".Ee")
_FAST_ATOM = (
    r"(?:'[^'#]*+'|#\d++|[+-]?\d++(?:\.\d*+)?(?:[Ee][+-]?\d++)?|\.[A-Za-z_][A-Za-z0-9_]*+\.|[$*])"
)
_FAST_LIST = rf"\([ \t\r\n]*(?:{_FAST_ATOM}(?:[ \t\r\n]*,[ \t\r\n]*{_FAST_ATOM})*+)?[ \t\r\n]*\)"
_FAST_ITEM = rf"(?:{_FAST_ATOM}|{_FAST_LIST})"
_FAST = re.compile(
    rf"[ \t\r\n]*\([ \t\r\n]*(?:{_FAST_ITEM}(?:[ \t\r\n]*,[ \t\r\n]*{_FAST_ITEM})*+)?"
    rf"[ \t\r\n]*\)[ \t\r\n]*"
)
"""Lists of plain values and flat lists, nested at most twice, with strings that hold no
quote and no ``#``: most geometry (CARTESIAN_POINT, DIRECTION, ORIENTED_EDGE) is one match
of this, and its references are every ``#digits`` in it."""


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def parse_list(toks: list[str], i: int, depth: int = 1) -> tuple[tuple[Value, ...], int]:
    """The list opening at ``toks[i]``; :class:`ValueError` says what is wrong."""
    if toks[i] != "(":
        raise ValueError(f"expected '(' but found {toks[i]!r}")
    if depth > MAX_NESTING:
        raise ValueError(f"parameter lists nested deeper than {MAX_NESTING}")
    i += 1
    if toks[i] == ")":
        return (), i + 1
    items: list[Value] = []
    while True:
        tok = toks[i]
        first = tok[0]
        value: Value
        if first == "#":
            value, i = Ref(int(tok[1:])), i + 1
        elif first == "'":
            if len(tok) > MAX_STRING + 2:
                raise ValueError(f"a string longer than {MAX_STRING} characters")
            value, i = strings.decode(tok), i + 1
        elif first.isdigit() or first in "+-":
            value = float(tok) if _REAL_MARKS.intersection(tok) else int(tok)
            i += 1
        elif first == "(":
            value, i = parse_list(toks, i, depth + 1)
        elif first == "$":
            value, i = None, i + 1
        elif first == "*":
            value, i = DERIVED, i + 1
        elif first == "." and len(tok) > 2:
            value, i = Enum(tok[1:-1].upper()), i + 1
        elif first.isalpha() or first in "_!":
            params, i = parse_list(toks, i + 1, depth + 1)
            value = Typed(tok.upper(), params)
        elif first == '"' and _BINARY.fullmatch(tok):
            value, i = Binary(tok[1:-1]), i + 1
        else:
            raise ValueError(f"unexpected {tok!r}")
        items.append(value)
        tok = toks[i]
        if tok == ",":
            i += 1
        elif tok == ")":
            return tuple(items), i + 1
        else:
            raise ValueError(f"expected ',' or ')' but found {tok!r}")


def parse(text: str) -> tuple[Value, ...]:
    """A whole parameter list ``( ... )`` and nothing after it."""
    toks = tokens(text)
    try:
        values, end = parse_list(toks, 0)
    except IndexError:
        raise ValueError("the parameter list is not closed") from None
    if end != len(toks):
        raise ValueError(f"unexpected {toks[end]!r} after the parameter list")
    return values


def parse_records(text: str) -> dict[str, tuple[Value, ...]]:
    """The records of a complex instance, ``(A()B(1)C('x'))``."""
    toks = tokens(text)
    records: dict[str, tuple[Value, ...]] = {}
    try:
        if toks[0] != "(":
            raise ValueError(f"expected '(' but found {toks[0]!r}")
        i = 1
        while toks[i] != ")":
            name = toks[i]
            if not (name[0].isalpha() or name[0] in "_!"):
                raise ValueError(f"expected an entity name but found {name!r}")
            params, i = parse_list(toks, i + 1)
            if name.upper() in records:
                raise ValueError(f"{name} appears twice in one complex instance")
            records[name.upper()] = params
    except IndexError:
        raise ValueError("the complex instance is not closed") from None
    if i + 1 != len(toks):
        raise ValueError(f"unexpected {toks[i + 1]!r} after the complex instance")
    if not records:
        raise ValueError("a complex instance with no records")
    return records


def check(text: str) -> list[str] | None:
    """The references of a well-formed parameter list (as digit strings), or ``None``."""
    if _FAST.fullmatch(text):
        return _REF.findall(text)
    skeleton = _QUOTED.sub("\x01", text) if ("'" in text or '"' in text) else text
    refs: list[str] = _REF.findall(skeleton)
    skeleton = _ATOM.sub("v", _KEYWORD.sub("k", skeleton))
    skeleton = "".join(skeleton.split())
    for _ in range(MAX_NESTING + 1):
        if skeleton == "v":
            return refs
        skeleton, count = _LIST.subn("v", skeleton)
        if not count:
            return None
    return None


def references(value: Value, found: list[int]) -> None:
    """Every instance a parsed value refers to, appended to ``found``."""
    if isinstance(value, Ref):
        found.append(value.id)
    elif isinstance(value, tuple):
        for item in value:
            references(item, found)
    elif isinstance(value, Typed):
        for item in value.params:
            references(item, found)
