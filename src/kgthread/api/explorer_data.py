"""What the graph explorer shows, read from the store: search hits, a resource's summary,
pages of its links by predicate, and its neighbourhood for the graph view.

The SPARQL lives in ``api/explorer_rq/*.rq`` (internal queries, not named queries); every
value is bound as a term through pyoxigraph substitutions. Labels and definitions of
classes and properties come from the ontology file.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from threading import Lock
from typing import Any
from urllib.parse import unquote

from pyoxigraph import Literal, NamedNode, QuerySolutions, RdfFormat, Store

from kgthread import assets, ids, vocab
from kgthread.api import explorer_cursor
from kgthread.store.base import INFERRED_GRAPH, GraphStore, Term

PAGE = 50
NEIGHBOURS = 12
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_RQ = Path(__file__).with_name("explorer_rq")
_SKOS_DEFINITION = "http://www.w3.org/2004/02/skos/core#definition"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_ID_BASE = ids.DATA_BASE
_NUMERIC = {vocab.XSD_NS + t for t in ("decimal", "double", "float", "integer", "int", "long")}


@cache
def rq_text(name: str) -> str:
    return (_RQ / f"{name}.rq").read_text(encoding="utf-8")


@cache
def ontology_terms() -> dict[str, dict[str, str]]:
    """Label and skos:definition of every ontology term, by IRI."""
    found: dict[str, dict[str, str]] = {}
    store = Store()
    store.bulk_load(path=str(assets.ontology_file()), format=RdfFormat.TURTLE)
    for quad in store.quads_for_pattern(None, None, None, None):
        key = {_RDFS_LABEL: "label", _SKOS_DEFINITION: "definition"}.get(quad.predicate.value)
        if key and isinstance(quad.subject, NamedNode) and isinstance(quad.object, Literal):
            found.setdefault(quad.subject.value, {})[key] = quad.object.value
    return found


def forget_sorted_links() -> None:
    """Drop the cached sorted groups (benchmarks measure the first visit with it)."""
    with _SORTED_LOCK:
        _SORTED.clear()


def term_info(iri: str) -> dict[str, str]:
    """``{"iri", "label", "definition"}`` for a class or property IRI."""
    known = ontology_terms().get(iri, {})
    return {
        "iri": iri,
        "label": known.get("label", compact(iri)),
        "definition": known.get("definition", ""),
    }


def compact(iri: str) -> str:
    """``kgt:Unit`` for a term of a known namespace, else the IRI."""
    for prefix, namespace in vocab.PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _solutions(store: GraphStore, name: str, values: Mapping[str, Term]) -> Iterator[Any]:
    result = store.query(rq_text(name), substitutions=dict(values))
    assert isinstance(result, QuerySolutions)
    return iter(result)


def _text(term: Term | None) -> str | None:
    return None if term is None else term.value


def search(store: GraphStore, prefix: str) -> list[dict[str, Any]]:
    """Up to 20 resources whose identifier or label starts with ``prefix``."""
    if not prefix.strip():
        return []
    hits = []
    for row in _solutions(store, "search", {"prefix": Literal(prefix.strip())}):
        cls = _text(row["class"])
        hits.append(
            {
                "iri": row["item"].value,
                "field": compact(row["field"].value),
                "match": row["match"].value,
                "class": compact(cls) if cls else None,
            }
        )
    return hits


def summary(store: GraphStore, iri: str) -> dict[str, Any]:
    """Types, literal properties (with unit) and link groups with counts of one resource."""
    node = NamedNode(iri)
    types: list[dict[str, Any]] = []
    literals: list[dict[str, Any]] = []
    for row in _solutions(store, "literals", {"iri": node}):
        predicate, value = row["predicate"].value, row["value"]
        if predicate == RDF_TYPE:
            types.append(dict(term_info(value.value)))
            continue
        unit = _text(row["unit"]) if value.datatype.value in _NUMERIC else None
        literals.append(
            {
                "predicate": term_info(predicate),
                "value": value.value,
                "datatype": compact(value.datatype.value),
                "unit": compact(unit) if unit else None,
            }
        )
    asserted = {row["type"].value for row in _solutions(store, "asserted-types", {"iri": node})}
    for info in types:
        info["inferred"] = info["iri"] not in asserted
    types.sort(key=lambda info: info["inferred"])
    groups = [
        {
            "direction": row["direction"].value,
            "predicate": term_info(row["predicate"].value),
            "count": int(row["count"].value),
        }
        for row in _solutions(store, "groups", {"iri": node})
    ]
    label = next(
        (lit["value"] for lit in literals if lit["predicate"]["iri"] == _RDFS_LABEL),
        next((lit["value"] for lit in literals if lit["predicate"]["iri"] in _KEYS), None),
    )
    return {
        "iri": iri,
        "label": label,
        "types": _dedupe(types),
        "literals": literals,
        "groups": groups,
    }


_KEYS = {
    vocab.KGT_NS + k for k in ("serialNumber", "lotId", "partNumber", "workOrderId", "equipmentId")
}


def _dedupe(types: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for info in types:
        seen.setdefault(info["iri"], info)
    return list(seen.values())


def links(
    store: GraphStore,
    iri: str,
    direction: str,
    predicate: str,
    cursor: str | None = None,
    limit: int = PAGE,
) -> dict[str, Any]:
    """One page of the resources linked to ``iri`` by ``predicate`` in ``direction``, in IRI
    order, each with its label, class, the batches (graphs, source files) asserting it and
    whether it is only inferred. ``cursor`` (from ``next`` or ``previous`` of another page)
    is a keyset position: the page starts right after (or ends right before) a known IRI."""
    node, via = NamedNode(iri), NamedNode(predicate)
    way, key = explorer_cursor.decode(cursor)
    keys = sorted_links(store, iri, direction, predicate)
    if way == "after":
        start = bisect_right(keys, key) if key else 0
    else:
        start = max(0, bisect_left(keys, key) - limit)
    end = min(len(keys), start + limit) if way == "after" else bisect_left(keys, key)
    others = [NamedNode(k) for k in keys[start:end]]
    batches = _batches(store) if others else {}
    items = []
    for other in others:
        ends = (node, other) if direction == "out" else (other, node)
        statement = {"subject": ends[0], "predicate": via, "object": ends[1]}
        graphs = sorted(row["graph"].value for row in _solutions(store, "graphs", statement))
        items.append(
            {
                "iri": other.value,
                **describe(store, other.value),
                "inferred": bool(graphs) and set(graphs) == {INFERRED_GRAPH.value},
                "provenance": [
                    batches.get(g, {"graph": g}) for g in graphs if g != INFERRED_GRAPH.value
                ],
            }
        )
    return {
        "iri": iri,
        "direction": direction,
        "predicate": term_info(predicate),
        "start": start,
        "total": len(keys),
        "items": items,
        "next": explorer_cursor.encode("after", keys[end - 1]) if end < len(keys) else None,
        "previous": explorer_cursor.encode("before", keys[start]) if start > 0 else None,
    }


_SORTED: OrderedDict[tuple[str, str, str, str], list[str]] = OrderedDict()
_SORTED_LOCK = Lock()
_SORTED_GROUPS = 32


def sorted_links(store: GraphStore, iri: str, direction: str, predicate: str) -> list[str]:
    """The IRIs of one link group, sorted: read once per store state (one index scan; the
    pages after it only bisect), the last ``_SORTED_GROUPS`` groups kept."""
    key = (store.state(), iri, direction, predicate)
    with _SORTED_LOCK:
        if key in _SORTED:
            _SORTED.move_to_end(key)
            return _SORTED[key]
    name = "links-out" if direction == "out" else "links-in"
    bound = {"iri": NamedNode(iri), "predicate": NamedNode(predicate)}
    found = sorted({row["other"].value for row in _solutions(store, name, bound)})
    with _SORTED_LOCK:
        _SORTED[key] = found
        while len(_SORTED) > _SORTED_GROUPS:
            _SORTED.popitem(last=False)
    return found


def describe(store: GraphStore, iri: str) -> dict[str, str | None]:
    """``{"label", "class", "class_label"}`` of one resource: its label or identifier, and
    one asserted class (compact IRI and ontology label)."""
    for row in _solutions(store, "describe", {"other": NamedNode(iri)}):
        cls = _text(row["class"])
        return {
            "label": _text(row["label"]) or display(iri),
            "class": compact(cls) if cls else None,
            "class_label": term_info(cls)["label"] if cls else None,
        }
    return {"label": display(iri), "class": None, "class_label": None}


def _batches(store: GraphStore) -> dict[str, dict[str, str]]:
    return {
        row["graph"].value: {
            "graph": row["graph"].value,
            "batch": row["batch"].value,
            "files": _text(row["files"]) or "",
        }
        for row in _solutions(store, "batches", {})
    }


def neighbours(store: GraphStore, iri: str) -> dict[str, Any]:
    """The resource and up to ``NEIGHBOURS`` linked resources per predicate, as graph data:
    nodes with a CSS class and a type (compact IRI and label) to filter by, edges with their
    predicate and whether they are only inferred."""
    about = summary(store, iri)
    first = about["types"][0] if about["types"] else None
    nodes = [
        {
            "id": iri,
            "label": about["label"] or display(iri),
            "class": _class([first["iri"]] if first else []),
            "type": compact(first["iri"]) if first else "",
            "typeLabel": first["label"] if first else "other",
        }
    ]
    edges = []
    for group in about["groups"]:
        predicate = group["predicate"]
        page = links(store, iri, group["direction"], predicate["iri"], None, NEIGHBOURS)
        for item in page["items"]:
            cls = item["class"]
            nodes.append(
                {
                    "id": item["iri"],
                    "label": item["label"] or display(item["iri"]),
                    "class": _class([cls] if cls else []),
                    "type": cls or "",
                    "typeLabel": item["class_label"] or "other",
                }
            )
            ends = (iri, item["iri"]) if group["direction"] == "out" else (item["iri"], iri)
            edges.append(
                {
                    "source": ends[0],
                    "target": ends[1],
                    "label": predicate["label"],
                    "predicate": predicate["iri"],
                    "inferred": item["inferred"],
                }
            )
    unique = {n["id"]: n for n in nodes}
    return {"iri": iri, "nodes": list(unique.values()), "edges": edges}


def _class(types: list[str]) -> str:
    """A CSS-safe class name for a node: its first type's local name, ``MaterialLot`` as
    ``material-lot``."""
    if not types:
        return "other"
    local = re.sub(r"[^A-Za-z0-9]+", "", types[0].rsplit(":", 1)[-1].rsplit("#", 1)[-1])
    return re.sub(r"(?<!^)(?=[A-Z])", "-", local).lower() or "other"


def display(iri: str) -> str:
    """A short name for a resource with no label: its minted path, e.g. ``operation/WO1/0010``."""
    _, marker, tail = iri.partition(_ID_BASE)
    return unquote(tail).replace(_ID_BASE, "") if marker and tail else compact(iri)
