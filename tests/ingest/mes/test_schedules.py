"""B2MML schedules as MES send them: MaterialProducedRequirement (V0401, V0600) and
MaterialRequirement with a MaterialUse (V0700), the ordered quantity chosen by its Key and
unit and kept with its unit, one bad request refused alone under failsafe, and messages that
name the real problem and its XML path."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest
from pyoxigraph import Literal

from ingest.mes.helpers import b2mml_batch
from kgthread import ids, vocab
from kgthread.errors import MesInputError
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.embedded import EmbeddedStore

V0600 = "http://www.mesa.org/xml/B2MML-V0600"
V0700 = "http://www.mesa.org/xml/B2MML"

# A steel-mill schedule as an MES sends it: the melt shop's order of 11.9 t, with the
# production rate (41.9 t/h) given first under its own Key.
RATE_FIRST = """
<ProductionRequest>
  <ID>{order}</ID>
  <SegmentRequirement>
    <ID>MELT</ID>
    <EquipmentRequirement><EquipmentID>EAF-1</EquipmentID></EquipmentRequirement>
    <MaterialConsumedRequirement>
      <MaterialDefinitionID>SCRAP</MaterialDefinitionID>
      <Quantity><QuantityString>13.1</QuantityString><UnitOfMeasure>t</UnitOfMeasure></Quantity>
    </MaterialConsumedRequirement>
    <MaterialProducedRequirement>
      <MaterialDefinitionID>{part}</MaterialDefinitionID>
      <Quantity><QuantityString>41.9</QuantityString><UnitOfMeasure>t/h</UnitOfMeasure>
        <Key>ProductionRate</Key></Quantity>
      <Quantity><QuantityString>11.9</QuantityString><UnitOfMeasure>t</UnitOfMeasure>
        <Key>OrderedQuantity</Key></Quantity>
    </MaterialProducedRequirement>
  </SegmentRequirement>
</ProductionRequest>
"""
NO_PRODUCT = """
<ProductionRequest>
  <ID>MAINT-7</ID>
  <SegmentRequirement><ID>CLEAN</ID>
    <MaterialConsumedRequirement><MaterialDefinitionID>SOLVENT</MaterialDefinitionID>
    </MaterialConsumedRequirement>
  </SegmentRequirement>
</ProductionRequest>
"""
V0700_REQUEST = """
<OperationsRequest>
  <ID>{order}</ID>
  <SegmentRequirement>
    <ID>PRESS</ID>
    <MaterialRequirement>
      <MaterialDefinitionID>COIL</MaterialDefinitionID>
      <MaterialUse>Material Consumed</MaterialUse>
      <Quantity><QuantityString>2</QuantityString><UnitOfMeasure>t</UnitOfMeasure></Quantity>
    </MaterialRequirement>
    <MaterialRequirement>
      <MaterialDefinitionID>{part}</MaterialDefinitionID>
      <MaterialUse>{use}</MaterialUse>
      <Quantity><QuantityString>500</QuantityString><UnitOfMeasure>EA</UnitOfMeasure></Quantity>
    </MaterialRequirement>
  </SegmentRequirement>
</OperationsRequest>
"""


def schedule(tmp_path: Path, ns: str, *requests: str, root: str = "ProductionSchedule") -> Path:
    body = "".join(requests)
    path = tmp_path / "schedule.xml"
    path.write_text(
        f'<?xml version="1.0"?>\n<{root} xmlns="{ns}"><ID>S-1</ID>{body}</{root}>\n',
        encoding="utf-8",
    )
    return path


def _values(batch_triples: list, subject: object, predicate: object) -> set[object]:
    return {t.object for t in batch_triples if t.subject == subject and t.predicate == predicate}


def test_produced_requirement_and_the_ordered_quantity_with_its_unit(
    tmp_path: Path, pipeline: Pipeline, store: EmbeddedStore
) -> None:
    path = schedule(tmp_path, V0600, RATE_FIRST.format(order="HEAT-1", part="BILLET"))
    batch = b2mml_batch(path)
    order = ids.work_order("HEAT-1")
    triples = list(batch.triples)
    quantity = _values(triples, order, vocab.ORDERED_QUANTITY)
    assert {Decimal(q.value) for q in quantity} == {Decimal("11.9")}, "not the 41.9 t/h rate"
    assert _values(triples, order, vocab.UNIT_OF_MEASURE) == {vocab.unit("TONNE")}
    assert _values(triples, order, vocab.ORDERED_PART) == {ids.part("BILLET")}
    assert pipeline.ingest(batch).status == "committed"


def test_without_a_key_the_rate_is_set_aside_by_its_unit(tmp_path: Path) -> None:
    request = RATE_FIRST.format(order="HEAT-2", part="BILLET").replace(
        "<Key>OrderedQuantity</Key>", ""
    )
    batch = b2mml_batch(schedule(tmp_path, V0600, request))
    quantity = _values(list(batch.triples), ids.work_order("HEAT-2"), vocab.ORDERED_QUANTITY)
    assert {Decimal(q.value) for q in quantity} == {Decimal("11.9")}


def test_two_amounts_without_a_key_are_refused_naming_both(tmp_path: Path) -> None:
    request = (
        RATE_FIRST.format(order="HEAT-3", part="BILLET")
        .replace("<Key>OrderedQuantity</Key>", "")
        .replace("<Key>ProductionRate</Key>", "")
        .replace("t/h", "kg")
    )
    with pytest.raises(MesInputError) as caught:
        b2mml_batch(schedule(tmp_path, V0600, request))
    message = caught.value.message
    assert "cannot tell the ordered quantity" in message
    assert "ProductionRequest[1]/SegmentRequirement[1]/MaterialProducedRequirement[1]" in message
    assert "41.9 kg" in message
    assert "11.9 t" in message


@pytest.mark.parametrize("use", ["Material Produced", "Produced", "Yield Produced"])
def test_v0700_material_requirement_with_a_produced_use(tmp_path: Path, use: str) -> None:
    path = schedule(
        tmp_path,
        V0700,
        V0700_REQUEST.format(order="WO-9", part="BRACKET", use=use),
        root="OperationsSchedule",
    )
    triples = list(b2mml_batch(path).triples)
    order = ids.work_order("WO-9")
    assert _values(triples, order, vocab.ORDERED_PART) == {ids.part("BRACKET")}
    assert _values(triples, order, vocab.ORDERED_QUANTITY) == {
        Literal("500", datatype=vocab.XSD_DECIMAL)
    }
    assert _values(triples, order, vocab.UNIT_OF_MEASURE) == {vocab.unit("NUM")}


def test_an_unknown_material_use_is_named_not_a_missing_id(tmp_path: Path) -> None:
    path = schedule(
        tmp_path,
        V0700,
        V0700_REQUEST.format(order="WO-9", part="BRACKET", use="Product"),
        root="OperationsSchedule",
    )
    with pytest.raises(MesInputError) as caught:
        b2mml_batch(path)
    message = caught.value.message
    assert "unknown MaterialUse 'Product'" in message
    assert (
        "OperationsRequest[1]/SegmentRequirement[1]/MaterialRequirement[2]/MaterialUse" in message
    )
    assert "no ID" not in message


def test_a_request_without_a_product_is_refused_by_default_naming_it(tmp_path: Path) -> None:
    path = schedule(tmp_path, V0600, RATE_FIRST.format(order="HEAT-1", part="BILLET"), NO_PRODUCT)
    with pytest.raises(MesInputError) as caught:
        b2mml_batch(path)
    assert "ProductionRequest[2]" in caught.value.message
    assert "request MAINT-7 says nothing it produces" in caught.value.message


def test_failsafe_refuses_the_bad_request_alone_and_lists_it(
    tmp_path: Path,
    pipeline: Pipeline,
    store: EmbeddedStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = schedule(
        tmp_path,
        V0600,
        RATE_FIRST.format(order="HEAT-1", part="BILLET"),
        NO_PRODUCT,
        RATE_FIRST.format(order="HEAT-2", part="BLOOM"),
    )
    with caplog.at_level(logging.WARNING):
        batch = b2mml_batch(path, strict=False)
    assert pipeline.ingest(batch).status == "committed"
    orders = {q.subject for q in store.quads(None, vocab.RDF_TYPE, vocab.WORK_ORDER, None)}
    assert orders == {ids.work_order("HEAT-1"), ids.work_order("HEAT-2")}
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 1
    assert "ProductionRequest[2]" in skipped[0]
    assert "MAINT-7" in skipped[0]


def test_failsafe_with_nothing_left_is_an_error(tmp_path: Path) -> None:
    path = schedule(tmp_path, V0600, NO_PRODUCT, NO_PRODUCT.replace("MAINT-7", "MAINT-8"))
    with pytest.raises(MesInputError) as caught:
        b2mml_batch(path, strict=False)
    assert "nothing left to ingest" in caught.value.message
    assert "skipped 2 records" in caught.value.message
