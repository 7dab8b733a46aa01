"""What the graph explorer shows, read from the store: search hits, a resource's summary,
pages of its links by predicate, and its neighbourhood for the graph view.

The SPARQL lives in ``api/explorer_rq/*.rq`` (internal queries, not named queries); every
value is bound as a term through pyoxigraph substitutions. Labels and definitions of
classes and properties come from the ontology file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, RdfFormat, Store

from kgthread import assets, ids, vocab
from kgthread.store.base import GraphStore, Term

PAGE = 50
NEIGHBOURS = 12
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_RQ = Path(__file__).with_name("explorer_rq")
_SKOS_DEFINITION = "http://www.w3.org/2004/02/skos/core#definition"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_ID_BASE = ids.DATA_BASE
_NUMERIC = {vocab.XSD_NS + t for t in ("decimal", "double", "float", "integer", "int", "long")}


@cache
def _rq(name: str) -> str:
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
    result = store.query(_rq(name), substitutions=dict(values))
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
    types: list[dict[str, str]] = []
    literals: list[dict[str, Any]] = []
    for row in _solutions(store, "literals", {"iri": node}):
        predicate, value = row["predicate"].value, row["value"]
        if predicate == RDF_TYPE:
            types.append(term_info(value.value))
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


def _dedupe(types: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for info in types:
        seen.setdefault(info["iri"], info)
    return list(seen.values())


def links(
    store: GraphStore, iri: str, direction: str, predicate: str, offset: int = 0, limit: int = PAGE
) -> dict[str, Any]:
    """One page of the resources linked to ``iri`` by ``predicate`` in ``direction``, sorted
    by IRI, each with its label, class and the batches (graphs, source files) asserting it."""
    node, via = NamedNode(iri), NamedNode(predicate)
    name = "links-out" if direction == "out" else "links-in"
    found = {row["other"] for row in _solutions(store, name, {"iri": node, "predicate": via})}
    others = sorted(found, key=lambda term: (isinstance(term, BlankNode), term.value))
    batches = _batches(store) if offset < len(others) else {}
    items = []
    for other in others[offset : offset + limit]:
        if not isinstance(other, NamedNode):  # a blank node: shown, not followed
            items.append(
                {
                    "iri": "_:" + other.value,
                    "label": "(blank node)",
                    "class": None,
                    "provenance": [],
                }
            )
            continue
        ends = (node, other) if direction == "out" else (other, node)
        bound = {"subject": ends[0], "predicate": via, "object": ends[1]}
        graphs = sorted(row["graph"].value for row in _solutions(store, "graphs", bound))
        items.append(
            {
                "iri": other.value,
                **describe(store, other.value),
                "provenance": [batches.get(g, {"graph": g}) for g in graphs],
            }
        )
    more = offset + limit < len(others)
    return {
        "iri": iri,
        "direction": direction,
        "predicate": term_info(predicate),
        "offset": offset,
        "total": len(others),
        "items": items,
        "next_offset": offset + limit if more else None,
    }


def describe(store: GraphStore, iri: str) -> dict[str, str | None]:
    """``{"label", "class"}`` of one resource: its label or identifier, and one class."""
    for row in _solutions(store, "describe", {"other": NamedNode(iri)}):
        cls = _text(row["class"])
        return {
            "label": _text(row["label"]) or display(iri),
            "class": compact(cls) if cls else None,
        }
    return {"label": display(iri), "class": None}


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
    """The resource and up to ``NEIGHBOURS`` linked resources per predicate, as graph data."""
    about = summary(store, iri)
    classes = [t["iri"] for t in about["types"]]
    nodes = [{"id": iri, "label": about["label"] or display(iri), "class": _class(classes)}]
    edges = []
    for group in about["groups"]:
        page = links(store, iri, group["direction"], group["predicate"]["iri"], 0, NEIGHBOURS)
        for item in page["items"]:
            if item["iri"].startswith("_:"):
                continue
            cls = item["class"]
            nodes.append(
                {
                    "id": item["iri"],
                    "label": item["label"] or display(item["iri"]),
                    "class": _class([cls] if cls else []),
                }
            )
            ends = (iri, item["iri"]) if group["direction"] == "out" else (item["iri"], iri)
            edges.append(
                {"source": ends[0], "target": ends[1], "label": group["predicate"]["label"]}
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
