"""Units of measure MES exports use, as QUDT units, and unit-aware comparison.

MES systems write unit codes their own way ("KG", "kg", UNECE "KGM", "EA", "mm"); each
supported code maps to one QUDT unit. Conversion multipliers and offsets are QUDT's own
(``qudt:conversionMultiplier`` / ``qudt:conversionOffset`` in VOCAB_QUDT-UNITS-ALL.ttl, to the
SI base unit); a test checks this table against that file, so a value in inches is judged
against limits in millimetres exactly as QUDT defines the inch.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Unit:
    qudt: str
    """Local name under http://qudt.org/vocab/unit/."""
    family: str
    """What it measures; only units of one family compare."""
    multiplier: Decimal
    offset: Decimal
    unece: str | None

    def to_base(self, value: Decimal) -> Decimal:
        return value * self.multiplier + self.offset


def _u(qudt: str, family: str, multiplier: str, unece: str | None, offset: str = "0") -> Unit:
    return Unit(qudt, family, Decimal(multiplier), Decimal(offset), unece)


UNITS: dict[str, Unit] = {
    u.qudt: u
    for u in (
        _u("KiloGM", "mass", "1.0", "KGM"),
        _u("GM", "mass", "0.001", "GRM"),
        _u("MilliGM", "mass", "0.000001", "MGM"),
        _u("TONNE", "mass", "1000.0", "TNE"),
        _u("LB", "mass", "0.45359237", "LBR"),
        _u("L", "volume", "0.001", "LTR"),
        _u("MilliL", "volume", "0.000001", "MLT"),
        _u("M", "length", "1.0", "MTR"),
        _u("CentiM", "length", "0.01", "CMT"),
        _u("MilliM", "length", "0.001", "MMT"),
        _u("MicroM", "length", "0.000001", "4H"),
        _u("IN", "length", "0.0254", "INH"),
        _u("FT", "length", "0.3048", "FOT"),
        _u("NUM", "count", "1.0", None),
        _u("DEG_C", "temperature", "1.0", "CEL", "273.15"),
        _u("K", "temperature", "1.0", "KEL"),
        _u("SEC", "time", "1.0", "SEC"),
        _u("MIN", "time", "60.0", "MIN"),
        _u("HR", "time", "3600.0", "HUR"),
    )
}

_ALIASES: dict[str, str] = {
    **{u.unece: u.qudt for u in UNITS.values() if u.unece},
    **{u.qudt.upper(): u.qudt for u in UNITS.values()},
    **dict.fromkeys(("KG", "KGS", "KILOGRAM", "KILOGRAMS"), "KiloGM"),
    **dict.fromkeys(("G", "GRAM", "GRAMS"), "GM"),
    **dict.fromkeys(("MG",), "MilliGM"),
    **dict.fromkeys(("T", "TONNE", "TONNES"), "TONNE"),
    **dict.fromkeys(("LBS", "POUND", "POUNDS"), "LB"),
    **dict.fromkeys(("LITRE", "LITER", "LITRES", "LITERS"), "L"),
    **dict.fromkeys(("ML",), "MilliL"),
    **dict.fromkeys(("METRE", "METER", "METRES", "METERS"), "M"),
    **dict.fromkeys(("CM",), "CentiM"),
    **dict.fromkeys(("MM", "MILLIMETRE", "MILLIMETER"), "MilliM"),
    **dict.fromkeys(("UM", "µM", "ΜM", "MICRON", "MICRONS"), "MicroM"),
    **dict.fromkeys(("INCH", "INCHES", '"'), "IN"),
    **dict.fromkeys(("FOOT", "FEET"), "FT"),
    **dict.fromkeys(("EA", "EACH", "PC", "PCS", "PCE", "C62", "H87", "PIECE", "PIECES"), "NUM"),
    **dict.fromkeys(("UNIT", "UNITS", "ST"), "NUM"),
    **dict.fromkeys(("DEGC", "°C", "C"), "DEG_C"),
    **dict.fromkeys(("S", "SECOND", "SECONDS"), "SEC"),
    **dict.fromkeys(("MINUTE", "MINUTES"), "MIN"),
    **dict.fromkeys(("H", "HOUR", "HOURS"), "HR"),
}


def lookup(code: str) -> Unit | None:
    """The unit an MES code names (case-insensitive), or None when it is not supported."""
    return UNITS.get(_ALIASES.get(code.strip().upper(), ""))


def known_codes() -> list[str]:
    return sorted(UNITS)


def within(
    value: Decimal, unit: Unit, lower: Decimal | None, upper: Decimal | None, limit_unit: Unit
) -> bool:
    """Whether ``value`` in ``unit`` lies within [lower, upper] given in ``limit_unit``."""
    if unit.family != limit_unit.family:
        raise ValueError(f"cannot compare {unit.qudt} with {limit_unit.qudt}")
    measured = unit.to_base(value)
    if lower is not None and measured < limit_unit.to_base(lower):
        return False
    return upper is None or measured <= limit_unit.to_base(upper)
