"""The Part 21 reader on the syntax real files use: header, complex instances, typed values,
string encodings, comments and line breaks anywhere, forward references; strict and failsafe."""

from __future__ import annotations

import io

import pytest

from kgthread.errors import StepSyntaxError
from kgthread.ingest.step import schemas, strings
from kgthread.ingest.step.part21 import Reader
from kgthread.ingest.step.values import DERIVED, Binary, Enum, Instance, Ref, Typed

HEADER = (
    "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('a test'),'2;1');\n"
    "FILE_NAME('t.stp','2020-01-24T16:03:21+01:00',('Ann','Bob'),('ACME'),'pre','CAD 9','');\n"
    "FILE_SCHEMA(('AP242_MANAGED_MODEL_BASED_3D_ENGINEERING_MIM_LF { 1 0 10303 442 3 1 4 }'));\n"
    "ENDSEC;\n"
)


def read(data: str | bytes, *, strict: bool = True) -> tuple[Reader, dict[int, Instance]]:
    raw = data.encode() if isinstance(data, str) else data
    reader = Reader(io.BytesIO(raw), "t.stp", strict=strict, chunk_size=7)
    found = {i.id: i for i in reader.instances()}
    return reader, found


def doc(*lines: str) -> str:
    return HEADER + "DATA;\n" + "\n".join(lines) + "\nENDSEC;\nEND-ISO-10303-21;\n"


def test_header_fields_and_schema() -> None:
    reader, _ = read(doc("#1=PRODUCT('p','n','',());"))
    header = reader.header
    assert header.authors == ("Ann", "Bob")
    assert header.organizations == ("ACME",)
    assert header.originating_system == "CAD 9"
    assert header.time_stamp == "2020-01-24T16:03:21+01:00"
    assert header.schema is not None
    assert header.schema.label == "AP242 ed2"


@pytest.mark.parametrize(
    ("declared", "label"),
    [
        ("CONFIG_CONTROL_DESIGN", "AP203 ed1"),
        (
            "AP203_CONFIGURATION_CONTROLLED_3D_DESIGN_OF_MECHANICAL_PARTS_AND_ASSEMBLIES_MIM_LF"
            " { 1 0 10303 403 3 1 4}",
            "AP203 ed2",
        ),
        ("AUTOMOTIVE_DESIGN { 1 0 10303 214 1 1 1 1 }", "AP214 ed1"),
        ("AP242_MANAGED_MODEL_BASED_3D_ENGINEERING_MIM_LF {1 0 10303 442 1 1 4 }", "AP242 ed1"),
        ("ap242_managed_model_based_3d_engineering_mim_lf { 1 0 10303 442 3 1 4 }", "AP242 ed2"),
        # variants real CAD exports write (Open CASCADE corpus, CAx-IF rounds)
        ("AUTOMOTIVE_DESIGN_CC1 { 1 2 10303 214 -1 1 3  2}", "AP214"),
        ("AUTOMOTIVE_DESIGN_CC2 { 1 2 10303 214 -1 1 5 4 }", "AP214"),
        ("AUTOMOTIVE_DESIGN_CC02 { 1 0 10303 214 -2 1 4 2 }", "AP214"),
        ("AUTOMOTIVE_DESIGN_CC04 { 1 0 10303 214 -2 1 6 1 }", "AP214"),
        ("AUTOMOTIVE_DESIGN_CC6 { 1 2 10303 214 -1 1 13 1 }", "AP214"),
        ("automotive_design", "AP214"),
        ("AP214_AUTOMOTIVE_DESIGN_MIM_LF { 1 0 10303 214 3 1 1 }", "AP214 ed3"),
        ("CCD_CLA_GVP_AST", "AP203 ed1"),
        ("ccd_cla_cvp_ast", "AP203 ed1"),
        ("CCD_CLA_GVP_AST_ASD", "AP203 ed1"),
        (
            "AP203_CONFIGURATION_CONTROLLED_3D_DESIGN_OF_MECHANICAL_PARTS_AND_ASSEMBLIES",
            "AP203 ed2",
        ),
        ("MANAGED_MODEL_BASED_3D_ENGINEERING_MIM_LF { 1 0 10303 442 4 1 4 }", "AP242 ed3"),
        ("AP242_MANAGED_MODEL_BASED_3D_ENGINEERING", "AP242"),
    ],
)
def test_schema_detection(declared: str, label: str) -> None:
    schema = schemas.detect((declared,))
    assert schema is not None
    assert schema.label == label


def test_secondary_schemas_do_not_hide_the_protocol() -> None:
    schema = schemas.detect(("GEOMETRIC_VALIDATION_PROPERTIES_MIM", "AUTOMOTIVE_DESIGN_CC2"))
    assert schema is not None
    assert schema.protocol == "AP214"


@pytest.mark.parametrize(
    "declared",
    [
        "STRUCTURAL_ANALYSIS_DESIGN",  # AP209 ed1
        "CONSTRUCTION_HISTORY_SCHEMA",
        "IFC2X3",
        "AUTOMOTIVE_DESIGN_EXTENDED",
        "GEOMETRIC_VALIDATION_PROPERTIES_MIM",
        "CCD",
    ],
)
def test_other_schemas_are_not_mapped(declared: str) -> None:
    assert schemas.detect((declared,)) is None


def test_every_kind_of_parameter() -> None:
    _, found = read(
        doc(
            "#1=X('it''s',#2,(1.E+000,-2.5E-3,(3,4)),.T.,$,*,LENGTH_MEASURE(2.),\"0F3\",-7);",
            "#2=(A()B(1)C('x',.MILLI.));",
        )
    )
    params = found[1].records["X"]
    assert params == (
        "it's",
        Ref(2),
        (1.0, -0.0025, (3, 4)),
        Enum("T"),
        None,
        DERIVED,
        Typed("LENGTH_MEASURE", (2.0,)),
        Binary("0F3"),
        -7,
    )
    assert found[2].records == {"A": (), "B": (1,), "C": ("x", Enum("MILLI"))}
    assert found[2].complex


@pytest.mark.parametrize(
    ("literal", "text"),
    [
        ("'plain'", "plain"),
        ("'it''s'", "it's"),
        ("'back\\\\slash'", "back\\slash"),
        ("'\\S\\D'", "Ä"),
        ("'\\PB\\\\S\\D'", "Ä"),
        ("'\\X\\E9t\\X\\E9'", "été"),
        ("'\\X2\\03B103B2\\X0\\'", "αβ"),
        ("'\\X4\\0001F600\\X0\\'", "😀"),
        ("'mixed \\X2\\00C4\\X0\\ and UTF-8 ü'", "mixed Ä and UTF-8 ü"),
    ],
)
def test_string_encodings(literal: str, text: str) -> None:
    assert strings.decode(literal) == text


def test_comments_and_line_breaks_anywhere_and_forward_references() -> None:
    _, found = read(
        doc(
            "/* a comment; with a semicolon */ #10 /* here */ = /* and */ PRODUCT(",
            "'p;1' , /* inside */ 'n', '', ( #11 ) ) /* before */ ;",
            "#11=PRODUCT_CONTEXT('',#12,'m');",
            "#12=APPLICATION_CONTEXT('ctx /* not a comment */');",
        )
    )
    assert found[10].records["PRODUCT"] == ("p;1", "n", "", (Ref(11),))
    assert found[10].line == 8
    assert found[12].records["APPLICATION_CONTEXT"] == ("ctx /* not a comment */",)


def test_wanted_filter_keeps_only_what_the_mapping_reads() -> None:
    data = doc("#1=PRODUCT('p','n','',());", "#2=CARTESIAN_POINT('',(0.,0.,0.));")
    reader = Reader(io.BytesIO(data.encode()), "t.stp", wanted={"PRODUCT"}.__contains__)
    kept = list(reader.instances())
    assert [i.id for i in kept] == [1]
    assert reader.instance_count == 2


@pytest.mark.parametrize(
    ("lines", "fragment", "entity"),
    [
        (["#1=PRODUCT('p','n','',(#9));"], "reference to #9", "#1"),
        (["#1=CARTESIAN_POINT('',(0.,0.,0.)"], "but found 'ENDSEC'", "#1"),
        (["#1=CARTESIAN_POINT('',(0. 0.,0.));"], "malformed instance", "#1"),
        (["#1=CARTESIAN_POINT('',(0.,0.,0.)));"], "malformed instance", "#1"),
        (["#1=CARTESIAN_POINT('',(0.,0.,0.);"], "malformed instance", "#1"),
        (["#1=(A()B(1);"], "malformed instance", "#1"),
        (["#1=PRODUCT('p','n','',());", "#1=PRODUCT('q','n','',());"], "defined twice", "#1"),
        (["#1=PRODUCT('p','n','',()) @;"], "malformed instance", "#1"),
        (["1=PRODUCT('p','n','',());"], "unexpected statement", None),
    ],
)
def test_strict_errors_name_file_line_and_entity(
    lines: list[str], fragment: str, entity: str | None
) -> None:
    with pytest.raises(StepSyntaxError) as caught:
        read(doc(*lines))
    error = caught.value
    assert fragment in error.message
    assert error.detail["file"] == "t.stp"
    assert error.detail["line"] >= 7
    assert error.detail.get("entity") == entity
    assert error.status == 422
    assert error.exit_code == 2


def test_failsafe_skips_bad_instances_and_records_them() -> None:
    reader, found = read(
        doc("#1=PRODUCT('p','n','',());", "#2=PRODUCT('q' 'n');", "#3=PRODUCT('r','n','',(#99));"),
        strict=False,
    )
    assert set(found) == {1, 3}
    assert [p.entity for p in reader.problems] == [2, 3]
    assert "line 9, #2" in str(reader.problems[0])


def test_an_unknown_schema_is_refused() -> None:
    data = doc("#1=PRODUCT('p','n','',());").replace(
        "AP242_MANAGED_MODEL_BASED_3D_ENGINEERING_MIM_LF { 1 0 10303 442 3 1 4 }", "IFC4"
    )
    with pytest.raises(StepSyntaxError, match="unsupported schema in FILE_SCHEMA \\(IFC4\\)"):
        read(data)


def test_windows_path_in_file_name_is_read_as_written() -> None:
    raw = doc("#1=PRODUCT('p','n','',());").replace(
        "FILE_NAME('t.stp'", r"FILE_NAME('C:\Users\Design\S1\t.stp'"
    )
    reader, found = read(raw)
    assert reader.header.name == r"C:\Users\Design\S1\t.stp"
    assert 1 in found


def test_section_keywords_in_any_case_and_nul_padding() -> None:
    raw = (
        doc("#1=PRODUCT('p','n','',());")
        .replace("HEADER;", "Header;")
        .replace("ENDSEC;\nEND", "EndSec;\nEND")
    )
    reader, found = read(raw.encode() + b"\x00" * 20)
    assert 1 in found
    assert not reader.problems


def test_nul_inside_the_file_is_still_refused() -> None:
    with pytest.raises(StepSyntaxError, match="control character"):
        read(doc("#1=PRODUCT('p','n','',());", "\x00", "#2=PRODUCT('q','n','',());"))
