"""Bad MES input: each refusal names the file and the line or XML path, and the store is
left byte for byte as it was."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.mes.helpers import DATA, b2mml_batch, dump, table_batch
from ingest.mes.test_tabular import ingest_design
from kgthread.cli import main
from kgthread.errors import KgthreadError, MesInputError, ValidationFailed
from kgthread.ingest.batch import Batch
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.embedded import EmbeddedStore

V0401 = "http://www.wbf.org/xml/B2MML-V0401"
BOMB = f"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<SyncMaterialDefinition xmlns="{V0401}"><DataArea><MaterialDefinition>
<ID>&lol3;</ID></MaterialDefinition></DataArea></SyncMaterialDefinition>
"""
XXE = f"""<?xml version="1.0"?>
<!DOCTYPE x [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<SyncMaterialDefinition xmlns="{V0401}"><DataArea><MaterialDefinition>
<ID>&secret;</ID></MaterialDefinition></DataArea></SyncMaterialDefinition>
"""
TRUNCATED = f"""<?xml version="1.0"?>
<SyncMaterialDefinition xmlns="{V0401}"><DataArea><MaterialDefinition>
<ID>M-1</ID></MaterialDefinition>
"""
WRONG_NS = """<?xml version="1.0"?>
<SyncMaterialDefinition xmlns="http://example.com/not-b2mml"><DataArea/></SyncMaterialDefinition>
"""
NEGATIVE = f"""<?xml version="1.0"?>
<SyncProductionPerformance xmlns="{V0401}"><DataArea><ProductionPerformance>
<ProductionResponse><ID>R1</ID><SegmentResponse><ID>S1</ID>
<MaterialActual><MaterialDefinitionID>M-1</MaterialDefinitionID><MaterialLotID>L1</MaterialLotID>
<MaterialUse>Consumed</MaterialUse>
<Quantity><QuantityString>-3</QuantityString><UnitOfMeasure>KG</UnitOfMeasure></Quantity>
</MaterialActual></SegmentResponse></ProductionResponse></ProductionPerformance></DataArea>
</SyncProductionPerformance>
"""
HEADER = (
    "parent_part,parent_revision,parent_serial,child_part,child_serial,child_lot,quantity,unit\n"
)


def _xml(text: str) -> Callable[[Path], Batch]:
    def make(folder: Path) -> Batch:
        path = folder / "doc.xml"
        path.write_text(text, encoding="utf-8")
        return b2mml_batch(path)

    return make


def _genealogy(rows: str) -> Callable[[Path], Batch]:
    def make(folder: Path) -> Batch:
        path = folder / "genealogy.csv"
        path.write_text(HEADER + rows, encoding="utf-8")
        return table_batch(path)

    return make


CASES = {
    "billion-laughs": (_xml(BOMB), MesInputError, r"doc\.xml: line 2: refused DTDForbidden"),
    "external-entity": (_xml(XXE), MesInputError, r"doc\.xml: line 2: refused DTDForbidden"),
    "truncated": (_xml(TRUNCATED), MesInputError, r"doc\.xml: line 4, column 0: malformed XML"),
    "wrong-namespace": (
        _xml(WRONG_NS),
        MesInputError,
        r"doc\.xml:/SyncMaterialDefinition: unknown namespace 'http://example\.com/not-b2mml'",
    ),
    "negative-quantity": (
        _xml(NEGATIVE),
        MesInputError,
        r"doc\.xml:/SyncProductionPerformance/DataArea\[1\]/ProductionPerformance\[1\]/"
        r"ProductionResponse\[1\]/SegmentResponse\[1\]/MaterialActual\[1\]: "
        r"material actual quantity -3 is negative",
    ),
    "unknown-unit-of-measure": (
        _genealogy("GB-100,A,GB-7,BRG-6204,,L-1,2,FURLONG\n"),
        MesInputError,
        r"genealogy\.csv:line 2: unknown unit of measure 'FURLONG'",
    ),
    "zero-quantity": (
        _genealogy("GB-100,A,GB-7,BRG-6204,,L-1,0,EA\n"),
        MesInputError,
        r"genealogy\.csv:line 2: quantity 0 must be greater than 0",
    ),
    "serial-into-two-parents": (
        _genealogy("GB-100,A,GB-7,SH-200,SH-1,,1,EA\nGB-100,A,GB-8,SH-200,SH-1,,1,EA\n"),
        MesInputError,
        r"genealogy\.csv:line 3: serial SH-1 is already consumed into GB-7 at "
        r"genealogy\.csv:line 2",
    ),
    "consumption-of-an-unknown-unit": (
        _genealogy("GB-100,A,GB-7,SH-200,SH-404,,1,EA\n"),
        ValidationFailed,
        r"genealogy\.csv:line 2",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_precisely_and_commits_nothing(
    case: str, pipeline: Pipeline, store: EmbeddedStore, tmp_path: Path
) -> None:
    make, error, message = CASES[case]
    ingest_design(pipeline)
    before = dump(store)
    with pytest.raises(error, match=message) as info:
        pipeline.ingest(make(tmp_path))
    assert info.value.status == 422
    assert dump(store) == before


def test_a_serial_cannot_join_a_second_parent_in_a_later_file(
    pipeline: Pipeline, store: EmbeddedStore, tmp_path: Path
) -> None:
    ingest_design(pipeline)
    first = tmp_path / "a" / "genealogy.csv"
    first.parent.mkdir()
    first.write_text(
        HEADER.replace(",quantity", ",child_revision,quantity")
        + "GB-100,A,GB-7,SH-200,SH-1,,A,1,EA\n",
        encoding="utf-8",
    )
    pipeline.ingest(table_batch(first))
    before = dump(store)
    # The later file is more events of the same log: appended, not a new version.
    later = dataclasses.replace(
        _genealogy("GB-100,A,GB-8,SH-200,SH-1,,1,EA\n")(tmp_path), append=True
    )
    with pytest.raises(ValidationFailed, match=r"genealogy\.csv:line 2") as info:
        pipeline.ingest(later)
    components = {r["sourceConstraintComponent"] for r in info.value.detail["report"]["results"]}
    assert "http://www.w3.org/ns/shacl#MaxCountConstraintComponent" in components
    assert dump(store) == before


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data", str(tmp_path / "store")]
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(BOMB, encoding="utf-8")
    assert main([*data, "ingest", "b2mml", str(bomb)]) == 2
    assert "bomb.xml: line 2: refused DTDForbidden" in capsys.readouterr().err
    assert (
        main([*data, "ingest", "table", "--kind", "work-orders", str(DATA / "work-orders.csv")])
        == 0
    )
    out = capsys.readouterr().out
    assert "ingested as batch" in out
    assert "WorkOrder" in out
    unknown = tmp_path / "shipments.csv"
    unknown.write_text("shipment,part_number,serial,customer,date\nS,P,1,C,2024-01-01\n")
    assert main([*data, "ingest", "table", str(unknown)]) == 1  # the gate: no such unit
    assert "shipments.csv:line 2" in capsys.readouterr().err


def test_mes_errors_are_problems_with_status_422() -> None:
    error: KgthreadError = MesInputError("x.csv:line 3: bad", file="x.csv", location="line 3")
    problem = error.to_problem()
    assert (problem["status"], problem["code"], problem["location"]) == (422, "mes-input", "line 3")
    assert error.exit_code == 2
