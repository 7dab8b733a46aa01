"""Hand-built graphs for the corners the sample never produces: cycles, wide lots, empty
genealogies, changes without work orders, and as-built deviations of every kind."""

from __future__ import annotations

import pytest
from pyoxigraph import Literal, Triple

import factories as f
from kgthread import ids, lineage, queries, vocab
from kgthread.errors import NotFound
from lineage.conftest import Build, literal, rows


def test_a_cycle_in_bad_data_ends_every_walk(build: Build) -> None:
    a, b = ids.unit("P", "1"), ids.unit("P", "2")
    store = build(
        f.product("P")
        + f.unit("P", "A", "1")
        + f.unit("P", "A", "2")
        + f.built_into(a, b)
        + f.built_into(b, a)
    )
    assert {r["component"] for r in rows(store, "genealogy-down", unit=a.value)} == {
        a.value,
        b.value,
    }
    assert {r["unit"] for r in rows(store, "genealogy-up", item=a.value)} == {a.value, b.value}
    assert {r["unit"] for r in rows(store, "recall", item=b.value)} == {a.value, b.value}
    assert len(lineage.trace(store, a.value).sections["components"].rows) == 2


def test_a_cycle_in_the_bom_is_cut_at_ten_levels(build: Build) -> None:
    rev = ids.part_revision("P", "A")
    usage = ids.assembly_usage("P", "A", "U01")
    store = build(
        [
            *f.product("P"),
            Triple(usage, vocab.RDF_TYPE, vocab.ASSEMBLY_USAGE),
            Triple(usage, vocab.USAGE_PARENT, rev),
            Triple(usage, vocab.USAGE_CHILD, ids.part("P")),
            Triple(usage, vocab.QUANTITY, literal("2")),
        ]
    )
    (row,) = rows(store, "bom", revision=rev.value)
    assert row["child"] == ids.part("P").value
    assert int(row["level"]) == 1
    assert sum(2**k for k in range(1, 11)) == int(row["quantity"])
    assert {int(r["level"]) for r in rows(store, "where-used", part=ids.part("P").value)} == {1}


def test_a_lot_split_across_hundreds_of_units(build: Build) -> None:
    lot = ids.lot("RM", "L1")
    triples = (
        f.product("P")
        + f.part("RM")
        + [
            Triple(lot, vocab.RDF_TYPE, vocab.MATERIAL_LOT),
            Triple(lot, vocab.LOT_OF_PART, ids.part("RM")),
        ]
    )
    for n in range(300):
        unit = ids.unit("P", str(n))
        triples += f.unit("P", "A", str(n)) + f.built_into(unit, lot, "0.5")
    store = build(triples)
    assert len({r["unit"] for r in rows(store, "recall", item=lot.value)}) == 300
    assert len(rows(store, "genealogy-up", item=lot.value)) == 300


def test_a_unit_with_no_genealogy(build: Build) -> None:
    unit = ids.unit("P", "1")
    store = build(f.product("P") + f.unit("P", "A", "1"))
    assert rows(store, "genealogy-down", unit=unit.value) == []
    assert rows(store, "genealogy-up", item=unit.value) == []
    traced = lineage.trace(store, unit.value)
    assert [r["revision"].value for r in traced.sections["design"].rows] == [
        ids.part_revision("P", "A").value
    ]
    assert all(not t.rows for k, t in traced.sections.items() if k != "design")


def test_a_change_with_no_work_orders(build: Build) -> None:
    change = ids.change("ECO-1")
    store = build(
        f.product("P")
        + f.revision("P", "B")
        + [
            Triple(change, vocab.RDF_TYPE, vocab.ENGINEERING_CHANGE),
            Triple(change, vocab.CHANGE_ID, Literal("ECO-1")),
            Triple(change, vocab.AFFECTS_REVISION, ids.part_revision("P", "A")),
            Triple(change, vocab.INTRODUCES_REVISION, ids.part_revision("P", "B")),
            Triple(change, vocab.CHANGE_STATUS, Literal("released")),
        ]
    )
    kinds = {r["kind"] for r in rows(store, "change-impact", change=change.value)}
    assert kinds == {"affected-revision", "new-revision"}


def test_as_built_deviations_of_every_kind(build: Build) -> None:
    top, rev = ids.unit("TOP", "1"), ids.part_revision("TOP", "A")
    triples = f.product("TOP") + f.product("C") + f.product("X") + f.product("Q") + f.product("M")
    for n, (child, qty) in enumerate((("C", "1"), ("Q", "2"), ("M", "1")), start=1):
        usage = ids.assembly_usage("TOP", "A", f"U{n}")
        triples += [
            Triple(usage, vocab.USAGE_PARENT, rev),
            Triple(usage, vocab.USAGE_CHILD, ids.part(child)),
            Triple(usage, vocab.QUANTITY, literal(qty)),
        ]
    triples += f.unit("TOP", "A", "1")
    # C: right part, but built after a released change superseded its revision
    change, made = ids.change("ECO-9"), ids.operation("WO1", "10")
    triples += (
        f.unit("C", "A", "c1")
        + f.built_into(top, ids.unit("C", "c1"))
        + [
            Triple(ids.unit("C", "c1"), vocab.PROV_WAS_GENERATED_BY, made),
            Triple(
                made, vocab.PROV_STARTED_AT, literal("2024-02-01T00:00:00Z", vocab.XSD_DATETIME)
            ),
            Triple(change, vocab.AFFECTS_REVISION, ids.part_revision("C", "A")),
            Triple(
                change, vocab.EFFECTIVE_FROM, literal("2024-01-01T00:00:00Z", vocab.XSD_DATETIME)
            ),
            Triple(change, vocab.CHANGE_STATUS, Literal("released")),
        ]
    )
    triples += f.unit("Q", "A", "q1") + f.built_into(top, ids.unit("Q", "q1"))  # 1 of 2
    triples += f.unit("X", "A", "x1") + f.built_into(top, ids.unit("X", "x1"))  # not designed
    store = build(triples)  # M designed, never built in
    found = {
        r["part"]: r["deviation"] for r in rows(store, "as-built-vs-as-designed", unit=top.value)
    }
    assert found == {
        ids.part("C").value: "revision",
        ids.part("Q").value: "quantity",
        ids.part("X").value: "extra",
        ids.part("M").value: "missing",
    }


def test_evidence_names_the_batch_that_asserted_each_hop(build: Build) -> None:
    a, b = ids.unit("P", "1"), ids.unit("P", "2")
    store = build(
        f.product("P")
        + f.unit("P", "A", "1")
        + f.unit("P", "A", "2")
        + f.built_into(a, b)
        + [Triple(a, vocab.SOURCE_LOCATION, Literal("mes.xml:/Genealogy[1]"))]
    )
    query = queries.get("genealogy-down")
    table = lineage.run(store, query, {"unit": a.value})
    (hops,) = lineage.evidence(store, query, table.rows)
    (batch,) = hops[0]["batches"]
    assert batch["batch"] == ids.batch("hand").value
    assert batch["graph"] == ids.batch_graph("hand").value
    assert batch["locations"] == ["mes.xml:/Genealogy[1]"]


def test_limits_refuse_rather_than_truncate(build: Build) -> None:
    lot = ids.lot("RM", "L1")
    triples = [*f.product("P"), Triple(lot, vocab.LOT_OF_PART, ids.part("RM"))]
    for n in range(50):
        triples += f.unit("P", "A", str(n)) + f.built_into(ids.unit("P", str(n)), lot)
    store = build(triples)
    with pytest.raises(lineage.QueryLimitExceeded) as info:
        lineage.run(store, queries.get("recall"), {"item": lot.value}, lineage.Limits(max_rows=10))
    assert info.value.status == 503
    with pytest.raises(lineage.QueryLimitExceeded):
        lineage.run(store, queries.get("recall"), {"item": lot.value}, lineage.Limits(seconds=0))


def test_unknown_identifiers_are_not_found(build: Build) -> None:
    store = build(f.product("P"))
    with pytest.raises(NotFound) as info:
        lineage.run(store, queries.get("recall"), {"item": "urn:nothing"})
    assert info.value.detail["identifier"] == "urn:nothing"
