"""Semantic PMI against NIST's expected PMI list, and part identity across CAD and MES."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode

from factories import unit
from ingest.step.truth import step_dir
from kgthread import ids, vocab
from kgthread.errors import BadRequest
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.step import crosswalk
from kgthread.ingest.step.adapter import StepAdapter
from kgthread.store.embedded import EmbeddedStore

FTC06 = "nist-pmi/nist_ftc_06_asme1_ap242-e1.stp"
# "2X Sn 1.250 ±.008", "x.50 ±.02": a value, then its symmetric tolerance.
_TOLERANCED = re.compile(r"(\d*\.\d+)\s*±\s*(\d*\.\d+)")
OPTIONS = IngestOptions(agent="test")


def expected_dimensions(ftc: int) -> list[tuple[Decimal, Decimal]]:
    """(nominal, tolerance) of every ± dimension NIST lists for test case ``ftc``."""
    openpyxl = pytest.importorskip("openpyxl")
    path = step_dir() / "nist-pmi/NIST-FTC-PMI-Definitions.xlsx"
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(workbook.worksheets[0].iter_rows(min_row=2, values_only=True))
    finally:
        workbook.close()  # read-only workbooks keep the file open until closed
    found = []
    for row in rows:
        if row[0] == ftc and isinstance(row[4], str):
            found += [(Decimal(v), Decimal(t)) for v, t in _TOLERANCED.findall(row[4])]
    return found


def characteristics(store: EmbeddedStore, graph: NamedNode) -> list[dict[NamedNode, object]]:
    found = []
    for quad in store.quads(None, vocab.RDF_TYPE, vocab.CHARACTERISTIC, graph):
        values: dict[NamedNode, object] = {}
        for q in store.quads(quad.subject, None, None, graph):
            obj = q.object
            is_decimal = isinstance(obj, Literal) and obj.datatype == vocab.XSD_DECIMAL
            values.setdefault(q.predicate, Decimal(obj.value) if is_decimal else obj)
        found.append(values)
    return found


def test_ftc06_dimensions_match_nists_expected_pmi(
    adapter: StepAdapter, pipeline: Pipeline, store: EmbeddedStore
) -> None:
    batch = next(adapter.batches([step_dir() / FTC06], OPTIONS))
    pipeline.ingest(batch)
    found = characteristics(store, batch.graph)
    expected = expected_dimensions(6)
    assert len(expected) >= 12
    for nominal, tolerance in expected:
        # the drawing rounds to the places it shows: .563 for 0.562, R.12 for 0.125
        places = Decimal(1).scaleb(nominal.as_tuple().exponent)  # type: ignore[arg-type]
        matches = [
            c
            for c in found
            if vocab.NOMINAL_VALUE in c
            and abs(c[vocab.NOMINAL_VALUE] - nominal) <= places  # type: ignore[operator]
            and c.get(vocab.UPPER_LIMIT) == c[vocab.NOMINAL_VALUE] + tolerance  # type: ignore[operator]
            and c.get(vocab.LOWER_LIMIT) == c[vocab.NOMINAL_VALUE] - tolerance  # type: ignore[operator]
        ]
        assert matches, f"no characteristic for {nominal} ±{tolerance}"
        assert all(c[vocab.UNIT_OF_MEASURE] == vocab.unit("IN") for c in matches)
    revision = ids.part_revision("NIST PMI FTC 06 ASME1", "-")
    assert all(c[vocab.CHARACTERISTIC_OF] == revision for c in found)


def test_ftc06_geometric_tolerances_carry_their_datums(
    adapter: StepAdapter, pipeline: Pipeline, store: EmbeddedStore
) -> None:
    batch = next(adapter.batches([step_dir() / FTC06], OPTIONS))
    pipeline.ingest(batch)
    node = ids.characteristic("NIST PMI FTC 06 ASME1", "-", "Position.14")
    datums = {q.object.value for q in store.quads(node, vocab.DATUM_REFERENCE, None, batch.graph)}
    assert datums == {"A", "B", "C"}
    kinds = {
        q.object.value for q in store.quads(None, vocab.CHARACTERISTIC_KIND, None, batch.graph)
    }
    assert {"flatness", "position", "surface profile", "perpendicularity", "diameter"} <= kinds
    upper = next(store.quads(node, vocab.UPPER_LIMIT, None, batch.graph)).object
    assert Decimal(upper.value) == Decimal("0.025")


def test_step_product_id_mints_the_mes_part_iri(
    adapter: StepAdapter, pipeline: Pipeline, store: EmbeddedStore
) -> None:
    """A unit the MES records against part 'nut' revision '-' refers to the STEP part."""
    pipeline.ingest(next(adapter.batches([step_dir() / "cax-if-ap214/as1-oc-214.stp"], OPTIONS)))
    triples = unit("nut", "-", "SN-1")
    mes = Batch("test", "1", [Source.of_bytes("mes.nt", b"mes")], triples=triples)
    assert pipeline.ingest(mes).status == "committed"
    assert ids.part("nut") == ids.mint(ids.Kind.PART, "nut")


def test_crosswalk_renumbers_parts_at_mapping_time(
    tmp_path: Path, adapter: StepAdapter, pipeline: Pipeline, store: EmbeddedStore
) -> None:
    table = tmp_path / "crosswalk.csv"
    table.write_text("cad_id,part_number\nnut,MES-100\nas1,MES-001\n", encoding="utf-8")
    options = IngestOptions(agent="test", extra={"crosswalk": str(table)})
    path = step_dir() / "cax-if-ap214/as1-oc-214.stp"
    batch = next(adapter.batches([path], options))
    pipeline.ingest(batch)
    assert list(store.quads(ids.part("MES-100"), vocab.PART_NUMBER, Literal("MES-100")))
    assert not list(store.quads(ids.part("nut"), None, None, batch.graph))
    usages = list(store.quads(None, vocab.USAGE_CHILD, ids.part("MES-100"), batch.graph))
    assert len(usages) == 3
    assert list(store.quads(ids.part_revision("MES-001", "-"), None, None, batch.graph))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,number\na,b\n", "must name the columns"),
        ("cad_id,part_number\na,b\na,c\n", "maps to both"),
        ("cad_id,part_number\na,\n", "both columns"),
    ],
)
def test_bad_crosswalks_are_refused(content: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        crosswalk.parse(content, "x.csv")
