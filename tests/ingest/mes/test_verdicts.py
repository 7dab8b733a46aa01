"""Inspection verdicts at their boundaries: below, on and above each limit, one-sided limits,
and limits in another unit of the same kind (inches against millimetres, Celsius against
kelvin). Limits are inclusive: a value exactly on a limit passes. Judged directly and through
a real ingest, where a failed verdict must raise a nonconformance."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from pyoxigraph import Triple

from factories import decimal, product, text, unit
from ingest.mes.helpers import table_batch
from kgthread import ids, vocab
from kgthread.errors import KgthreadError
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.mes import records, units
from kgthread.ingest.mes.quality import judge
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.embedded import EmbeddedStore

# (value, value unit, lower, upper, limit unit, verdict)
CASES = [
    # both limits, one unit: below, on and above each limit
    ("9.999", "mm", "10", "20", "mm", False),
    ("10", "mm", "10", "20", "mm", True),
    ("10.001", "mm", "10", "20", "mm", True),
    ("19.999", "mm", "10", "20", "mm", True),
    ("20", "mm", "10", "20", "mm", True),
    ("20.001", "mm", "10", "20", "mm", False),
    ("-5", "mm", "10", "20", "mm", False),
    # a degenerate tolerance: only the nominal value passes
    ("10", "mm", "10", "10", "mm", True),
    ("10.0000001", "mm", "10", "10", "mm", False),
    # one-sided limits: the missing side does not judge
    ("1000", "mm", "10", None, "mm", True),
    ("9", "mm", "10", None, "mm", False),
    ("-1000", "mm", None, "20", "mm", True),
    ("21", "mm", None, "20", "mm", False),
    # mixed units: 1 in is exactly 25.4 mm, on each limit in turn
    ("1", "in", "25.4", "26", "mm", True),
    ("0.9999", "in", "25.4", "26", "mm", False),
    ("1", "in", "24", "25.4", "mm", True),
    ("1.0001", "in", "24", "25.4", "mm", False),
    ("25.4", "mm", "1", "2", "in", True),
    ("25.39", "mm", "1", "2", "in", False),
    ("50.8", "mm", "1", "2", "in", True),
    ("50.81", "mm", "1", "2", "in", False),
    # an offset unit: 0 °C is exactly 273.15 K
    ("0", "CEL", "273.15", "300", "KEL", True),
    ("-0.01", "CEL", "273.15", "300", "KEL", False),
    ("26.85", "CEL", "273.15", "300", "KEL", True),
    ("26.86", "CEL", "273.15", "300", "KEL", False),
    # a multiplier above one: 1 h is 60 min
    ("1", "HR", "30", "60", "MIN", True),
    ("1.01", "HR", "30", "60", "MIN", False),
    ("0.5", "HR", "30", "60", "MIN", True),
    ("0.49", "HR", "30", "60", "MIN", False),
]


def _inspection(
    value: str, code: str, lower: str | None, upper: str | None, limit_code: str | None
) -> records.Inspection:
    return records.Inspection(
        where="inspections.jsonl:line 1",
        inspection="INS-B",
        part="P-1",
        revision="A",
        serial="SN-1",
        characteristic="D1",
        value=records.Quantity(value, code),
        time="2024-03-06T10:40:00Z",
        lower=lower,
        upper=upper,
        limit_unit=limit_code,
    )


@pytest.mark.parametrize(("value", "code", "lower", "upper", "limit_code", "verdict"), CASES)
def test_verdict_at_the_limits(
    value: str, code: str, lower: str | None, upper: str | None, limit_code: str, verdict: bool
) -> None:
    assert judge(_inspection(value, code, lower, upper, limit_code)) is verdict


@pytest.mark.parametrize(("value", "code", "lower", "upper", "limit_code", "verdict"), CASES)
def test_within_agrees_with_the_judge(
    value: str, code: str, lower: str | None, upper: str | None, limit_code: str, verdict: bool
) -> None:
    measured, limits = units.lookup(code), units.lookup(limit_code)
    assert measured is not None
    assert limits is not None
    low = None if lower is None else Decimal(lower)
    high = None if upper is None else Decimal(upper)
    assert units.within(Decimal(value), measured, low, high, limits) is verdict


def test_limits_default_to_the_value_unit() -> None:
    assert judge(_inspection("10", "mm", "10", "20", None)) is True
    assert judge(_inspection("1", "in", "10", "20", None)) is False  # 1 in, not 1 mm


@pytest.mark.parametrize(("result", "verdict"), [("pass", True), ("true", True), ("fail", False)])
def test_a_recorded_result_is_the_verdict_without_limits(result: str, verdict: bool) -> None:
    rec = _inspection("10", "mm", None, None, None)
    rec = records.Inspection(**{**rec.__dict__, "passed": result})
    assert judge(rec) is verdict


def test_no_limits_and_no_result_is_refused() -> None:
    with pytest.raises(KgthreadError, match="limits or a result"):
        judge(_inspection("10", "mm", None, None, None))


def test_limits_of_another_kind_are_refused() -> None:
    with pytest.raises(KgthreadError, match="cannot judge"):
        judge(_inspection("10", "mm", "1", "2", "KG"))


def test_the_unit_table_round_trips_its_codes() -> None:
    for code, entry in units.UNITS.items():
        assert units.lookup(code) is entry
        assert units.lookup(f" {code.lower()} ") is entry
        if entry.unece:
            assert units.lookup(entry.unece) is entry
    assert units.lookup("KGM") is units.UNITS["KiloGM"]
    assert units.UNITS["DEG_C"].to_base(Decimal("0")) == Decimal("273.15")
    assert units.UNITS["IN"].to_base(Decimal("1")) == Decimal("0.0254")
    assert units.known_codes() == sorted(units.UNITS)


END_TO_END = [
    ("INS-LOW", "0.9999", "in", False),  # below the lower limit
    ("INS-ONLOW", "1", "in", True),  # 25.4 mm, exactly the lower limit
    ("INS-MID", "25.7", "mm", True),
    ("INS-ONHIGH", "26", "mm", True),  # exactly the upper limit
    ("INS-HIGH", "26.001", "mm", False),  # above the upper limit
]


def test_verdicts_and_nonconformances_through_an_ingest(
    pipeline: Pipeline, store: EmbeddedStore, tmp_path: Path
) -> None:
    c = ids.characteristic("P-1", "A", "D1")
    design: list[Triple] = [
        *product("P-1"),
        *unit("P-1", "A", "SN-1"),
        Triple(c, vocab.RDF_TYPE, vocab.CHARACTERISTIC),
        Triple(c, vocab.CHARACTERISTIC_OF, ids.part_revision("P-1", "A")),
        Triple(c, vocab.CHARACTERISTIC_KIND, text("diameter")),
        Triple(c, vocab.NOMINAL_VALUE, decimal("25.7")),
        Triple(c, vocab.LOWER_LIMIT, decimal("25.4")),
        Triple(c, vocab.UPPER_LIMIT, decimal("26")),
        Triple(c, vocab.UNIT_OF_MEASURE, vocab.unit("MilliM")),
    ]
    data = "".join(f"{t} .\n" for t in design).encode()
    committed = pipeline.ingest(
        Batch("test", "1", [Source.of_bytes("design.nt", data)], triples=design)
    )
    assert committed.status == "committed"
    lines = [
        {
            "inspection": name,
            "part_number": "P-1",
            "revision": "A",
            "serial": "SN-1",
            "characteristic": "D1",
            "value": value,
            "unit": code,
            "lower_limit": "25.4",
            "upper_limit": "26",
            "limit_unit": "mm",
            "time": "2024-03-06T10:40:00Z",
        }
        for name, value, code, _ in END_TO_END
    ]
    path = tmp_path / "inspections.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert pipeline.ingest(table_batch(path, "inspections")).status == "committed"
    for name, _, _, verdict in END_TO_END:
        measurement = ids.measurement(name, "D1")
        (passed,) = {q.object.value for q in store.quads(measurement, vocab.PASSED, None)}
        assert passed == ("true" if verdict else "false"), name
        raised = list(store.quads(None, vocab.RAISED_BY, measurement))
        assert len(raised) == (0 if verdict else 1), name
