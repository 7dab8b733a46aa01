"""Product structure from STEP instances: parts, revisions, assembly usages, external files.

PRODUCT -> PRODUCT_DEFINITION_FORMATION -> PRODUCT_DEFINITION is the chain every AP203, AP214
and AP242 file uses; NEXT_ASSEMBLY_USAGE_OCCURRENCE links a parent definition to a child
definition. Each occurrence stays a usage of its own (quantity 1 unless the file quantifies
it), so five bolts placed five times are five usages whose quantities add up to five.

Part numbers are PRODUCT ids, except where the file gives no usable one (each case is
reported, never silent):

- a blank id: the product's name, or ``<name or file> #<entity>`` when the name is blank or
  another product of the file already carries it;
- an id repeated by another PRODUCT instance of the same file (CATIA V4 writes one id for
  every product): the first instance (lowest ``#id``) keeps it, each other becomes
  ``<id> #<entity>``, so distinct products stay distinct and no part uses itself.

A usage whose parent and child are the same product is left out and reported.
"""

from __future__ import annotations

from decimal import Decimal

from kgthread.ingest.step.index import Index, refs, text
from kgthread.ingest.step.records import (
    ExternalReference,
    Extracted,
    PartRecord,
    RevisionRecord,
    UsageRecord,
)
from kgthread.ingest.step.values import Header, Instance, Typed, Value

USAGE_TYPES = ("NEXT_ASSEMBLY_USAGE_OCCURRENCE", "QUANTIFIED_ASSEMBLY_COMPONENT_USAGE")
STRUCTURE_TYPES = frozenset(
    {
        "PRODUCT",
        "PRODUCT_DEFINITION_FORMATION",
        "PRODUCT_DEFINITION_FORMATION_WITH_SPECIFIED_SOURCE",
        "PRODUCT_DEFINITION",
        "PRODUCT_DEFINITION_WITH_ASSOCIATED_DOCUMENTS",
        "COMPOSITE_ASSEMBLY_DEFINITION",
        "PRODUCT_DEFINITION_SHAPE",
        "DOCUMENT_FILE",
        "APPLIED_DOCUMENT_REFERENCE",
        "EXTERNAL_SOURCE",
        "APPLIED_EXTERNAL_IDENTIFICATION_ASSIGNMENT",
        *USAGE_TYPES,
    }
)


class Structure:
    """Reads the product structure of one file into an :class:`Extracted`."""

    def __init__(self, index: Index, header: Header) -> None:
        self.index = index
        self.out = Extracted(index.file, header)
        self.products: dict[int, str] = {}
        self.formations: dict[int, tuple[str, str]] = {}
        self.definitions: dict[int, tuple[str, str]] = {}

    def extract(self) -> Extracted:
        self._parts()
        self._revisions()
        self._definitions()
        self._usages()
        self._external()
        return self.out

    def _problem(self, instance: Instance, message: str) -> None:
        self.out.problems.append(f"{self.index.where(instance)}: {message}")

    def _parts(self) -> None:
        found: list[tuple[Instance, tuple[Value, ...], str]] = []
        for instance in self.index.of("PRODUCT"):
            params = self.index.record(instance, "PRODUCT")
            if not params or len(params) < 3:
                self._problem(instance, "a PRODUCT with too few attributes is left out")
                continue
            found.append((instance, params, text(params[0])))
        taken = {declared for _, _, declared in found if declared}
        first: dict[str, int] = {}
        for instance, params, declared in found:
            name = text(params[1])
            if not declared:
                number = (
                    name
                    if name and name not in taken
                    else f"{name or self.index.file} #{instance.id}"
                )
                self._problem(
                    instance,
                    f"a PRODUCT with a blank id is read as part {number!r} (from its "
                    "name and place in this file; give it an id in CAD to join it with the MES)",
                )
            elif declared in first:
                number = f"{declared} #{instance.id}"
                self._problem(
                    instance,
                    f"PRODUCT id {declared!r} is also the id of #{first[declared]}: read as a "
                    f"distinct part {number!r}",
                )
            else:
                number = declared
                first[declared] = instance.id
            taken.add(number)
            self.products[instance.id] = number
            where = self.index.where(instance)
            self.out.parts.append(PartRecord(number, name, text(params[2]), where))

    def _revisions(self) -> None:
        for instance in self.index.of("PRODUCT_DEFINITION_FORMATION"):
            params = self.index.record(instance, "PRODUCT_DEFINITION_FORMATION")
            target = self.index.deref(params[2]) if params and len(params) >= 3 else None
            number = self.products.get(target.id) if target else None
            if params is None or number is None:
                self._problem(instance, "a formation without its PRODUCT is left out")
                continue
            code = text(params[0])
            self.formations[instance.id] = (number, code)
            self.out.revisions.append(RevisionRecord(number, code, self.index.where(instance)))

    def _definitions(self) -> None:
        for instance in self.index.of("PRODUCT_DEFINITION"):
            params = self.index.record(instance, "PRODUCT_DEFINITION")
            target = self.index.deref(params[2]) if params and len(params) >= 3 else None
            revision = self.formations.get(target.id) if target else None
            if revision is None:
                self._problem(instance, "a product definition without its formation is left out")
                continue
            self.definitions[instance.id] = revision

    def definition(self, instance_id: int) -> tuple[str, str] | None:
        """(part number, revision code) of a PRODUCT_DEFINITION."""
        return self.definitions.get(instance_id)

    def _usages(self) -> None:
        seen: set[int] = set()
        keys: set[tuple[str, str, str]] = set()
        for name in USAGE_TYPES:
            for instance in self.index.by_name.get(name, ()):
                if instance.id in seen:
                    continue
                seen.add(instance.id)
                self._usage(instance, keys)
        self.out.usages.sort(key=lambda u: u.where.entity)

    def _usage(self, instance: Instance, keys: set[tuple[str, str, str]]) -> None:
        params = instance.get("NEXT_ASSEMBLY_USAGE_OCCURRENCE") or instance.get(
            "QUANTIFIED_ASSEMBLY_COMPONENT_USAGE"
        )
        if params is None or len(params) < 5:
            self._problem(instance, "an assembly usage with too few attributes is left out")
            return
        parent_ref = self._definition(instance, self.index.deref(params[3]), "parent")
        child_ref = self._definition(instance, self.index.deref(params[4]), "child")
        parent = self.definitions.get(parent_ref.id) if parent_ref else None
        child = self.definitions.get(child_ref.id) if child_ref else None
        if parent is None or child is None:
            self._problem(
                instance, "an assembly usage whose parent or child is not a definition is left out"
            )
            return
        if parent[0] == child[0]:
            self._problem(
                instance, f"an assembly usage of part {parent[0]!r} in itself is left out"
            )
            return
        quantity = Decimal(1)
        quantified = instance.get("QUANTIFIED_ASSEMBLY_COMPONENT_USAGE")
        if quantified is not None and len(quantified) >= 7:
            measure = self.index.measure(quantified[6])
            if measure is not None and measure.value > 0:
                quantity = measure.value
        key = ""
        for candidate in (text(params[0]), text(params[1]), f"{child[0]} #{instance.id}"):
            if candidate and (parent[0], parent[1], candidate) not in keys:
                key = candidate
                break
        keys.add((parent[0], parent[1], key))
        designator = text(params[5]) if len(params) > 5 else ""
        where = self.index.where(instance)
        usage = UsageRecord(parent[0], parent[1], child[0], key, designator, quantity, where)
        self.out.usages.append(usage)

    def _definition(self, usage: Instance, target: Instance | None, role: str) -> Instance | None:
        """A usage's parent or child; some writers (Open CASCADE 6.7) name the definition's
        PRODUCT_DEFINITION_SHAPE instead, which is followed to its definition, with a
        warning."""
        shape = self.index.record(target, "PRODUCT_DEFINITION_SHAPE")
        if target is None or shape is None or len(shape) < 3:
            return target
        definition = self.index.deref(shape[2])
        if definition is not None and definition.id in self.definitions:
            self._problem(
                usage,
                f"the usage's {role} is the PRODUCT_DEFINITION_SHAPE #{target.id}, "
                f"read as its product definition #{definition.id}",
            )
        return definition

    def _external(self) -> None:
        sources = self._external_sources()
        for instance in self.index.by_name.get("APPLIED_DOCUMENT_REFERENCE", ()):
            params = instance.get("APPLIED_DOCUMENT_REFERENCE")
            if not params or len(params) < 3:
                continue
            document = self.index.deref(params[0])
            record = self.index.record(document, "DOCUMENT_FILE")
            if document is None or record is None:
                continue
            file_name = sources.get(document.id) or text(record[0])
            if not file_name:
                continue
            for item in refs(params[2]):
                definition = self.definitions.get(item.id)
                if definition is not None:
                    where = self.index.where(instance)
                    self.out.external.append(ExternalReference(definition[0], file_name, where))

    def _external_sources(self) -> dict[int, str]:
        """The file each DOCUMENT_FILE names through an APPLIED_EXTERNAL_IDENTIFICATION_
        ASSIGNMENT to an EXTERNAL_SOURCE (the CAx-IF practice: the document's own id is then
        an arbitrary key such as '#66')."""
        found: dict[int, str] = {}
        for instance in self.index.by_name.get("APPLIED_EXTERNAL_IDENTIFICATION_ASSIGNMENT", ()):
            params = instance.get("APPLIED_EXTERNAL_IDENTIFICATION_ASSIGNMENT")
            if not params or len(params) < 4:
                continue
            source = self.index.follow(params[2], "EXTERNAL_SOURCE")
            identifier = source[0] if source else None
            if isinstance(identifier, Typed) and identifier.params:
                identifier = identifier.params[0]
            name = text(identifier)
            if not name:
                continue
            for item in refs(params[3]):
                if self.index.record(self.index.by_id.get(item.id), "DOCUMENT_FILE") is not None:
                    found.setdefault(item.id, name)
        return found
