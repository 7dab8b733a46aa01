"""Virtuoso's answers as they arrive, made readable: ``VirtuosoExchange`` puts these streams
in place of an answer's body (``kgthread.store.virtuoso`` says why each is needed).

- :class:`AnswerStream`: a result set with ``nodeID://`` dropped from its blank-node labels,
  or an N-Triples graph passed on unchanged with its statements counted.
- :class:`RdfJsonAnswer`: a graph answer in RDF/JSON, the one format Virtuoso writes
  doubles in whole and typed, given on as N-Triples with the embedded store's lexical forms.

Both count the statements of a graph answer in ``statements``, for the truncation check;
``STATEMENTS`` is the ``Response.extensions`` key the stream is kept under.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    RdfFormat,
    Store,
    serialize,
)

RDF_JSON = "application/rdf+json"
"""Talis RDF/JSON: the one graph format Virtuoso writes doubles in whole and typed."""

STATEMENTS = "kgthread.virtuoso.statements"
"""``Response.extensions`` key of the stream that counted an answer's statements."""

_BNODE_LABEL = re.compile(rb"(<bnode>|\"bnode\",\s{0,8}\"value\":\s{0,8}\")nodeID://")
_BNODE_MATCH_MAX = 64


class AnswerStream(httpx.SyncByteStream):
    """An answer's bytes as they arrive, with ``nodeID://`` dropped from blank-node labels
    (``rewrite``) or its N-Triples statements counted (``counting``)."""

    def __init__(self, inner: httpx.SyncByteStream, *, rewrite: bool, counting: bool) -> None:
        self._inner = inner
        self.rewrite = rewrite
        self.counting = counting
        self.statements = 0

    def __iter__(self) -> Iterator[bytes]:
        carry = b""
        for chunk in self._inner:
            if self.counting:
                carry = self._count(carry + chunk)
                yield chunk
            elif self.rewrite:
                out, carry = relabel(carry + chunk)
                if out:
                    yield out
            else:
                yield chunk
        if self.counting:
            self._count(carry + b"\n")
        elif carry:
            yield _BNODE_LABEL.sub(rb"\1", carry)

    def _count(self, data: bytes) -> bytes:
        """Count the complete statement lines in ``data``; return the unfinished line."""
        lines = data.split(b"\n")
        for line in lines[:-1]:
            stripped = line.strip()
            if stripped and not stripped.startswith(b"#"):
                self.statements += 1
        return lines[-1]

    def close(self) -> None:
        self._inner.close()


class RdfJsonAnswer(httpx.SyncByteStream):
    """A graph answer in RDF/JSON, given on as N-Triples once whole: every literal with the
    lexical form the embedded store gives it (Virtuoso's N-Triples keep six digits of a
    double). An answer that is not RDF/JSON is given on as it came, to fail parsing."""

    counting = True

    def __init__(self, inner: httpx.SyncByteStream) -> None:
        self._inner = inner
        self.statements = 0

    def __iter__(self) -> Iterator[bytes]:
        body = b"".join(self._inner)
        try:
            graph = Store()
            graph.extend(_rdf_json_quads(body))
        except (ValueError, TypeError, KeyError, AttributeError):
            yield body
            return
        self.statements = len(graph)
        yield serialize(graph, format=RdfFormat.N_TRIPLES) or b""

    def close(self) -> None:
        self._inner.close()


def _rdf_json_quads(body: bytes) -> Iterator[Quad]:
    """The triples of an RDF/JSON document; numbers keep the text they were written with."""
    document = json.loads(body, parse_float=str, parse_int=str)
    for subject_key, predicates in document.items():
        subject = _rdf_json_resource(subject_key)
        for predicate, objects in predicates.items():
            for value in objects:
                yield Quad(subject, NamedNode(predicate), _rdf_json_object(value), DefaultGraph())


def _rdf_json_resource(key: str) -> NamedNode | BlankNode:
    return BlankNode(key[2:]) if key.startswith("_:") else NamedNode(key)


def _rdf_json_object(value: dict[str, object]) -> NamedNode | BlankNode | Literal:
    kind, text = value["type"], value["value"]
    if not isinstance(text, str | bool):
        raise ValueError(f"RDF/JSON value {text!r}")
    if kind in ("uri", "bnode"):
        return _rdf_json_resource(str(text))
    lexical = ("true" if text else "false") if isinstance(text, bool) else text
    if "lang" in value:
        return Literal(lexical, language=str(value["lang"]))
    if "datatype" in value:
        return Literal(lexical, datatype=NamedNode(str(value["datatype"])))
    return Literal(lexical)


def relabel(data: bytes) -> tuple[bytes, bytes]:
    """``data`` with blank-node labels fixed, up to where a label may still be arriving."""
    parts: list[bytes] = []
    position = 0
    for match in _BNODE_LABEL.finditer(data):
        parts.append(data[position : match.start()])
        parts.append(match.group(1))
        position = match.end()
    safe = max(position, len(data) - _BNODE_MATCH_MAX)
    parts.append(data[position:safe])
    return b"".join(parts), data[safe:]
