"""The OPC UA MachineTool model's machine classes are found as Equipment by a plain SPARQL
query after reasoning: the NodeSet import states its ObjectTypes as classes (HermiT
classifies them with the ontology before they are committed), the alignment puts
MachineToolType under kgt:WorkUnit, and a vendor's subtype follows through the hierarchy."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, QuerySolutions, Triple

import shared_data
from kgthread import assets, ids, vocab
from kgthread.gate import Gate
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.sensors.adapter import NodesetAdapter
from kgthread.reasoning import INFERRED_GRAPH, Reasoner, explain
from kgthread.reasoning.explain import SUBCLASS_RULE
from kgthread.reasoning.tbox import OntologyRejected
from kgthread.store.embedded import EmbeddedStore

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None, reason="HermiT, owlready2's reasoner, needs java on PATH"
)
OPCUA = assets.shared_data_dir() / "opcua"
MODELS = (
    "Opc.Ua.Di.NodeSet2.xml",
    "Opc.Ua.IA.NodeSet2.xml",
    "Opc.Ua.Machinery.NodeSet2.xml",
    "opc.ua.isa95-jobcontrol.nodeset2.xml",
    "Opc.Ua.Machinery.Jobs.Nodeset2.xml",
    "Opc.Ua.MachineTool.NodeSet2.xml",
)
MT = "http://opcfoundation.org/UA/MachineTool/"
MACHINE_TOOL = NamedNode(MT + "MachineToolType")
VENDOR_MILL = NamedNode("urn:example:vendor:FiveAxisMillType")
PLAIN_QUERY = "SELECT ?x WHERE { ?x a <https://w3id.org/kgthread/ns#Equipment> }"


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    paths = [OPCUA / name for name in MODELS]
    for p in paths:
        if not p.is_file():
            shared_data.missing(p)
    store = EmbeddedStore.open(tmp_path / "store")
    pipeline = Pipeline(store, Gate.default(), reasoner=Reasoner())
    batch = next(NodesetAdapter().batches(paths, IngestOptions()))
    pipeline.ingest(batch)
    yield pipeline
    store.close()


def ingest(pipeline: Pipeline, name: str, triples: list[Triple]) -> None:
    source = [Source.of_bytes(name, name.encode())]
    pipeline.ingest(Batch("test", "1", source, triples=triples, batch_id=name))


def equipment(pipeline: Pipeline) -> set[NamedNode]:
    rows = pipeline.store.query(PLAIN_QUERY)
    assert isinstance(rows, QuerySolutions)
    return {row["x"] for row in rows if isinstance(row["x"], NamedNode)}


def test_machine_tool_classes_are_found_as_equipment(pipeline: Pipeline) -> None:
    store = pipeline.store
    assert any(store.quads(MACHINE_TOOL, vocab.RDFS_SUBCLASS_OF, None))  # from the NodeSet
    cnc = ids.equipment("Plant 1", "Cell 2", "CNC 7")
    mill = ids.equipment("Plant 1", "Cell 2", "Mill 3")
    assert cnc not in equipment(pipeline)
    ingest(pipeline, "machines", [Triple(cnc, vocab.RDF_TYPE, MACHINE_TOOL)])
    assert cnc in equipment(pipeline)
    # A vendor's subtype of MachineToolType: its machines follow through the hierarchy,
    # including one stated before the subtype's axiom arrived.
    ingest(pipeline, "mill", [Triple(mill, vocab.RDF_TYPE, VENDOR_MILL)])
    assert mill not in equipment(pipeline)
    ingest(pipeline, "vendor", [Triple(VENDOR_MILL, vocab.RDFS_SUBCLASS_OF, MACHINE_TOOL)])
    assert {cnc, mill} <= equipment(pipeline)
    assert any(store.quads(mill, vocab.RDF_TYPE, vocab.WORK_UNIT, INFERRED_GRAPH))
    why = explain(store, mill, vocab.RDF_TYPE, vocab.EQUIPMENT)
    assert why is not None
    assert why.rule == SUBCLASS_RULE
    assert [(t.subject, t.object) for t in why.axioms] == [
        (VENDOR_MILL, MACHINE_TOOL),
        (MACHINE_TOOL, vocab.WORK_UNIT),
        (vocab.WORK_UNIT, vocab.EQUIPMENT),
    ]


def test_an_inconsistent_machine_class_is_refused(pipeline: Pipeline) -> None:
    store = pipeline.store
    before = store.graph_names()
    # A machine tool that is also a site: kgt:Site and kgt:WorkUnit are declared disjoint.
    with pytest.raises(OntologyRejected) as refused:
        ingest(pipeline, "bad", [Triple(MACHINE_TOOL, vocab.RDFS_SUBCLASS_OF, vocab.SITE)])
    assert MACHINE_TOOL.value in refused.value.message
    assert "disjoint" in refused.value.message
    assert store.graph_names() == before
