"""The design side of the sample: parts, revisions, multi-level BOMs and characteristics.

A product family is built level by level: top-level products (level 1) use assemblies
(2..4), which use machined parts (5), which are made from raw material (6, bought as
lots). Every assembly has at least one serialized child one level down, so every product
is at least five levels deep; children are drawn from pools shared across the family, so
the same sub-part appears under several parents (where-used has answers). Revisions carry
the BOM (``kgt:AssemblyUsage`` hangs off a revision and points at a child *part*).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from kgthread import ids
from kgthread.sample import terms
from kgthread.sample.terms import V, iri
from kgthread.sample.writer import NTriplesWriter

TOP, MACHINED, RAW = 1, 5, 6

_PRODUCTS = ("gearbox", "pump", "linear actuator", "spindle head", "valve block", "drive unit")
_ASSEMBLIES = ("housing assembly", "rotor assembly", "cover assembly", "shaft assembly", "seal kit")
_MACHINED = ("shaft", "flange", "bracket", "bushing", "gear blank", "end cap", "impeller")
# (label, QUDT unit, per-use quantity range, decimals, bulk stock for machining?)
_RAW = (
    ("bar stock, aluminium 6061-T6", "KiloGM", (0.2, 2.5), 3, True),
    ("bar stock, steel 42CrMo4", "KiloGM", (0.3, 4.0), 3, True),
    ("hex bolt M6x20 8.8", "NUM", (2, 12), 0, False),
    ("O-ring 40x2 NBR", "NUM", (1, 4), 0, False),
    ("cable, 4-core 0.75 mm²", "M", (0.5, 3.0), 2, False),
    ("adhesive, epoxy 2K", "KiloGM", (0.01, 0.08), 3, False),
    ("plate, S235 10 mm", "KiloGM", (0.5, 6.0), 3, True),
    ("ball bearing 6204-2RS", "NUM", (1, 2), 0, False),
)
# (kind, nominal range or None for a geometric tolerance, tolerance range, datums)
_FEATURES = (
    ("diameter", (8.0, 80.0), (0.01, 0.05), ()),
    ("length", (20.0, 250.0), (0.05, 0.2), ()),
    ("bore diameter", (6.0, 40.0), (0.005, 0.03), ("A",)),
    ("flatness", None, (0.01, 0.05), ()),
    ("position", None, (0.02, 0.1), ("A", "B")),
)


@dataclass(eq=False)
class Characteristic:
    key: str
    iri: str
    kind: str
    nominal: float | None
    lower: float
    upper: float
    datums: tuple[str, ...]


@dataclass(eq=False)
class Usage:
    child: Part
    quantity: float  # pieces for serialized children, the raw part's unit otherwise
    lexical: str
    designator: str | None


@dataclass(eq=False)
class Revision:
    part: Part
    code: str
    iri: str
    usages: list[Usage] = field(default_factory=list)
    characteristics: list[Characteristic] = field(default_factory=list)
    supersedes: Revision | None = None


@dataclass(eq=False)
class Part:
    number: str
    level: int
    label: str
    iri: str
    revisions: list[Revision] = field(default_factory=list)
    uom: str = "NUM"  # QUDT code; pieces unless raw bulk material
    decimals: int = 0
    bulk_stock: bool = False
    use_range: tuple[float, float] = (1.0, 1.0)
    suppliers: list[str] = field(default_factory=list)

    @property
    def current(self) -> Revision:
        return self.revisions[-1]

    @property
    def serialized(self) -> bool:
        return self.level < RAW

    def new_revision(self) -> Revision:
        code = chr(ord("A") + len(self.revisions))
        rev = Revision(self, code, iri(ids.part_revision(self.number, code)))
        if self.revisions:
            rev.supersedes = self.current
        self.revisions.append(rev)
        return rev


@dataclass
class Catalog:
    products: list[Part]
    levels: dict[int, list[Part]]  # level -> parts (2..5 assemblies/machined, 6 raw)

    def parts(self) -> list[Part]:
        return [p for level in sorted(self.levels) for p in self.levels[level]]


def build(rng: random.Random, products: int, suppliers: list[str]) -> Catalog:
    """Parts and first revisions of a family of ``products`` top-level products."""
    levels: dict[int, list[Part]] = {}
    raw_count = 8 + products // 3
    raw: list[Part] = []
    for n in range(raw_count):
        label, uom, use_range, decimals, bulk = _RAW[n % len(_RAW)]
        number = f"RM-{n + 1:04d}"
        part = Part(number, RAW, label, iri(ids.part(number)), uom=uom, decimals=decimals)
        part.bulk_stock, part.use_range = bulk, use_range
        part.suppliers = rng.sample(suppliers, k=min(len(suppliers), rng.randint(1, 2)))
        raw.append(part)
    levels[RAW] = raw
    count = products
    for level in range(TOP, RAW):
        names: tuple[str, ...]
        if level == TOP:
            names, prefix = _PRODUCTS, "PRD"
        elif level == MACHINED:
            names, prefix = _MACHINED, "MCH"
        else:
            names, prefix = _ASSEMBLIES, "ASM"
        parts = []
        for n in range(count):
            number = f"{prefix}-{level}{n + 1:04d}"
            label = f"{names[n % len(names)]} {number[-4:]}"
            part = Part(number, level, label, iri(ids.part(number)))
            part.new_revision()
            parts.append(part)
        levels[level] = parts
        count = max(2, round(count * 1.4 / 1.3))
    for level in range(TOP, MACHINED):
        _assign_children(rng, levels[level], levels[level + 1])
    stock = [p for p in raw if p.bulk_stock]
    hardware = [p for p in raw if not p.bulk_stock]
    for level in range(TOP, RAW):
        for part in levels[level]:
            rev = part.current
            if level == MACHINED:
                _add_raw(rng, rev, [rng.choice(stock)])
                rev.characteristics = _characteristics(rng, rev)
            else:
                _add_raw(rng, rev, rng.sample(hardware, k=rng.randint(1, 2)))
    return Catalog(levels[TOP], levels)


def _assign_children(rng: random.Random, parents: list[Part], pool: list[Part]) -> None:
    """One or two serialized children per parent, cycling a shuffled pool so all are used."""
    order = pool[:]
    rng.shuffle(order)
    cursor = 0
    for parent in parents:
        wanted = min(len(order), 1 if rng.random() < 0.6 else 2)
        chosen: list[Part] = []
        while len(chosen) < wanted:
            child = order[cursor % len(order)]
            cursor += 1
            if child not in chosen:
                chosen.append(child)
        for j, child in enumerate(chosen, start=1):
            qty = 2 if child.level >= 3 and rng.random() < 0.25 else 1
            prefix = "P" if child.level == MACHINED else "A"
            parent.current.usages.append(Usage(child, qty, str(qty), f"{prefix}{j}"))


def _add_raw(rng: random.Random, rev: Revision, materials: list[Part]) -> None:
    for j, material in enumerate(materials, start=1):
        low, high = material.use_range
        if material.decimals == 0:
            qty: float = rng.randint(int(low), int(high))
            lexical = str(int(qty))
        else:
            qty = round(rng.uniform(low, high), material.decimals)
            lexical = f"{qty:.{material.decimals}f}"
        designator = f"H{j}" if material.uom == "NUM" else None
        rev.usages.append(Usage(material, qty, lexical, designator))


def _characteristics(rng: random.Random, rev: Revision) -> list[Characteristic]:
    out = []
    for n, (kind, nominal_range, tol_range, datums) in enumerate(
        rng.sample(_FEATURES, k=rng.randint(2, 3)), start=1
    ):
        key = f"C{n}"
        tol = round(rng.uniform(*tol_range), 3)
        if nominal_range is None:
            nominal, lower, upper = None, 0.0, tol
        else:
            nominal = round(rng.uniform(*nominal_range), 2)
            lower, upper = round(nominal - tol, 3), round(nominal + tol, 3)
        char_iri = iri(ids.characteristic(rev.part.number, rev.code, key))
        out.append(Characteristic(key, char_iri, kind, nominal, lower, upper, datums))
    return out


def revise(part: Part) -> Revision:
    """A new revision of ``part`` superseding its current one, with a small design change.

    Machined parts get tighter tolerances; assemblies use more of their last material.
    """
    old = part.current
    rev = part.new_revision()
    for u in old.usages:
        if u is old.usages[-1] and not u.child.serialized and part.level != MACHINED:
            qty = u.quantity + (1 if u.child.decimals == 0 else 10**-u.child.decimals)
            lexical = f"{qty:.{u.child.decimals}f}"
            rev.usages.append(Usage(u.child, qty, lexical, u.designator))
        else:
            rev.usages.append(u)
    for c in old.characteristics:
        shrink = round((c.upper - c.lower) * 0.25, 3)
        char_iri = iri(ids.characteristic(part.number, rev.code, c.key))
        rev.characteristics.append(
            Characteristic(
                c.key,
                char_iri,
                c.kind,
                c.nominal,
                c.lower if c.nominal is None else round(c.lower + shrink, 3),
                round(c.upper - shrink, 3),
                c.datums,
            )
        )
    return rev


def emit_part(w: NTriplesWriter, part: Part, with_description: bool) -> None:
    w.a(part.iri, V.PART)
    w.t(part.iri, V.PART_NUMBER, terms.string(part.number))
    w.t(part.iri, V.RDFS_LABEL, terms.string(part.label))
    if with_description:
        w.t(part.iri, V.DESCRIPTION, terms.string(f"{part.label}, level {part.level}"))
    for rev in part.revisions:
        emit_revision(w, rev)


def emit_revision(w: NTriplesWriter, rev: Revision) -> None:
    number, code = rev.part.number, rev.code
    w.a(rev.iri, V.PART_REVISION)
    w.t(rev.iri, V.REVISION_OF, rev.part.iri)
    w.t(rev.iri, V.REVISION_CODE, terms.string(code))
    if rev.supersedes is not None:
        w.t(rev.iri, V.SUPERSEDES, rev.supersedes.iri)
    for n, u in enumerate(rev.usages, start=1):
        s = iri(ids.assembly_usage(number, code, f"U{n:02d}"))
        w.a(s, V.ASSEMBLY_USAGE)
        w.t(s, V.USAGE_PARENT, rev.iri)
        w.t(s, V.USAGE_CHILD, u.child.iri)
        w.t(s, V.QUANTITY, terms.decimal_text(u.lexical))
        if u.designator is not None:
            w.t(s, V.REFERENCE_DESIGNATOR, terms.string(u.designator))
    mm = terms.qudt("MilliM")
    for c in rev.characteristics:
        w.a(c.iri, V.CHARACTERISTIC)
        w.t(c.iri, V.CHARACTERISTIC_OF, rev.iri)
        w.t(c.iri, V.CHARACTERISTIC_KIND, terms.string(c.kind))
        if c.nominal is not None:
            w.t(c.iri, V.NOMINAL_VALUE, terms.decimal(c.nominal))
        w.t(c.iri, V.LOWER_LIMIT, terms.decimal(c.lower))
        w.t(c.iri, V.UPPER_LIMIT, terms.decimal(c.upper))
        w.t(c.iri, V.UNIT_OF_MEASURE, mm)
        for datum in c.datums:
            w.t(c.iri, V.DATUM_REFERENCE, terms.string(datum))
