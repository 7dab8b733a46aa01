"""Quality, change and shipment records to triples: the rest of the MES mapping.

An inspection is judged here, unit-aware: the measured value and the tolerance limits may be
in different units of one kind (inches against millimetres) and both are converted with QUDT's
multipliers before comparing. A measurement outside its limits raises a nonconformance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyoxigraph import Literal

from kgthread import ids, vocab
from kgthread.ingest.mes import records as r
from kgthread.ingest.mes import terms, units

if TYPE_CHECKING:
    from kgthread.ingest.mes.mapping import Mapper


def map_quality(m: Mapper, record: r.Record) -> None:
    if isinstance(record, r.Inspection):
        inspection(m, record)
    elif isinstance(record, r.Nonconformance):
        nonconformance(m, record)
    elif isinstance(record, r.Change):
        change(m, record)
    elif isinstance(record, r.Shipment):
        shipment(m, record)
    else:  # pragma: no cover - every record type is mapped above or in mapping.py
        raise TypeError(f"no mapping for {type(record).__name__}")


def judge(rec: r.Inspection) -> bool:
    """The verdict: from the limits when given (unit-aware), else the record's own result."""
    if rec.lower is None and rec.upper is None:
        if rec.passed is None:
            raise terms.fail(rec.where, "an inspection needs lower/upper limits or a result")
        return terms.boolean(rec.where, rec.passed, "result")
    value = terms.decimal(rec.where, rec.value.value, "measured value")
    unit = terms.unit(rec.where, rec.value.unit)
    limit_unit = terms.unit(rec.where, rec.limit_unit or rec.value.unit)
    lower = None if rec.lower is None else terms.decimal(rec.where, rec.lower, "lower limit")
    upper = None if rec.upper is None else terms.decimal(rec.where, rec.upper, "upper limit")
    if unit.family != limit_unit.family:
        raise terms.fail(
            rec.where, f"cannot judge a value in {unit.qudt} against limits in {limit_unit.qudt}"
        )
    return units.within(value, unit, lower, upper, limit_unit)


def inspection(m: Mapper, rec: r.Inspection) -> None:
    node = ids.inspection(rec.inspection)
    unit_node = ids.unit(rec.part, rec.serial)
    m.t(node, vocab.RDF_TYPE, vocab.INSPECTION)
    m.t(node, vocab.INSPECTION_ID, Literal(rec.inspection))
    m.t(node, vocab.INSPECTED_UNIT, unit_node)
    m.t(node, vocab.PROV_ENDED_AT, terms.timestamp(rec.where, rec.time, "time"))
    if rec.work_order is not None and rec.operation is not None:
        m.t(node, vocab.AT_OPERATION, ids.operation(rec.work_order, rec.operation))
    m.located(node, rec.where)
    m.cite(unit_node, rec.where)

    passed = judge(rec)
    value = terms.decimal(rec.where, rec.value.value, "measured value")
    measurement = ids.measurement(rec.inspection, rec.characteristic)
    characteristic = ids.characteristic(rec.part, rec.revision, rec.characteristic)
    m.t(measurement, vocab.RDF_TYPE, vocab.MEASUREMENT)
    m.t(measurement, vocab.MEASUREMENT_OF, node)
    m.t(measurement, vocab.MEASURES_CHARACTERISTIC, characteristic)
    m.t(measurement, vocab.MEASURED_VALUE, terms.decimal_literal(value))
    m.t(measurement, vocab.UNIT_OF_MEASURE, terms.unit_iri(terms.unit(rec.where, rec.value.unit)))
    m.t(
        measurement,
        vocab.PASSED,
        Literal("true" if passed else "false", datatype=vocab.XSD_BOOLEAN),
    )
    m.located(measurement, rec.where)
    m.cite(characteristic, rec.where)
    if not passed:
        ncr = ids.nonconformance(rec.ncr or f"{rec.inspection}/{rec.characteristic}")
        m.t(ncr, vocab.RDF_TYPE, vocab.NONCONFORMANCE)
        m.t(ncr, vocab.NONCONFORMANCE_ID, Literal(ids.parse(ncr).keys[0]))
        m.t(ncr, vocab.NONCONFORMANCE_OF, unit_node)
        m.t(ncr, vocab.RAISED_BY, measurement)
        m.t(ncr, vocab.DISPOSITION, Literal("open"))
        m.located(ncr, rec.where)


def nonconformance(m: Mapper, rec: r.Nonconformance) -> None:
    node = ids.nonconformance(rec.ncr)
    disposition = terms.one_of(rec.where, rec.disposition, terms.DISPOSITIONS, "disposition")
    unit_node = ids.unit(rec.part, rec.serial)
    m.t(node, vocab.RDF_TYPE, vocab.NONCONFORMANCE)
    m.t(node, vocab.NONCONFORMANCE_ID, Literal(rec.ncr))
    m.t(node, vocab.NONCONFORMANCE_OF, unit_node)
    m.t(node, vocab.DISPOSITION, Literal(disposition))
    if rec.inspection is not None and rec.characteristic is not None:
        m.t(node, vocab.RAISED_BY, ids.measurement(rec.inspection, rec.characteristic))
    m.located(node, rec.where)
    m.cite(unit_node, rec.where)


def change(m: Mapper, rec: r.Change) -> None:
    node = ids.change(rec.change)
    status = terms.one_of(rec.where, rec.status, terms.CHANGE_STATES, "change status")
    m.t(node, vocab.RDF_TYPE, vocab.ENGINEERING_CHANGE)
    m.t(node, vocab.CHANGE_ID, Literal(rec.change))
    m.t(node, vocab.CHANGE_STATUS, Literal(status))
    old_by_part = {}
    for part, code in rec.affected:
        old_by_part[part] = m.revision(part, code, rec.where)
        m.t(node, vocab.AFFECTS_REVISION, old_by_part[part])
    for part, code in rec.superseded_by:
        new = m.revision(part, code, rec.where)
        m.t(node, vocab.INTRODUCES_REVISION, new)
        if part in old_by_part:
            m.t(new, vocab.SUPERSEDES, old_by_part[part])
    for order in rec.work_orders:
        m.t(node, vocab.AFFECTS_WORK_ORDER, ids.work_order(order))
    if rec.effective:
        m.t(node, vocab.EFFECTIVE_FROM, terms.timestamp(rec.where, rec.effective, "effectivity"))
    m.located(node, rec.where)


def shipment(m: Mapper, rec: r.Shipment) -> None:
    node = ids.shipment(rec.shipment)
    unit_node = ids.unit(rec.part, rec.serial)
    m.t(node, vocab.RDF_TYPE, vocab.SHIPMENT)
    m.t(node, vocab.SHIPPED_UNIT, unit_node)
    m.t(node, vocab.SHIPPED_TO, m.customer(rec.customer, rec.where))
    m.t(node, vocab.PROV_ENDED_AT, terms.timestamp(rec.where, rec.date, "shipping date"))
    m.located(node, rec.where)
    m.cite(unit_node, rec.where)
