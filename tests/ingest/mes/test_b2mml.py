"""B2MML and BatchML documents through the real pipeline into a real store."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, QuerySolutions

from ingest.mes.helpers import HERE, b2mml_batch, b2mml_dir
from kgthread import ids, queries, vocab
from kgthread.errors import MesInputError
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.embedded import EmbeddedStore

CHAIN = (
    "MAT-20121210170256-CRBN0001.xml",  # material definition
    "LOT-20121210170718-0001L0001.xml",  # lot
    "INV-20121210175555-0001L0001_01.xml",  # sublot
    "PRO-20121210181416-27942.xml",  # schedule
    "PES-20121229115825-53107.xml",  # performance
)
LOT = ids.lot("CRBN0001", "CRBN0001_LOT01")


def _ingest_chain(pipeline: Pipeline) -> None:
    folder = b2mml_dir("courbon-v0401")
    for name in CHAIN:
        assert pipeline.ingest(b2mml_batch(folder / name)).status == "committed", name


def _objects(store: EmbeddedStore, s: NamedNode, p: NamedNode) -> set[str]:
    return {q.object.value for q in store.quads(s, p, None)}


def test_courbon_chain_ingests_and_answers_the_lot_consumption_query(
    pipeline: Pipeline, store: EmbeddedStore
) -> None:
    _ingest_chain(pipeline)
    query = queries.parse_header(HERE / "lot-consumption.rq")
    rows = query.run(store, {"response": "53107", "lot": LOT.value})
    assert isinstance(rows, QuerySolutions)
    found = [(r["item"], r["quantity"], r["unitOfMeasure"], r["operation"]) for r in rows]
    sublot = ids.sublot("CRBN0001", "CRBN0001_LOT01", "430147330000056734")
    assert len(found) == 1
    item, quantity, unit, operation = found[0]
    assert item == sublot
    assert isinstance(quantity, Literal)
    assert Decimal(quantity.value) == Decimal("0.41")
    assert unit == vocab.unit("KiloGM")
    assert operation == ids.operation("53107", "Weighing")
    # Another response id finds nothing: the parameter is bound, not ignored.
    assert not list(query.run(store, {"response": "99999", "lot": LOT.value}))  # type: ignore[arg-type]


def test_courbon_chain_keeps_what_each_document_said(
    pipeline: Pipeline, store: EmbeddedStore
) -> None:
    _ingest_chain(pipeline)
    assert _objects(store, LOT, vocab.LOT_STATUS) == {"Valid"}
    inv_sublot = ids.sublot("CRBN0001", "CRBN0001_LOT01", "CRBN0001_LOT01_01")
    assert _objects(store, inv_sublot, vocab.QUANTITY) == {"24.91"}  # canonical xsd:decimal
    assert _objects(store, inv_sublot, vocab.LOT_STATUS) == {"NotValid"}
    assert _objects(store, ids.part("CRBN0001"), vocab.DESCRIPTION) == {"Product Courbon0001"}
    order = ids.work_order("258456")
    assert _objects(store, order, vocab.ORDERED_PART) == {ids.part("SO1215").value}
    assert _objects(store, order, vocab.WORK_ORDER_STATUS) == {"planned"}
    assert _objects(store, ids.equipment("BOX3"), vocab.EQUIPMENT_ID) == {"BOX3"}
    actual = ids.material_actual(ids.operation("53107", "Weighing"), "1")
    (where,) = _objects(store, actual, vocab.SOURCE_LOCATION)
    assert where == (
        "PES-20121229115825-53107.xml:/SyncProductionPerformance/DataArea[1]/"
        "ProductionPerformance[1]/ProductionResponse[1]/SegmentResponse[1]/MaterialActual[1]"
    )


def test_performance_before_its_material_definition_still_links(pipeline: Pipeline) -> None:
    """A performance document proves the material and lot exist: it can come first."""
    folder = b2mml_dir("courbon-v0401")
    assert pipeline.ingest(b2mml_batch(folder / CHAIN[-1])).status == "committed"


def test_batchml_examples_ingest(pipeline: Pipeline, store: EmbeddedStore) -> None:
    record = b2mml_dir("batchml-v0401") / "ProductionBatchRecord_Example_v06.xml"
    result = pipeline.ingest(b2mml_batch(record))
    assert result.status == "committed"
    batch_lot = ids.lot("000399FG01", "BX10")
    assert _objects(store, batch_lot, vocab.LOT_ID) == {"BX10"}
    phase = ids.operation(
        "mkWLoops01", "BX10|Procedure-01|Parallel Phases|Operation-01|LIB-PH-PAVStr-01"
    )
    assert _objects(store, phase, vocab.PROV_ENDED_AT) == {"2010-04-27T16:02:06.903+02:00"}
    operations = list(store.quads(None, vocab.RDF_TYPE, vocab.OPERATION))
    assert len(operations) == 15
    recipe = b2mml_dir("batchml-v02") / "cough_syrup_pmw.xml"
    # A master recipe is a plan: recognised and committed, with no production facts.
    assert pipeline.ingest(b2mml_batch(recipe)).status == "committed"


PERFORMANCE = """<?xml version="1.0" encoding="utf-8"?>
<{root} xmlns="{ns}">
  <ApplicationArea><CreationDateTime>2024-03-05T08:00:00Z</CreationDateTime></ApplicationArea>
  <DataArea>
    <Sync/>
    <{perf}>
      <ID>P1</ID>
      <{resp}>
        <ID>R-7</ID>
        <SegmentResponse>
          <ID>MIX</ID>
          <ActualStartTime>2024-03-05T08:00:00Z</ActualStartTime>
          <ActualEndTime>2024-03-05T09:30:00Z</ActualEndTime>
          <EquipmentActual><EquipmentID>MIXER-2</EquipmentID></EquipmentActual>
          <PersonnelActual><PersonID>op-17</PersonID></PersonnelActual>
          <MaterialActual>
            <MaterialDefinitionID>RESIN</MaterialDefinitionID>
            <MaterialLotID>R-LOT-1</MaterialLotID>
            <MaterialUse>{consumed}</MaterialUse>
            <Quantity><QuantityString>12.5</QuantityString><UnitOfMeasure>KGM</UnitOfMeasure></Quantity>
          </MaterialActual>
          <MaterialActual>
            <MaterialDefinitionID>COMPOUND</MaterialDefinitionID>
            <MaterialLotID>C-LOT-9</MaterialLotID>
            <MaterialUse>{produced}</MaterialUse>
            <Quantity><QuantityString>12</QuantityString><UnitOfMeasure>kg</UnitOfMeasure></Quantity>
          </MaterialActual>
        </SegmentResponse>
      </{resp}>
    </{perf}>
  </DataArea>
</{root}>
"""

GENERATIONS = {
    "V0401": {
        "root": "SyncProductionPerformance",
        "ns": "http://www.wbf.org/xml/B2MML-V0401",
        "perf": "ProductionPerformance",
        "resp": "ProductionResponse",
        "consumed": "Consumed",
        "produced": "Produced",
    },
    "V0600": {
        "root": "SyncProductionPerformance",
        "ns": "http://www.mesa.org/xml/B2MML-V0600",
        "perf": "ProductionPerformance",
        "resp": "ProductionResponse",
        "consumed": "Consumed",
        "produced": "Produced",
    },
    "V0700": {
        "root": "SyncOperationsPerformance",
        "ns": "http://www.mesa.org/xml/B2MML",
        "perf": "OperationsPerformance",
        "resp": "OperationsResponse",
        "consumed": "Material Consumed",
        "produced": "Material Produced",
    },
}


def _graph_of(tmp_path: Path, version: str) -> set[tuple[str, str, str]]:
    path = tmp_path / f"perf-{version}.xml"
    path.write_text(PERFORMANCE.format(**GENERATIONS[version]), encoding="utf-8")
    batch = b2mml_batch(path)
    return {
        (t.subject.value, t.predicate.value, t.object.value)
        for t in batch.triples
        if t.predicate != vocab.SOURCE_LOCATION
    }


def test_all_generations_map_to_the_same_graph(tmp_path: Path, pipeline: Pipeline) -> None:
    graphs = {version: _graph_of(tmp_path, version) for version in GENERATIONS}
    assert graphs["V0401"] == graphs["V0600"] == graphs["V0700"]
    operation = ids.operation("R-7", "MIX").value
    assert (operation, vocab.ON_EQUIPMENT.value, ids.equipment("MIXER-2").value) in graphs["V0700"]
    uses = {o for s, p, o in graphs["V0700"] if p == vocab.MATERIAL_USE.value}
    assert uses == {"consumed", "produced"}
    result = pipeline.ingest(b2mml_batch(tmp_path / "perf-V0700.xml"))
    assert result.status == "committed"


def test_unknown_version_is_refused_by_namespace(tmp_path: Path) -> None:
    path = tmp_path / "v0500.xml"
    params = {**GENERATIONS["V0600"], "ns": "http://www.mesa.org/xml/B2MML-V0500"}
    path.write_text(PERFORMANCE.format(**params), encoding="utf-8")
    with pytest.raises(
        MesInputError, match=r"v0500\.xml:/SyncProductionPerformance: unknown namespace"
    ):
        b2mml_batch(path)
