"""Ground truth: answers the named queries must give, taken from the generator's own model.

The factory knows what it built, so tests and benchmarks can check lineage queries against
answers that did not come from a query. Probes are chosen by reservoir sampling (uniform
over the whole run, bounded memory), so the file has the same size at any scale.

JSON layout (every IRI a string; lists sorted unless noted)::

    {
      "format": "kgthread-sample-truth/1",
      "scale": N, "seed": S, "triples": <lines written>,
      "totals": {"<class local name>": <instances typed with exactly that class>, ...},
      "lots": [{                          # ~20 probe lots or sublots that units consumed
        "lot", "part", "sublot_of" (IRI or null),
        "consumers": [...],               # units with a direct kgt:hasComponent to the lot
        "contained_in": [...],            # every unit reaching it by kgt:hasComponent+
        "shipped": [{"unit", "shipment", "customer"}]   # shipped top units among those
      }],
      "top_units": [UNIT], "mid_units": [UNIT],    # ~20 each; mid = depth 2 below a top
      "changes": [{
        "change", "status", "effective_from",
        "affected_revisions": [...], "new_revisions": [...],
        "affected_work_orders": {"open": [...], "closed": [...]},
        "units_built_to_superseded": {"count": n, "truncated": bool,
          "units": [{"unit", "revision", "root", "shipment", "customer"}]}   # first 100
      }],
      "revisions": [{
        "revision", "part",
        "bom_explosion": {"<child part IRI>": "<total quantity, decimal>"},
        "where_used": [{"revision", "level"}]     # revisions using the part, any level
      }],
      "deviations": []                    # as-built deviations from the BOM (none injected)
    }

UNIT is ``{"unit", "part", "revision", "work_order", "generated_by", "depth",
"ancestors": [parent, ..., root] (nearest first), "root", "shipment", "customer",
"descendants": [{"item", "kind": "unit"|"lot", "depth"}] (depth 1 = direct component),
"operations": [{"operation", "equipment"}] (the operations of its work order),
"inspections": [{"inspection", "unit", "passed", "nonconformances": [...]}]}``, the
inspections being those of the unit and of every unit below it. BOM explosion walks each
child part through its latest revision; quantities multiply down the levels.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from kgthread.sample.catalog import Catalog, Part, Revision

Record = dict[str, Any]
_UNITS_CAP = 100


class Reservoir:
    """Uniform sample of ``k`` items from a stream of unknown length (Algorithm R)."""

    def __init__(self, rng: random.Random, k: int) -> None:
        self._rng, self._k, self._seen = rng, k, 0
        self.items: list[Record] = []

    def offer(self) -> int | None:
        """The slot a newly arrived item should fill, or None to skip it."""
        self._seen += 1
        if len(self.items) < self._k:
            self.items.append({})
            return len(self.items) - 1
        slot = self._rng.randrange(self._seen)
        return slot if slot < self._k else None


class Truth:
    """Collects probe records as the production model is generated."""

    def __init__(self, rng: random.Random, probes: int = 20) -> None:
        self.lots = Reservoir(rng, probes)
        self.tops = Reservoir(rng, probes)
        self.mids = Reservoir(rng, probes)
        self.lot_index: dict[str, Record] = {}
        self.active: list[tuple[Record, int]] = []  # probe units being built, with depth
        self.changes: list[Record] = []
        self.watched: dict[str, Record] = {}  # superseded revision IRI -> its change record
        self._by_root: dict[str, list[Callable[[str | None, str | None], None]]] = {}

    # -- lots -----------------------------------------------------------------------------
    def lot_opened(self, lot_iri: str, part_iri: str, parent_iri: str | None) -> None:
        slot = self.lots.offer()
        if slot is None:
            return
        old = self.lots.items[slot]
        if old:
            del self.lot_index[old["lot"]]
        rec: Record = {"lot": lot_iri, "part": part_iri, "sublot_of": parent_iri}
        rec.update(consumers=[], contained_in=set(), shipped=[])
        self.lots.items[slot] = rec
        self.lot_index[lot_iri] = rec

    def lot_used(self, rec: Record, consumer: str, chain: list[str]) -> None:
        rec["consumers"].append(consumer)
        rec["contained_in"].add(consumer)
        rec["contained_in"].update(chain)
        root = chain[0] if chain else consumer
        shipped: list[Record] = rec["shipped"]

        def resolve(shipment: str | None, customer: str | None) -> None:
            if shipment is not None:
                shipped.append({"unit": root, "shipment": shipment, "customer": customer})

        self.on_root(root, resolve)

    # -- units ----------------------------------------------------------------------------
    def unit_started(self, depth: int) -> Record | None:
        """A record to fill for the unit about to be built, if it becomes a probe."""
        pool = self.tops if depth == 0 else self.mids if depth == 2 else None
        if pool is None:
            return None
        slot = pool.offer()
        if slot is None:
            return None
        rec: Record = {"depth": depth, "descendants": [], "inspections": []}
        pool.items[slot] = rec
        return rec

    def on_root(self, root: str, callback: Callable[[str | None, str | None], None]) -> None:
        """Call back with the shipment and customer of ``root`` once it is known."""
        self._by_root.setdefault(root, []).append(callback)

    def root_done(self, root: str, shipment: str | None, customer: str | None) -> None:
        for callback in self._by_root.pop(root, ()):
            callback(shipment, customer)

    def unit_record(self, rec: Record, chain: list[str]) -> None:
        """Fill ancestry of a probe unit and ask for its root's shipment."""
        rec["ancestors"] = chain[::-1]
        rec["root"] = chain[0] if chain else rec["unit"]
        rec["shipment"] = rec["customer"] = None

        def resolve(shipment: str | None, customer: str | None) -> None:
            rec["shipment"], rec["customer"] = shipment, customer

        self.on_root(rec["root"], resolve)

    # -- change ---------------------------------------------------------------------------
    def watch_change(self, change: Record, revisions: list[Revision]) -> None:
        change["units_built_to_superseded"] = {"count": 0, "truncated": False, "units": []}
        for rev in revisions:
            self.watched[rev.iri] = change
        self.changes.append(change)

    def superseded_unit(self, rev_iri: str, unit: str, chain: list[str]) -> None:
        built = self.watched[rev_iri]["units_built_to_superseded"]
        built["count"] += 1
        if len(built["units"]) >= _UNITS_CAP:
            built["truncated"] = True
            return
        entry: Record = {"unit": unit, "revision": rev_iri, "root": chain[0] if chain else unit}
        entry["shipment"] = entry["customer"] = None
        built["units"].append(entry)

        def resolve(shipment: str | None, customer: str | None) -> None:
            entry["shipment"], entry["customer"] = shipment, customer

        self.on_root(entry["root"], resolve)

    # -- output ---------------------------------------------------------------------------
    def write(self, path: Path, header: Record, catalog: Catalog, probes: list[Revision]) -> None:
        lots = [dict(r, contained_in=sorted(r["contained_in"])) for r in self.lots.items if r]
        doc: Record = dict(header)
        doc["lots"] = sorted(lots, key=lambda r: str(r["lot"]))
        doc["top_units"] = _units(self.tops.items)
        doc["mid_units"] = _units(self.mids.items)
        doc["changes"] = self.changes
        doc["revisions"] = [_revision(catalog, rev) for rev in probes]
        doc["deviations"] = []
        text = json.dumps(_plain(doc), indent=1, sort_keys=True)
        path.write_text(text + "\n", encoding="utf-8")


def _plain(value: Any) -> Any:
    """The model keeps IRIs rendered as ``<...>``; JSON carries them bare."""
    if isinstance(value, str):
        return value[1:-1] if value.startswith("<") and value.endswith(">") else value
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _units(items: list[Record]) -> list[Record]:
    out = []
    for rec in items:
        if not rec:
            continue
        desc = {(d["item"], d["kind"], d["depth"]) for d in rec["descendants"]}
        rec = dict(
            rec, descendants=[{"item": i, "kind": k, "depth": d} for i, k, d in sorted(desc)]
        )
        out.append(rec)
    return sorted(out, key=lambda r: str(r["unit"]))


def _revision(catalog: Catalog, rev: Revision) -> Record:
    totals: dict[str, Decimal] = {}

    def explode(r: Revision, factor: Decimal) -> None:
        for u in r.usages:
            qty = Decimal(u.lexical) * factor
            totals[u.child.iri] = totals.get(u.child.iri, Decimal(0)) + qty
            if u.child.serialized:
                explode(u.child.current, qty)

    explode(rev, Decimal(1))
    users: dict[str, list[Revision]] = {}
    for part in catalog.parts():
        for r in part.revisions:
            for u in r.usages:
                users.setdefault(u.child.number, []).append(r)
    levels: dict[str, int] = {}
    frontier: list[Part] = [rev.part]
    level = 0
    while frontier:
        level += 1
        nxt: list[Part] = []
        for part in frontier:
            for parent in users.get(part.number, []):
                if parent.iri not in levels:
                    levels[parent.iri] = level
                    nxt.append(parent.part)
        frontier = nxt
    return {
        "revision": rev.iri,
        "part": rev.part.iri,
        "bom_explosion": {k: f"{v.normalize():f}" for k, v in sorted(totals.items())},
        "where_used": [{"revision": r, "level": n} for r, n in sorted(levels.items())],
    }
