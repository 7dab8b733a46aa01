"""The SPARQL 1.1 Service Description served by ``GET /sparql`` with no query.

The description lives in ``templates/service-description.ttl``; it is parsed with the
endpoint's own URL as base IRI, so ``sd:endpoint <>`` names the URL the client used and no
IRI is spliced into text. What depends on the settings (whether update is on) is added as
triples.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from pyoxigraph import NamedNode, RdfFormat, Triple, parse, serialize

from kgthread.api import negotiation
from kgthread.vocab import RDF_TYPE

SD_NS = "http://www.w3.org/ns/sparql-service-description#"
SD_SERVICE = NamedNode(SD_NS + "Service")
SD_SUPPORTED_LANGUAGE = NamedNode(SD_NS + "supportedLanguage")
SD_UPDATE = NamedNode(SD_NS + "SPARQL11Update")
PREFIXES = {
    "sd": SD_NS,
    "format": "http://www.w3.org/ns/formats/",
    "dcterms": "http://purl.org/dc/terms/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}


@cache
def _template() -> bytes:
    return (
        resources.files("kgthread.api")
        .joinpath("templates", "service-description.ttl")
        .read_bytes()
    )


def triples(endpoint: str, *, update_enabled: bool) -> list[Triple]:
    """The description of the endpoint at ``endpoint`` (an absolute URL)."""
    described = [
        Triple(q.subject, q.predicate, q.object)
        for q in parse(_template(), format=RdfFormat.TURTLE, base_iri=endpoint)
    ]
    if update_enabled:
        services = [
            t.subject for t in described if t.predicate == RDF_TYPE and t.object == SD_SERVICE
        ]
        described += [Triple(s, SD_SUPPORTED_LANGUAGE, SD_UPDATE) for s in services]
    return described


def render(endpoint: str, accept: str | None, *, update_enabled: bool) -> tuple[bytes, str]:
    """The description serialised in the format ``accept`` asks for, and its content type."""
    offer = negotiation.choose(accept, negotiation.GRAPH)
    assert isinstance(offer.format, RdfFormat)
    described = triples(endpoint, update_enabled=update_enabled)
    prefixes = PREFIXES if offer.format == RdfFormat.TURTLE else None
    body = serialize(described, format=offer.format, prefixes=prefixes)
    return body or b"", offer.content_type
