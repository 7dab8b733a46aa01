"""Every XML parse in kgthread goes through defusedxml, and DOCTYPEs are refused.

The source is read as syntax trees: no module may import the standard library's XML parsers
(minidom, pulldom, sax, expat) or lxml, nor call a parsing function of
``xml.etree.ElementTree``; its element types (``Element``, ``TreeBuilder``, ``ParseError``)
are fine, they parse nothing. Then each XML reader is shown refusing a DOCTYPE bomb.
"""

from __future__ import annotations

import ast
import io
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat

import kgthread
from kgthread.errors import MesInputError, NodesetError, RdfSyntaxError
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.mes import b2mml
from kgthread.ingest.rdf_files import MAX_XML_DEPTH, parse_triples
from kgthread.ingest.sensors.adapter import NodesetAdapter
from kgthread.ingest.sensors.nodeset import read_nodeset

SRC = Path(kgthread.__file__).resolve().parent
FORBIDDEN_MODULES = (
    "xml.dom",
    "xml.sax",
    "xml.parsers",
    "xmlrpc",
    "lxml",
    "pyexpat",
    "xml.etree.cElementTree",
)
PARSING_CALLS = {"parse", "iterparse", "fromstring", "fromstringlist", "XML", "XMLID"}
PARSING_CLASSES = {"XMLParser", "XMLPullParser"}
ETREE = "xml.etree.ElementTree"

BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
)


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _violations(path: Path, root: Path = SRC) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    etree_names: set[str] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(FORBIDDEN_MODULES):
                    found.append(f"line {node.lineno}: import {alias.name}")
                if alias.name == ETREE:
                    etree_names.add(alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = {a.name for a in node.names}
            if node.module.startswith(FORBIDDEN_MODULES) or (
                node.module == "xml" and names & {"dom", "sax", "parsers"}
            ):
                found.append(f"line {node.lineno}: from {node.module} import ...")
            if node.module == ETREE and names & (PARSING_CALLS | PARSING_CLASSES):
                found.append(f"line {node.lineno}: from {ETREE} import a parser")
            if node.module == "xml.etree" and "ElementTree" in names:
                etree_names.add("ElementTree")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in PARSING_CALLS | PARSING_CLASSES
            and ast.unparse(node.value) in etree_names
        ):
            found.append(f"line {node.lineno}: {ast.unparse(node)} (stdlib ElementTree parser)")
    return [f"{path.relative_to(root)}: {v}" for v in found]


def test_no_module_parses_xml_without_defusedxml() -> None:
    modules = _modules()
    assert len(modules) > 50
    problems = [v for path in modules for v in _violations(path)]
    assert problems == []


def test_the_scan_catches_a_direct_parse(tmp_path: Path) -> None:
    """The scan itself can fail: each way of reaching a stdlib parser is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import xml.etree.ElementTree as ET\n"
        "from xml.dom import minidom\n"
        "import xml.sax\n"
        "from xml.etree.ElementTree import fromstring\n"
        "ET.parse('x')\n"
        "ET.XMLParser()\n"
        "ET.Element('ok')\n",
        "utf-8",
    )
    found = _violations(bad, tmp_path)
    assert len(found) == 5, found


def test_xml_readers_import_defusedxml() -> None:
    uses = [p for p in _modules() if "defusedxml" in p.read_text("utf-8")]
    names = {p.name for p in uses}
    assert {"xmlstream.py", "nodeset.py"} <= names


def test_b2mml_bomb_is_refused_with_the_line() -> None:
    document = BOMB + b'<a xmlns="http://www.mesa.org/xml/B2MML">&lol2;</a>'
    with pytest.raises(MesInputError, match="refused") as info:
        list(b2mml.read(io.BytesIO(document), "bomb.xml"))
    assert info.value.detail["line"] == 2


def test_nodeset_doctype_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.NodeSet2.xml"
    path.write_bytes(BOMB + b"<UANodeSet>&lol2;</UANodeSet>")
    with pytest.raises(NodesetError, match="refused"):
        read_nodeset(path)


RDF_BODY = (
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://ex/">'
    b'<rdf:Description rdf:about="http://ex/s"><ex:p>&lol2;</ex:p></rdf:Description></rdf:RDF>'
)


@pytest.mark.parametrize(
    ("prefix", "line"),
    [
        (b"", 2),
        (b'<?xml version="1.0"?>\n<!--' + b"x" * 100_000 + b"-->\n", 4),
        (b"\n" * 5, 7),
    ],
    ids=["at-the-start", "after-a-100kB-comment", "after-blank-lines"],
)
def test_rdf_xml_with_a_doctype_is_refused_wherever_it_stands(prefix: bytes, line: int) -> None:
    """Only the first 64 KiB used to be searched, and pyoxigraph expands internal entities,
    so a DOCTYPE after a long comment got through and was expanded."""
    document = prefix + BOMB.replace(b"<!DOCTYPE", b"<!doctype") + RDF_BODY
    with pytest.raises(RdfSyntaxError, match="DOCTYPE is refused") as info:
        parse_triples(document, RdfFormat.RDF_XML, "bomb.rdf")
    assert info.value.detail["line"] == line
    assert info.value.message.startswith(f"bomb.rdf: line {line}, column 1: ")


def test_rdf_xml_without_a_doctype_still_parses() -> None:
    document = RDF_BODY.replace(b"&lol2;", b"plain")
    assert len(parse_triples(document, RdfFormat.RDF_XML, "ok.rdf")) == 1


@pytest.mark.parametrize("name", ["..", "", "."])
def test_a_nodeset_upload_name_is_only_a_label(name: str) -> None:
    """An upload named ``..`` or nothing used to be written onto a directory (a 500)."""
    with pytest.raises(NodesetError, match="root element"):
        NodesetAdapter().upload(name, b"<NotANodeSet/>", IngestOptions())


def test_a_nodeset_with_an_undecodable_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "odd.NodeSet2.xml"
    path.write_bytes(b'<?xml version="1.0" encoding="ttf-8"?><UANodeSet/>')
    with pytest.raises(NodesetError, match="cannot read the XML"):
        read_nodeset(path)


def _nested_rdf_xml(levels: int) -> bytes:
    """RDF/XML whose description nests ``levels`` property/node pairs (two elements each)."""
    step = b"<ex:p><rdf:Description>"
    close = b"</rdf:Description></ex:p>"
    return (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://a/">'
        b'\n<rdf:Description rdf:about="http://a/s">\n'
        + step * levels
        + close * levels
        + b"</rdf:Description></rdf:RDF>"
    )


@pytest.mark.parametrize("levels", [70, 20_000, 200_000])
def test_deeply_nested_rdf_xml_is_refused_before_oxigraph(levels: int) -> None:
    """Oxigraph's RDF/XML parser takes time quadratic in the nesting (20,000 levels, 1 MB:
    5 s; 200,000 levels did not finish in a minute): the depth is checked first."""
    with pytest.raises(RdfSyntaxError, match=f"nested deeper than {MAX_XML_DEPTH}") as info:
        parse_triples(_nested_rdf_xml(levels), RdfFormat.RDF_XML, "deep.rdf")
    assert info.value.detail["line"] == 3


def test_rdf_xml_nested_within_the_limit_parses() -> None:
    levels = MAX_XML_DEPTH // 2 - 2
    assert len(parse_triples(_nested_rdf_xml(levels), RdfFormat.RDF_XML, "ok.rdf")) == levels
