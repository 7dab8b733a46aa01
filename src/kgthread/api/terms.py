"""RDF terms as JSON values: plain for ``application/json``, typed for JSON-LD.

Plain JSON gives an IRI as its string and a literal as the nearest JSON value (numbers and
booleans native, everything else its lexical form); JSON-LD keeps what plain JSON loses:
``{"@id"}`` for IRIs, ``{"@value", "@type"}`` / ``"@language"`` for literals.
"""

from __future__ import annotations

import math
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode

from kgthread import vocab
from kgthread.store.base import Term

_INTEGERS = {vocab.XSD_NS + t for t in ("integer", "int", "long", "short", "nonNegativeInteger")}
_FLOATS = {vocab.XSD_NS + t for t in ("decimal", "double", "float")}
_NATIVE = {vocab.XSD_STRING.value, vocab.XSD_BOOLEAN.value, *_INTEGERS}


def plain(term: Term) -> Any:
    if isinstance(term, NamedNode):
        return term.value
    if isinstance(term, BlankNode):
        return "_:" + term.value
    return _literal(term)


def _literal(term: Literal) -> Any:
    datatype = term.datatype.value
    try:
        if datatype == vocab.XSD_BOOLEAN.value:
            return term.value in ("true", "1")
        if datatype in _INTEGERS:
            return int(term.value)
        if datatype in _FLOATS:
            number = float(term.value)
            return number if math.isfinite(number) else term.value
    except ValueError:
        return term.value
    return term.value


def linked(term: Term) -> Any:
    if isinstance(term, NamedNode):
        return {"@id": term.value}
    if isinstance(term, BlankNode):
        return {"@id": "_:" + term.value}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value in _NATIVE:
        return _literal(term)
    return {"@value": term.value, "@type": term.datatype.value}
