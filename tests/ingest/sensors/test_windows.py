"""Window statistics: exact, constant memory under a flood, every refusal counted."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime

import pytest

from kgthread.gate import Gate
from kgthread.ingest.sensors.mapping import MalformedSummary, SummaryRecord, map_summary
from kgthread.ingest.sensors.windows import Span, Windows


def test_statistics_are_exact_and_windows_close_after_the_grace() -> None:
    windows = Windows(10.0, grace=1.0)
    values = [3.0, 1.5, 4.25, 1.0, 5.5]
    for i, value in enumerate(values):
        assert windows.observe("n", value, 100.0 + i, now=105.0) == "accepted"
    assert windows.due(110.5) == []
    (closed,) = windows.due(111.0)
    acc = closed.accumulator
    assert (acc.start, acc.end, acc.count) == (100.0, 110.0, 5)
    assert (acc.minimum, acc.maximum) == (1.0, 5.5)
    assert acc.mean == pytest.approx(statistics.fmean(values))
    assert acc.stdev == pytest.approx(statistics.pstdev(values))
    assert (acc.first, acc.last) == (100.0, 104.0)
    assert windows.observe("n", 2.0, 109.0, now=111.0) == "late"


def test_refusals_are_counted_by_reason() -> None:
    windows = Windows(60.0, max_future=300.0)
    now = 1000.0
    assert windows.observe("n", 1.0, now, now=now) == "accepted"
    assert windows.observe("n", 1.0, now, now=now) == "duplicate"  # resubscribe re-delivery
    assert windows.observe("n", 2.0, now - 1, now=now) == "out-of-order"
    assert windows.observe("n", "text", now + 1, now=now) == "non-numeric"
    assert windows.observe("n", math.nan, now + 2, now=now) == "non-numeric"
    assert windows.observe("n", True, now + 3, now=now) == "non-numeric"
    assert windows.observe("n", None, now + 4, bad=True, now=now) == "bad-status"
    assert windows.observe("n", 1.0, now + 86400, now=now) == "future"
    assert sum(windows.counts.values()) == 8
    assert windows.open["n"][960.0].bad == 1


def test_memory_stays_bounded_under_a_flood() -> None:
    """Half a million values on 50 nodes: a handful of accumulators, nothing per value."""
    windows = Windows(1.0, grace=0.5, max_future=2.0)
    peak = 0
    for i in range(500_000):
        t = i / 10_000  # 10,000 values/s
        windows.observe(f"node-{i % 50}", float(i % 97), t, now=t)
        if i % 10_000 == 0:
            windows.due(t)
            peak = max(peak, windows.open_accumulators())
    assert peak <= 50 * 2
    assert windows.counts["accepted"] == 500_000


def test_operation_spans_summarise_the_operation() -> None:
    windows = Windows(10.0, grace=0.0)
    windows.set_spans("n", [Span("urn:op", 12.0, 15.0)])
    for t in range(10, 20):
        windows.observe("n", float(t), float(t), now=float(t))
    closed = {c.operation: c.accumulator for c in windows.due(30.0)}
    assert closed["urn:op"].count == 4  # 12, 13, 14, 15
    assert (closed["urn:op"].start, closed["urn:op"].end) == (12.0, 15.0)
    assert windows.due(40.0) == []  # an operation is summarised once


def test_checkpoint_round_trips() -> None:
    windows = Windows(10.0)
    windows.observe("n", 1.0, 5.0, now=5.0)
    again = Windows(10.0)
    again.restore(windows.state())
    assert again.observe("n", 1.0, 5.0, now=6.0) == "duplicate"
    assert again.open["n"][0.0].count == 1


def _record(**change: object) -> SummaryRecord:
    moment = datetime(2024, 3, 5, 8, tzinfo=UTC)
    values: dict[str, object] = {
        "sensor_id": "nsu=urn:x;i=1",
        "property_name": "Temperature",
        "unit": "http://qudt.org/vocab/unit/DEG_C",
        "window_key": "2024-03-05T08:00:00Z",
        "start": moment,
        "end": moment,
        "count": 2,
        "bad": 0,
        "minimum": 1.0,
        "maximum": 2.0,
        "mean": 1.5,
        "stdev": 0.5,
        "first": moment,
        "last": moment,
    }
    values.update(change)
    return SummaryRecord(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [{"mean": math.nan}, {"minimum": 3.0}, {"count": 0}, {"unit": "urn:not-a-unit"}],
)
def test_malformed_summaries_are_refused_before_the_gate(change: dict[str, object]) -> None:
    with pytest.raises(MalformedSummary):
        map_summary(_record(**change))


def test_a_summary_passes_the_shape_with_its_sensor() -> None:
    from kgthread import ids
    from kgthread.ingest.sensors.mapping import observable_property, sensor_declaration

    triples = map_summary(_record())
    triples += sensor_declaration("nsu=urn:x;i=1", ids.equipment("M"), "Temperature")
    triples += observable_property("Temperature")
    from kgthread.ingest.sensors.mapping import equipment_declaration

    triples += equipment_declaration(["M"])
    report = Gate.default().check_triples(triples, None).report
    assert report.conforms, report.to_json()
