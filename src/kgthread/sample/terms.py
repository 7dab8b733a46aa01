"""N-Triples rendering of terms, done once per constant and cheaply per literal.

The factory writes millions of lines, so vocabulary IRIs are rendered a single time
(:data:`V`) and literals are formatted by small functions instead of building
``pyoxigraph.Literal`` objects. Data IRIs come from :mod:`kgthread.ids` and only pass
through :func:`iri`; their keys are percent-encoded there, so no escaping is needed.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Final

from pyoxigraph import NamedNode

from kgthread import vocab

_XSD = vocab.XSD_NS
_DECIMAL: Final = f"^^<{_XSD}decimal>"
_DOUBLE: Final = f"^^<{_XSD}double>"
_INTEGER: Final = f"^^<{_XSD}integer>"
_BOOLEAN: Final = f"^^<{_XSD}boolean>"
_DATETIME: Final = f"^^<{_XSD}dateTime>"

# ECHAR escapes of N-Triples; other control characters become UCHARs.
_ESCAPES: Final = {
    ord("\\"): "\\\\",
    ord('"'): '\\"',
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
    ord("\b"): "\\b",
    ord("\f"): "\\f",
    **{c: f"\\u{c:04X}" for c in (*range(0x00, 0x08), 0x0B, *range(0x0E, 0x20), 0x7F)},
}
_PLAIN: Final = frozenset(map(chr, range(0x20, 0x7F))) - {"\\", '"'}


def iri(node: NamedNode) -> str:
    """``<...>`` for a minted or vocabulary IRI (already free of characters needing escapes)."""
    return f"<{node.value}>"


def string(text: str) -> str:
    """A plain (``xsd:string``) literal with N-Triples escaping."""
    if _PLAIN.issuperset(text):
        return f'"{text}"'
    return '"' + text.translate(_ESCAPES) + '"'


def decimal(value: float, places: int = 3) -> str:
    """An ``xsd:decimal`` literal with a fixed number of fraction digits."""
    return f'"{value:.{places}f}"{_DECIMAL}'


def decimal_text(lexical: str) -> str:
    """An ``xsd:decimal`` literal from an already valid lexical form such as ``"2"``."""
    return f'"{lexical}"{_DECIMAL}'


def double(value: float) -> str:
    """An ``xsd:double`` literal; ``repr`` of a finite float is a valid lexical form."""
    return f'"{value!r}"{_DOUBLE}'


def integer(value: int) -> str:
    return f'"{value}"{_INTEGER}'


def boolean(value: bool) -> str:
    return '"true"' + _BOOLEAN if value else '"false"' + _BOOLEAN


def iso(ts: int) -> str:
    """UTC ``YYYY-MM-DDThh:mm:ssZ`` for a POSIX timestamp (used in keys and literals)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def datetime(ts: int) -> str:
    """An ``xsd:dateTime`` literal in UTC."""
    return f'"{iso(ts)}"{_DATETIME}'


class _Vocab:
    """Rendered vocabulary terms: ``V.PART_NUMBER`` is ``<https://w3id.org/kgthread/ns#partNumber>``.

    Attributes are looked up in :mod:`kgthread.vocab` on first use and cached, so a typo
    fails loudly and no IRI is spelled here.
    """

    def __getattr__(self, name: str) -> str:
        node = getattr(vocab, name)
        if not isinstance(node, NamedNode):
            raise AttributeError(name)
        rendered = iri(node)
        setattr(self, name, rendered)
        return rendered


V: Final = _Vocab()


@cache
def qudt(code: str) -> str:
    """A rendered QUDT unit IRI, e.g. ``qudt("MilliM")``."""
    return iri(vocab.unit(code))
