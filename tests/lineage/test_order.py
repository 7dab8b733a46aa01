"""A lineage answer's order is the documented one: every column's value, an unbound cell
first, whatever shortcuts the sort takes (the bound parameter is left out of its key)."""

from __future__ import annotations

from pyoxigraph import Triple

import factories as f
from kgthread import ids, lineage, queries, vocab
from kgthread.store.base import Term
from lineage.conftest import Build


def _reference_order(columns: list[str], rows: list[dict[str, Term]]) -> list[dict[str, Term]]:
    """The order spelled out plainly: nested (bound, value) pairs over every column."""
    return sorted(
        rows,
        key=lambda r: tuple((0, "") if r.get(c) is None else (1, r[c].value) for c in columns),
    )


def test_recall_rows_come_sorted_by_every_column_unbound_first(build: Build) -> None:
    lot = ids.lot("RM", "L1")
    triples = f.product("P") + f.part("RM") + [Triple(lot, vocab.RDF_TYPE, vocab.MATERIAL_LOT)]
    # Serials deliberately sort against their IRIs; unit "z" has no serial number at all
    # (bad data, which this store accepts) and is shipped twice, "m" is never shipped.
    for serial in ("b", "a", "m"):
        unit = ids.unit("P", serial)
        triples += f.unit("P", "A", serial) + f.built_into(unit, lot, "1")
    bare = ids.unit("P", "z")
    triples += [Triple(bare, vocab.RDF_TYPE, vocab.SERIALIZED_UNIT)]
    triples += f.built_into(bare, lot, "1")
    shipments = [("S2", "b", "C1"), ("S1", "z", "C2"), ("S3", "z", "C1"), ("S0", "a", "C3")]
    for shipment_id, serial, customer_id in shipments:
        shipment, customer = ids.shipment(shipment_id), ids.customer(customer_id)
        target = bare if serial == "z" else ids.unit("P", serial)
        triples += [
            Triple(shipment, vocab.RDF_TYPE, vocab.SHIPMENT),
            Triple(shipment, vocab.SHIPPED_UNIT, target),
            Triple(shipment, vocab.SHIPPED_TO, customer),
            Triple(customer, vocab.RDF_TYPE, vocab.CUSTOMER),
        ]
    store = build(triples)

    table = lineage.run(store, queries.get("recall"), {"item": lot.value})

    assert len(table.rows) == 5  # a, b, m once each; z on two shipments
    assert all(row["item"] == lot for row in table.rows)
    assert table.rows == _reference_order(table.columns, table.rows)
    by_unit = [(r["unit"].value, r.get("serialNumber"), r.get("shipment")) for r in table.rows]
    assert [u for u, _, _ in by_unit] == sorted(u for u, _, _ in by_unit)
    assert [s.value for u, serial, s in by_unit if u == bare.value and s is not None] == [
        ids.shipment("S1").value,
        ids.shipment("S3").value,
    ]
    assert [serial for u, serial, _ in by_unit if u == bare.value] == [None, None]
    unshipped = [r for r in table.rows if r["unit"] == ids.unit("P", "m")]
    assert len(unshipped) == 1
    assert "shipment" not in unshipped[0]
