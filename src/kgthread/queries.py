"""Named queries: one ``queries/<name>.rq`` file each, with its parameters in a header.

The header is comment lines at the top of the file::

    # name: recall
    # summary: Every unit that contains a lot ...
    # param: item iri  The material lot under suspicion.
    # evidence: shipment kgt:shippedUnit unit

An ``evidence`` line names one hop of each answer row (subject column, predicate,
object column) whose source batches and records an evidence request looks up.
Parameter values are bound as RDF terms by the engine (pyoxigraph substitutions), never
spliced into the text, so a value cannot change what the query does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from kgthread import assets, vocab
from kgthread.errors import BadRequest, NotFound
from kgthread.store.base import GraphStore, QueryResult, Term

_HEADER = re.compile(r"^#\s*(name|summary|param|evidence):\s*(.*)$")
_CONTINUATION = re.compile(r"^#\s{2,}(.*)$")
_TYPES = ("iri", "string", "integer", "decimal", "dateTime")


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    description: str

    def bind(self, raw: str) -> Term:
        """The RDF term for a raw value, or :class:`BadRequest` naming the parameter."""
        try:
            if self.type == "iri":
                if not raw or any(ch in raw for ch in '<>"{}|^`\\ \n\t') or ":" not in raw:
                    raise ValueError(raw)
                return NamedNode(raw)
            if self.type == "integer":
                return Literal(str(int(raw)), datatype=vocab.XSD_INTEGER)
            if self.type == "decimal":
                return Literal(str(Decimal(raw)), datatype=vocab.XSD_DECIMAL)
            if self.type == "dateTime":
                return Literal(datetime.fromisoformat(raw).isoformat(), datatype=vocab.XSD_DATETIME)
        except (ValueError, InvalidOperation) as exc:
            raise BadRequest(
                f"parameter {self.name!r} must be of type {self.type}", parameter=self.name
            ) from exc
        return Literal(raw)


@dataclass(frozen=True)
class Hop:
    """One statement of an answer row: ``?subject <predicate> ?object``, by column name."""

    subject: str
    predicate: NamedNode
    object: str


@dataclass(frozen=True)
class NamedQuery:
    name: str
    summary: str
    parameters: tuple[Parameter, ...]
    text: str
    path: Path
    evidence: tuple[Hop, ...] = ()

    def run(self, store: GraphStore, values: Mapping[str, str]) -> QueryResult:
        unknown = set(values) - {p.name for p in self.parameters}
        if unknown:
            raise BadRequest(f"unknown parameter(s) for {self.name}: {', '.join(sorted(unknown))}")
        bound: dict[str, Term] = {}
        for parameter in self.parameters:
            if parameter.name not in values:
                raise BadRequest(
                    f"missing parameter {parameter.name!r} for {self.name}",
                    parameter=parameter.name,
                )
            bound[parameter.name] = parameter.bind(values[parameter.name])
        return store.query(self.text, substitutions=bound)


def parse_header(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    name, summary, params, hops = path.stem, [], [], []
    last = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header = _HEADER.match(line)
        if header:
            last = header.group(1)
            value = header.group(2).strip()
            if last == "name":
                name = value
            elif last == "summary":
                summary.append(value)
            elif last == "evidence":
                hops.append(_hop(path, value))
            else:
                params.append(_parameter(path, value))
        elif last == "summary" and (more := _CONTINUATION.match(line)):
            summary.append(more.group(1).strip())
    return NamedQuery(name, " ".join(summary), tuple(params), text, path, tuple(hops))


def _parameter(path: Path, declaration: str) -> Parameter:
    parts = declaration.split(maxsplit=2)
    if len(parts) < 2 or parts[1] not in _TYPES:
        raise BadRequest(f"{path.name}: bad parameter declaration {declaration!r}")
    return Parameter(parts[0], parts[1], parts[2] if len(parts) > 2 else "")


def _hop(path: Path, declaration: str) -> Hop:
    parts = declaration.split()
    prefix, colon, local = parts[1].partition(":") if len(parts) == 3 else ("", "", "")
    if not colon or prefix not in vocab.PREFIXES:
        raise BadRequest(f"{path.name}: bad evidence declaration {declaration!r}")
    return Hop(parts[0], NamedNode(vocab.PREFIXES[prefix] + local), parts[2])


@cache
def catalog(folder: Path | None = None) -> dict[str, NamedQuery]:
    """Every named query in ``queries/``, by name."""
    directory = folder or assets.queries_dir()
    found = (parse_header(p) for p in sorted(directory.glob("*.rq")))
    return {q.name: q for q in found}


def get(name: str) -> NamedQuery:
    try:
        return catalog()[name]
    except KeyError:
        raise NotFound(f"no named query {name!r}", name=name) from None
