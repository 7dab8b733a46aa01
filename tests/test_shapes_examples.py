"""SHACL shapes: they enforce docs/data-model.md exactly, every shape has a conforming and a
violating example that pyshacl judges as labelled, and only the constraint components the native
engine implements are used (so nobody adds an unsupported one silently)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from kgthread import assets, vocab
from shape_examples import EXAMPLES_DIR, ShapeExample, discover

SH = Namespace(vocab.SH_NS)
KGT = Namespace(vocab.KGT_NS)
KGTS = Namespace("https://w3id.org/kgthread/shapes#")
DATA_MODEL = assets.root() / "docs" / "data-model.md"
AREA_FILES = ("design", "equipment", "production", "quality", "sensors", "change", "provenance")
UNIT_PATTERN = r"^http://qudt\.org/vocab/unit/"

# Parameters of the constraint components the native engine implements.
ALLOWED_PARAMETERS = frozenset(
    SH[name]
    for name in (
        *("class", "datatype", "nodeKind", "minCount", "maxCount", "pattern", "flags", "in"),
        *("minInclusive", "maxInclusive", "minExclusive", "maxExclusive", "hasValue"),
        *("lessThan", "lessThanOrEquals"),
    )
)
# Non-validating structure and annotations; sh:inversePath is checked separately.
ALLOWED_STRUCTURE = frozenset(
    SH[name]
    for name in ("targetClass", "property", "path", "name", "message", "description", "severity")
)
ALLOWED_OTHER = frozenset({RDF.type, RDF.first, RDF.rest, RDFS.label, RDFS.comment})

EXAMPLES = discover()


# --- graphs ------------------------------------------------------------------------------


@cache
def shapes_graph() -> Graph:
    graph = Graph()
    for path in sorted(assets.shapes_dir().glob("*.ttl")):
        graph.parse(path)
    return graph


@cache
def ontology_graph() -> Graph:
    return Graph().parse(assets.ontology_file())


@cache
def subclass_triples() -> Graph:
    """The ontology's named-class rdfs:subClassOf triples: what the gate adds to each batch."""
    graph = Graph()
    for sub, sup in ontology_graph().subject_objects(RDFS.subClassOf):
        if isinstance(sub, URIRef) and isinstance(sup, URIRef):
            graph.add((sub, RDFS.subClassOf, sup))
    return graph


def node_shapes() -> dict[URIRef, URIRef]:
    """Target class -> node shape."""
    shapes = shapes_graph()
    result: dict[URIRef, URIRef] = {}
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        for target in shapes.objects(shape, SH.targetClass):
            assert isinstance(shape, URIRef)
            assert isinstance(target, URIRef)
            assert target not in result, f"two node shapes target {target}"
            result[target] = shape
    return result


def own_shapes(cls: URIRef) -> set[Node]:
    """The node shape of ``cls`` and its property shapes: where its example's defect must show."""
    shape = node_shapes()[cls]
    return {shape, *shapes_graph().objects(shape, SH.property)}


def instances(graph: Graph, cls: URIRef) -> set[Node]:
    classes = set(graph.transitive_subjects(RDFS.subClassOf, cls))
    return {node for c in classes for node in graph.subjects(RDF.type, c)}


def validate(path: Path) -> tuple[bool, Graph, Graph, str]:
    """pyshacl as the gate runs it: the data plus the ontology's subclass triples, no inference."""
    data = Graph().parse(path) + subclass_triples()
    shacl = Graph()
    shacl += shapes_graph()  # a copy: pyshacl adds triples to the shapes graph it is given
    conforms, report, text = pyshacl.validate(
        data, shacl_graph=shacl, inference="none", advanced=False
    )
    assert isinstance(report, Graph)
    return bool(conforms), report, data, str(text)


# --- examples ----------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_conforming_example_conforms(example: ShapeExample) -> None:
    """A conforming example must pass and must actually hold an instance the shape targets."""
    conforms, _, data, text = validate(example.conforms_path)
    assert conforms, text
    assert instances(data, KGT[example.name]), f"no kgt:{example.name} in the example"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_violating_example_trips_the_named_component(example: ShapeExample) -> None:
    """The defect must be reported by the class's own shape, on an instance of the class."""
    conforms, report, data, text = validate(example.violates_path)
    assert not conforms
    own, focus = own_shapes(KGT[example.name]), instances(data, KGT[example.name])
    found = {
        (report.value(result, SH.sourceConstraintComponent), report.value(result, SH.sourceShape))
        for result in report.subjects(RDF.type, SH.ValidationResult)
        if report.value(result, SH.focusNode) in focus
    }
    components = {component for component, shape in found if shape in own}
    assert URIRef(example.component_iri) in components, text


def test_every_node_shape_has_an_example_pair_and_every_pair_a_shape() -> None:
    assert {KGT[e.name] for e in EXAMPLES} == set(node_shapes())


def test_every_class_has_a_shape() -> None:
    """Data may land in any class of the data model, so each needs a shape."""
    declared = {c for c in ontology_graph().subjects(RDF.type, OWL.Class) if c in KGT}
    documented = {KGT[name] for name in re.findall(r"`kgt:([A-Z]\w*)`", DATA_MODEL.read_text())}
    assert documented <= declared
    assert declared - set(node_shapes()) == set()


def test_shapes_are_split_by_area() -> None:
    assert {p.stem for p in assets.shapes_dir().glob("*.ttl")} == set(AREA_FILES)


def test_discovery_fails_loudly(tmp_path: Path) -> None:
    """An unpaired or unlabelled example must not be skipped silently."""
    (tmp_path / "Part-conforms.ttl").write_text("")
    with pytest.raises(ValueError, match="violates"):
        discover(tmp_path)
    (tmp_path / "Part-violates.ttl").write_text("# no label\n")
    with pytest.raises(ValueError, match="# violates"):
        discover(tmp_path)
    assert discover(EXAMPLES_DIR) == EXAMPLES


# --- the allowed subset of SHACL ---------------------------------------------------------


def test_shapes_use_only_supported_components_and_paths() -> None:
    shapes = shapes_graph()
    for s, p, o in shapes:
        if p == SH.inversePath:
            # Only as [ sh:inversePath <iri> ], the whole of some sh:path value.
            assert isinstance(o, URIRef)
            assert set(shapes.predicate_objects(s)) == {(p, o)}
            assert set(shapes.subjects(SH.path, s)), f"stray sh:inversePath on {s}"
        elif p in SH or (p == RDF.type and o in SH):
            allowed = ALLOWED_PARAMETERS | ALLOWED_STRUCTURE | {SH.NodeShape, SH.PropertyShape}
            assert (o if p == RDF.type else p) in allowed, f"unsupported: {s} {p} {o}"
        else:
            assert p in ALLOWED_OTHER, f"unexpected predicate {p} on {s}"
    for severity in shapes.objects(None, SH.severity):
        assert severity == SH.Violation
    for path in shapes.objects(None, SH.path):
        assert isinstance(path, URIRef) or isinstance(shapes.value(path, SH.inversePath), URIRef)


def test_node_and_property_shapes_are_well_formed() -> None:
    shapes = shapes_graph()
    for cls, shape in node_shapes().items():
        assert shape == KGTS[f"{cls.removeprefix(vocab.KGT_NS)}Shape"]
        assert shapes.value(shape, SH.path) is None
        assert len(set(shapes.objects(shape, SH.targetClass))) == 1
        for prop in shapes.objects(shape, SH.property):
            assert isinstance(prop, URIRef)
            assert prop in KGTS
            assert (prop, RDF.type, SH.PropertyShape) in shapes
            for annotation in (SH.path, SH.name, SH.message):
                assert len(set(shapes.objects(prop, annotation))) == 1, (prop, annotation)
    dangling = set(shapes.subjects(RDF.type, SH.PropertyShape)) - set(
        shapes.objects(None, SH.property)
    )
    assert dangling == set()


def test_shapes_agree_with_the_ontology() -> None:
    """Shaped kgt paths and classes exist, and datatypes and classes match declared ranges."""
    ontology, shapes = ontology_graph(), shapes_graph()
    declared = set(ontology.subjects(RDF.type, None))
    for prop in shapes.subjects(RDF.type, SH.PropertyShape):
        path = shapes.value(prop, SH.path)
        predicate = shapes.value(path, SH.inversePath) if isinstance(path, BNode) else path
        assert isinstance(predicate, URIRef)
        if predicate not in KGT:
            continue
        assert predicate in declared, f"{prop}: {predicate} is not in the ontology"
        range_ = ontology.value(predicate, RDFS.range)
        datatype, cls = shapes.value(prop, SH.datatype), shapes.value(prop, SH["class"])
        if datatype is not None:
            assert datatype == range_, prop
        if cls is not None and range_ is not None and path == predicate:
            assert range_ in set(ontology.transitive_objects(cls, RDFS.subClassOf)), prop
    for cls in shapes.objects(None, SH["class"]):
        assert cls not in KGT or (cls, RDF.type, OWL.Class) in ontology


# --- the shapes enforce docs/data-model.md exactly ---------------------------------------

_TICKED = re.compile(r"`([a-z]+:[A-Za-z0-9_]*)`")
_CARDINALITY = {"1": (1, 1), "0..1": (0, 1), "1..*": (1, None), "0..*": (0, None)}


@dataclass(frozen=True)
class Row:
    """One property row of a data-model table, for one class and one path."""

    cls: URIRef
    path: str  # a CURIE, "^" in front for an inverse path
    min: int
    max: int | None
    value: str
    not_after: str | None = None


def _expand(curie: str) -> URIRef:
    prefix, local = curie.lstrip("^").split(":", 1)
    return URIRef(vocab.PREFIXES[prefix] + local)


def _ticked_head(cell: str) -> list[str]:
    return _TICKED.findall(cell.split("(", 1)[0])


def data_model_rows() -> list[Row]:
    rows: list[Row] = []
    classes: list[str] = []
    for line in DATA_MODEL.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 4 or cells[0].startswith(("---", "class")):
            continue
        class_cell, property_cell, value, card = cells
        if class_cell:
            classes = [c for c in _ticked_head(class_cell) if c.startswith("kgt:")]
        if not property_cell:
            continue
        if property_cell.startswith("inverse of"):
            paths = ["^" + _TICKED.findall(property_cell)[0]]
        else:
            paths = _ticked_head(property_cell)
        base = card.split("(", 1)[0].strip()
        cards = [base.removesuffix(" each")] * len(paths) if " each" in base else base.split(", ")
        cards = cards * len(paths) if len(cards) == 1 else cards
        assert len(cards) == len(paths), line
        not_after = paths[1] if "<=" in value and len(paths) > 1 else None
        for cls in classes:
            for i, (path, c) in enumerate(zip(paths, cards, strict=True)):
                bound = not_after if i == 0 else None
                rows.append(Row(_expand(cls), path, *_CARDINALITY[c.strip()], value, bound))
        override = re.search(r"\((\S+) for ([^)]*)\)", card)
        if override:
            for name in override[2].split(", "):
                rows.append(Row(KGT[name], paths[0], *_CARDINALITY[override[1]], value))
    return rows


def path_key(prop: Node) -> str:
    """A property shape's path as text: the predicate IRI, "^" in front for an inverse path."""
    shapes = shapes_graph()
    path = shapes.value(prop, SH.path)
    if isinstance(path, BNode):
        return "^" + str(shapes.value(path, SH.inversePath))
    return str(path)


def row_key(path: str) -> str:
    return ("^" if path.startswith("^") else "") + str(_expand(path))


def property_shape(cls: URIRef, path: str) -> Node:
    props = shapes_graph().objects(node_shapes()[cls], SH.property)
    matches = [prop for prop in props if path_key(prop) == row_key(path)]
    assert len(matches) == 1, f"{cls}: expected one property shape for {path}, got {matches}"
    return matches[0]


ROWS = data_model_rows()


def test_data_model_tables_were_read() -> None:
    """Guards the parser below: a reformatted table must not make the next test vacuous."""
    assert len(ROWS) > 90
    assert {row.cls for row in ROWS} | {KGT.TrackedItem, KGT.Site} == set(node_shapes())


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.cls.removeprefix(vocab.KGT_NS)}:{r.path}")
def test_shape_enforces_data_model_row(row: Row) -> None:
    shapes = shapes_graph()
    prop = property_shape(row.cls, row.path)

    def value(parameter: str) -> Node | None:
        return shapes.value(prop, SH[parameter])

    min_count, max_count = value("minCount"), value("maxCount")
    assert (min_count.toPython() if isinstance(min_count, Literal) else 0) == row.min
    assert (max_count.toPython() if isinstance(max_count, Literal) else None) == row.max
    text = row.value
    if text.startswith("`") and " and " not in text:
        term = _expand(_TICKED.findall(text)[0])
        assert value("datatype" if term.startswith(vocab.XSD_NS) else "class") == term
    if text.startswith("IRI in `unit:`"):
        assert (value("nodeKind"), str(value("pattern"))) == (SH.IRI, UNIT_PATTERN)
    elif "IRI" in text:
        assert value("nodeKind") == SH.IRI
    if text.startswith('"'):
        members = Collection(shapes, value("in"))
        assert {str(m) for m in members} == set(re.findall(r'"([^"]+)"', text))
    for operator, parameter in ((">=", "minInclusive"), (">", "minExclusive")):
        bound = re.search(operator + r"\s*(-?\d+)", text)
        if bound:
            assert Decimal(str(value(parameter))) == Decimal(bound[1])
            break
    if row.not_after is not None:
        assert value("lessThanOrEquals") == _expand(row.not_after)


def test_shapes_have_no_rows_beyond_the_data_model() -> None:
    """Exactly the table: each shaped path is a row of the class or of a superclass."""
    paths_by_class: dict[Node, set[str]] = {}
    for row in ROWS:
        paths_by_class.setdefault(row.cls, set()).add(row_key(row.path))
    shapes, ontology = shapes_graph(), ontology_graph()
    for cls, shape in node_shapes().items():
        allowed = {str(KGT.sourceLocation)}  # "may stand on any entity"
        for sup in ontology.transitive_objects(cls, RDFS.subClassOf):
            allowed |= paths_by_class.get(sup, set())
        for prop in shapes.objects(shape, SH.property):
            assert path_key(prop) in allowed, f"{prop} is not in docs/data-model.md for {cls}"
