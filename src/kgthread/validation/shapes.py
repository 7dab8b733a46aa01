"""The shapes graph: Turtle files parsed once and indexed, engine-neutral.

Both engines and the gate read shapes through this class: the native engine compiles a
plan from it, the pyshacl adapter converts it to rdflib, the gate asks which predicates
and classes it needs context for. Parsing happens at load time so a broken file fails
there, naming the file and line; support for the native subset is checked lazily, so
a shapes graph outside the subset still loads for pyshacl.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, RdfFormat, Store, Triple, parse

from kgthread import assets
from kgthread.errors import BadRequest, KgthreadError, RdfSyntaxError
from kgthread.validation import support
from kgthread.vocab import OWL_NS, RDF_NS, RDFS_NS, SH_NS

Term = NamedNode | BlankNode | Literal
ShapeNode = NamedNode | BlankNode

RDF_TYPE = RDF_NS + "type"
RDF_FIRST = RDF_NS + "first"
RDF_REST = RDF_NS + "rest"
RDF_NIL = RDF_NS + "nil"
SHAPE_TYPES = frozenset({SH_NS + "NodeShape", SH_NS + "PropertyShape"})
CLASS_TYPES = frozenset({RDFS_NS + "Class", OWL_NS + "Class"})
TARGET_PARAMETERS = ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "target")
SHAPE_VALUED = ("property", "node", "not", "qualifiedValueShape")
SHAPE_LISTS = ("and", "or", "xone")
PAIR_PARAMETERS = ("equals", "disjoint", "lessThan", "lessThanOrEquals")
SAME_VALUES = ("node", "not", "qualifiedValueShape")
"""Shape-valued parameters that apply their shape to the value nodes themselves."""


@dataclass(frozen=True)
class PropertyPath:
    """A path the native engine evaluates: one predicate, forward or inverse."""

    predicate: NamedNode
    inverse: bool

    def to_ntriples(self) -> str:
        return ("^" if self.inverse else "") + str(self.predicate)


@dataclass(frozen=True)
class Targets:
    """The target declarations of one shape (implicit class targets folded into classes)."""

    classes: tuple[NamedNode, ...] = ()
    nodes: tuple[Term, ...] = ()
    subjects_of: tuple[NamedNode, ...] = ()
    objects_of: tuple[NamedNode, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.classes or self.nodes or self.subjects_of or self.objects_of)


@dataclass(frozen=True)
class TopShape:
    """A shape with targets; ``inverse_predicates`` widen its batch-mode focus candidates."""

    node: ShapeNode
    targets: Targets
    inverse_predicates: tuple[NamedNode, ...]


def shape_label(node: ShapeNode) -> str:
    """How a report names a shape: the bare IRI, or ``_:label`` for a blank node."""
    return node.value if isinstance(node, NamedNode) else str(node)


class ShapesGraph:
    """An immutable, indexed SHACL shapes graph; engines cache compiled forms in ``cache``."""

    def __init__(self, triples: Iterable[Triple], sources: tuple[Path, ...] = ()) -> None:
        self.sources = sources
        self._triples = tuple(triples)
        self._out: dict[Term, dict[str, list[Term]]] = {}
        for t in self._triples:
            subject = t.subject
            if isinstance(subject, NamedNode | BlankNode) and isinstance(
                t.object, NamedNode | BlankNode | Literal
            ):
                by_predicate = self._out.setdefault(subject, {})
                by_predicate.setdefault(t.predicate.value, []).append(t.object)
        self.cache: dict[str, object] = {}

    # --- loading ---------------------------------------------------------------------

    @classmethod
    def load(cls, paths: Iterable[Path]) -> ShapesGraph:
        """Parse Turtle files; a file that does not parse raises ``RdfSyntaxError`` naming it."""
        sources = tuple(Path(p) for p in paths)
        # Through a Store, so literals get the canonical forms data will have (Oxigraph
        # stores "4.0"^^xsd:decimal as "4"): sh:in, sh:hasValue and literal targets match.
        store = Store()
        for path in sources:
            store.extend(_parse_file(path))
        return cls((q.triple for q in store), sources)

    @classmethod
    def default(cls) -> ShapesGraph:
        """Every ``shapes/*.ttl`` of the project, cached until a file changes."""
        directory = assets.shapes_dir()
        if not directory.is_dir():
            raise KgthreadError(f"shapes directory {directory} does not exist")
        files = sorted(directory.glob("*.ttl"))
        return _load_cached(tuple((str(p), p.stat().st_mtime_ns) for p in files))

    # --- raw access ------------------------------------------------------------------

    def triples(self) -> tuple[Triple, ...]:
        return self._triples

    def objects(self, node: Term, predicate: str) -> list[Term]:
        return self._out.get(node, {}).get(predicate, [])

    def predicates(self, node: Term) -> list[str]:
        """Predicate IRIs used on ``node`` as subject."""
        return list(self._out.get(node, {}))

    def sh(self, node: Term, local: str) -> list[Term]:
        """Objects of ``node sh:<local>``."""
        return self.objects(node, SH_NS + local)

    def rdf_list(self, head: Term) -> list[Term]:
        """Members of an RDF list; stops at a malformed or cyclic list instead of looping."""
        members: list[Term] = []
        seen: set[Term] = set()
        node = head
        while not (isinstance(node, NamedNode) and node.value == RDF_NIL) and node not in seen:
            seen.add(node)
            first = self.objects(node, RDF_FIRST)
            rest = self.objects(node, RDF_REST)
            if not first or not rest:
                break
            members.append(first[0])
            node = rest[0]
        return members

    # --- structure -------------------------------------------------------------------

    @functools.cached_property
    def shapes(self) -> tuple[ShapeNode, ...]:
        """Every shape node, in a stable order: typed, targeted or referenced as a shape."""
        found: set[ShapeNode] = set()
        for subject, by_predicate in self._out.items():
            if not isinstance(subject, NamedNode | BlankNode):
                continue
            types = {o.value for o in by_predicate.get(RDF_TYPE, []) if isinstance(o, NamedNode)}
            if types & SHAPE_TYPES or any(SH_NS + t in by_predicate for t in TARGET_PARAMETERS):
                found.add(subject)
            for local in SHAPE_VALUED:
                found.update(_shape_nodes(by_predicate.get(SH_NS + local, [])))
            for local in SHAPE_LISTS:
                for head in by_predicate.get(SH_NS + local, []):
                    found.update(_shape_nodes(self.rdf_list(head)))
        return tuple(sorted(found, key=str))

    def is_deactivated(self, shape: ShapeNode) -> bool:
        return any(
            isinstance(o, Literal) and o.value == "true" for o in self.sh(shape, "deactivated")
        )

    def path(self, shape: ShapeNode) -> PropertyPath | None:
        """The shape's path when it is a predicate or ``[sh:inversePath <p>]``, else None."""
        paths = self.sh(shape, "path")
        if len(paths) != 1:
            return None
        path = paths[0]
        if isinstance(path, NamedNode):
            return PropertyPath(path, inverse=False)
        if isinstance(path, BlankNode):
            inverse = self.sh(path, "inversePath")
            if len(self._out.get(path, {})) == 1 and len(inverse) == 1:
                predicate = inverse[0]
                if isinstance(predicate, NamedNode):
                    return PropertyPath(predicate, inverse=True)
        return None

    def targets(self, shape: ShapeNode) -> Targets:
        types = {o.value for o in self.objects(shape, RDF_TYPE) if isinstance(o, NamedNode)}
        implicit = (shape,) if isinstance(shape, NamedNode) and types & CLASS_TYPES else ()
        return Targets(
            classes=implicit + _iris(self.sh(shape, "targetClass")),
            nodes=tuple(self.sh(shape, "targetNode")),
            subjects_of=_iris(self.sh(shape, "targetSubjectsOf")),
            objects_of=_iris(self.sh(shape, "targetObjectsOf")),
        )

    def property_shapes(self, shape: ShapeNode) -> tuple[ShapeNode, ...]:
        return tuple(_shape_nodes(self.sh(shape, "property")))

    @functools.cached_property
    def top_shapes(self) -> tuple[TopShape, ...]:
        """Active shapes that declare targets: where every validation starts."""
        tops: list[TopShape] = []
        for shape in self.shapes:
            targets = self.targets(shape)
            if not targets or self.is_deactivated(shape):
                continue
            inverse: list[NamedNode] = []
            for member in (shape, *self.property_shapes(shape)):
                path = self.path(member)
                if path is not None and path.inverse and path.predicate not in inverse:
                    inverse.append(path.predicate)
            tops.append(TopShape(shape, targets, tuple(inverse)))
        return tuple(tops)

    # --- what the gate needs ---------------------------------------------------------

    def inverse_path_predicates(self) -> frozenset[str]:
        """IRIs used in ``sh:inversePath``: the gate fetches incoming context for these."""
        return frozenset(
            o.value
            for by_predicate in self._out.values()
            for o in by_predicate.get(SH_NS + "inversePath", [])
            if isinstance(o, NamedNode)
        )

    @functools.cached_property
    def inverse_scope(self) -> dict[NamedNode, frozenset[NamedNode] | None]:
        """For each inverse-path predicate, the target classes of the shapes using it, or
        ``None`` when some such shape targets by other means (then every node counts)."""
        scope: dict[NamedNode, set[NamedNode] | None] = {}
        for top in self.top_shapes:
            by_class_only = not (
                top.targets.nodes or top.targets.subjects_of or top.targets.objects_of
            )
            for predicate in top.inverse_predicates:
                known = scope.setdefault(predicate, set())
                if known is None:
                    continue
                if by_class_only:
                    known.update(top.targets.classes)
                else:
                    scope[predicate] = None
        return {p: None if c is None else frozenset(c) for p, c in scope.items()}

    @functools.cached_property
    def class_constrained_paths(self) -> frozenset[PropertyPath]:
        """Paths whose value nodes a class check reads the types of: ``sh:class`` on the
        property shape, or on a shape it applies to the same values (``sh:node``, ``sh:and``
        ...). The gate fetches the stored types of such values of a focus node's stored
        statements, which the batch does not mention."""
        found: set[PropertyPath] = set()
        for shape in self.shapes:
            path = self.path(shape)
            if path is not None and self._checks_class(shape, set()):
                found.add(path)
        return frozenset(found)

    def _checks_class(self, shape: Term, seen: set[Term]) -> bool:
        if shape in seen:
            return False
        seen.add(shape)
        if self.sh(shape, "class"):
            return True
        nested = [o for local in SAME_VALUES for o in self.sh(shape, local)]
        for local in SHAPE_LISTS:
            for head in self.sh(shape, local):
                nested.extend(self.rdf_list(head))
        return any(not self.sh(n, "path") and self._checks_class(n, seen) for n in nested)

    def constrained_predicates(self) -> frozenset[str]:
        """Predicate IRIs whose values validation reads: every path step, and the
        predicates named by sh:equals / sh:disjoint / sh:lessThan(OrEquals)."""
        found: set[str] = set()
        for shape in self.shapes:
            for path in self.sh(shape, "path"):
                found.update(self._path_iris(path, set()))
            for local in PAIR_PARAMETERS:
                found.update(o.value for o in self.sh(shape, local) if isinstance(o, NamedNode))
        return frozenset(found)

    def target_classes(self) -> frozenset[str]:
        """Classes whose instances are focus nodes (explicit and implicit class targets)."""
        return frozenset(c.value for shape in self.shapes for c in self.targets(shape).classes)

    def unsupported_features(self) -> list[str]:
        """Why the native engine cannot run this graph; empty when it can."""
        return support.unsupported_features(self)

    def check_native_support(self) -> None:
        """Raise ``BadRequest`` naming the first unsupported features, for the native engine."""
        problems = self.unsupported_features()
        if problems:
            shown = "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "")
            raise BadRequest(f"{shown}; use gate_engine=pyshacl", unsupported=problems)

    def _path_iris(self, path: Term, seen: set[Term]) -> Iterator[str]:
        if isinstance(path, NamedNode):
            yield path.value
        elif isinstance(path, BlankNode) and path not in seen:
            seen.add(path)
            for objects in self._out.get(path, {}).values():
                for o in objects:
                    yield from self._path_iris(o, seen)


def _shape_nodes(terms: Iterable[Term]) -> Iterator[ShapeNode]:
    for t in terms:
        if isinstance(t, NamedNode | BlankNode):
            yield t


def _iris(terms: Iterable[Term]) -> tuple[NamedNode, ...]:
    return tuple(t for t in terms if isinstance(t, NamedNode))


def _parse_file(path: Path) -> list[Quad]:
    try:
        return list(
            parse(path=str(path), format=RdfFormat.TURTLE, base_iri=path.resolve().as_uri())
        )
    except SyntaxError as err:
        raise RdfSyntaxError(
            f"shapes file {path} does not parse: line {err.lineno}, column {err.offset}: {err.msg}",
            file=str(path),
            line=err.lineno,
            column=err.offset,
        ) from err
    except OSError as err:
        raise BadRequest(f"cannot read shapes file {path}: {err}", file=str(path)) from err


@functools.lru_cache(maxsize=4)
def _load_cached(stamp: tuple[tuple[str, int], ...]) -> ShapesGraph:
    return ShapesGraph.load(Path(p) for p, _ in stamp)
