"""Tabular MES exports: every record type end to end, the judge, encodings, recall."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, QuerySolutions, Triple

from factories import decimal, part, product, text
from ingest.mes.helpers import DATA, table_batch
from kgthread import ids, queries, vocab
from kgthread.errors import MesInputError
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.embedded import EmbeddedStore

ORDER = (
    ("work-orders.csv", "work-orders"),
    ("operations.csv", "operations"),
    ("genealogy.csv", "genealogy"),
    ("inspections.jsonl", "inspections"),
    ("nonconformances.csv", "nonconformances"),
    ("changes.csv", "changes"),
    ("shipments.csv", "shipments"),
)
CHARACTERISTIC = ids.characteristic("GB-100", "A", "D1")


def design() -> list[Triple]:
    """The design side a STEP file would give: parts, revisions, one toleranced diameter.

    Built with tests/factories.py: the STEP adapter (src/kgthread/ingest/step/) has no
    StepAdapter yet; when it has, the AS1 assembly can take this place."""
    c = CHARACTERISTIC
    return [
        *product("GB-100"),
        *product("SH-200"),
        *part("BRG-6204"),
        Triple(c, vocab.RDF_TYPE, vocab.CHARACTERISTIC),
        Triple(c, vocab.CHARACTERISTIC_OF, ids.part_revision("GB-100", "A")),
        Triple(c, vocab.CHARACTERISTIC_KIND, text("diameter")),
        Triple(c, vocab.NOMINAL_VALUE, decimal("25.0")),
        Triple(c, vocab.LOWER_LIMIT, decimal("24.98")),
        Triple(c, vocab.UPPER_LIMIT, decimal("25.02")),
        Triple(c, vocab.UNIT_OF_MEASURE, vocab.unit("MilliM")),
    ]


def ingest_design(pipeline: Pipeline) -> None:
    triples = design()
    data = "".join(f"{t} .\n" for t in triples).encode()
    batch = Batch("test", "1", [Source.of_bytes("design.nt", data)], triples=triples)
    assert pipeline.ingest(batch).status == "committed"


def ingest_all(pipeline: Pipeline) -> None:
    ingest_design(pipeline)
    for name, kind in ORDER:
        assert pipeline.ingest(table_batch(DATA / name, kind)).status == "committed", name


def _one(store: EmbeddedStore, s: NamedNode, p: NamedNode) -> str:
    (value,) = {q.object.value for q in store.quads(s, p, None)}
    return value


def test_every_record_type_lands_and_links(pipeline: Pipeline, store: EmbeddedStore) -> None:
    ingest_all(pipeline)
    assert _one(store, ids.work_order("WO-2"), vocab.WORK_ORDER_STATUS) == "in-progress"
    op = ids.operation("WO-1", "10")
    assert _one(store, op, vocab.ON_EQUIPMENT) == ids.equipment("PLANT1", "ASSY", "CELL3").value
    assert _one(store, op, vocab.PROV_STARTED_AT) == "2024-03-06T08:00:00Z"
    gb1, sh1 = ids.unit("GB-100", "GB-1"), ids.unit("SH-200", "SH-1")
    event = ids.consumption(gb1, sh1)
    assert _one(store, event, vocab.AT_OPERATION) == op.value
    assert _one(store, event, vocab.SOURCE_LOCATION) == "genealogy.csv:line 4"
    # Inches judged against millimetres: 0.9843 in = 25.001 mm passes, 0.9860 in fails.
    passed = {_one(store, ids.measurement(i, "D1"), vocab.PASSED) for i in ("INS-1", "INS-2")}
    assert passed == {"true", "false"}
    assert _one(store, ids.measurement("INS-1", "D1"), vocab.PASSED) == "true"
    auto_ncr = ids.nonconformance("INS-2/D1")
    assert _one(store, auto_ncr, vocab.RAISED_BY) == ids.measurement("INS-2", "D1").value
    assert _one(store, ids.measurement("INS-2", "D1"), vocab.MEASURES_CHARACTERISTIC) == (
        CHARACTERISTIC.value
    )
    assert _one(store, ids.nonconformance("NCR-9"), vocab.DISPOSITION) == "rework"
    change = ids.change("ECO-1")
    assert _one(store, change, vocab.AFFECTS_WORK_ORDER) == ids.work_order("WO-2").value
    new = ids.part_revision("SH-200", "B")
    assert _one(store, new, vocab.SUPERSEDES) == ids.part_revision("SH-200", "A").value
    # The change reaches the work orders built to the revision it affects.
    built_to = store.quads(ids.work_order("WO-2"), vocab.ORDERED_REVISION, None)
    assert {q.object for q in built_to} == {ids.part_revision("SH-200", "A")}
    shipment = ids.shipment("SHP-1")
    units = {q.object for q in store.quads(shipment, vocab.SHIPPED_UNIT, None)}
    assert units == {gb1, ids.unit("GB-100", "GB-2")}


def test_recall_from_a_lot_reaches_the_top_level_serials(
    pipeline: Pipeline, store: EmbeddedStore
) -> None:
    ingest_all(pipeline)
    rows = queries.get("recall").run(store, {"item": ids.lot("BRG-6204", "L-77").value})
    assert isinstance(rows, QuerySolutions)
    found = {(r["serialNumber"], r["customer"]) for r in rows}
    customer = ids.customer("ACME Gearboxes")
    assert (Literal("GB-1"), customer) in found
    assert (Literal("GB-2"), customer) in found
    serials = {s.value for s, _ in found if s is not None}
    assert serials == {"GB-1", "GB-2", "SH-1", "SH-2"}


def test_kind_comes_from_the_option_or_the_file_name(tmp_path: Path) -> None:
    assert table_batch(DATA / "shipments.csv").triples  # stem names the kind
    renamed = tmp_path / "export.csv"
    renamed.write_bytes((DATA / "shipments.csv").read_bytes())
    with pytest.raises(MesInputError, match="--kind"):
        table_batch(renamed)
    assert table_batch(renamed, "shipments").triples


def test_missing_column_is_refused_at_the_header(tmp_path: Path) -> None:
    path = tmp_path / "genealogy.csv"
    path.write_text("parent_part,parent_serial\nA,1\n", encoding="utf-8")
    with pytest.raises(MesInputError, match=r"genealogy\.csv: line 1: missing column\(s\)"):
        table_batch(path)


LATIN = "shipment,part_number,serial,customer,date\nSHP-2,GB-100,GB-1,Société Générale,2024-03-10\n"


def test_encodings_other_than_utf8_are_refused_or_decoded(tmp_path: Path) -> None:
    path = tmp_path / "shipments.csv"
    path.write_bytes(LATIN.encode("latin-1"))
    with pytest.raises(MesInputError, match=r"line 2: not UTF-8 \(byte 0xE9 at column 23\)"):
        table_batch(path)
    named = table_batch(path, extra={"encoding": "latin-1"})
    customers = {t.object for t in named.triples if t.predicate == vocab.PARTY_NAME}
    assert customers == {Literal("Société Générale")}
    for encoding in ("utf-16", "utf-8-sig"):
        path.write_bytes(LATIN.encode(encoding))
        decoded = table_batch(path)
        assert {t.object for t in decoded.triples if t.predicate == vocab.PARTY_NAME} == customers


def test_failsafe_skips_bad_rows_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "work-orders.csv"
    path.write_text(
        "work_order,part_number,revision,quantity\nWO-1,P,A,2\nWO-2,P,A,-1\nWO-3,P,A,\n",
        encoding="utf-8",
    )
    with pytest.raises(MesInputError):
        table_batch(path)
    batch = table_batch(path, strict=False)
    orders = {t.subject for t in batch.triples if t.predicate == vocab.WORK_ORDER_ID}
    assert orders == {ids.work_order("WO-1")}
