"""What a client's query may not ask the server to do: fetch from other hosts.

Oxigraph evaluates ``SERVICE`` by calling out over HTTP, so a public endpoint would fetch
whatever a client names. Until an allow-list exists, ``SERVICE`` is refused. The scan skips
comments, strings and IRIs, and ignores ``SERVICE`` as part of a prefixed name or variable,
so only the keyword itself is refused.
"""

from __future__ import annotations

import re

from kgthread.errors import Forbidden

_SKIPPED = re.compile(
    r"""
      \#[^\n]*                                  # comment
    | "\""(?:[^"\\]|\\.|"(?!""))*"\""           # long string
    | '''(?:[^'\\]|\\.|'(?!''))*'''
    | "(?:[^"\\\n]|\\.)*"                       # short string
    | '(?:[^'\\\n]|\\.)*'
    | <[^<>"{}|^`\\\s]*>                        # IRI
    """,
    re.VERBOSE,
)
_SERVICE = re.compile(r"(?<![\w:?$-])SERVICE(?![\w:-])", re.IGNORECASE)


def refuse_service(text: str) -> None:
    """Raise :class:`Forbidden` when the query uses the ``SERVICE`` keyword."""
    if _SERVICE.search(_SKIPPED.sub(" ", text)):
        raise Forbidden(
            "SERVICE is refused: this endpoint does not query other hosts on a client's behalf"
        )
