"""Product identity where the file does not give a usable one (blank or repeated PRODUCT ids),
external references by file name, header strings as CAD systems write them, and text in
other encodings: each read the documented way, with a warning, or refused."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from ingest.step import corpus
from ingest.step.truth import graph_structure, step_dir
from kgthread import ids
from kgthread.errors import BadRequest, StepSyntaxError
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.step.adapter import StepAdapter
from kgthread.store.embedded import EmbeddedStore

OPTIONS = IngestOptions(agent="test")
FAILSAFE = IngestOptions(agent="test", strict=False)
HEADER = (
    "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION((''),'2;1');\n"
    "FILE_NAME({name},'2020-01-24T16:03:21',(''),(''),'','Alibre Design','');\n"
    "FILE_SCHEMA(('AUTOMOTIVE_DESIGN_CC1 {{ 1 2 10303 214 -1 1 3 2 }}'));\nENDSEC;\nDATA;\n"
    "#1=APPLICATION_CONTEXT('');\n#2=PRODUCT_CONTEXT('',#1,'mechanical');\n"
    "#3=PRODUCT_DEFINITION_CONTEXT('',#1,'design');\n"
)


def step(products: list[tuple[int, str, str]], usages: list[tuple[int, int]], name: str) -> str:
    """A file with ``products`` (#id, id, name) and ``usages`` (parent #id, child #id): each
    product N has formation N+1 and definition N+2."""
    lines = [HEADER.format(name=name)]
    for number, pid, label in products:
        lines.append(f"#{number}=PRODUCT('{pid}','{label}','',(#2));")
        lines.append(f"#{number + 1}=PRODUCT_DEFINITION_FORMATION('','',#{number});")
        lines.append(f"#{number + 2}=PRODUCT_DEFINITION('design','',#{number + 1},#3);")
    for i, (parent, child) in enumerate(usages):
        lines.append(
            f"#{9000 + i}=NEXT_ASSEMBLY_USAGE_OCCURRENCE('{i}','','',#{parent + 2},#{child + 2},$);"
        )
    return "\n".join(lines) + "\nENDSEC;\nEND-ISO-10303-21;\n"


def write(tmp_path: Path, name: str, text: str, encoding: str = "ascii") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# An Alibre-like assembly: the top assembly has a blank id and a name, one sub-assembly has
# neither; 9 parts and 11 usages in all.
ALIBRE = [
    (10, "", "Gearbox"),
    (20, "", ""),
    (30, "SHAFT-1", "Shaft"),
    (40, "GEAR-1", "Gear"),
    (50, "GEAR-2", "Gear"),
    (60, "BEARING", "Bearing"),
    (70, "HOUSING", "Housing"),
    (80, "SCREW", "Screw"),
    (90, "COVER", "Cover"),
]
ALIBRE_USAGES = [
    (10, 20),
    (10, 70),
    (10, 90),
    (10, 80),
    (10, 80),
    (10, 80),
    (20, 30),
    (20, 40),
    (20, 50),
    (20, 60),
    (20, 60),
]


def test_blank_ids_keep_the_whole_assembly(
    tmp_path: Path,
    adapter: StepAdapter,
    pipeline: Pipeline,
    store: EmbeddedStore,
    messages: list[str],
) -> None:
    path = write(tmp_path, "gearbox.stp", step(ALIBRE, ALIBRE_USAGES, "'gearbox.stp'"))
    batch = next(adapter.batches([path], OPTIONS))
    assert pipeline.ingest(batch).status == "committed"
    found = graph_structure(store, batch.graph)
    assert len(found.parts) == 9
    assert found.usages == 11
    assert "Gearbox" in found.parts, "a blank id is named from the product's name"
    assert "gearbox.stp #20" in found.parts, "no name either: the file and the #id"
    assert found.edges["Gearbox", "gearbox.stp #20"] == 1
    assert found.edges["gearbox.stp #20", "BEARING"] == 2
    assert found.depth == 3
    warnings = [m for m in messages if "blank id" in m]
    assert len(warnings) == 2
    assert "gearbox.stp line" in warnings[0]
    assert "#10" in warnings[0]


def test_the_same_file_names_blank_ids_the_same_way_twice(
    tmp_path: Path, adapter: StepAdapter
) -> None:
    path = write(tmp_path, "gearbox.stp", step(ALIBRE, ALIBRE_USAGES, "'gearbox.stp'"))
    first = next(adapter.batches([path], OPTIONS))
    again = next(adapter.batches([path], OPTIONS))
    assert set(first.triples) == set(again.triples)


# CATIA V4 writes one id for every product: without care, the assembly uses itself.
CATIA = [(10, "the product name", "the product name")] + [
    (n, "the product name", "the product name") for n in (20, 30, 40)
]
CATIA_USAGES = [(10, 20), (10, 30), (20, 40), (20, 40), (30, 40)]


def test_repeated_ids_stay_distinct_parts_without_a_cycle(
    tmp_path: Path,
    adapter: StepAdapter,
    pipeline: Pipeline,
    store: EmbeddedStore,
    messages: list[str],
) -> None:
    path = write(tmp_path, "v4.stp", step(CATIA, CATIA_USAGES, "'v4.stp'"))
    batch = next(adapter.batches([path], OPTIONS))
    assert pipeline.ingest(batch).status == "committed"
    found = graph_structure(store, batch.graph)
    top = "the product name"
    assert found.parts == {top, f"{top} #20", f"{top} #30", f"{top} #40"}
    assert found.usages == 5
    assert not corpus.cyclic(found.edges)
    assert corpus.exploded(found.edges) == {
        top: {f"{top} #20": 1, f"{top} #30": 1, f"{top} #40": 3}
    }
    assert len([m for m in messages if "is also the id of #10" in m]) == 3


def test_catia_v4_file_with_nine_products_of_one_id_has_no_cycle() -> None:
    """The corpus's CATIA V4 file: nine PRODUCTs, one id; the reader merged them into a part
    that contains itself (a BOM explosion that never ends)."""
    reference = corpus.expected()["tr10_r0901_ec.stp"]
    found = corpus.read("tr10_r0901_ec.stp")
    assert len(found.parts) == reference["products"] == 9
    assert sum(found.edges.values()) == reference["usages"] == 13
    assert not corpus.cyclic(found.edges)
    assert corpus.cyclic(found.folded().edges), "merged by id, the structure would be a cycle"
    assert sum(sum(bom.values()) for bom in corpus.exploded(found.edges).values()) < 100


def test_a_crosswalk_that_joins_parent_and_child_is_refused_as_a_cycle(
    tmp_path: Path, messages: list[str]
) -> None:
    table = tmp_path / "crosswalk.csv"
    table.write_text("cad_id,part_number\nGEAR-1,P-1\nGEAR-2,P-1\nSHAFT-1,P-1\n", "utf-8")
    products = [(10, "GEAR-1", "g"), (20, "GEAR-2", "g"), (30, "SHAFT-1", "s")]
    path = write(tmp_path, "g.stp", step(products, [(10, 20), (20, 30)], "'g.stp'"))
    adapter = StepAdapter(progress=messages.append)
    options = IngestOptions(agent="test", extra={"crosswalk": str(table)})
    batch = next(adapter.batches([path], options))
    found = corpus.structure(batch.triples, messages)
    assert not found.edges, "P-1 in P-1 would be a self-use"
    assert len([m for m in messages if "contain itself" in m]) == 2


def test_windows_paths_in_the_header_are_read_as_written(
    tmp_path: Path, adapter: StepAdapter
) -> None:
    header_name = r"'C:\Users\design\Gearbox v2\gearbox.stp'"
    path = write(tmp_path, "gearbox.stp", step(ALIBRE, ALIBRE_USAGES, header_name))
    batch = next(adapter.batches([path], OPTIONS))
    assert len(corpus.structure(batch.triples, []).parts) == 9


def test_a_bad_escape_in_data_is_still_refused(tmp_path: Path, adapter: StepAdapter) -> None:
    products = [(10, r"C:\Users\x", "n")]
    path = write(tmp_path, "p.stp", step(products, [], "'p.stp'"))
    with pytest.raises(StepSyntaxError) as caught:
        list(adapter.batches([path], OPTIONS))
    assert caught.value.detail["line"] == 12
    assert caught.value.detail["entity"] == "#10"


CYRILLIC = [(10, "СБОРКА-1", "Редуктор"), (20, "ВАЛ-1", "Вал"), (30, "ВАЛ-2", "Вал")]


@pytest.mark.parametrize("options", [OPTIONS, FAILSAFE], ids=["strict", "failsafe"])
def test_legacy_code_page_is_refused_without_its_name(
    tmp_path: Path, adapter: StepAdapter, options: IngestOptions
) -> None:
    text = step(CYRILLIC, [(10, 20), (10, 30)], "'r.stp'")
    path = write(tmp_path, "r.stp", text, "cp1251")
    with pytest.raises(StepSyntaxError) as caught:
        list(adapter.batches([path], options))
    assert "r.stp: line 12" in caught.value.message
    assert "encoding=" in caught.value.message


def test_legacy_code_page_named_reads_distinct_part_numbers(
    tmp_path: Path, adapter: StepAdapter
) -> None:
    text = step(CYRILLIC, [(10, 20), (10, 30)], "'r.stp'")
    path = write(tmp_path, "r.stp", text, "cp1251")
    options = IngestOptions(agent="test", strict=False, extra={"encoding": "cp1251"})
    found = corpus.structure(next(adapter.batches([path], options)).triples, [])
    assert found.parts == ("ВАЛ-1", "ВАЛ-2", "СБОРКА-1")
    assert not any("\ufffd" in part for part in found.parts)
    assert sum(found.edges.values()) == 2


def test_an_unknown_encoding_name_is_a_bad_request(tmp_path: Path, adapter: StepAdapter) -> None:
    path = write(tmp_path, "p.stp", step(ALIBRE, [], "'p.stp'"))
    with pytest.raises(BadRequest):
        list(adapter.batches([path], IngestOptions(agent="t", extra={"encoding": "klingon"})))


def test_external_references_by_file_name_make_one_batch(
    adapter: StepAdapter, pipeline: Pipeline, store: EmbeddedStore, messages: list[str]
) -> None:
    """CAx-IF xr1: the assembly names each part file through an EXTERNAL_SOURCE assigned to
    its DOCUMENT_FILE (whose own id is '#66'); given together, they are one structure."""
    folder = step_dir() / "occt-corpus"
    names = ["trj4_xr1-tc-214.stp"] + [
        f"xr1-tc-{p}.stp" for p in ("blt", "lbr", "nut", "plt", "rod")
    ]
    batches = list(adapter.batches([folder / n for n in names], OPTIONS))
    assert len(batches) == 1
    assert not [m for m in messages if "was not given" in m]
    assert pipeline.ingest(batches[0]).status == "committed"
    found = graph_structure(store, batches[0].graph)
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    ids_found = sorted(found.parts)
    assert ids_found == sorted(set().union(*(expected[n]["product_ids"] for n in names)))
    assert found.usages == expected["trj4_xr1-tc-214.stp"]["usages"]
    assert corpus.exploded(Counter(found.edges)) == expected["trj4_xr1-tc-214.stp"]["exploded"]
    # the part files' own definitions land on the same part IRIs
    assert ids.part("l-bracket") in {ids.part(p) for p in found.parts}


def test_the_assembly_alone_names_the_missing_part_files(
    adapter: StepAdapter, messages: list[str]
) -> None:
    path = step_dir() / "occt-corpus" / "trj4_xr1-tc-214.stp"
    list(adapter.batches([path], OPTIONS))
    missing = sorted(m for m in messages if "was not given" in m)
    assert len(missing) == 5
    assert "xr1-tc-lbr.stp, which was not given" in " ".join(missing)
    assert "#66" not in " ".join(missing)


def test_failsafe_that_leaves_no_product_is_an_error(tmp_path: Path, adapter: StepAdapter) -> None:
    text = step(ALIBRE[:2], [], "'p.stp'")
    text = text.replace("#10=PRODUCT('','Gearbox','',(#2));", "#10=PRODUCT('',,'',(#2));")
    text = text.replace("#20=PRODUCT('','','',(#2));", "#20=PRODUCT('','',(#2);")
    path = write(tmp_path, "p.stp", text)
    with pytest.raises(StepSyntaxError) as caught:
        list(adapter.batches([path], FAILSAFE))
    assert "nothing left to ingest" in caught.value.message
    assert caught.value.detail["entity"] == "#10"
