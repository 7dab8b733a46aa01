"""Reading the W3C SHACL test suite: manifests, entries, expected reports.

Shared by the native and pyshacl suites. Expected reports are read from a pyoxigraph
``Store`` so their literals get the same normalisation the engines see in data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Store

from kgthread import assets
from kgthread.validation import Report, ShapesGraph
from kgthread.vocab import RDF_NS, SH_NS

SUITE_PARTS = ("w3c", "shacl-core-tests")
SUITE = assets.shared_data_dir().joinpath(*SUITE_PARTS)
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
SHT = "http://www.w3.org/ns/shacl-test#"

Term = NamedNode | BlankNode | Literal
ResultKey = tuple[str, str | None, str, str, str | None]


@dataclass(frozen=True)
class W3cCase:
    """One ``sht:Validate`` entry of the suite."""

    name: str  # e.g. "core/property/minCount-001"
    data_file: Path
    shapes_file: Path
    conforms: bool | None  # None: the entry expects sht:Failure
    expected: tuple[ResultKey, ...]

    def data_store(self) -> Store:
        store = Store()
        store.load(path=str(self.data_file), format=RdfFormat.TURTLE, base_iri=_uri(self.data_file))
        return store

    def shapes(self) -> ShapesGraph:
        return ShapesGraph.load([self.shapes_file])


def cases() -> list[W3cCase]:
    """Every test entry reachable from the suite's root manifest."""
    if not SUITE.is_dir():
        return []
    return list(_walk(SUITE / "manifest.ttl", set()))


def loose(key: ResultKey) -> ResultKey:
    """Blank nodes compare by kind only: their labels differ between parses."""
    focus, path, component, shape, value = key
    return (_blank(focus), path, component, _blank(shape), None if value is None else _blank(value))


def actual_keys(report: Report) -> set[ResultKey]:
    """Compared as sets: identical results (one per sh:lessThan pair, or one per sh:class
    when a node fails two) collapse, and blank nodes are only counted as present."""
    return {loose(r.key()) for r in report.results}


def _blank(text: str) -> str:
    return "_:" if text.startswith("_:") else text


def _uri(path: Path) -> str:
    return path.resolve().as_uri()


def _walk(manifest: Path, seen: set[Path]) -> Iterator[W3cCase]:
    if manifest in seen:
        return
    seen.add(manifest)
    store = Store()
    store.load(path=str(manifest), format=RdfFormat.TURTLE, base_iri=_uri(manifest))
    graph = _Index(store)
    root = NamedNode(_uri(manifest))
    for include in graph.objects(root, MF + "include"):
        yield from _walk(_path(include), seen)
    for head in graph.objects(root, MF + "entries"):
        for entry in graph.items(head):
            if NamedNode(SHT + "Validate") not in graph.objects(entry, RDF_NS + "type"):
                continue
            action = graph.one(entry, MF + "action")
            name = str(_path(entry).relative_to(SUITE.resolve())).removesuffix(".ttl")
            yield W3cCase(
                name=name,
                data_file=_path(graph.one(action, SHT + "dataGraph")),
                shapes_file=_path(graph.one(action, SHT + "shapesGraph")),
                **_expected(graph, graph.one(entry, MF + "result")),
            )


def _expected(graph: _Index, report: Term) -> dict[str, object]:
    if report == NamedNode(SHT + "Failure"):
        return {"conforms": None, "expected": ()}
    conforms = graph.one(report, SH_NS + "conforms")
    keys = []
    for result in graph.objects(report, SH_NS + "result"):
        path = graph.maybe(result, SH_NS + "resultPath")
        value = graph.maybe(result, SH_NS + "value")
        shape = graph.one(result, SH_NS + "sourceShape")
        keys.append(
            loose(
                (
                    str(graph.one(result, SH_NS + "focusNode")),
                    None if path is None else graph.path(path),
                    graph.one(result, SH_NS + "sourceConstraintComponent").value,
                    shape.value if isinstance(shape, NamedNode) else str(shape),
                    None if value is None else str(value),
                )
            )
        )
    return {"conforms": conforms.value == "true", "expected": tuple(keys)}


def _path(term: Term) -> Path:
    return Path(unquote(urlparse(term.value).path)).resolve()


class _Index:
    def __init__(self, store: Store) -> None:
        self._store = store

    def objects(self, subject: Term, predicate: str) -> list[Term]:
        if isinstance(subject, Literal):
            return []
        quads = self._store.quads_for_pattern(subject, NamedNode(predicate), None, None)
        return [q.object for q in quads if isinstance(q.object, NamedNode | BlankNode | Literal)]

    def maybe(self, subject: Term, predicate: str) -> Term | None:
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def one(self, subject: Term, predicate: str) -> Term:
        found = self.maybe(subject, predicate)
        if found is None:
            raise AssertionError(f"manifest: {subject} has no {predicate}")
        return found

    def items(self, head: Term) -> Iterator[Term]:
        while head != NamedNode(RDF_NS + "nil"):
            yield self.one(head, RDF_NS + "first")
            head = self.one(head, RDF_NS + "rest")

    def path(self, path: Term) -> str:
        """SPARQL-like, as reports render ``sh:resultPath``: ``<p>``, ``^<p>``, ``(<p>)*``,
        ``(<p> | <q>)``, ``(<p> / <q>)``."""
        if isinstance(path, NamedNode):
            return str(path)
        for local, form in _PATH_FORMS:
            inner = self.maybe(path, SH_NS + local)
            if inner is not None:
                return form.format(self.path(inner))
        alternatives = self.maybe(path, SH_NS + "alternativePath")
        if alternatives is not None:
            return "(" + " | ".join(self.path(m) for m in self.items(alternatives)) + ")"
        return "(" + " / ".join(self.path(m) for m in self.items(path)) + ")"


_PATH_FORMS = (
    ("inversePath", "^{}"),
    ("zeroOrMorePath", "({})*"),
    ("oneOrMorePath", "({})+"),
    ("zeroOrOnePath", "({})?"),
)
