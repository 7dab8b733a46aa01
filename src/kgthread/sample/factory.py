"""``generate``: a coherent synthetic factory, streamed as N-Triples, sized by triple count.

Sizes scale with the requested triple count: more products, machines, customers and
larger work orders and lots as N grows, rather than deeper trees. Top-level work orders
are generated until the triple budget is spent, so the output lands close to N whatever
the mix. Each concern draws from its own random stream seeded from ``seed``, so the same
seed gives a byte-identical file.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kgthread import ids, vocab
from kgthread.errors import BadRequest
from kgthread.sample import catalog, plant, terms
from kgthread.sample.catalog import MACHINED, Catalog, Part, Revision
from kgthread.sample.lots import Lot, LotPool
from kgthread.sample.production import Production
from kgthread.sample.terms import V, iri
from kgthread.sample.truth import Record, Truth
from kgthread.sample.writer import NTriplesWriter

MIN_SCALE: Final = 5_000
_TAIL: Final = 0.985  # the budget left for what is written after the last order
_STATUS_MIX: Final = (("closed", 0.84), ("in-progress", 0.90), ("released", 0.95), ("planned", 1.0))


@dataclass(frozen=True)
class SampleSummary:
    """What :func:`generate` wrote: triple count and instances per class (local name)."""

    triples: int
    entities: Mapping[str, int]
    out: Path
    truth: Path


@dataclass(frozen=True)
class Plan:
    products: int
    sites: int
    units_per_centre: int
    suppliers: int
    customers: int
    lot_capacity: int
    order_max: int
    changes: int

    @classmethod
    def for_scale(cls, scale: int) -> Plan:
        products = min(60, 3 + scale // 200_000)
        return cls(
            products=products,
            sites=1 + scale // 4_000_000,
            units_per_centre=min(8, 2 + scale // 1_000_000),
            suppliers=min(20, 3 + scale // 500_000),
            customers=min(60, 4 + scale // 250_000),
            lot_capacity=max(6, min(400, scale // 25_000)),
            order_max=max(1, min(20, scale // 100_000)),
            changes=min(products, 1 + scale // 3_000_000),
        )


def truth_path_for(out: Path) -> Path:
    """``factory.nt`` / ``factory.nt.gz`` -> ``factory.truth.json`` beside it."""
    name = out.name.removesuffix(".gz").removesuffix(".nt")
    return out.with_name(name + ".truth.json")


def generate(
    scale: int,
    seed: int,
    out: Path,
    *,
    truth: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> SampleSummary:
    """Write about ``scale`` triples of sample factory to ``out`` and its ground truth."""
    if scale < MIN_SCALE:
        raise BadRequest(f"scale must be at least {MIN_SCALE} triples, got {scale}")
    truth_path = truth if truth is not None else truth_path_for(out)
    plan = Plan.for_scale(scale)
    streams = random.Random(seed)
    rngs = [random.Random(streams.getrandbits(64)) for _ in range(6)]
    recorder = Truth(rngs[5])
    with NTriplesWriter(out, progress) as w:
        site = plant.build(
            w, rngs[0], plan.sites, plan.units_per_centre, plan.suppliers, plan.customers
        )
        design = catalog.build(rngs[1], plan.products, site.suppliers)
        for part in design.parts():
            catalog.emit_part(w, part, with_description=part.level < MACHINED)

        def opened(lot: Lot) -> None:
            parent = lot.parent.iri if lot.parent is not None else None
            recorder.lot_opened(lot.iri, lot.part.iri, parent)

        lots = LotPool(w, rngs[2], plan.lot_capacity, opened)
        prod = Production(w, rngs[3], site, lots, recorder)
        changes = _plan_changes(design, plan.changes, recorder)
        _run(w, rngs[4], prod, design, plan, scale, changes)
        lots.close_all()
    totals = {_local(cls): n for cls, n in sorted(w.classes.items())}
    probes = _probe_revisions(design, changes)
    header: Record = {"format": "kgthread-sample-truth/1", "scale": scale, "seed": seed}
    header.update(triples=w.count, totals=totals)
    recorder.write(truth_path, header, design, probes)
    return SampleSummary(w.count, totals, out, truth_path)


@dataclass(frozen=True)
class Change:
    """An engineering change planned up front and released once ``due`` of N is written."""

    due: float
    change_id: str
    record: Record
    parts: list[Part]


def _plan_changes(design: Catalog, count: int, recorder: Truth) -> list[Change]:
    """Pick each change's parts now, so units built before it are recorded as superseded."""
    taken: set[str] = set()
    changes: list[Change] = []
    for k in range(count):
        spine: list[Part] = []
        part = design.products[k % len(design.products)]
        while part.level < MACHINED:
            part = next(u.child for u in part.current.usages if u.child.serialized)
            spine.append(part)
        targets = [p for p in spine[::-1][:2] if p.number not in taken]
        if not targets:
            targets = [next(p for p in design.levels[MACHINED] if p.number not in taken)]
        taken.update(p.number for p in targets)
        change_id = f"ECO-{k + 1:04d}"
        record: Record = {"change": iri(ids.change(change_id)), "status": "released"}
        recorder.watch_change(record, [p.current for p in targets])
        changes.append(Change(0.3 + 0.4 * k / max(1, count - 1), change_id, record, targets))
    return changes


def _run(
    w: NTriplesWriter,
    rng: random.Random,
    prod: Production,
    design: Catalog,
    plan: Plan,
    scale: int,
    changes: list[Change],
) -> None:
    """Top-level work orders until the triple budget is spent; changes fall due on the way."""
    pending = list(changes)
    per_order = 0.0
    n = 0
    while w.count + per_order / 2 < scale * _TAIL:
        while pending and w.count >= pending[0].due * scale:
            _apply_change(w, rng, prod, pending.pop(0))
        product = design.products[n % len(design.products)]
        quantity = rng.randint(1, plan.order_max)
        status = _status(rng, n)
        before = w.count
        if status in ("planned", "released"):
            prod.write_order(prod.order(product.current, status, quantity))
        else:
            prod.build(product, quantity, status)
            spent = w.count - before
            per_order = spent if per_order == 0 else 0.9 * per_order + 0.1 * spent
        n += 1
    for change in pending:
        _apply_change(w, rng, prod, change)
    for status in ("planned", "released"):
        product = design.products[n % len(design.products)]
        prod.write_order(prod.order(product.current, status, rng.randint(1, plan.order_max)))


def _status(rng: random.Random, n: int) -> str:
    """Mostly closed orders; the first three are fixed so even 10k has closed and open ones."""
    if n < 3:
        return "in-progress" if n == 2 else "closed"
    roll = rng.random()
    return next(status for status, upto in _STATUS_MIX if roll < upto)


def _apply_change(w: NTriplesWriter, rng: random.Random, prod: Production, change: Change) -> None:
    """Release a change: new revisions supersede the old, open orders on the old are hit."""
    parts, record = change.parts, change.record
    old = [p.current for p in parts]
    new = [catalog.revise(p) for p in parts]
    for rev in new:
        catalog.emit_revision(w, rev)
    closed = [wo for p in parts for wo in prod.closed_orders.get(p.number, ())]
    open_orders = []
    for rev in old:
        wo = prod.order(rev, rng.choice(("planned", "released")), rng.randint(5, 20))
        prod.write_order(wo)
        open_orders.append(wo.iri)
    s = record["change"]
    w.a(s, V.ENGINEERING_CHANGE)
    w.t(s, V.CHANGE_ID, terms.string(change.change_id))
    for rev in old:
        w.t(s, V.AFFECTS_REVISION, rev.iri)
    for rev in new:
        w.t(s, V.INTRODUCES_REVISION, rev.iri)
    for wo_iri in closed + open_orders:
        w.t(s, V.AFFECTS_WORK_ORDER, wo_iri)
    w.t(s, V.EFFECTIVE_FROM, terms.datetime(prod.latest))
    w.t(s, V.CHANGE_STATUS, terms.string(record["status"]))
    record.update(effective_from=terms.iso(prod.latest))
    record.update(affected_revisions=[r.iri for r in old], new_revisions=[r.iri for r in new])
    record["affected_work_orders"] = {"open": sorted(open_orders), "closed": sorted(closed)}


def _probe_revisions(design: Catalog, changes: list[Change]) -> list[Revision]:
    picked = [design.products[0].current, design.products[-1].current]
    picked.append(design.levels[3][0].current)
    for change in changes:
        picked.extend(change.parts[0].revisions)
    return list(dict.fromkeys(picked))


def _local(rendered: str) -> str:
    return rendered[len(vocab.KGT_NS) + 1 : -1]
