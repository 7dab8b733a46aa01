"""What a client's query or update may ask the server to fetch: ``SERVICE`` and ``LOAD``
targets, each checked against the ``service_allow_list`` setting.

Oxigraph evaluates ``SERVICE`` (and ``LOAD``) by calling out over HTTP, so a public
endpoint would fetch whatever a client names. The text is scanned token by token (comments,
strings and IRIs are skipped as such, so the words inside them do not count, nor do
``ex:SERVICE`` or ``?service``); each ``SERVICE`` or ``LOAD`` keyword's target (an IRI, or
a prefixed name resolved with the text's own ``PREFIX`` declarations) must be on the list,
exactly. A variable target is refused, as is anything that cannot be resolved. A refusal is
a 400 naming the target.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import urljoin

from kgthread.errors import TargetRefused

_TOKEN = re.compile(
    r"""
      (?P<comment>\#[^\n]*)
    | (?P<string>"\""(?:[^"\\]|\\.|"(?!""))*"\""
        | '''(?:[^'\\]|\\.|'(?!''))*'''
        | "(?:[^"\\\n]|\\.)*"
        | '(?:[^'\\\n]|\\.)*')
    | <(?P<iri>(?:[^<>"{}|^`\\\s]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*)>
    | (?P<word>[?$]?[A-Za-z_][\w.\-]*(?::(?:[\w.\-%:]|\\[_~.\-!$&'()*+,;=/?\#@%])*)?
        | :(?:[\w.\-%:]|\\[_~.\-!$&'()*+,;=/?\#@%])*)
    | (?P<other>\S)
    """,
    re.VERBOSE,
)


def allow_list(setting: str) -> frozenset[str]:
    """The ``service_allow_list`` setting as a set of endpoint IRIs."""
    return frozenset(part.strip() for part in setting.split(",") if part.strip())


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind in ("comment", "string"):
            continue
        assert kind is not None
        yield kind, match.group(kind) if kind != "other" else match.group(0)


def targets(text: str, base_iri: str | None = None) -> Iterator[tuple[str, str | None]]:
    """Each ``SERVICE`` or ``LOAD`` keyword of ``text`` with its target IRI (``None`` when
    the target is a variable or cannot be resolved)."""
    prefixes: dict[str, str] = {}
    base = base_iri
    tokens = list(_tokens(text))
    for index, (kind, value) in enumerate(tokens):
        if kind != "word":
            continue
        keyword = value.upper()
        following = tokens[index + 1 : index + 4]
        if keyword == "PREFIX" and len(following) >= 2 and following[1][0] == "iri":
            prefixes[following[0][1].rstrip(":")] = _resolve(following[1][1], base)
        elif keyword == "BASE" and following and following[0][0] == "iri":
            base = _resolve(following[0][1], base)
        elif keyword in ("SERVICE", "LOAD"):
            rest = following
            if rest and rest[0] == ("word", rest[0][1]) and rest[0][1].upper() == "SILENT":
                rest = rest[1:]
            yield keyword, _target(rest[0] if rest else None, prefixes, base)


_IRI_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_LOCAL_ESCAPE = re.compile(r"\\(.)")


def _resolve(iri: str, base: str | None) -> str:
    """The IRI the engine will use: escapes decoded, resolved against ``base``."""
    iri = _IRI_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), iri)
    return urljoin(base, iri) if base and ":" not in iri else iri


def _target(
    token: tuple[str, str] | None, prefixes: dict[str, str], base: str | None
) -> str | None:
    if token is None:
        return None
    kind, value = token
    if kind == "iri":
        return _resolve(value, base)
    if kind == "word" and ":" in value and not value.startswith(("?", "$")):
        prefix, _, local = value.partition(":")
        namespace = prefixes.get(prefix)
        return None if namespace is None else namespace + _LOCAL_ESCAPE.sub(r"\1", local)
    return None


def refuse_unlisted(text: str, allowed: Iterable[str], base_iri: str | None = None) -> None:
    """Raise :class:`TargetRefused` (400) for the first ``SERVICE`` or ``LOAD`` whose
    target is not in ``allowed``."""
    listed = frozenset(allowed)
    for keyword, target in targets(text, base_iri):
        if target is None:
            raise TargetRefused(
                f"{keyword} with a variable or unresolvable target is refused: name an "
                "endpoint on the service_allow_list",
                keyword=keyword,
            )
        if target not in listed:
            raise TargetRefused(
                f"{keyword} <{target}> is refused: that target is not on this server's "
                "service_allow_list",
                keyword=keyword,
                target=target,
            )


def refuse_service(text: str) -> None:
    """Refuse every ``SERVICE`` and ``LOAD`` (an empty allow-list)."""
    refuse_unlisted(text, ())
