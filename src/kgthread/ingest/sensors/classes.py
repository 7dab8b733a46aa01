"""OPC UA ObjectTypes as OWL classes, so the reasoner can type machines by their model.

Each ObjectType of the imported NodeSet2 files becomes an ``owl:Class`` named by its
namespace URI and browse name (``http://opcfoundation.org/UA/MachineTool/MachineToolType``),
``rdfs:subClassOf`` the class of its supertype (HasSubtype, inverse), up to the core
``BaseObjectType``. Which of them are equipment is not in the files: the alignment
``ontology/opcua-equipment.ttl`` says so (``MachineToolType`` under ``kgt:Equipment``), and
every subtype a vendor model declares follows through the hierarchy. Each equipment
instance is typed with the class of its type definition as well as ``kgt:Equipment``.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyoxigraph import Literal, NamedNode, Triple

from kgthread import vocab
from kgthread.ingest.sensors.information import CORE_TYPE_NAMES, Findings, InformationModel
from kgthread.ingest.sensors.mapping import equipment_iri

CORE_NAMESPACE = "http://opcfoundation.org/UA/"
OWL_CLASS = NamedNode(vocab.OWL_NS + "Class")


def class_iri(model: InformationModel, node_id: str) -> NamedNode | None:
    """The class of an ObjectType: its namespace URI and browse name, or ``None`` when
    neither the files nor the core names know it."""
    node = model.nodes.get(node_id)
    if node is not None:
        namespace = node.namespace_uri or CORE_NAMESPACE
        return NamedNode(namespace.rstrip("/") + "/" + node.browse_name)
    name = CORE_TYPE_NAMES.get(node_id)
    return NamedNode(CORE_NAMESPACE + name) if name else None


def type_classes(model: InformationModel) -> list[Triple]:
    """Every ObjectType of ``model`` as a class under its supertype's class."""
    triples: list[Triple] = []
    for node in model.nodes.values():
        if node.node_class != "UAObjectType":
            continue
        cls = class_iri(model, node.node_id)
        if cls is None:
            continue
        triples += [
            Triple(cls, vocab.RDF_TYPE, OWL_CLASS),
            Triple(cls, vocab.RDFS_LABEL, Literal(node.browse_name)),
        ]
        for ref in node.references:
            if ref.kind == "HasSubtype" and not ref.forward:
                parent = class_iri(model, ref.target)
                if parent is not None:
                    triples.append(Triple(cls, vocab.RDFS_SUBCLASS_OF, parent))
    return triples


def classes_and_typing(
    model: InformationModel, findings: Findings, prefix: Sequence[str] = ()
) -> list[Triple]:
    """``type_classes`` and, for each equipment found, its type definition's class."""
    triples = type_classes(model)
    for item in findings.equipment:
        cls = class_iri(model, item.node.type_definition or "")
        if cls is not None:
            subject = equipment_iri((*prefix, *item.path))
            triples.append(Triple(subject, vocab.RDF_TYPE, cls))
    return triples
