"""The RDF adapter: Turtle, N-Triples, N-Quads, TriG, JSON-LD and RDF/XML into batches.

Small inputs are parsed here so that a syntax error is reported with file, line and column
before anything else happens; large triple files are handed to the store's bulk path whole.
Quads formats are flattened into the batch's one graph (a batch is one named graph).
RDF/XML with a DOCTYPE is refused: entity declarations are how XML bombs and external
entity reads get in, and no RDF needs them. The whole document is searched (a DOCTYPE may
follow any amount of comment) before the parser sees a byte. RDF/XML is also read once by
defusedxml to refuse elements nested deeper than :data:`MAX_XML_DEPTH`: Oxigraph's RDF/XML
parser takes time quadratic in the depth (20,000 levels, 1 MB, took 5 s).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from pyoxigraph import RdfFormat, Triple, parse

from kgthread.errors import RdfSyntaxError, UnsupportedFormat
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.batch import Batch, BulkFile, Source

ADAPTER = "rdf"
ADAPTER_VERSION = "1.0"

_EXTENSIONS = {
    "ttl": RdfFormat.TURTLE,
    "turtle": RdfFormat.TURTLE,
    "nt": RdfFormat.N_TRIPLES,
    "ntriples": RdfFormat.N_TRIPLES,
    "nq": RdfFormat.N_QUADS,
    "nquads": RdfFormat.N_QUADS,
    "trig": RdfFormat.TRIG,
    "jsonld": RdfFormat.JSON_LD,
    "json": RdfFormat.JSON_LD,
    "rdf": RdfFormat.RDF_XML,
    "owl": RdfFormat.RDF_XML,
    "xml": RdfFormat.RDF_XML,
}
_BULK_FORMATS = {RdfFormat.N_TRIPLES, RdfFormat.TURTLE}
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
MAX_XML_DEPTH = 128
"""Element nesting allowed in RDF/XML (real documents nest a few levels)."""


def format_of(path: Path, explicit: str | None = None) -> RdfFormat:
    """The RDF format named explicitly (media type or extension) or by the file's extension."""
    if explicit:
        by_media = RdfFormat.from_media_type(explicit)
        found = by_media or _EXTENSIONS.get(explicit.lower().lstrip("."))
        if found is None:
            raise UnsupportedFormat(f"unknown RDF format {explicit!r}", file=str(path))
        return found
    found = _EXTENSIONS.get(path.suffix.lower().lstrip("."))
    if found is None:
        known = ", ".join(sorted({"." + e for e in _EXTENSIONS}))
        raise UnsupportedFormat(
            f"{path.name}: cannot tell the RDF format from the extension {path.suffix!r} "
            f"(known: {known}; or pass --format)",
            file=str(path),
        )
    return found


def refuse_doctype(data: bytes, name: str) -> None:
    """Refuse an RDF/XML document that declares a DOCTYPE anywhere, naming its line."""
    found = _DOCTYPE.search(data)
    if found is not None:
        line = data.count(b"\n", 0, found.start()) + 1
        column = found.start() - (data.rfind(b"\n", 0, found.start()) + 1) + 1
        raise RdfSyntaxError(
            f"{name}: line {line}, column {column}: RDF/XML with a DOCTYPE is refused "
            "(entity declarations expand to unbounded text and can read local files; "
            "no RDF/XML document needs one)",
            file=name,
            line=line,
            column=column,
        )


class _TooDeep(Exception):
    pass


def refuse_deep_xml(data: bytes, name: str) -> None:
    """Refuse RDF/XML nested deeper than :data:`MAX_XML_DEPTH`, naming the line. Any other
    problem is left to Oxigraph, which reports it in its own words. Only the element handlers
    of defusedxml's expat parser are replaced (by counters, to keep the pass cheap: 0.26 s for
    6.5 MB, about half of Oxigraph's own parse); its DTD and entity guards stay."""
    parser = DefusedXMLParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    expat = parser.parser
    depth = 0

    def start(_name: str, _attributes: object) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_XML_DEPTH:
            raise _TooDeep

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    expat.StartElementHandler, expat.EndElementHandler = start, end
    expat.StartNamespaceDeclHandler = expat.EndNamespaceDeclHandler = None
    expat.CharacterDataHandler = None
    try:
        parser.feed(data)
    except _TooDeep:
        line, column = expat.CurrentLineNumber, expat.CurrentColumnNumber + 1
        raise RdfSyntaxError(
            f"{name}: line {line}, column {column}: RDF/XML nested deeper than "
            f"{MAX_XML_DEPTH} elements is refused",
            file=name,
            line=line,
            column=column,
        ) from None
    except (ET.ParseError, DefusedXmlException, LookupError, ValueError):
        return


def parse_triples(
    data: bytes, rdf_format: RdfFormat, name: str, base_iri: str | None = None
) -> list[Triple]:
    """Parse a whole document into triples (quads lose their graph name), or raise an
    :class:`RdfSyntaxError` naming the document, line and column."""
    if rdf_format == RdfFormat.RDF_XML:
        refuse_doctype(data, name)
        refuse_deep_xml(data, name)
    try:
        return [
            Triple(q.subject, q.predicate, q.object)
            for q in parse(data, format=rdf_format, base_iri=base_iri)
        ]
    except SyntaxError as exc:
        raise RdfSyntaxError(
            f"{name}: line {exc.lineno}, column {exc.offset}: {exc.msg or exc}",
            file=name,
            line=exc.lineno,
            column=exc.offset,
        ) from exc
    except ValueError as exc:
        raise RdfSyntaxError(f"{name}: {exc}", file=name) from exc


def batch_from_file(
    path: Path,
    *,
    rdf_format: str | None = None,
    bulk_threshold: int,
    base_iri: str | None = None,
    batch_id: str | None = None,
    agent: str = "cli",
) -> Batch:
    """A batch for one RDF file: bulk when it is a large triples file, parsed otherwise."""
    fmt = format_of(path, rdf_format)
    if not path.is_file():
        raise UnsupportedFormat(f"{path}: no such file", file=str(path))
    sources = [Source.of_file(path)]
    if fmt in _BULK_FORMATS and path.stat().st_size >= bulk_threshold:
        bulk = BulkFile(path, fmt, base_iri)
        return Batch(ADAPTER, ADAPTER_VERSION, sources, bulk=bulk, batch_id=batch_id, agent=agent)
    base = base_iri or path.resolve().as_uri()
    triples = parse_triples(path.read_bytes(), fmt, path.name, base)
    return Batch(ADAPTER, ADAPTER_VERSION, sources, triples=triples, batch_id=batch_id, agent=agent)


class RdfAdapter:
    """RDF documents as batches: one file, one batch, in its own named graph."""

    name = ADAPTER
    version = ADAPTER_VERSION

    def __init__(self, bulk_threshold: int = 16 * 1024 * 1024) -> None:
        self.bulk_threshold = bulk_threshold

    def batches(self, paths: Sequence[Path], options: IngestOptions) -> Iterator[Batch]:
        for path in paths:
            yield batch_from_file(
                path,
                rdf_format=options.extra.get("format"),
                bulk_threshold=self.bulk_threshold,
                base_iri=options.extra.get("base_iri"),
                batch_id=options.batch_id if len(paths) == 1 else None,
                agent=options.agent,
            )

    def upload(self, name: str, data: bytes, options: IngestOptions) -> Batch:
        fmt = format_of(Path(name), options.extra.get("format"))
        triples = parse_triples(data, fmt, name, options.extra.get("base_iri"))
        source = Source.of_bytes(name, data)
        return Batch(
            ADAPTER,
            ADAPTER_VERSION,
            [source],
            triples=triples,
            batch_id=options.batch_id,
            agent=options.agent,
        )
