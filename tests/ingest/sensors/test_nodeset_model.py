"""What a NodeSet2 import takes for equipment, what it imports of their nameplates, what
each variable measures, and every NodeSet2 of the shared data against counts taken from its
XML: object types, and the instance objects reachable from the Objects folder."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode

from kgthread import ids, vocab
from kgthread.cli import main
from kgthread.errors import NodesetError
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.sensors.adapter import NodesetAdapter
from kgthread.ingest.sensors.units import unece_table
from shared_data import shared

HERE = Path(__file__).resolve().parent
LASER = HERE / "data" / "Kgthread.Test.Laser.NodeSet2.xml"
UA = "{http://opcfoundation.org/UA/2011/03/UANodeSet.xsd}"
TYPES = "{http://opcfoundation.org/UA/2008/02/Types.xsd}"
NAMEPLATE = {
    "Manufacturer": vocab.MANUFACTURER,
    "Model": vocab.MODEL,
    "SerialNumber": vocab.EQUIPMENT_SERIAL_NUMBER,
    "ProductInstanceUri": vocab.PRODUCT_INSTANCE_URI,
    "YearOfConstruction": vocab.YEAR_OF_CONSTRUCTION,
    "HardwareRevision": vocab.HARDWARE_REVISION,
    "SoftwareRevision": vocab.SOFTWARE_REVISION,
    "DeviceClass": vocab.DEVICE_CLASS,
    "ProductCode": vocab.PRODUCT_CODE,
}
# Every NodeSet2 of the shared data, loaded together so that every type resolves.
ALL = [
    "Opc.Ua.Di.NodeSet2.xml",
    "Opc.Ua.Machinery.NodeSet2.xml",
    "Opc.Ua.Machinery.Examples.NodeSet2.xml",
    "Opc.Ua.Machinery.Jobs.Nodeset2.xml",
    "Opc.Ua.IA.NodeSet2.xml",
    "Opc.Ua.MachineTool.NodeSet2.xml",
    "Opc.Ua.Robotics.NodeSet2.xml",
    "Opc.Ua.PackML.NodeSet2.xml",
    "Opc.ISA95.NodeSet2.xml",
    "opc.ua.isa95-jobcontrol.nodeset2.xml",
    "Opc.Ua.CNC.NodeSet.xml",
]


def _files(*names: str) -> list[Path]:
    return [shared(f"opcua/{name}", "the OPC UA NodeSet2 files") for name in names]


def _triples(batch_triples: object) -> set[tuple[NamedNode, NamedNode, object]]:
    return {(t.subject, t.predicate, t.object) for t in batch_triples}  # type: ignore[attr-defined]


def _laser(pipeline: Pipeline | None = None) -> tuple[NodesetAdapter, set[tuple]]:
    adapter = NodesetAdapter()
    paths = [*_files("Opc.Ua.Di.NodeSet2.xml", "Opc.Ua.Machinery.NodeSet2.xml"), LASER]
    batch = next(adapter.batches(paths, IngestOptions()))
    if pipeline is not None:
        assert pipeline.ingest(batch).status == "committed"
    return adapter, _triples(batch.triples)


def test_only_machines_and_components_are_equipment(pipeline: Pipeline) -> None:
    adapter, triples = _laser(pipeline)
    equipment = {s for s, p, o in triples if p == vocab.RDF_TYPE and o == vocab.EQUIPMENT}
    cutter = ids.equipment("LaserCutter01")
    source = ids.equipment("LaserCutter01", "LaserSource")
    assert equipment == {cutter, source}
    assert (source, vocab.PART_OF_EQUIPMENT, cutter) in triples
    # the recipe and the two monitoring records organised in folders are reported, by NodeId
    assert adapter.report.counts["not equipment"] == 3
    left_out = [p for p in adapter.report.problems if "not equipment" in p]
    for node in ("i=5011", "i=5021", "i=5022"):
        assert any(f"NodeId='ns=1;{node}'" in p for p in left_out), node


def _nameplate_from_xml(path: Path, owner: str) -> dict[str, str]:
    """The nameplate of the object ``owner`` (a NodeId as written in ``path``): the properties
    of its Identification add-in, else its own; read from the XML alone."""
    root = ET.parse(path).getroot()
    nodes = {e.get("NodeId"): e for e in root if e.get("NodeId")}

    def properties(node_id: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for ref in nodes[node_id].iter(f"{UA}Reference"):
            if ref.get("ReferenceType") not in ("HasProperty", "i=46"):
                continue
            if ref.get("IsForward") == "false":
                continue
            prop = nodes.get((ref.text or "").strip())
            if prop is None:
                continue
            name = (prop.get("BrowseName") or "").split(":")[-1]
            value = prop.find(f"{UA}Value")
            if value is None or not len(value):
                continue
            text = value[0].findtext(f"{TYPES}Text") if len(value[0]) else value[0].text
            if text and text.strip():
                found[name] = text.strip()
        return found

    for ref in nodes[owner].iter(f"{UA}Reference"):
        target = nodes.get((ref.text or "").strip())
        forward = ref.get("IsForward") != "false"
        if (
            forward
            and target is not None
            and target.get("BrowseName", "").endswith(":Identification")
        ):
            return properties(target.get("NodeId") or "")
    return properties(owner)


def _nameplate_in_graph(triples: set[tuple], equipment: NamedNode) -> dict[str, str]:
    back = {predicate: name for name, predicate in NAMEPLATE.items()}
    return {back[p]: o.value for s, p, o in triples if s == equipment and p in back}


def test_identification_of_the_laser_machine_and_its_source() -> None:
    _, triples = _laser()
    cutter = _nameplate_in_graph(triples, ids.equipment("LaserCutter01"))
    expected = _nameplate_from_xml(LASER, "ns=1;i=5001")
    expected.pop("AssetId", None)  # blank in the file
    expected.pop("InitialOperationDate", None)  # OPC UA's "no date"
    assert cutter == expected
    assert cutter["SerialNumber"] == "LC3-0042"
    source = _nameplate_in_graph(triples, ids.equipment("LaserCutter01", "LaserSource"))
    assert (
        source
        == _nameplate_from_xml(LASER, "ns=1;i=5041")
        == {
            "Manufacturer": "ACME Photonics",
            "SerialNumber": "SRC-7",
        }
    )
    year = Literal("2021", datatype=vocab.XSD_INTEGER)
    assert (ids.equipment("LaserCutter01"), vocab.YEAR_OF_CONSTRUCTION, year) in triples
    assert not any(p == vocab.INITIAL_OPERATION_DATE for _, p, _ in triples)


def test_identification_of_the_machinery_example(pipeline: Pipeline) -> None:
    """Machinery's own example machine: its nameplate as the XML gives it."""
    path = _files("Opc.Ua.Machinery.Examples.NodeSet2.xml")[0]
    paths = [*_files("Opc.Ua.Di.NodeSet2.xml", "Opc.Ua.Machinery.NodeSet2.xml"), path]
    batch = next(NodesetAdapter().batches(paths, IngestOptions()))
    assert pipeline.ingest(batch).status == "committed"
    triples = _triples(batch.triples)
    machine = _nameplate_in_graph(triples, ids.equipment("ExampleMachine01"))
    expected = {k: v for k, v in _nameplate_from_xml(path, "ns=1;i=5003").items() if k in NAMEPLATE}
    assert machine == expected
    assert machine  # the example fills its nameplate


def test_variables_named_alike_are_different_properties() -> None:
    _, triples = _laser()
    observes = {o for s, p, o in triples if p == vocab.SOSA_OBSERVES}
    labels = {o.value for s, p, o in triples if p == vocab.RDFS_LABEL and s in observes}
    assert labels == {
        "LaserSourceType/Power/Value",
        "LaserSystemType/Cooling/Value",
        "LaserSystemType/Monitoring/Record01/Value",
        "LaserSystemType/Monitoring/Record02/Value",
    }
    assert len(observes) == 4, "four variables named Value, four meanings"


def test_failsafe_with_missing_models_and_nothing_found_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    examples = _files("Opc.Ua.Machinery.Examples.NodeSet2.xml")
    with pytest.raises(NodesetError, match="nothing to import"):
        next(NodesetAdapter().batches(examples, IngestOptions(strict=False)))
    args = ["--data", str(tmp_path / "store"), "ingest", "opcua-nodeset", "--failsafe"]
    assert main([*args, *map(str, examples)]) == 2
    assert "nothing to import" in capsys.readouterr().err


def test_import_needs_nothing_beside_the_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The unit table ships with the package: no QUDT file beside the checkout is needed."""
    paths = [*_files("Opc.Ua.Di.NodeSet2.xml", "Opc.Ua.Machinery.NodeSet2.xml"), LASER]
    monkeypatch.setenv("KGTHREAD_SHARED_DATA", str(tmp_path / "nowhere"))
    unece_table.cache_clear()
    try:
        args = ["--data", str(tmp_path / "store"), "opcua", "import-nodeset", *map(str, paths)]
        assert main(args) == 0
    finally:
        unece_table.cache_clear()
    assert "2 equipment, 4 sensors" in capsys.readouterr().out


# --- every NodeSet2 of the shared data -------------------------------------------------------

_HIERARCHICAL = {
    "Organizes",
    "HasComponent",
    "HasOrderedComponent",
    "HasProperty",
    "HasAddIn",
    "HasChild",
    "Aggregates",
    "HierarchicalReferences",
}
_HIERARCHICAL_IDS = {"i=35", "i=47", "i=49", "i=46", "i=17604", "i=34", "i=44", "i=33"}


def _xml_counts(paths: list[Path]) -> dict[str, dict[str, object]]:
    """Per file, from the XML alone: its namespace, its ObjectTypes and its instance objects
    (no modelling rule) reachable from the Objects folder by forward or inverse hierarchical
    references (an independent walk, not the importer's)."""
    files: dict[str, dict[str, object]] = {}
    edges: dict[str, set[str]] = {}
    instances: dict[str, tuple[str, str]] = {}
    for path in paths:
        root = ET.parse(path).getroot()
        uris = [u.text or "" for u in root.find(f"{UA}NamespaceUris") or []]
        aliases = {a.get("Alias"): (a.text or "").strip() for a in root.iter(f"{UA}Alias")}

        def expand(raw: str, uris: list[str] = uris, aliases: dict = aliases) -> str:
            text = aliases.get(raw.strip(), raw.strip())
            if text.startswith("ns="):
                index, rest = text[3:].split(";", 1)
                return f"nsu={uris[int(index) - 1]};{rest}"
            return text

        own = uris[0] if uris else ""
        types = 0
        for element in root:
            tag = element.tag.removeprefix(UA)
            node_id = expand(element.get("NodeId") or "")
            refs = list(element.iter(f"{UA}Reference"))
            kinds = [(expand(r.get("ReferenceType") or ""), r) for r in refs]
            if tag == "UAObjectType":
                types += 1
            if tag == "UAObject" and node_id.startswith(f"nsu={own};"):
                ruled = any(k in ("HasModellingRule", "i=37") for k, _ in kinds)
                if not ruled:
                    instances[node_id] = (path.name, element.get("BrowseName") or "")
            for kind, ref in kinds:
                if kind not in _HIERARCHICAL and kind not in _HIERARCHICAL_IDS:
                    continue
                target = expand(ref.text or "")
                if ref.get("IsForward") == "false":
                    edges.setdefault(target, set()).add(node_id)
                else:
                    edges.setdefault(node_id, set()).add(target)
        files[path.name] = {"namespace": own, "types": types, "instances": []}
    reached, frontier = {"i=85"}, ["i=85"]
    while frontier:
        node = frontier.pop()
        for target in edges.get(node, ()):
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    for node_id, (name, _) in instances.items():
        if node_id in reached:
            files[name]["instances"].append(node_id)  # type: ignore[union-attr]
    return files


@pytest.fixture(scope="module")
def everything() -> tuple[NodesetAdapter, set[tuple], dict[str, dict[str, object]]]:
    paths = _files(*ALL)
    adapter = NodesetAdapter()
    batch = next(adapter.batches(paths, IngestOptions()))
    return adapter, _triples(batch.triples), _xml_counts(paths)


@pytest.mark.parametrize("name", ALL)
def test_every_object_type_is_a_class_and_every_instance_is_accounted_for(
    name: str, everything: tuple[NodesetAdapter, set[tuple], dict[str, dict[str, object]]]
) -> None:
    adapter, triples, files = everything
    counted = files[name]
    namespace = str(counted["namespace"]).rstrip("/") + "/"
    classes = {
        s
        for s, p, o in triples
        if p == vocab.RDF_TYPE and o.value == vocab.OWL_NS + "Class"
        if s.value.startswith(namespace) and "/" not in s.value[len(namespace) :]
    }
    assert len(classes) == counted["types"]
    model = adapter.model
    assert model is not None
    roles: Counter[str] = Counter()
    for node_id in counted["instances"]:  # type: ignore[union-attr]
        role = adapter.report.roles.get(node_id)
        assert role is not None, f"{node_id} is reachable from Objects but was not classified"
        roles[role] += 1
    equipment = {
        o.value
        for s, p, o in triples
        if p == vocab.OPCUA_NODE_ID and (s, vocab.RDF_TYPE, vocab.EQUIPMENT) in triples
    }
    assert roles["equipment"] == len(
        [n for n in counted["instances"] if n in equipment]  # type: ignore[union-attr]
    )
