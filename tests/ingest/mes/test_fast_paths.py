"""The fast paths of large tables give exactly what the general paths give: the MES minting
mints the IRIs of ``kgthread.ids`` (and refuses what it refuses), and a table spilled to
N-Triples for the bulk path holds the same statements as the same table held in memory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, Triple, parse

from ingest.mes.helpers import DATA
from kgthread import ids
from kgthread.errors import IdentifierError
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.mes import minting
from kgthread.ingest.mes.adapter import TableAdapter

KEYS = [
    "ASM-1",
    "SN-0000001",
    "a_b.c~d",
    "https://w3id.org/kgthread/id/unit/ASM-1/SN%2F1",
    "100%",
    " padded ",
    "with space",
    "Ünïcode",
    "e\u0301",  # NFC joins it into one character
    'quote"and>angle',
    "#hash",
    "x" * ids.MAX_KEY_LENGTH,
    "x" * (ids.MAX_KEY_LENGTH + 1),
    "",
    "   ",
    "tab\there",
    "nul\x00",
]


def _outcome(mint: object, kind: ids.Kind, *keys: str) -> str:
    try:
        return mint(kind, *keys).value  # type: ignore[operator,no-any-return]
    except IdentifierError as exc:
        return "refused: " + exc.message


@pytest.mark.parametrize("key", KEYS)
def test_minting_matches_ids_for_every_kind_of_key(key: str) -> None:
    for kind, keys in (
        (ids.Kind.UNIT, ("ASM-1", key)),
        (ids.Kind.UNIT, (key, "SN-1")),
        (ids.Kind.CONSUMPTION, (key, "https://w3id.org/kgthread/id/lot/RM-1/L1")),
        (ids.Kind.OPERATION, ("WO-1", key)),
        (ids.Kind.UNIT, (key,)),  # the wrong number of keys is refused the same way
    ):
        assert _outcome(minting.mint, kind, *keys) == _outcome(ids.mint, kind, *keys)


def test_named_minters_match_ids() -> None:
    unit = minting.unit("ASM 1", "SN/1")
    assert unit == ids.unit("ASM 1", "SN/1")
    lot = ids.lot("RM-1", "L-1")
    assert minting.consumption(unit, lot) == ids.consumption(unit, lot)
    assert minting.operation("WO-1", "0010") == ids.operation("WO-1", "0010")


def _in_memory(path: Path, kind: str) -> set[Triple]:
    batch = next(TableAdapter().batches([path], IngestOptions(kind=kind)))
    return set(batch.triples)


def _spilled(path: Path, kind: str) -> set[Triple]:
    batches = TableAdapter(spill_bytes=0).batches([path], IngestOptions(kind=kind))
    batch = next(batches)
    assert batch.bulk is not None
    try:
        quads = parse(path=batch.bulk.path, format=RdfFormat.N_TRIPLES)
        return {Triple(q.subject, q.predicate, q.object) for q in quads}
    finally:
        batches.close()


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("genealogy.csv", "genealogy"),
        ("work-orders.csv", "work-orders"),
        ("operations.csv", "operations"),
        ("inspections.jsonl", "inspections"),
        ("nonconformances.csv", "nonconformances"),
        ("changes.csv", "changes"),
        ("shipments.csv", "shipments"),
    ],
)
def test_a_spilled_table_holds_what_the_in_memory_batch_holds(name: str, kind: str) -> None:
    path = DATA / name
    expected = _in_memory(path, kind)
    assert expected
    assert _spilled(path, kind) == expected


def test_source_locations_with_quotes_and_backslashes_survive_the_text_path(
    tmp_path: Path,
) -> None:
    tricky = tmp_path / 'gene"alogy\\ß.csv'
    shutil.copyfile(DATA / "genealogy.csv", tricky)
    expected = _in_memory(tricky, "genealogy")
    locations = {t.object.value for t in expected if t.predicate.value.endswith("sourceLocation")}
    assert any(tricky.name in where for where in locations)
    assert _spilled(tricky, "genealogy") == expected
