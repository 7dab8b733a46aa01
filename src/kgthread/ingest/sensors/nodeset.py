"""NodeSet2 XML reader: the OPC UA information model as plain Python, nothing of RDF.

Node ids are rewritten from the file's local namespace indexes to expanded form
(``nsu=<uri>;i=5001``; core nodes stay ``i=85``), so several files merge into one model and
the live client can mint the same keys from a server's namespace array. XML is parsed with
defusedxml: a DOCTYPE or entity declaration is refused, as a NodeSet never needs one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from kgthread.errors import NodesetError

CORE_NAMESPACE = "http://opcfoundation.org/UA/"
NODE_CLASSES = (
    "UAObject",
    "UAVariable",
    "UAMethod",
    "UAView",
    "UAObjectType",
    "UAVariableType",
    "UADataType",
    "UAReferenceType",
)
# Core reference types by NodeId, the part of OPC UA Part 5 the mapping relies on.
CORE_REFERENCES = {
    "i=31": "References",
    "i=33": "HierarchicalReferences",
    "i=34": "HasChild",
    "i=35": "Organizes",
    "i=36": "HasEventSource",
    "i=37": "HasModellingRule",
    "i=40": "HasTypeDefinition",
    "i=44": "Aggregates",
    "i=45": "HasSubtype",
    "i=46": "HasProperty",
    "i=47": "HasComponent",
    "i=48": "HasNotifier",
    "i=49": "HasOrderedComponent",
    "i=17603": "HasInterface",
    "i=17604": "HasAddIn",
}
_NODE_ID = re.compile(r"^(?:ns=(\d+);)?([isgb]=.+)$", re.DOTALL)


@dataclass(frozen=True)
class Reference:
    kind: str
    """Core reference name (HasComponent, Organizes...) or the expanded NodeId of another."""
    target: str
    forward: bool


@dataclass
class UaNode:
    node_id: str
    """Expanded NodeId: ``nsu=<uri>;i=5001``, or ``i=85`` for the core namespace."""
    node_class: str
    browse_name: str
    display_name: str
    namespace_uri: str
    parent: str | None = None
    data_type: str | None = None
    references: list[Reference] = field(default_factory=list)
    value: Any = None
    """Decoded Value for the structures the mapping reads: EUInformation, Range, numbers,
    text (String, LocalizedText, DateTime as written)."""
    location: str = ""

    @property
    def type_definition(self) -> str | None:
        return next((r.target for r in self.references if r.kind == "HasTypeDefinition"), None)

    @property
    def is_declaration(self) -> bool:
        """A member of a type (has a modelling rule), not an instance."""
        return any(r.kind == "HasModellingRule" for r in self.references)


@dataclass(frozen=True)
class EUInformation:
    namespace_uri: str | None
    unit_id: int
    display_name: str


@dataclass(frozen=True)
class Range:
    low: float
    high: float


@dataclass(frozen=True)
class Model:
    uri: str
    version: str | None
    publication_date: str | None
    required: tuple[tuple[str, str | None], ...]


@dataclass
class NodesetFile:
    path: Path
    namespace_uris: list[str]
    models: list[Model]
    nodes: list[UaNode]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: Any, name: str) -> Any:
    return next((c for c in element if _local(c.tag) == name), None)


def _text(element: Any, name: str) -> str | None:
    found = _child(element, name)
    return None if found is None or found.text is None else str(found.text).strip()


class _Reader:
    def __init__(self, path: Path, namespace_uris: list[str], aliases: dict[str, str]) -> None:
        self.path = path
        self.uris = [CORE_NAMESPACE, *namespace_uris]
        self.aliases = aliases

    def where(self, element: Any) -> str:
        node_id = element.get("NodeId")
        return f"{self.path.name}: <{_local(element.tag)} NodeId={node_id!r}>"

    def expand(self, raw: str | None, element: Any) -> str:
        """The expanded form of a NodeId or alias as written in this file."""
        text = (raw or "").strip()
        text = self.aliases.get(text, text)
        match = _NODE_ID.match(text)
        if match is None:
            raise NodesetError(
                f"{self.where(element)}: {raw!r} is neither a NodeId nor a declared alias",
                file=str(self.path),
                element=self.where(element),
            )
        index = int(match[1] or 0)
        if index >= len(self.uris):
            raise NodesetError(
                f"{self.where(element)}: namespace index {index} is not in NamespaceUris",
                file=str(self.path),
                element=self.where(element),
            )
        return match[2] if index == 0 else f"nsu={self.uris[index]};{match[2]}"

    def reference_kind(self, raw: str, element: Any) -> str:
        expanded = self.expand(raw, element)
        return CORE_REFERENCES.get(expanded, expanded)

    def browse_name(self, element: Any) -> tuple[str, str]:
        raw = element.get("BrowseName")
        if not raw:
            raise NodesetError(
                f"{self.where(element)}: no BrowseName",
                file=str(self.path),
                element=self.where(element),
            )
        prefix, sep, name = raw.partition(":")
        if sep and prefix.isdigit():
            index = int(prefix)
            uri = self.uris[index] if index < len(self.uris) else CORE_NAMESPACE
            return name, uri
        return raw, CORE_NAMESPACE

    def node(self, element: Any) -> UaNode:
        if not element.get("NodeId"):
            raise NodesetError(
                f"{self.path.name}: <{_local(element.tag)} BrowseName="
                f"{element.get('BrowseName')!r}> has no NodeId",
                file=str(self.path),
                element=_local(element.tag),
            )
        node_id = self.expand(element.get("NodeId"), element)
        name, _ = self.browse_name(element)
        node = UaNode(
            node_id=node_id,
            node_class=_local(element.tag),
            browse_name=name,
            display_name=_text(element, "DisplayName") or name,
            namespace_uri=node_id[4:].split(";", 1)[0]
            if node_id.startswith("nsu=")
            else CORE_NAMESPACE,
            location=self.where(element),
        )
        if element.get("ParentNodeId"):
            node.parent = self.expand(element.get("ParentNodeId"), element)
        if element.get("DataType"):
            node.data_type = self.expand(element.get("DataType"), element)
        refs = _child(element, "References")
        for ref in refs if refs is not None else ():
            kind = self.reference_kind(ref.get("ReferenceType", ""), ref)
            forward = (ref.get("IsForward") or "true").strip().lower() != "false"
            node.references.append(Reference(kind, self.expand(ref.text, ref), forward))
        value = _child(element, "Value")
        if value is not None and len(value):
            node.value = _decode_value(value[0])
        return node


def _decode_value(element: Any) -> Any:
    """The few Value shapes the mapping needs; anything else stays undecoded (None)."""
    kind = _local(element.tag)
    if kind == "ExtensionObject":
        body = _child(element, "Body")
        if body is None or not len(body):
            return None
        return _decode_value(body[0])
    if kind == "EUInformation":
        unit_id = _text(element, "UnitId")
        name = _child(element, "DisplayName")
        try:
            return EUInformation(
                _text(element, "NamespaceUri"),
                int(unit_id or "0"),
                (_text(name, "Text") if name is not None else None) or "",
            )
        except ValueError:
            return None
    if kind == "Range":
        try:
            return Range(
                float(_text(element, "Low") or "nan"), float(_text(element, "High") or "nan")
            )
        except ValueError:
            return None
    if kind in {"String", "DateTime"}:
        return (element.text or "").strip()
    if kind == "LocalizedText":
        return (_text(element, "Text") or "").strip()
    if kind in {"Double", "Float", "Int16", "Int32", "Int64", "UInt16", "UInt32", "UInt64"} | {
        "Byte",
        "SByte",
    }:
        try:
            return float(element.text or "")
        except ValueError:
            return None
    return None


def read_nodeset(path: Path) -> NodesetFile:
    """Parse one NodeSet2 file; :class:`NodesetError` names the file and the element."""
    try:
        root = ElementTree.parse(str(path)).getroot()
    except DefusedXmlException as exc:
        raise NodesetError(f"{path.name}: refused: {exc}", file=str(path)) from exc
    except ElementTree.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        raise NodesetError(
            f"{path.name}: line {line}, column {column}: malformed XML ({exc})",
            file=str(path),
            line=line,
            column=column,
        ) from exc
    except OSError as exc:
        raise NodesetError(f"{path}: cannot read: {exc.strerror}", file=str(path)) from exc
    except (LookupError, ValueError) as exc:  # expat: an encoding it cannot decode
        raise NodesetError(f"{path.name}: cannot read the XML: {exc}", file=str(path)) from exc
    if _local(root.tag) != "UANodeSet":
        raise NodesetError(
            f"{path.name}: root element is <{_local(root.tag)}>, not <UANodeSet>", file=str(path)
        )
    uris_element = _child(root, "NamespaceUris")
    uris = [str(u.text).strip() for u in uris_element] if uris_element is not None else []
    aliases_element = _child(root, "Aliases")
    aliases = {
        str(a.get("Alias")): str(a.text).strip()
        for a in (aliases_element if aliases_element is not None else ())
    }
    reader = _Reader(path, uris, aliases)
    models = []
    models_element = _child(root, "Models")
    for model in models_element if models_element is not None else ():
        required = tuple(
            (str(r.get("ModelUri")), r.get("Version"))
            for r in model
            if _local(r.tag) == "RequiredModel"
        )
        models.append(
            Model(
                str(model.get("ModelUri")),
                model.get("Version"),
                model.get("PublicationDate"),
                required,
            )
        )
    nodes = [reader.node(e) for e in root if _local(e.tag) in NODE_CLASSES]
    return NodesetFile(path, uris, models, nodes)


def dependency_order(files: Iterable[NodesetFile]) -> list[NodesetFile]:
    """Files ordered so each model comes after the models it requires; a cycle is an error."""
    pending = list(files)
    provided = {m.uri: f for f in pending for m in f.models}
    ordered: list[NodesetFile] = []
    done: set[str] = set()
    while pending:
        ready = [
            f
            for f in pending
            if all(
                uri in done or uri not in provided or provided[uri] is f
                for m in f.models
                for uri, _ in m.required
            )
        ]
        if not ready:
            names = ", ".join(f.path.name for f in pending)
            raise NodesetError(f"circular model requirements among {names}")
        for f in ready:
            ordered.append(f)
            pending.remove(f)
            done.update(m.uri for m in f.models)
    return ordered


def missing_models(files: Iterable[NodesetFile]) -> list[tuple[str, str]]:
    """(file name, model URI) for each required model that no given file provides."""
    files = list(files)
    provided = {m.uri for f in files for m in f.models} | {CORE_NAMESPACE}
    return [
        (f.path.name, uri)
        for f in files
        for m in f.models
        for uri, _ in m.required
        if uri not in provided
    ]
