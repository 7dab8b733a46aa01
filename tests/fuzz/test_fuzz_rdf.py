"""Fuzzing the RDF reader with mutated real documents (the W3C SSN examples, and the same
graphs written as RDF/XML, JSON-LD, N-Triples and TriG): every input parses or is refused
with an RdfSyntaxError naming the document (and its line when the parser gives one), within
the deadline."""

from __future__ import annotations

from hypothesis import event, given
from hypothesis import strategies as st
from pyoxigraph import RdfFormat, parse, serialize

from fuzz.strategies import FUZZ, mutated, outcome, shared
from kgthread.errors import RdfSyntaxError
from kgthread.ingest.rdf_files import parse_triples

SEEDS = ("dht22-deployment-sosa.ttl", "iphone_barometer-sosa.ttl")
FORMATS = (RdfFormat.TURTLE, RdfFormat.RDF_XML, RdfFormat.JSON_LD, RdfFormat.N_TRIPLES)
NAME = "fuzzed.rdf"
BASE = "http://example.org/fuzz/"

ORIGINALS: dict[RdfFormat, list[bytes]] = {}


def originals(fmt: RdfFormat) -> list[bytes]:
    if not ORIGINALS:
        for seed in SEEDS:
            data = shared("ontologies", "sosa-ssn", "examples", seed).read_bytes()
            quads = list(parse(data, format=RdfFormat.TURTLE, base_iri=BASE))
            triples = [q.triple for q in quads]
            ORIGINALS.setdefault(RdfFormat.TURTLE, []).append(data)
            for other in FORMATS[1:]:
                ORIGINALS.setdefault(other, []).append(serialize(triples, format=other) or b"")
    return ORIGINALS[fmt]


@FUZZ
@given(data=st.data())
def test_mutated_documents_parse_or_are_refused_precisely(data: st.DataObject) -> None:
    fmt = data.draw(st.sampled_from(FORMATS))
    document = data.draw(mutated(originals(fmt)))
    error = outcome(lambda: parse_triples(document, fmt, NAME, BASE))
    event(f"{fmt.name}: {'parsed' if error is None else 'refused'}")
    if error is not None:
        assert isinstance(error, RdfSyntaxError), repr(error)
        assert error.detail["file"] == NAME
        assert error.message.startswith(f"{NAME}: ")
