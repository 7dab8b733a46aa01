"""Every instance in a sample satisfies docs/data-model.md: read from the tables, and by SHACL.

The table check runs even before shapes exist and cannot drift from the document; the
SHACL check runs the project's shapes with pySHACL when they are there.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, Store

from kgthread import assets, vocab

if TYPE_CHECKING:
    from sample.conftest import Sample

MODEL = Path(assets.root(), "docs", "data-model.md")
_CARD = {"1": (1, 1), "0..1": (0, 1), "1..*": (1, None), "0..*": (0, None)}


@dataclass(frozen=True)
class Row:
    cls: str
    prop: NamedNode
    inverse: bool
    low: int
    high: int | None
    value: str  # the value cell, checked by _value_ok


def _term(token: str) -> NamedNode:
    prefix, local = token.split(":", 1)
    return NamedNode(vocab.PREFIXES[prefix] + local)


def model_rows() -> list[Row]:
    """One row per (class, property) of the data-model tables, before the provenance part."""
    text = MODEL.read_text(encoding="utf-8").split("## Provenance")[0]
    rows: list[Row] = []
    classes: list[str] = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("|")[1:-1]]
        if len(cells) != 4 or cells[0] in ("class", "class (aligned to)") or "---" in cells[0]:
            continue
        if cells[0]:
            classes = re.findall(r"`kgt:(\w+)`", cells[0].split("(")[0])
        prop_cell, value, card = cells[1], cells[2], cells[3]
        if not prop_cell:
            continue
        inverse = prop_cell.startswith("inverse of")
        props = re.findall(r"`(\w+:\w+)`", prop_cell if inverse else prop_cell.split("(")[0])
        cards = [c.strip() for c in card.split("(")[0].replace("each", "").split(",")]
        overrides = re.findall(r"\((1) for ([\w, ]+)\)", card)
        for n, prop in enumerate(props[:1] if inverse else props):
            low, high = _CARD[cards[min(n, len(cards) - 1)]]
            for cls in classes:
                rows.append(Row(cls, _term(prop), inverse, low, high, value))
            for _, names in overrides:
                for cls in (c.strip() for c in names.split(",")):
                    rows.append(Row(cls, _term(prop), inverse, 1, 1, value))
    return rows


def _closure(ontology: Store) -> dict[str, set[NamedNode]]:
    """Class local name -> itself and every subclass declared in the ontology."""
    subs: dict[NamedNode, set[NamedNode]] = defaultdict(set)
    for q in ontology.quads_for_pattern(None, vocab.RDFS_SUBCLASS_OF, None):
        if isinstance(q.subject, NamedNode) and isinstance(q.object, NamedNode):
            subs[q.object].add(q.subject)
    out: dict[str, set[NamedNode]] = {}
    for cls in {r.cls for r in model_rows()} | {"TrackedItem", "Equipment"}:
        seen, todo = set(), [vocab.kgt(cls)]
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(subs[node])
        out[cls] = seen
    return out


def _value_ok(store: Store, closure: dict[str, set[NamedNode]], value: object, spec: str) -> bool:
    token = re.search(r"`(\w+:\w*)`", spec)
    if spec.startswith('"'):
        return isinstance(value, Literal) and f'"{value.value}"' in spec
    if token is None:
        return True
    kind = token.group(1)
    if kind == "unit:":
        return isinstance(value, NamedNode) and value.value.startswith(vocab.UNIT_NS)
    if kind.startswith("xsd:"):
        return isinstance(value, Literal) and value.datatype == _term(kind)
    if kind.startswith("kgt:") and isinstance(value, NamedNode):
        types = {q.object for q in store.quads_for_pattern(value, vocab.RDF_TYPE, None)}
        return bool(types & closure[kind[4:]])
    return False


def test_model_table_parser_sees_the_rows() -> None:
    rows = model_rows()
    keys = {(r.cls, r.prop.value.rsplit("#", 1)[-1], r.low, r.high) for r in rows}
    assert ("Part", "partNumber", 1, 1) in keys
    assert ("WorkUnit", "partOfEquipment", 1, 1) in keys
    assert ("Equipment", "partOfEquipment", 0, 1) in keys
    assert ("ObservationSummary", "windowEnd", 1, 1) in keys
    assert any(r.inverse and r.cls == "SerializedUnit" for r in rows)
    assert len(rows) > 80


def test_every_instance_satisfies_the_data_model_tables(sample: Sample) -> None:
    ontology = Store()
    ontology.bulk_load(path=assets.ontology_file(), format=RdfFormat.TURTLE)
    closure = _closure(ontology)
    store = sample.store
    problems: list[str] = []
    for row in model_rows():
        members = {
            q.subject
            for cls in closure[row.cls]
            for q in store.quads_for_pattern(None, vocab.RDF_TYPE, cls)
        }
        for s in members:
            assert isinstance(s, NamedNode)
            if row.inverse:
                values = [q.subject for q in store.quads_for_pattern(None, row.prop, s)]
                values = [v for v in values if _value_ok(store, closure, v, row.value)]
            else:
                values = [q.object for q in store.quads_for_pattern(s, row.prop, None)]
                bad = [v for v in values if not _value_ok(store, closure, v, row.value)]
                problems += [f"{s.value} {row.prop.value} {v}: not {row.value}" for v in bad]
            if len(values) < row.low or (row.high is not None and len(values) > row.high):
                problems.append(f"{row.cls} {s.value} has {len(values)} {row.prop.value}")
    assert not problems, "\n".join(problems[:20])


def test_sample_conforms_to_the_shapes(sample: Sample) -> None:
    shapes = sorted(assets.shapes_dir().glob("*.ttl"))
    if not shapes:
        pytest.skip("no shapes/*.ttl yet: the SHACL gate's shapes are not written")
    pyshacl = pytest.importorskip("pyshacl")
    rdflib = pytest.importorskip("rdflib")
    data = rdflib.Graph().parse(sample.path, format="nt")
    if assets.ontology_file().exists():
        ontology = rdflib.Graph().parse(assets.ontology_file())
        for triple in ontology.triples((None, rdflib.RDFS.subClassOf, None)):
            data.add(triple)
    shacl = rdflib.Graph()
    for path in shapes:
        shacl.parse(path)
    conforms, _, text = pyshacl.validate(data, shacl_graph=shacl, inference="none")
    assert conforms, text[:3000]
