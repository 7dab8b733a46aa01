"""The written graph is a coherent factory: every class, deep genealogy, BOM-true builds."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode, QuerySolutions, Store

from kgthread import assets, vocab

if TYPE_CHECKING:
    from sample.conftest import Sample

PREFIXES = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in vocab.PREFIXES.items())
MODEL = Path(assets.root(), "docs", "data-model.md")


def select(store: Store, query: str) -> list[dict[str, object]]:
    result = store.query(PREFIXES + query)
    assert isinstance(result, QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: row[n] for n in names} for row in result]


def objects(store: Store, s: NamedNode, p: NamedNode) -> list[object]:
    return [q.object for q in store.quads_for_pattern(s, p, None)]


def instances(store: Store, cls: NamedNode) -> list[NamedNode]:
    out = [q.subject for q in store.quads_for_pattern(None, vocab.RDF_TYPE, cls)]
    return [s for s in out if isinstance(s, NamedNode)]


def model_classes() -> set[str]:
    """Classes named in docs/data-model.md outside the pipeline's provenance section."""
    text = MODEL.read_text(encoding="utf-8").split("## Provenance")[0]
    return set(re.findall(r"`kgt:([A-Z]\w+)`", text)) - {"Equipment", "TrackedItem"}


def test_every_class_of_the_data_model_appears(sample: Sample) -> None:
    classes = model_classes()
    assert len(classes) >= 24
    for name in sorted(classes):
        count = len(instances(sample.store, vocab.kgt(name)))
        assert count > 0, name
        assert sample.summary.entities[name] == count == sample.truth["totals"][name]


def _component_depths(store: Store, root: NamedNode) -> dict[NamedNode, int]:
    depths: dict[NamedNode, int] = {}
    frontier = [root]
    depth = 0
    while frontier:
        depth += 1
        nxt = []
        for node in frontier:
            for child in objects(store, node, vocab.HAS_COMPONENT):
                assert isinstance(child, NamedNode)
                depths[child] = max(depth, depths.get(child, 0))
                nxt.append(child)
        frontier = nxt
    return depths


def test_genealogy_is_at_least_five_levels_from_every_top_unit_to_a_lot(sample: Sample) -> None:
    store = sample.store
    lots = set(instances(store, vocab.MATERIAL_LOT)) | set(instances(store, vocab.MATERIAL_SUBLOT))
    rows = select(
        store,
        """SELECT ?u WHERE {
             ?u kgt:unitOfRevision/kgt:revisionOf ?part .
             FILTER NOT EXISTS { ?usage kgt:usageChild ?part }
             FILTER NOT EXISTS { ?parent kgt:hasComponent ?u } }""",
    )
    assert len(rows) >= 5
    for row in rows:
        unit = row["u"]
        assert isinstance(unit, NamedNode)
        depths = _component_depths(store, unit)
        assert max(d for item, d in depths.items() if item in lots) >= 5, unit


def test_no_unit_has_two_parents(sample: Sample) -> None:
    parents: Counter[object] = Counter()
    for q in sample.store.quads_for_pattern(None, vocab.HAS_COMPONENT, None):
        parents[q.object] += 1
    units = set(instances(sample.store, vocab.SERIALIZED_UNIT))
    assert units & set(parents)
    assert all(n == 1 for item, n in parents.items() if item in units)


def test_every_consumption_has_its_direct_edge_and_back(sample: Sample) -> None:
    store = sample.store
    rows = select(store, "SELECT ?p ?c WHERE { ?x kgt:consumer ?p ; kgt:consumedEntity ?c }")
    qualified = {(r["p"], r["c"]) for r in rows}
    direct = {
        (q.subject, q.object) for q in store.quads_for_pattern(None, vocab.HAS_COMPONENT, None)
    }
    assert qualified == direct
    assert len(rows) == len(qualified)


def test_units_are_built_to_their_revision_bom(sample: Sample) -> None:
    store = sample.store
    built: dict[tuple[object, object], Decimal] = defaultdict(Decimal)
    for r in select(
        store,
        """SELECT ?u ?part ?q WHERE {
             ?x kgt:consumer ?u ; kgt:consumedEntity ?e ; kgt:quantity ?q .
             { ?e kgt:unitOfRevision/kgt:revisionOf ?part } UNION { ?e kgt:lotOfPart ?part } }""",
    ):
        assert isinstance(r["q"], Literal)
        built[(r["u"], r["part"])] += Decimal(r["q"].value)
    designed: dict[tuple[object, object], Decimal] = {}
    for r in select(
        store,
        """SELECT ?u ?part ?q WHERE {
             ?u a kgt:SerializedUnit ; kgt:unitOfRevision ?rev .
             ?usage kgt:usageParent ?rev ; kgt:usageChild ?part ; kgt:quantity ?q }""",
    ):
        assert isinstance(r["q"], Literal)
        designed[(r["u"], r["part"])] = Decimal(r["q"].value)
    assert sample.truth["deviations"] == []
    assert built == designed


def test_measurements_pass_exactly_when_inside_limits(sample: Sample) -> None:
    rows = select(
        sample.store,
        """SELECT ?m ?v ?lo ?hi ?ok (COUNT(?ncr) AS ?ncrs) WHERE {
             ?m kgt:measuredValue ?v ; kgt:passed ?ok ; kgt:measuresCharacteristic ?c .
             ?c kgt:lowerLimit ?lo ; kgt:upperLimit ?hi .
             OPTIONAL { ?ncr kgt:raisedBy ?m } } GROUP BY ?m ?v ?lo ?hi ?ok""",
    )
    failing = 0
    for r in rows:
        values = [r[k] for k in ("v", "lo", "hi", "ok", "ncrs")]
        assert all(isinstance(x, Literal) for x in values)
        v, lo, hi, ok, ncrs = (x.value for x in values if isinstance(x, Literal))
        inside = Decimal(lo) <= Decimal(v) <= Decimal(hi)
        assert (ok == "true") == inside, r["m"]
        assert int(ncrs) == (0 if inside else 1), r["m"]
        failing += not inside
    assert failing >= 1
    assert len(rows) == len(instances(sample.store, vocab.MEASUREMENT))


def test_a_lot_reaches_many_units(sample: Sample) -> None:
    consumers: Counter[object] = Counter()
    for q in sample.store.quads_for_pattern(None, vocab.CONSUMED_ENTITY, None):
        consumers[q.object] += 1
    lots = set(instances(sample.store, vocab.MATERIAL_LOT))
    lots |= set(instances(sample.store, vocab.MATERIAL_SUBLOT))
    assert max(n for item, n in consumers.items() if item in lots) >= 5
