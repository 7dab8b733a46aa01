"""The SPARQL page's examples: every named query (``queries/*.rq``) with a sample value for
each parameter, picked from the store, and the prefixes the editor starts with.

The page puts the samples into the editor as a ``VALUES`` row the user sees and can change;
this module only picks them (bound as terms into ``explorer_rq/sample*.rq``), it never
writes SPARQL text.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from pyoxigraph import NamedNode, QuerySolutions

from kgthread import assets, ids, queries, vocab
from kgthread.api.explorer_data import rq_text
from kgthread.store.base import GraphStore

_CLASS_IN_DESCRIPTION = re.compile(r"\(an? (\w+):(\w+) IRI\)")
_CLASS_BY_NAME = {"item": "MaterialLot", "iri": "SerializedUnit", "unit": "SerializedUnit"}
_STATEMENT = ("subject", "predicate", "object")
_UNIT = vocab.KGT_NS + "SerializedUnit"
_ONTOLOGY_PREFIX = re.compile(r"^@prefix\s+([A-Za-z][\w-]*):\s*<([^>]+)>\s*\.", re.MULTILINE)


@cache
def prefixes() -> dict[str, str]:
    """The ontology file's prefixes, the project's own (``vocab.PREFIXES``) and ``id:``."""
    text = assets.ontology_file().read_text(encoding="utf-8")
    found = dict(_ONTOLOGY_PREFIX.findall(text))
    return {**found, **vocab.PREFIXES, "id": ids.DATA_BASE}


def examples(store: GraphStore) -> list[dict[str, Any]]:
    """``[{"name", "summary", "text", "parameters": [{"name", "type", "description",
    "sample"}]}]``, ``sample`` an IRI from the store or ``None`` when none fits."""
    statement = _statement(store)
    picked: dict[tuple[str, bool], str | None] = {}
    found = []
    for query in queries.catalog().values():
        parameters = []
        for parameter in query.parameters:
            sample: str | None = None
            if parameter.name in _STATEMENT and statement:
                sample = statement[parameter.name]
            elif parameter.type == "iri":
                cls = _class_of(parameter.name, parameter.description)
                top = cls == _UNIT  # a finished unit: its genealogy, history, trace are rich
                if cls and (cls, top) not in picked:
                    picked[(cls, top)] = _instance(store, cls, top)
                sample = picked.get((cls, top)) if cls else None
            parameters.append(
                {
                    "name": parameter.name,
                    "type": parameter.type,
                    "description": parameter.description,
                    "sample": sample,
                }
            )
        found.append(
            {
                "name": query.name,
                "summary": query.summary,
                "text": query.text,
                "parameters": parameters,
            }
        )
    return found


def _class_of(name: str, description: str) -> str | None:
    match = _CLASS_IN_DESCRIPTION.search(description)
    if match and match.group(1) in vocab.PREFIXES:
        return vocab.PREFIXES[match.group(1)] + match.group(2)
    local = _CLASS_BY_NAME.get(name)
    return vocab.KGT_NS + local if local else None


def _instance(store: GraphStore, cls: str, top: bool) -> str | None:
    result = store.query(
        rq_text("sample-top" if top else "sample"), substitutions={"class": NamedNode(cls)}
    )
    assert isinstance(result, QuerySolutions)
    for row in result:
        return str(row["item"].value)
    return None if not top else _instance(store, cls, False)


def _statement(store: GraphStore) -> dict[str, str] | None:
    result = store.query(rq_text("sample-statement"))
    assert isinstance(result, QuerySolutions)
    for row in result:
        return {key: str(row[key].value) for key in _STATEMENT}
    return None
