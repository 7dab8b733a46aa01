"""Hand-made designs and units for the reasoning tests: revisions with one BOM line each,
as triples or as Turtle that passes the shapes (TOP holds MID holds LEAF)."""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode, Triple

from kgthread import ids, vocab


def design(part: str, revision: str, child: str, quantity: str) -> list[Triple]:
    """A part revision whose BOM uses ``quantity`` of ``child`` (whose revision A exists)."""
    rev, child_part, usage = (
        ids.part_revision(part, revision),
        ids.part(child),
        ids.assembly_usage(part, revision, "U1"),
    )
    return [
        Triple(ids.part(part), vocab.RDF_TYPE, vocab.PART),
        Triple(rev, vocab.RDF_TYPE, vocab.PART_REVISION),
        Triple(rev, vocab.REVISION_OF, ids.part(part)),
        Triple(child_part, vocab.RDF_TYPE, vocab.PART),
        Triple(ids.part_revision(child, "A"), vocab.RDF_TYPE, vocab.PART_REVISION),
        Triple(ids.part_revision(child, "A"), vocab.REVISION_OF, child_part),
        Triple(usage, vocab.RDF_TYPE, vocab.ASSEMBLY_USAGE),
        Triple(usage, vocab.USAGE_PARENT, rev),
        Triple(usage, vocab.USAGE_CHILD, child_part),
        Triple(usage, vocab.QUANTITY, Literal(quantity, datatype=vocab.XSD_DECIMAL)),
    ]


def unit(part: str, revision: str, serial: str, made: str | None = None) -> list[Triple]:
    node = ids.unit(part, serial)
    triples = [
        Triple(node, vocab.RDF_TYPE, vocab.SERIALIZED_UNIT),
        Triple(node, vocab.UNIT_OF_REVISION, ids.part_revision(part, revision)),
    ]
    if made is not None:
        op = ids.operation("WO-" + serial, "0010")
        triples += [
            Triple(node, vocab.PROV_WAS_GENERATED_BY, op),
            Triple(op, vocab.PROV_STARTED_AT, Literal(made, datatype=vocab.XSD_DATETIME)),
        ]
    return triples


KGT = vocab.KGT_NS
DESIGN = f"""
@prefix kgt: <{KGT}> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{ids.part("TOP").value}> a kgt:Part ; kgt:partNumber "TOP" .
<{ids.part("MID").value}> a kgt:Part ; kgt:partNumber "MID" .
<{ids.part("LEAF").value}> a kgt:Part ; kgt:partNumber "LEAF" .
<{ids.part_revision("TOP", "A").value}> a kgt:PartRevision ;
    kgt:revisionOf <{ids.part("TOP").value}> ; kgt:revisionCode "A" .
<{ids.part_revision("MID", "A").value}> a kgt:PartRevision ;
    kgt:revisionOf <{ids.part("MID").value}> ; kgt:revisionCode "A" .
<{ids.part_revision("LEAF", "A").value}> a kgt:PartRevision ;
    kgt:revisionOf <{ids.part("LEAF").value}> ; kgt:revisionCode "A" .
<{ids.assembly_usage("TOP", "A", "U1").value}> a kgt:AssemblyUsage ;
    kgt:usageParent <{ids.part_revision("TOP", "A").value}> ;
    kgt:usageChild <{ids.part("MID").value}> ; kgt:quantity "1"^^xsd:decimal .
<{ids.assembly_usage("MID", "A", "U1").value}> a kgt:AssemblyUsage ;
    kgt:usageParent <{ids.part_revision("MID", "A").value}> ;
    kgt:usageChild <{ids.part("LEAF").value}> ; kgt:quantity "1"^^xsd:decimal .
"""
TOP, MID, LEAF = ids.unit("TOP", "1"), ids.unit("MID", "1"), ids.unit("LEAF", "1")


def unit_ttl(node: NamedNode, part: str, serial: str, component: NamedNode | None) -> str:
    link = f" ; kgt:hasComponent <{component.value}>" if component else ""
    return (
        f"<{node.value}> a kgt:SerializedUnit ; kgt:serialNumber {serial!r} ;"
        f" kgt:unitOfRevision <{ids.part_revision(part, 'A').value}>{link} .\n"
    ).replace("'", '"')


BUILT = f"@prefix kgt: <{KGT}> .\n" + "".join(
    [
        unit_ttl(TOP, "TOP", "1", MID),
        unit_ttl(MID, "MID", "1", LEAF),
        unit_ttl(LEAF, "LEAF", "1", None),
    ]
)
