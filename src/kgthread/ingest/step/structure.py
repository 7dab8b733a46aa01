"""Product structure from STEP instances: parts, revisions, assembly usages, external files.

PRODUCT -> PRODUCT_DEFINITION_FORMATION -> PRODUCT_DEFINITION is the chain every AP203, AP214
and AP242 file uses; NEXT_ASSEMBLY_USAGE_OCCURRENCE links a parent definition to a child
definition. Each occurrence stays a usage of its own (quantity 1 unless the file quantifies
it), so five bolts placed five times are five usages whose quantities add up to five.
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
from kgthread.ingest.step.values import Header, Instance

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
        for instance in self.index.of("PRODUCT"):
            params = self.index.record(instance, "PRODUCT")
            number = text(params[0]) if params else ""
            if not params or len(params) < 3 or not number:
                self._problem(instance, "a PRODUCT without an id is left out")
                continue
            self.products[instance.id] = number
            where = self.index.where(instance)
            self.out.parts.append(PartRecord(number, text(params[1]), text(params[2]), where))

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
                self._problem(instance, "a product definition without its formation")
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
            self._problem(instance, "an assembly usage with too few attributes")
            return
        parent_ref, child_ref = self.index.deref(params[3]), self.index.deref(params[4])
        parent = self.definitions.get(parent_ref.id) if parent_ref else None
        child = self.definitions.get(child_ref.id) if child_ref else None
        if parent is None or child is None:
            self._problem(instance, "an assembly usage whose parent or child is not a definition")
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

    def _external(self) -> None:
        for instance in self.index.by_name.get("APPLIED_DOCUMENT_REFERENCE", ()):
            params = instance.get("APPLIED_DOCUMENT_REFERENCE")
            if not params or len(params) < 3:
                continue
            document = self.index.follow(params[0], "DOCUMENT_FILE")
            file_name = text(document[0]) if document else ""
            if not file_name:
                continue
            for item in refs(params[2]):
                definition = self.definitions.get(item.id)
                if definition is not None:
                    where = self.index.where(instance)
                    self.out.external.append(ExternalReference(definition[0], file_name, where))
