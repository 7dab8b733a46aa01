"""Every lineage query against the sample generator's own ground truth, at two sizes."""

from __future__ import annotations

from decimal import Decimal

from kgthread import lineage, queries, vocab
from lineage.conftest import Loaded, rows


def test_bom_multiplies_quantities_through_latest_revisions(factory: Loaded) -> None:
    store, truth = factory
    for probe in truth["revisions"]:
        found = rows(store, "bom", revision=probe["revision"])
        got = {r["child"]: Decimal(r["quantity"]) for r in found}
        assert got == {k: Decimal(v) for k, v in probe["bom_explosion"].items()}


def test_where_used_finds_every_user_at_its_lowest_level(factory: Loaded) -> None:
    store, truth = factory
    for probe in truth["revisions"]:
        found = rows(store, "where-used", part=probe["part"])
        got = {(r["revision"], int(r["level"])) for r in found}
        assert got == {(w["revision"], w["level"]) for w in probe["where_used"]}


def test_genealogy_up_reaches_every_container_and_customer(factory: Loaded) -> None:
    store, truth = factory
    for lot in truth["lots"]:
        found = rows(store, "genealogy-up", item=lot["lot"])
        assert {r["unit"] for r in found} == set(lot["contained_in"])
        direct = {r["unit"] for r in found if r["child"] == lot["lot"]}
        assert direct == set(lot["consumers"])
        shipped = {(r["unit"], r["customer"]) for r in found if "customer" in r}
        assert shipped == {(s["unit"], s["customer"]) for s in lot["shipped"]}
    for unit in truth["mid_units"]:
        found = rows(store, "genealogy-up", item=unit["unit"])
        assert {r["unit"] for r in found} == set(unit["ancestors"])


def test_supplier_exposure_covers_each_probe_lot(factory: Loaded) -> None:
    store, truth = factory
    checked = 0
    for lot in truth["lots"]:
        links = rows(store, "links", iri=lot["lot"])
        suppliers = [r["other"] for r in links if r["predicate"] == vocab.SUPPLIED_BY.value]
        for supplier in suppliers:
            found = rows(store, "supplier-exposure", supplier=supplier)
            assert {r["lot"] for r in found} >= {lot["lot"]}
            mine = {r["unit"] for r in found if r["lot"] == lot["lot"] and "unit" in r}
            assert mine == set(lot["contained_in"])
            checked += 1
    assert checked


def test_change_impact_matches_the_recorded_change(factory: Loaded) -> None:
    store, truth = factory
    for change in truth["changes"]:
        found = rows(store, "change-impact", change=change["change"])
        by_kind: dict[str, list[dict[str, str]]] = {}
        for r in found:
            by_kind.setdefault(r["kind"], []).append(r)
        assert {r["item"] for r in by_kind["affected-revision"]} == set(
            change["affected_revisions"]
        )
        assert {r["item"] for r in by_kind["new-revision"]} == set(change["new_revisions"])
        orders = by_kind["work-order"]
        for status in ("open", "closed"):
            got = sorted(r["item"] for r in orders if r["status"] == status)
            assert got == change["affected_work_orders"][status]
        units = {r["item"]: r for r in by_kind.get("unit", [])}
        built = change["units_built_to_superseded"]
        assert len(units) == built["count"]
        for expected in built["units"]:
            row = units[expected["unit"]]
            assert row["revision"] == expected["revision"]
            assert row["root"] == expected["root"]
            assert row.get("customer") == expected["customer"]
            assert row.get("shipment") == expected["shipment"]
        assert by_kind["usage"], "the changed part is used somewhere"


def test_unit_history_lists_operations_and_inspections(factory: Loaded) -> None:
    store, truth = factory
    for unit in truth["top_units"] + truth["mid_units"]:
        found = rows(store, "unit-history", unit=unit["unit"])
        operations = {(r["event"], r["equipment"]) for r in found if r["kind"] == "operation"}
        assert operations == {(o["operation"], o["equipment"]) for o in unit["operations"]}
        inspections = {
            (r["event"], r["passed"] == "true") for r in found if r["kind"] == "inspection"
        }
        own = [i for i in unit["inspections"] if i["unit"] == unit["unit"]]
        assert inspections == {(i["inspection"], i["passed"]) for i in own}
        ncrs = {r["event"] for r in found if r["kind"] == "nonconformance"}
        assert ncrs == {n for i in own for n in i["nonconformances"]}
        times = [r["at"] for r in found if "at" in r]
        assert times == sorted(times)
        summaries = [r for r in found if r["kind"] == "sensor-summary"]
        assert all(
            r["operation"] in {o["operation"] for o in unit["operations"]} for r in summaries
        )


def test_as_built_matches_as_designed_everywhere_in_the_sample(factory: Loaded) -> None:
    store, truth = factory
    assert truth["deviations"] == []
    for unit in truth["top_units"] + truth["mid_units"]:
        assert rows(store, "as-built-vs-as-designed", unit=unit["unit"]) == []


def test_trace_closes_the_loop_for_a_unit(factory: Loaded) -> None:
    store, truth = factory
    for unit in truth["mid_units"][:8]:
        traced = lineage.trace(store, unit["unit"])
        section = traced.sections
        assert {r["unit"].value for r in section["ancestry"].rows} == set(unit["ancestors"])
        customers = {r["customer"].value for r in section["ancestry"].rows if "customer" in r}
        assert customers == ({unit["customer"]} if unit["customer"] else set())
        components = {r["component"].value for r in section["components"].rows}
        assert components == {d["item"] for d in unit["descendants"]}
        lots = {r["lot"].value for r in section["supplierLots"].rows}
        assert lots == {d["item"] for d in unit["descendants"] if d["kind"] == "lot"}
        operations = {
            (r["operation"].value, r["equipment"].value)
            for r in section["operations"].rows
            if r["member"].value == unit["unit"]
        }
        assert operations == {(o["operation"], o["equipment"]) for o in unit["operations"]}
        failed = {
            r["inspection"].value for r in section["quality"].rows if r["verdict"].value == "failed"
        }
        assert failed == {i["inspection"] for i in unit["inspections"] if not i["passed"]}
        own = [r for r in section["design"].rows if r["member"].value == unit["unit"]]
        assert {r["revision"].value for r in own} == {unit["revision"]}


def test_every_named_query_has_a_header_the_engine_accepts(factory: Loaded) -> None:
    store, truth = factory
    unit = truth["top_units"][0]["unit"]
    sample = {"iri": unit, "integer": "1", "string": "step"}
    for query in queries.catalog().values():
        values = {p.name: sample[p.type] for p in query.parameters}
        lineage.run(store, query, values, check_identifiers=False)
