"""The OWL ontology: it parses, declares exactly the terms vocab.py names, says what the data
model aligns to, and HermiT (through owlready2) finds it consistent, alone and together with
PROV-O, SOSA and SSN, with the entailments the lineage queries rely on."""

from __future__ import annotations

import re
import shutil
import types
from collections.abc import Iterable
from pathlib import Path

import owlready2
import pyoxigraph
import pytest
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

import shared_data
from kgthread import assets, vocab

KGT = rdflib.Namespace(vocab.KGT_NS)
PROV = rdflib.Namespace(vocab.PROV_NS)
SOSA = rdflib.Namespace(vocab.SOSA_NS)
SSN = rdflib.Namespace(vocab.SSN_NS)
QUDT = rdflib.Namespace(vocab.QUDT_NS)
ONTOLOGY_IRI = rdflib.URIRef("https://w3id.org/kgthread/ns")
DATA_MODEL = assets.root() / "docs" / "data-model.md"
# The standards the ontology aligns to, under <shared data>/ontologies/.
STANDARDS = ("prov-o/prov-o.ttl", "sosa-ssn/sosa.ttl", "sosa-ssn/ssn.ttl")

needs_java = pytest.mark.skipif(
    shutil.which("java") is None, reason="HermiT, owlready2's reasoner, needs java on PATH"
)


def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(assets.ontology_file())


def vocab_terms() -> set[str]:
    """Every kgt term vocab.py exports."""
    return {
        value.value
        for value in vars(vocab).values()
        if isinstance(value, pyoxigraph.NamedNode) and value.value.startswith(vocab.KGT_NS)
    }


def declared_terms(graph: rdflib.Graph) -> set[str]:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    return {str(s) for kind in kinds for s in graph.subjects(RDF.type, kind) if s in KGT}


# --- parsing and declarations ------------------------------------------------------------


def test_parses_with_rdflib_and_pyoxigraph_alike() -> None:
    graph = ontology()
    quads = list(pyoxigraph.parse(path=assets.ontology_file(), format=pyoxigraph.RdfFormat.TURTLE))
    assert len(quads) == len(graph) > 500


def test_header() -> None:
    graph = ontology()
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in graph
    assert graph.value(ONTOLOGY_IRI, OWL.versionInfo) == rdflib.Literal("1.0.0")
    assert not list(graph.objects(ONTOLOGY_IRI, OWL.imports)), "align by reference, not import"


def test_declares_exactly_the_vocab_terms() -> None:
    assert declared_terms(ontology()) == vocab_terms()


def test_data_model_terms_are_declared() -> None:
    documented = {vocab.KGT_NS + name for name in re.findall(r"kgt:(\w+)", DATA_MODEL.read_text())}
    assert documented - declared_terms(ontology()) == set()


@pytest.mark.parametrize("term", sorted(vocab_terms()))
def test_term_is_labelled_and_defined(term: str) -> None:
    graph, node = ontology(), rdflib.URIRef(term)
    local = term.removeprefix(vocab.KGT_NS)
    expected = OWL.Class if local[0].isupper() else (OWL.ObjectProperty, OWL.DatatypeProperty)
    kinds = set(graph.objects(node, RDF.type))
    assert kinds & ({expected} if isinstance(expected, rdflib.URIRef) else set(expected))
    for annotation in (RDFS.label, SKOS.definition):
        texts = list(graph.objects(node, annotation))
        assert len(texts) == 1, (term, annotation)
        assert isinstance(texts[0], rdflib.Literal)
        assert texts[0].language == "en"


def test_ranges_fit_the_property_kind() -> None:
    graph = ontology()
    for prop in graph.subjects(RDF.type, OWL.DatatypeProperty):
        for range_ in graph.objects(prop, RDFS.range):
            assert str(range_).startswith(str(XSD)), prop
    for prop in graph.subjects(RDF.type, OWL.ObjectProperty):
        for range_ in graph.objects(prop, RDFS.range):
            assert not str(range_).startswith(str(XSD)), prop


def test_domains_cover_every_class_that_uses_the_property() -> None:
    """A domain must include every shaped class using the property (a union when shared, e.g.
    kgt:quantity), or HermiT would type a lot as an assembly usage; one domain at most, since
    several would intersect."""
    graph, shapes, sh = ontology(), rdflib.Graph(), rdflib.Namespace(vocab.SH_NS)
    for path in sorted(assets.shapes_dir().glob("*.ttl")):
        shapes.parse(path)
    for shape in shapes.subjects(RDF.type, sh.NodeShape):
        cls = shapes.value(shape, sh.targetClass)
        supers = set(graph.transitive_objects(cls, RDFS.subClassOf))
        for prop in shapes.objects(shape, sh.property):
            predicate = shapes.value(prop, sh.path)
            if not isinstance(predicate, rdflib.URIRef) or predicate not in KGT:
                continue
            domains = list(graph.objects(predicate, RDFS.domain))
            assert len(domains) <= 1, predicate
            for domain in domains:
                union = graph.value(domain, OWL.unionOf)
                members = set(Collection(graph, union)) if union is not None else {domain}
                assert supers & members, f"{cls} uses {predicate} outside its domain"


ALIGNMENTS = [
    (KGT.Part, RDFS.subClassOf, PROV.Entity),
    (KGT.PartRevision, RDFS.subClassOf, PROV.Entity),
    (KGT.Equipment, RDFS.subClassOf, SOSA.Platform),
    (KGT.WorkOrder, RDFS.subClassOf, PROV.Plan),
    (KGT.Operation, RDFS.subClassOf, PROV.Activity),
    (KGT.TrackedItem, RDFS.subClassOf, PROV.Entity),
    (KGT.MaterialLot, RDFS.subClassOf, KGT.TrackedItem),
    (KGT.MaterialSublot, RDFS.subClassOf, KGT.MaterialLot),
    (KGT.SerializedUnit, RDFS.subClassOf, KGT.TrackedItem),
    (KGT.Consumption, RDFS.subClassOf, PROV.Usage),
    (KGT.Supplier, RDFS.subClassOf, PROV.Organization),
    (KGT.Customer, RDFS.subClassOf, PROV.Organization),
    (KGT.Shipment, RDFS.subClassOf, PROV.Activity),
    (KGT.Inspection, RDFS.subClassOf, PROV.Activity),
    (KGT.Measurement, RDFS.subClassOf, SOSA.Observation),
    (KGT.Nonconformance, RDFS.subClassOf, PROV.Entity),
    (KGT.Sensor, RDFS.subClassOf, SOSA.Sensor),
    (KGT.ObservableProperty, RDFS.subClassOf, SOSA.ObservableProperty),
    (KGT.ObservationSummary, RDFS.subClassOf, SOSA.Observation),
    (KGT.EngineeringChange, RDFS.subClassOf, PROV.Entity),
    (KGT.IngestBatch, RDFS.subClassOf, PROV.Activity),
    (KGT.SourceDocument, RDFS.subClassOf, PROV.Entity),
    (KGT.Adapter, RDFS.subClassOf, PROV.SoftwareAgent),
    (KGT.revisionOf, RDFS.subPropertyOf, PROV.specializationOf),
    (KGT.supersedes, RDFS.subPropertyOf, PROV.wasRevisionOf),
    (KGT.unitOfMeasure, RDFS.subPropertyOf, QUDT.hasUnit),
    (KGT.hasComponent, RDFS.subPropertyOf, PROV.wasDerivedFrom),
    (KGT.hasComponent, RDFS.subPropertyOf, KGT.contains),
    (KGT.consumedEntity, RDFS.subPropertyOf, PROV.entity),
    (KGT.inspectedUnit, RDFS.subPropertyOf, PROV.used),
    (KGT.contains, RDF.type, OWL.TransitiveProperty),
] + [(KGT[c], RDFS.subClassOf, KGT.Equipment) for c in ("Site", "Area", "WorkCenter", "WorkUnit")]


@pytest.mark.parametrize("triple", ALIGNMENTS, ids=lambda t: f"{t[0].n3()} {t[2].n3()}")
def test_alignment_as_the_data_model_says(triple: tuple[rdflib.URIRef, ...]) -> None:
    assert triple in ontology()


# --- reasoning with owlready2 / HermiT ---------------------------------------------------


def to_ntriples(source: Path, target: Path) -> Path:
    """owlready2 reads N-Triples, not Turtle; owl:imports are dropped so nothing is fetched."""
    graph = rdflib.Graph().parse(source)
    graph.remove((None, OWL.imports, None))
    target.write_text(graph.serialize(format="nt"), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def kgt_nt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return to_ntriples(assets.ontology_file(), tmp_path_factory.mktemp("owl") / "kgthread.nt")


@pytest.fixture(scope="module")
def standards_nt(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = shared_data.require("ontologies")
    out = tmp_path_factory.mktemp("standards")
    return [to_ntriples(folder / name, out / f"{i}.nt") for i, name in enumerate(STANDARDS)]


def load(paths: Iterable[Path]) -> owlready2.World:
    """A fresh world per test, loaded from local files only."""
    world = owlready2.World()
    for path in paths:
        world.get_ontology(path.as_uri()).load(format="ntriples")
    return world


def reason(world: owlready2.World, *, property_values: bool = False) -> None:
    owlready2.sync_reasoner_hermit(world, infer_property_values=property_values, debug=0)


def entity(world: owlready2.World, iri: str) -> owlready2.EntityClass:
    found = world[iri]
    assert found is not None, f"owlready2 did not load {iri}"
    return found


DISJOINT_PAIRS = [
    ("Site", "Area"),
    ("Area", "WorkUnit"),
    ("WorkCenter", "WorkUnit"),
    ("MaterialLot", "SerializedUnit"),
    ("MaterialSublot", "SerializedUnit"),
    ("Part", "PartRevision"),
    ("PartRevision", "TrackedItem"),
    ("Part", "SerializedUnit"),
]
# Unsatisfiable only through PROV-O's axioms: Activity and Entity are disjoint, and so are
# Entity and InstantaneousEvent (which prov:Usage, hence kgt:Consumption, is).
PROV_DISJOINT_PAIRS = [("Operation", "SerializedUnit"), ("Consumption", "MaterialLot")]


def assert_consistent_and_probes_unsatisfiable(
    world: owlready2.World, pairs: list[tuple[str, str]]
) -> None:
    """Probe classes under two disjoint classes must be the only classes equivalent to owl:Nothing.

    The probes prove the check can fail: a reasoner that found nothing would not pass.
    """
    probes = world.get_ontology("urn:kgthread:test:probes#")
    with probes:
        made = {
            types.new_class(f"{a}And{b}", (entity(world, KGT[a]), entity(world, KGT[b])))
            for a, b in pairs
        }
    reason(world)
    assert set(world.inconsistent_classes()) - {owlready2.Nothing} == made


def test_owlready2_loads_every_term(kgt_nt: Path) -> None:
    world = load([kgt_nt])
    for term in vocab_terms():
        found = entity(world, term)
        local = term.removeprefix(vocab.KGT_NS)
        assert isinstance(found, owlready2.ThingClass) == local[0].isupper(), term
    assert issubclass(entity(world, KGT.contains), owlready2.TransitiveProperty)


@needs_java
def test_consistent_alone(kgt_nt: Path) -> None:
    assert_consistent_and_probes_unsatisfiable(load([kgt_nt]), DISJOINT_PAIRS)


@needs_java
def test_consistent_with_prov_sosa_ssn(kgt_nt: Path, standards_nt: list[Path]) -> None:
    world = load([kgt_nt, *standards_nt])
    assert_consistent_and_probes_unsatisfiable(world, DISJOINT_PAIRS + PROV_DISJOINT_PAIRS)


ENTAILED_SUBCLASSES = [
    (KGT.WorkUnit, SOSA.Platform),
    (KGT.SerializedUnit, PROV.Entity),
    (KGT.MaterialSublot, PROV.Entity),
    (KGT.WorkOrder, PROV.Entity),  # via prov:Plan, a PROV-O axiom
    (KGT.Sensor, SSN.System),  # via sosa:Sensor, an SSN axiom
    (KGT.Consumption, PROV.InstantaneousEvent),  # via prov:Usage
    (KGT.Adapter, PROV.Agent),
    (KGT.Supplier, PROV.Agent),
]


@needs_java
def test_entailments_with_the_standards(kgt_nt: Path, standards_nt: list[Path]) -> None:
    """Classification plus what HermiT must derive for instances: domains, ranges, transitivity."""
    world = load([kgt_nt, *standards_nt])
    with world.get_ontology("urn:kgthread:test:data#"):
        gearbox, shaft, bearing_lot = (owlready2.Thing(name) for name in ("gb", "sh", "lot"))
    has_component = entity(world, KGT.hasComponent)
    has_component[gearbox].append(shaft)
    has_component[shaft].append(bearing_lot)
    reason(world, property_values=True)

    for sub, sup in ENTAILED_SUBCLASSES:
        assert entity(world, sup) in entity(world, sub).ancestors(), (sub, sup)
    assert isinstance(gearbox, entity(world, KGT.SerializedUnit))  # domain of hasComponent
    assert isinstance(bearing_lot, entity(world, KGT.TrackedItem))  # range of hasComponent
    assert isinstance(bearing_lot, entity(world, PROV.Entity))
    assert bearing_lot in entity(world, KGT.contains)[gearbox]  # transitive containment
