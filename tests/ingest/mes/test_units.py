"""The unit table agrees with QUDT's own file, and judging is unit-aware."""

from __future__ import annotations

from decimal import Decimal

import pyoxigraph as ox
import pytest

import shared_data
from kgthread import assets, vocab
from kgthread.ingest.mes import units

QUDT_UNITS = assets.shared_data_dir() / "ontologies" / "qudt" / "VOCAB_QUDT-UNITS-ALL.ttl"


def qudt_facts() -> dict[str, dict[str, str]]:
    if not QUDT_UNITS.is_file():
        shared_data.missing(QUDT_UNITS)
    wanted = {vocab.unit(code) for code in units.UNITS}
    names = ("conversionMultiplier", "conversionOffset", "uneceCommonCode")
    predicates = {ox.NamedNode(vocab.QUDT_NS + n): n for n in names}
    facts: dict[str, dict[str, str]] = {}
    for quad in ox.parse(path=str(QUDT_UNITS), format=ox.RdfFormat.TURTLE):
        if quad.subject in wanted and quad.predicate in predicates:
            local = quad.subject.value.removeprefix(vocab.UNIT_NS)
            facts.setdefault(local, {})[predicates[quad.predicate]] = quad.object.value
    return facts


def test_table_matches_the_qudt_file() -> None:
    facts = qudt_facts()
    assert set(facts) == set(units.UNITS)
    for code, unit in units.UNITS.items():
        assert Decimal(facts[code]["conversionMultiplier"]) == unit.multiplier, code
        assert Decimal(facts[code].get("conversionOffset", "0")) == unit.offset, code
        assert facts[code].get("uneceCommonCode") == unit.unece, code


@pytest.mark.parametrize(
    ("value", "code", "expected"),
    [("0.9843", "in", True), ("0.9860", "IN", False), ("25.01", "mm", True), ("2.6", "cm", False)],
)
def test_inches_against_millimetres(value: str, code: str, expected: bool) -> None:
    unit, limits = units.lookup(code), units.lookup("MMT")
    assert unit is not None
    assert limits is not None
    verdict = units.within(Decimal(value), unit, Decimal("24.98"), Decimal("25.02"), limits)
    assert verdict is expected


def test_kinds_do_not_mix_and_unknown_codes_are_none() -> None:
    kg, mm = units.lookup("KG"), units.lookup("mm")
    assert kg is not None
    assert mm is not None
    with pytest.raises(ValueError, match="cannot compare"):
        units.within(Decimal(1), kg, None, Decimal(2), mm)
    assert units.lookup("FURLONG") is None
    assert units.lookup("°C") is units.UNITS["DEG_C"]
