"""Safe, streaming XML for the B2MML and BatchML readers.

Every document goes through defusedxml: a DOCTYPE is refused outright (entity declarations
are how billion-laughs bombs and external-entity reads get in, and no B2MML document needs
one), and nothing is fetched from the network. Elements arrive as they end, with their XML
path, so a reader can map a record and drop it: memory stays flat however long the document.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, iterparse

from kgthread.errors import MesInputError


def split(tag: str) -> tuple[str, str]:
    """``{namespace}local`` as (namespace, local)."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


@dataclass
class Cursor:
    """Where the reader is: the open elements and their path segments (``B[2]``), joined into
    an XML path (``/A/B[2]/C[1]``) only when a record asks for it."""

    name: str
    stack: list[ET.Element] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    counters: list[dict[str, int]] = field(default_factory=lambda: [{}])

    def path(self) -> str:
        return "/" + "/".join(self.segments)

    def where(self) -> str:
        return f"{self.name}:{self.path()}"

    def ancestor(self, *locals_: str) -> ET.Element | None:
        for element in reversed(self.stack):
            if split(element.tag)[1] in locals_:
                return element
        return None

    def drop(self, element: ET.Element) -> None:
        """Detach a handled element from its parent so the tree never grows."""
        if self.stack:
            self.stack[-1].remove(element)


def elements(source: BinaryIO, cursor: Cursor) -> Iterator[ET.Element]:
    """Each element at its end (children first), with ``cursor`` naming its path while it is
    handled; the first one is the root at its start, so a reader can check the namespace
    before reading anything else."""
    parser = DefusedXMLParser(
        target=ET.TreeBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    stack, segments, counters = cursor.stack, cursor.segments, cursor.counters
    try:
        for event, element in iterparse(source, events=("start", "end"), parser=parser):
            if event == "start":
                local = split(element.tag)[1]
                counts = counters[-1]
                count = counts[local] = counts.get(local, 0) + 1
                segments.append(f"{local}[{count}]" if stack else local)
                counters.append({})
                if not stack:
                    stack.append(element)
                    yield element
                else:
                    stack.append(element)
            else:
                stack.pop()
                yield element
                segments.pop()
                counters.pop()
    except ET.ParseError as exc:
        line, column = exc.position
        raise MesInputError(
            f"{cursor.name}: line {line}, column {column}: malformed XML: {_reason(exc)}",
            file=cursor.name,
            line=line,
            column=column,
        ) from exc
    except DefusedXmlException as exc:
        line = parser.parser.CurrentLineNumber
        raise MesInputError(
            f"{cursor.name}: line {line}: refused {type(exc).__name__}: DTDs, entity "
            "declarations and external references are not allowed in B2MML input",
            file=cursor.name,
            line=line,
        ) from exc
    except (LookupError, ValueError) as exc:  # expat: an encoding it cannot decode
        line = parser.parser.CurrentLineNumber
        raise MesInputError(
            f"{cursor.name}: line {line}: cannot read the XML: {exc} (send UTF-8)",
            file=cursor.name,
            line=line,
        ) from exc


def _reason(exc: ET.ParseError) -> str:
    return str(exc).split(":", 1)[0]


def child_text(element: ET.Element, namespace: str, *path: str) -> str | None:
    """The stripped text of a descendant by local names, or None when absent or empty."""
    found = element.find("/".join(f"{{{namespace}}}{p}" for p in path))
    if found is None or found.text is None:
        return None
    text = found.text.strip()
    return text or None


def children(element: ET.Element, namespace: str, local: str) -> list[ET.Element]:
    return element.findall(f"{{{namespace}}}{local}")
