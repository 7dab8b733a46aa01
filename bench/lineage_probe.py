"""Probe values and a small conforming batch, taken from a sample's ground truth."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from pyoxigraph import Literal, NamedNode, Triple

from kgthread import ids, vocab


def probes(truth: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(named query, parameter, values) for each lineage query benchmarked."""
    tops = [u["unit"] for u in truth["top_units"]]
    lots = [lot["lot"] for lot in truth["lots"]]
    return [("genealogy-down", "unit", tops), ("recall", "item", lots)]


def percentile_pair(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[round(0.99 * (len(ordered) - 1))]


def small_batch(truth: dict[str, Any], size: int, salt: int) -> list[Triple]:
    """About ``size`` triples: new units of an existing revision, each built from an existing
    lot, so the gate must look up the store for the revision and the lots."""
    revision = NamedNode(truth["top_units"][0]["revision"])
    part_number = ids.parse(revision).keys[0]
    lots = [NamedNode(lot["lot"]) for lot in truth["lots"]]
    triples: list[Triple] = []
    serial = 0
    while len(triples) < size:
        node = ids.unit(part_number, f"BENCH-{salt}-{serial}")
        lot = lots[serial % len(lots)]
        event = ids.consumption(node, lot)
        triples += [
            Triple(node, vocab.RDF_TYPE, vocab.SERIALIZED_UNIT),
            Triple(node, vocab.SERIAL_NUMBER, Literal(f"BENCH-{salt}-{serial}")),
            Triple(node, vocab.UNIT_OF_REVISION, revision),
            Triple(node, vocab.HAS_COMPONENT, lot),
            Triple(event, vocab.RDF_TYPE, vocab.CONSUMPTION),
            Triple(event, vocab.CONSUMER, node),
            Triple(event, vocab.CONSUMED_ENTITY, lot),
            Triple(event, vocab.QUANTITY, Literal("0.5", datatype=vocab.XSD_DECIMAL)),
            Triple(event, vocab.UNIT_OF_MEASURE, vocab.unit("KiloGM")),
        ]
        serial += 1
    return triples
