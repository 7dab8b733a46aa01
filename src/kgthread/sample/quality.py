"""Quality and shop-floor signals: inspections with measurements, nonconformances, and
sensor statistics per operation window.

Measurements are drawn inside the characteristic's limits, except a small fraction that
fall outside and fail; each failing measurement raises a nonconformance. The first few
inspections force one failure so that even the smallest sample has one.
"""

from __future__ import annotations

import random
from typing import Final

from kgthread import ids
from kgthread.sample import terms
from kgthread.sample.catalog import Characteristic, Revision
from kgthread.sample.plant import WorkUnit
from kgthread.sample.terms import V, iri
from kgthread.sample.truth import Record
from kgthread.sample.writer import NTriplesWriter

INSPECT_RATE: Final = 0.5
FAIL_RATE: Final = 0.03
# Units are built in after inspection, so none is scrapped; a few stay open.
_DISPOSITIONS: Final = ("rework", "rework", "use-as-is", "use-as-is", "open")


class Inspector:
    def __init__(self, w: NTriplesWriter, rng: random.Random) -> None:
        self.w, self.rng = w, rng
        self.inspections = self.failures = self._ncr = 0
        self._mm = terms.qudt("MilliM")

    def inspect(
        self, unit: str, rev: Revision, op: str, ended: int, active: list[tuple[Record, int]]
    ) -> None:
        """Inspect about half of the units that have characteristics."""
        rng, w = self.rng, self.w
        if rng.random() >= INSPECT_RATE:
            return
        self.inspections += 1
        inspection_id = f"INS{self.inspections:07d}"
        s = iri(ids.inspection(inspection_id))
        w.a(s, V.INSPECTION)
        w.t(s, V.INSPECTION_ID, terms.string(inspection_id))
        w.t(s, V.INSPECTED_UNIT, unit)
        w.t(s, V.PROV_ENDED_AT, terms.datetime(ended))
        w.t(s, V.AT_OPERATION, op)
        ncrs: list[str] = []
        force = self.failures == 0 and self.inspections == 2
        for n, char in enumerate(rev.characteristics):
            fail = rng.random() < FAIL_RATE or (force and n == 0)
            value = _measure(rng, char, fail)
            m = iri(ids.measurement(inspection_id, char.key))
            w.a(m, V.MEASUREMENT)
            w.t(m, V.MEASUREMENT_OF, s)
            w.t(m, V.MEASURES_CHARACTERISTIC, char.iri)
            w.t(m, V.MEASURED_VALUE, terms.decimal(value, 4))
            w.t(m, V.UNIT_OF_MEASURE, self._mm)
            w.t(m, V.PASSED, terms.boolean(not fail))
            if fail:
                self.failures += 1
                ncrs.append(self._nonconformance(unit, m))
        for rec, _ in active:
            rec["inspections"].append(
                {"inspection": s, "unit": unit, "passed": not ncrs, "nonconformances": ncrs}
            )

    def _nonconformance(self, unit: str, measurement: str) -> str:
        w = self.w
        self._ncr += 1
        ncr_id = f"NCR{self._ncr:06d}"
        s = iri(ids.nonconformance(ncr_id))
        w.a(s, V.NONCONFORMANCE)
        w.t(s, V.NONCONFORMANCE_ID, terms.string(ncr_id))
        w.t(s, V.NONCONFORMANCE_OF, unit)
        w.t(s, V.RAISED_BY, measurement)
        w.t(s, V.DISPOSITION, terms.string(self.rng.choice(_DISPOSITIONS)))
        return s

    def summaries(self, op: str, unit: WorkUnit, start: int, end: int) -> None:
        """One observation summary per sensor on ``unit`` for the window of ``op``."""
        rng, w = self.rng, self.w
        window_start, window_end = terms.datetime(start), terms.datetime(end)
        for sensor in unit.sensors:
            prop = sensor.observes[0]
            s = iri(ids.observation_summary(sensor.sensor_id, terms.iso(start)))
            mean = prop.mean * rng.uniform(0.9, 1.1)
            sd = prop.spread * rng.uniform(0.3, 1.0)
            w.a(s, V.OBSERVATION_SUMMARY)
            w.t(s, V.SOSA_MADE_BY_SENSOR, sensor.iri)
            w.t(s, V.SOSA_OBSERVED_PROPERTY, prop.iri)
            w.t(s, V.WINDOW_START, window_start)
            w.t(s, V.WINDOW_END, window_end)
            w.t(s, V.SAMPLE_COUNT, terms.integer(end - start + 1))
            if rng.random() < 0.2:
                w.t(s, V.BAD_COUNT, terms.integer(rng.randint(0, 5)))
            w.t(s, V.MINIMUM, terms.double(round(mean - sd * rng.uniform(2.0, 3.5), 3)))
            w.t(s, V.MAXIMUM, terms.double(round(mean + sd * rng.uniform(2.0, 3.5), 3)))
            w.t(s, V.MEAN, terms.double(round(mean, 3)))
            w.t(s, V.STANDARD_DEVIATION, terms.double(round(sd, 4)))
            w.t(s, V.UNIT_OF_MEASURE, prop.uom)
            w.t(s, V.DURING_OPERATION, op)


def _measure(rng: random.Random, char: Characteristic, fail: bool) -> float:
    """A value inside [lower, upper], or outside by 10-60 % of the tolerance band if failing."""
    band = char.upper - char.lower
    if fail:
        excess = band * rng.uniform(0.1, 0.6) + 0.0001
        value = char.upper + excess if rng.random() < 0.5 or char.lower == 0.0 else None
        value = value if value is not None else char.lower - excess
    else:
        centre = (char.lower + char.upper) / 2 if char.nominal is None else char.nominal
        value = min(char.upper, max(char.lower, rng.gauss(centre, band / 6)))
    return round(value, 4)
