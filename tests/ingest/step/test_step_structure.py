"""Assembly usages from a hand-written file with what real exports do now and then: one
usage id repeated under one parent (each occurrence stays its own usage) and a quantified
usage (its quantity, not 1, is what the BOM adds up)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pyoxigraph import NamedNode

from ingest.step.truth import graph_structure
from kgthread import ids, vocab
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.step.adapter import StepAdapter
from kgthread.store.embedded import EmbeddedStore

HEADER = (
    "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION((''),'2;1');\n"
    "FILE_NAME('asm.stp','2024-01-01T00:00:00',(''),(''),'','','');\n"
    "FILE_SCHEMA(('AUTOMOTIVE_DESIGN { 1 0 10303 214 1 1 1 1 }'));\nENDSEC;\nDATA;\n"
)
CONTEXT = (
    "#100=APPLICATION_CONTEXT('design');\n"
    "#101=PRODUCT_CONTEXT('',#100,'mechanical');\n"
    "#102=PRODUCT_DEFINITION_CONTEXT('part definition',#100,'design');\n"
)


def _product(first: int, number: str) -> str:
    return (
        f"#{first}=PRODUCT('{number}','{number}','',(#101));\n"
        f"#{first + 1}=PRODUCT_DEFINITION_FORMATION('A','',#{first});\n"
        f"#{first + 2}=PRODUCT_DEFINITION('design','',#{first + 1},#102);\n"
    )


USAGES = (
    # the same id '1' three times under one parent; the third repeats the name too
    "#30=NEXT_ASSEMBLY_USAGE_OCCURRENCE('1','bolt','',#3,#13,'B1');\n"
    "#31=NEXT_ASSEMBLY_USAGE_OCCURRENCE('1','bolt-2','',#3,#13,'B2');\n"
    "#32=NEXT_ASSEMBLY_USAGE_OCCURRENCE('1','bolt','',#3,#13,$);\n"
    # four nuts as one quantified usage
    "#40=QUANTIFIED_ASSEMBLY_COMPONENT_USAGE('2','nuts','',#3,#23,$,#41);\n"
    "#41=MEASURE_WITH_UNIT(COUNT_MEASURE(4.),#42);\n"
    "#42=CONTEXT_DEPENDENT_UNIT(#43,'pieces');\n"
    "#43=DIMENSIONAL_EXPONENTS(0.,0.,0.,0.,0.,0.,0.);\n"
)


def _file(tmp_path: Path) -> Path:
    body = CONTEXT + _product(1, "ASM") + _product(11, "BOLT") + _product(21, "NUT") + USAGES
    path = tmp_path / "asm.stp"
    path.write_text(HEADER + body + "ENDSEC;\nEND-ISO-10303-21;\n", encoding="utf-8")
    return path


def test_repeated_ids_stay_separate_usages_and_quantities_add_up(
    adapter: StepAdapter, pipeline: Pipeline, store: EmbeddedStore, tmp_path: Path
) -> None:
    batch = next(adapter.batches([_file(tmp_path)], IngestOptions(agent="test")))
    assert pipeline.ingest(batch).status == "committed"
    graph = NamedNode(ids.batch_graph(batch.id).value)
    structure = graph_structure(store, graph)
    assert structure.parts == {"ASM", "BOLT", "NUT"}
    assert structure.edges == Counter({("ASM", "BOLT"): 3, ("ASM", "NUT"): 4})
    usages = {q.subject for q in store.quads(None, vocab.RDF_TYPE, vocab.ASSEMBLY_USAGE, graph)}
    assert len(usages) == 4
    designators = sorted(
        q.object.value for q in store.quads(None, vocab.REFERENCE_DESIGNATOR, None, graph)
    )
    assert designators == ["B1", "B2"]
    quantities = sorted(q.object.value for q in store.quads(None, vocab.QUANTITY, None, graph))
    assert [float(q) for q in quantities] == [1.0, 1.0, 1.0, 4.0]
