"""NodeSet2 import: the companion specifications in dependency order, units through QUDT,
and bad input reported with the file and the element."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Literal

import shared_data
from ingest.sensors.opcua_servers import MILL_NODESET, OPCUA_DATA, mill_nodesets
from kgthread import ids, vocab
from kgthread.cli import main
from kgthread.errors import NodesetError
from kgthread.ingest.adapters import IngestOptions, get
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.sensors.adapter import NodesetAdapter
from kgthread.ingest.sensors.units import (
    QUDT_UNITS_FILE,
    code_to_unit_id,
    derive_table,
    unece_table,
    unit_id_to_code,
    write_table,
)
from shared_data import shared

# INDEX.md's load order: DI, Machinery (+ Examples), MachineTool with its dependencies,
# Robotics, PackML, ISA-95. Passed shuffled: the adapter orders them by <Models>.
COMPANIONS = [
    "Opc.ISA95.NodeSet2.xml",
    "Opc.Ua.MachineTool.NodeSet2.xml",
    "Opc.Ua.Machinery.Examples.NodeSet2.xml",
    "Opc.Ua.PackML.NodeSet2.xml",
    "Opc.Ua.Robotics.NodeSet2.xml",
    "Opc.Ua.Machinery.Jobs.Nodeset2.xml",
    "opc.ua.isa95-jobcontrol.nodeset2.xml",
    "Opc.Ua.IA.NodeSet2.xml",
    "Opc.Ua.Machinery.NodeSet2.xml",
    "Opc.Ua.Di.NodeSet2.xml",
]


def _companions() -> list[Path]:
    paths = [OPCUA_DATA / name for name in COMPANIONS]
    for p in paths:
        if not p.is_file():
            shared_data.missing(p)
    return paths


def test_every_companion_specification_loads_in_dependency_order(pipeline: Pipeline) -> None:
    adapter = NodesetAdapter()
    batch = next(adapter.batches(_companions(), IngestOptions()))
    order = adapter.report.files
    assert order.index("Opc.Ua.Di.NodeSet2.xml") < order.index("Opc.Ua.Machinery.NodeSet2.xml")
    for needs in ("Opc.Ua.IA.NodeSet2.xml", "Opc.Ua.Machinery.Jobs.Nodeset2.xml"):
        assert order.index(needs) < order.index("Opc.Ua.MachineTool.NodeSet2.xml")
    assert order.index("Opc.Ua.Machinery.NodeSet2.xml") < order.index(
        "Opc.Ua.Machinery.Examples.NodeSet2.xml"
    )
    assert pipeline.ingest(batch).status == "committed"
    # Machinery Examples: one machine and the component inside its Components container;
    # type members (modelling rules) and the DI/Machinery entry points are not equipment.
    machine = ids.equipment("ExampleMachine01")
    component = ids.equipment("ExampleMachine01", "MyComponent")
    store = pipeline.store
    assert {q.subject for q in store.quads(None, vocab.RDF_TYPE, vocab.EQUIPMENT)} == {
        machine,
        component,
    }
    assert list(store.quads(component, vocab.PART_OF_EQUIPMENT, machine))
    node_id = "nsu=http://opcfoundation.org/UA/Machinery_Example/;i=5003"
    assert list(store.quads(machine, vocab.OPCUA_NODE_ID, Literal(node_id)))
    assert list(store.quads(machine, vocab.OPCUA_TYPE, Literal("ExampleMachineType")))
    # The same models again, given in another order: the same document, the same content.
    again = next(adapter.batches(list(reversed(_companions())), IngestOptions()))
    assert pipeline.ingest(again).status == "unchanged"
    assert {q.subject for q in store.quads(None, vocab.RDF_TYPE, vocab.EQUIPMENT)} == {
        machine,
        component,
    }


def test_sensors_with_engineering_units_and_ranges(imported: Pipeline) -> None:
    store = imported.store
    sensors = {q.subject for q in store.quads(None, vocab.RDF_TYPE, vocab.SENSOR)}
    keys = {ids.parse(s).keys[0] for s in sensors}
    mill = "nsu=urn:kgthread:test:mill/"
    # three analog items and a counter; the string and the unknown data type are not sensors
    assert keys == {f"{mill};i={i}" for i in (6001, 6004, 6007, 6010)}
    temperature = ids.sensor(f"{mill};i=6001")
    assert list(store.quads(temperature, vocab.UNIT_OF_MEASURE, vocab.unit("DEG_C")))
    assert list(store.quads(temperature, vocab.SOSA_IS_HOSTED_BY, ids.equipment("Mill01")))
    low = Literal("0.0", datatype=vocab.XSD_DOUBLE)
    assert list(store.quads(temperature, vocab.RANGE_LOW, low))
    assert list(
        store.quads(ids.sensor(f"{mill};i=6007"), vocab.UNIT_OF_MEASURE, vocab.unit("MilliM"))
    )


def test_unknown_data_types_are_reported_and_counted() -> None:
    adapter = NodesetAdapter()
    next(adapter.batches(mill_nodesets(), IngestOptions()))
    assert adapter.report.counts == {"unknown data type": 1}
    assert "i=6012" in adapter.report.problems[0]


def test_a_required_model_must_be_given(tmp_path: Path) -> None:
    with pytest.raises(
        NodesetError, match=r"requires the model http://opcfoundation.org/UA/DI/: pass"
    ):
        next(NodesetAdapter().batches([MILL_NODESET], IngestOptions()))
    # without Machinery the Machines folder is unknown: failsafe finds nothing, and says so
    with pytest.raises(NodesetError, match=r"nothing to import.*requires the model"):
        next(NodesetAdapter().batches([MILL_NODESET], IngestOptions(strict=False)))


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("<UANodeSet><UAObject NodeId='ns=1;i=1' BrowseName='1:A'></UANodeSet>", r"line 1"),
        ("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><UANodeSet/>", "refused"),
        ("<NodeSet/>", "not <UANodeSet>"),
        (
            "<UANodeSet><UAVariable NodeId='ns=7;i=1' BrowseName='A'/></UANodeSet>",
            r"<UAVariable NodeId='ns=7;i=1'>: namespace index 7",
        ),
        (
            "<UANodeSet><UAObject NodeId='i=1' BrowseName='A'><References>"
            "<Reference ReferenceType='NoSuchAlias'>i=2</Reference></References></UAObject>"
            "</UANodeSet>",
            "NoSuchAlias",
        ),
        ("<UANodeSet><UAObject BrowseName='1:A'/></UANodeSet>", "has no NodeId"),
    ],
)
def test_malformed_nodesets_name_the_file_and_element(
    tmp_path: Path, content: str, match: str
) -> None:
    path = tmp_path / "broken.NodeSet2.xml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(NodesetError, match=match) as info:
        next(NodesetAdapter().batches([path], IngestOptions()))
    assert "broken.NodeSet2.xml" in info.value.message


def test_registry_and_cli_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert isinstance(get("opcua-nodeset"), NodesetAdapter)
    args = ["--data", str(tmp_path / "store"), "opcua", "import-nodeset"]
    args += [str(p) for p in mill_nodesets()]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "imported as batch" in out
    assert "3 equipment, 4 sensors" in out
    assert "unknown data type" in out
    assert main([*args[:4], str(tmp_path / "missing.xml")]) == 2


def test_unece_codes_map_to_qudt_through_the_vocabulary(tmp_path: Path) -> None:
    assert unit_id_to_code(0x4D4D54) == "MMT"
    assert code_to_unit_id("CEL") == 4408652
    with pytest.raises(ValueError, match="UNECE"):
        unit_id_to_code(-1)
    table = unece_table()
    assert table["MMT"] == vocab.UNIT_NS + "MilliM"
    assert table["CEL"] == vocab.UNIT_NS + "DEG_C"
    assert table["KWT"] == vocab.UNIT_NS + "KiloW"
    assert table["C62"] == vocab.UNIT_NS + "ONE"  # ONE and UNITLESS share it: shortest wins
    assert len(table) > 1400


def test_the_packaged_unit_table_is_what_the_qudt_vocabulary_says() -> None:
    """The table ships with the package (nothing outside it is read at run time); it must
    equal the table derived from the QUDT vocabulary, to the byte."""
    derived = derive_table(shared(str(QUDT_UNITS_FILE), "the QUDT units vocabulary"))
    assert derived == unece_table()
    packaged = Path(__file__).resolve().parents[3] / "src/kgthread/ingest/sensors/unece_qudt.csv"
    assert write_table(derived) == packaged.read_text(encoding="utf-8")


def test_units_are_read_without_the_shared_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run as an installed package beside no checkout: the import still finds its units."""
    monkeypatch.setenv("KGTHREAD_SHARED_DATA", str(tmp_path / "nowhere"))
    unece_table.cache_clear()
    try:
        assert unece_table()["MMT"] == vocab.UNIT_NS + "MilliM"
    finally:
        unece_table.cache_clear()
