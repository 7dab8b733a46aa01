"""BatchML records: the executed batch (ISA-88 batch production record) and master recipes.

A batch production record says which batch (lot) of which product was made and which recipe
elements ran, when and by whom: the batch becomes a produced lot, each runtime recipe element
an operation reported in the record. A master recipe is a plan with no production facts; it
yields its product when the header names one and nothing else.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

from kgthread.ingest.mes.records import Lot, Material, MaterialActual, Operation, Record
from kgthread.ingest.mes.xmlstream import child_text, children

V02_NAMESPACE = "http://www.wbf.org/xml/BatchML-V02"


def executed_control_recipe(
    el: ET.Element, ns: str, where: str, record_id: str | None
) -> Iterator[Record]:
    batch = child_text(el, ns, "BatchID")
    product = child_text(el, ns, "Header", "ProductID")
    response = record_id or child_text(el, ns, "ID") or batch
    if product is not None:
        yield Material(where, product, child_text(el, ns, "Header", "ProductName"))
    if product is not None and batch is not None:
        yield Lot(where, product, batch)
    produced = (
        (MaterialActual(where, "Produced", product, batch),)
        if product is not None and batch is not None
        else ()
    )
    top = children(el, ns, "RuntimeRecipeElement")
    for i, element in enumerate(top, 1):
        yield from _runtime_element(
            element, ns, f"{where}/RuntimeRecipeElement[{i}]", response, produced if i == 1 else ()
        )


def _runtime_element(
    el: ET.Element,
    ns: str,
    where: str,
    response: str | None,
    actuals: tuple[MaterialActual, ...],
) -> Iterator[Record]:
    element_id = child_text(el, ns, "ID")
    if element_id is not None:
        performer = child_text(el, ns, "Performer")
        yield Operation(
            where,
            element_id,
            response=response,
            start=child_text(el, ns, "StartTime"),
            end=child_text(el, ns, "CompletionTime"),
            people=(performer,) if performer else (),
            actuals=actuals,
        )
    for i, child in enumerate(children(el, ns, "RuntimeRecipeElement"), 1):
        yield from _runtime_element(child, ns, f"{where}/RuntimeRecipeElement[{i}]", response, ())


def master_recipe(el: ET.Element, ns: str, where: str) -> Iterator[Record]:
    product = child_text(el, ns, "Header", "ProductID")
    if product is not None:
        yield Material(where, product, child_text(el, ns, "Header", "ProductName"))
