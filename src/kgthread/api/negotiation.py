"""Content negotiation: pick a result format from an ``Accept`` header (RFC 9110, q-values).

Each endpoint offers an ordered list of formats, the first being its default; the client's
most specific matching media range sets an offer's quality, the highest quality wins and
ties go to the server's order. Nothing acceptable is a 406 problem naming what is offered,
never a silent fallback, so a client asking for a format we lack learns it at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyoxigraph import QueryResultsFormat, RdfFormat

from kgthread.errors import NotAcceptable


@dataclass(frozen=True)
class Offer:
    """One format an endpoint can produce: what it sends as ``Content-Type`` and the media
    types a client may ask for it by (the first is its canonical type)."""

    content_type: str
    media_types: tuple[str, ...]
    format: RdfFormat | QueryResultsFormat


def _results(fmt: QueryResultsFormat, content_type: str, *aliases: str) -> Offer:
    return Offer(content_type, (content_type.split(";")[0], *aliases), fmt)


def _rdf(fmt: RdfFormat, content_type: str, *aliases: str) -> Offer:
    return Offer(content_type, (content_type.split(";")[0], *aliases), fmt)


SOLUTIONS: tuple[Offer, ...] = (
    _results(QueryResultsFormat.JSON, "application/sparql-results+json", "application/json"),
    _results(QueryResultsFormat.XML, "application/sparql-results+xml", "application/xml"),
    _results(QueryResultsFormat.CSV, "text/csv; charset=utf-8"),
    _results(QueryResultsFormat.TSV, "text/tab-separated-values; charset=utf-8"),
)
"""SELECT and ASK results; JSON is the default."""

GRAPH: tuple[Offer, ...] = (
    _rdf(RdfFormat.TURTLE, "text/turtle; charset=utf-8", "application/x-turtle"),
    _rdf(RdfFormat.N_TRIPLES, "application/n-triples", "text/plain"),
    _rdf(RdfFormat.JSON_LD, "application/ld+json", "application/json"),
    _rdf(RdfFormat.RDF_XML, "application/rdf+xml", "application/xml", "text/xml"),
)
"""CONSTRUCT and DESCRIBE results, graphs of the Graph Store; Turtle is the default."""

DATASET: tuple[Offer, ...] = (
    _rdf(RdfFormat.TRIG, "application/trig"),
    _rdf(RdfFormat.N_QUADS, "application/n-quads"),
)
"""A whole dataset (every graph); TriG is the default."""


def documented(*offer_lists: Sequence[Offer], extra: Sequence[str] = ()) -> dict[int | str, Any]:
    """OpenAPI ``responses`` for a 200 in any of these formats, so the schema names the media
    types the endpoint really sends (not FastAPI's default ``application/json``)."""
    types = [o.content_type.split(";")[0] for offers in offer_lists for o in offers]
    return {200: {"description": "OK", "content": {t: {} for t in [*types, *extra]}}}


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    quality: float

    def specificity(self, media_type: str) -> int:
        """How precisely this range names ``media_type``: 2 exact, 1 ``type/*``, 0 ``*/*``,
        -1 not at all."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != kind:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def parse_accept(header: str) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; malformed entries are skipped."""
    ranges: list[MediaRange] = []
    for item in header.split(","):
        fields = [f.strip() for f in item.split(";")]
        kind, slash, sub = fields[0].lower().partition("/")
        if not slash or not kind or not sub:
            continue
        quality = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append(MediaRange(kind, sub, quality))
    return ranges


def _quality(offer: Offer, ranges: Sequence[MediaRange]) -> float:
    best = 0.0
    for media_type in offer.media_types:
        matches = [(r.specificity(media_type), r.quality) for r in ranges]
        matches = [m for m in matches if m[0] >= 0]
        if matches:
            best = max(best, max(matches)[1])
    return best


def choose(accept: str | None, offers: Sequence[Offer]) -> Offer:
    """The offer the client prefers; the first offer when it states no preference."""
    if not accept or not accept.strip():
        return offers[0]
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    scored = [(_quality(offer, ranges), -index) for index, offer in enumerate(offers)]
    quality, negated_index = max(scored)
    if quality <= 0:
        raise NotAcceptable(
            f"none of the requested media types ({accept}) is available here",
            available=[offer.media_types[0] for offer in offers],
        )
    return offers[-negated_index]


def media_type_of(content_type: str | None) -> str:
    """The bare, lower-case media type of a ``Content-Type`` header ('' when absent)."""
    return (content_type or "").split(";")[0].strip().lower()


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a ``Content-Type`` header, lower case, if any."""
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None
