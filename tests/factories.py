"""Small, valid building blocks of the data model (docs/data-model.md) for tests."""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode, Triple

from kgthread import ids, vocab


def text(value: str) -> Literal:
    return Literal(value)


def decimal(value: str) -> Literal:
    return Literal(value, datatype=vocab.XSD_DECIMAL)


def part(number: str) -> list[Triple]:
    node = ids.part(number)
    return [
        Triple(node, vocab.RDF_TYPE, vocab.PART),
        Triple(node, vocab.PART_NUMBER, text(number)),
    ]


def revision(number: str, code: str) -> list[Triple]:
    node = ids.part_revision(number, code)
    return [
        Triple(node, vocab.RDF_TYPE, vocab.PART_REVISION),
        Triple(node, vocab.REVISION_OF, ids.part(number)),
        Triple(node, vocab.REVISION_CODE, text(code)),
    ]


def unit(number: str, code: str, serial: str) -> list[Triple]:
    node = ids.unit(number, serial)
    return [
        Triple(node, vocab.RDF_TYPE, vocab.SERIALIZED_UNIT),
        Triple(node, vocab.SERIAL_NUMBER, text(serial)),
        Triple(node, vocab.UNIT_OF_REVISION, ids.part_revision(number, code)),
    ]


def built_into(parent: NamedNode, child: NamedNode, quantity: str = "1") -> list[Triple]:
    """``child`` consumed into ``parent``: the qualified consumption and the direct edge."""
    event = ids.consumption(parent, child)
    return [
        Triple(parent, vocab.HAS_COMPONENT, child),
        Triple(event, vocab.RDF_TYPE, vocab.CONSUMPTION),
        Triple(event, vocab.CONSUMER, parent),
        Triple(event, vocab.CONSUMED_ENTITY, child),
        Triple(event, vocab.QUANTITY, decimal(quantity)),
        Triple(event, vocab.UNIT_OF_MEASURE, vocab.unit("NUM")),
    ]


def product(number: str, code: str = "A") -> list[Triple]:
    """A part with one revision: what a unit needs to refer to."""
    return part(number) + revision(number, code)
