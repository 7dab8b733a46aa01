"""Binding RDF terms into SPARQL text for a store that only takes text (a remote endpoint).

pyoxigraph binds query parameters as terms (``substitutions``); the SPARQL 1.1 Protocol has
no such thing, so a remote store sends them as ``VALUES`` data blocks: one placed first in
the query's top-level group (bound before anything else is evaluated, as a substitution is),
or rows written into a ``VALUES`` block the ``.rq`` file already declares. Every value is
written by pyoxigraph's own serialiser (``str(term)``), which escapes IRIs and literals, so
no value can change the shape of the query: serialisation of RDF terms, not interpolation
of user text. A light scanner that knows comments, strings and IRIs finds the places.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pyoxigraph import BlankNode, Literal, NamedNode

from kgthread.errors import BadRequest

Value = NamedNode | Literal
Rows = Mapping[tuple[str, ...], Sequence[tuple[Value | None, ...]]]
"""``VALUES`` rows by the variables of the block they fill; ``None`` is ``UNDEF``."""

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_IRI = re.compile(r"<[^<>\"{}|^`\\\s]*>")
_VARIABLE = re.compile(r"[?$]([A-Za-z0-9_]+)")


@dataclass(frozen=True)
class _Token:
    position: int
    text: str  # "{", "}", "(", ")", a keyword (upper case) or a variable ("?name")
    depth: int  # braces open before this token


def _tokens(text: str) -> Iterator[_Token]:
    """Braces, parentheses, bare words and variables outside comments, strings and IRIs."""
    i, depth, size = 0, 0, len(text)
    while i < size:
        char = text[i]
        if char == "#":
            end = text.find("\n", i)
            i = size if end < 0 else end + 1
        elif char in "\"'":
            i = _string_end(text, i)
        elif char == "<" and (found := _IRI.match(text, i)):
            i = found.end()
        elif char == "{":
            yield _Token(i, char, depth)
            depth += 1
            i += 1
        elif char == "}":
            depth -= 1
            yield _Token(i, char, depth)
            i += 1
        elif char in "()":
            yield _Token(i, char, depth)
            i += 1
        elif char in "?$" and (variable := _VARIABLE.match(text, i)):
            yield _Token(i, "?" + variable.group(1), depth)
            i = variable.end()
        elif (word := _WORD.match(text, i)) and (i == 0 or text[i - 1] not in ":_-."):
            end = word.end()
            if end >= size or text[end] != ":":  # a prefixed name is not a keyword
                yield _Token(i, word.group(0).upper(), depth)
            i = end
        else:
            i += 1


def _string_end(text: str, start: int) -> int:
    quote = text[start]
    if text.startswith(quote * 3, start):
        end = text.find(quote * 3, start + 3)
        while end > 0 and _escaped(text, end):
            end = text.find(quote * 3, end + 1)
        return len(text) if end < 0 else end + 3
    i = start + 1
    while i < len(text) and text[i] != quote and text[i] != "\n":
        i += 2 if text[i] == "\\" else 1
    return i + 1


def _escaped(text: str, position: int) -> bool:
    backslashes = 0
    while position - backslashes - 1 >= 0 and text[position - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def pattern_start(text: str) -> int | None:
    """Where the query's (or update's) top-level group pattern opens, just after its ``{``;
    ``None`` for requests with none (``INSERT DATA``)."""
    return _scanned(text)[0] if len(text) <= MEMO_CHARS else _pattern_start(list(_tokens(text)))


def declares_dataset(text: str) -> bool:
    """Whether the query names its own dataset (``FROM`` / ``FROM NAMED`` outside its
    pattern): then the protocol's dataset parameters must not override it."""
    return _scanned(text)[1] if len(text) <= MEMO_CHARS else _declares(list(_tokens(text)))


MEMO_CHARS = 16 * 1024
"""Texts up to this length have their scan remembered: a named query's text is scanned
once, not on every call (a scan costs about as much as the store's answer to it)."""


@lru_cache(maxsize=512)
def _scanned(text: str) -> tuple[int | None, bool]:
    tokens = list(_tokens(text))
    return _pattern_start(tokens), _declares(tokens)


def _pattern_start(tokens: list[_Token]) -> int | None:
    for index, token in enumerate(tokens):
        if token.depth == 0 and token.text == "WHERE":
            return _next_brace(tokens, index)
    for index, token in enumerate(tokens):
        if token.depth == 0 and token.text in ("SELECT", "ASK", "DESCRIBE"):
            return _next_brace(tokens, index)
    return None


def _declares(tokens: list[_Token]) -> bool:
    start = _pattern_start(tokens)
    return any(
        t.text == "FROM" and t.depth == 0 and (start is None or t.position < start) for t in tokens
    )


def _next_brace(tokens: list[_Token], index: int) -> int | None:
    for token in tokens[index + 1 :]:
        if token.text == "{" and token.depth == 0:
            return token.position + 1
    return None


def bind(text: str, substitutions: Mapping[str, Value]) -> str:
    """``text`` with each variable bound to its term before evaluation, as pyoxigraph's
    ``substitutions`` do: a one-row ``VALUES`` first in the top-level group."""
    if not substitutions:
        return text
    start = pattern_start(text)
    if start is None:
        raise BadRequest("parameters can only be bound in a query or update with a pattern")
    names = " ".join("?" + name for name in substitutions)
    row = " ".join(term(value) for value in substitutions.values())
    return f"{text[:start]} VALUES ({names}) {{ ({row}) }} {text[start:]}"


_ENDS = {
    "projection": ("WHERE", "{"),
    "values": ("{",),
    "modifier": ("}", "HAVING", "LIMIT", "OFFSET"),
}
"""The tokens that end a stretch where variables must stay variables."""


def bind_inline(text: str, substitutions: Mapping[str, Value]) -> str:
    """As :func:`bind`, and each occurrence of a bound variable in the pattern written as
    its term too, where SPARQL allows a term: for stores whose planner does not see that a
    ``VALUES`` binding fixes an end of a property path (Virtuoso refuses such a path as
    unbounded). Projections, ``AS`` targets, ``VALUES`` headers and ``GROUP BY`` / ``ORDER
    BY`` keep the variable."""
    if not substitutions:
        return text
    start = pattern_start(text)
    if start is None:
        raise BadRequest("parameters can only be bound in a query or update with a pattern")
    edits: list[tuple[int, int, str]] = []
    mode: str | None = None
    previous = ""
    for token in _tokens(text):
        word = token.text
        if token.position >= start:
            if word == "SELECT":
                mode = "projection"
            elif word == "VALUES":
                mode = "values"
            elif word in ("GROUP", "ORDER"):
                mode = "modifier"
            elif mode is not None and word in _ENDS[mode]:
                mode = None
            elif (
                word.startswith("?")
                and word[1:] in substitutions
                and mode is None
                and previous != "AS"
            ):
                edits.append((token.position, len(word), term(substitutions[word[1:]])))
        previous = word
    for position, length, written in sorted(edits, reverse=True):
        text = text[:position] + written + text[position + length :]
    return bind(text, substitutions)


def fill(text: str, rows: Rows) -> str:
    """``text`` with rows written into the (empty) ``VALUES`` blocks it declares for the
    given variables; a block the mapping does not name is left as it is."""
    edits: list[tuple[int, str]] = []
    tokens = list(_tokens(text))
    for index, token in enumerate(tokens):
        if token.text != "VALUES":
            continue
        names, brace = _block_head(tokens, index)
        if brace is None or names not in rows:
            continue
        lines = [_row(values) for values in rows[names]]
        edits.append((brace, " " + "\n".join(lines) + " "))
    missing = set(rows) - {
        _block_head(tokens, i)[0] for i, t in enumerate(tokens) if t.text == "VALUES"
    }
    if missing:
        raise ValueError(f"the query declares no VALUES block for {sorted(missing)}")
    for position, inserted in sorted(edits, reverse=True):
        text = text[:position] + inserted + text[position:]
    return text


def _block_head(tokens: list[_Token], index: int) -> tuple[tuple[str, ...], int | None]:
    """The variables of the ``VALUES`` block at ``index`` and where its body starts."""
    names: list[str] = []
    for token in tokens[index + 1 :]:
        if token.text.startswith("?"):
            names.append(token.text[1:])
        elif token.text == "{":
            return tuple(names), token.position + 1
        elif token.text not in "()":
            break
    return tuple(names), None


def _row(values: tuple[Value | None, ...]) -> str:
    cells = " ".join("UNDEF" if v is None else term(v) for v in values)
    return f"({cells})" if len(values) != 1 else cells


def term(value: object) -> str:
    """One term as SPARQL text (N-Triples syntax, which SPARQL reads)."""
    if isinstance(value, NamedNode | Literal):
        return str(value)
    if isinstance(value, BlankNode):
        raise BadRequest("a blank node cannot be sent to a remote store as a parameter")
    raise BadRequest(f"cannot send {type(value).__name__} to a remote store as a parameter")


_FORM = re.compile(r"(?i)(SELECT|ASK|CONSTRUCT|DESCRIBE)\b")
_PROLOGUE = re.compile(r"(?is)\s+|\#[^\n]*|BASE\s*<[^>]*>|PREFIX\s+[A-Za-z0-9_.\-]*:\s*<[^>]*>")


def query_form(text: str) -> str | None:
    """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` for a query's text, after its
    prologue (comments, ``BASE``, ``PREFIX``); ``None`` when it is none of them."""
    position = 0
    while True:
        skipped = _PROLOGUE.match(text, position)
        if skipped is None or skipped.end() == position:
            break
        position = skipped.end()
    found = _FORM.match(text, position)
    return found.group(1).upper() if found else None
