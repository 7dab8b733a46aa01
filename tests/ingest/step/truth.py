"""Ground truth for the STEP tests from an independent reader (steputils), and helpers that
read the same numbers back out of the store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pyoxigraph import NamedNode, Store

import shared_data

HERE = Path(__file__).resolve().parent


def step_dir() -> Path:
    return shared_data.require("step")


def rq(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Structure:
    parts: frozenset[str]
    edges: Counter[tuple[str, str]]
    """(parent part number, child part number) -> occurrences."""

    @property
    def usages(self) -> int:
        return sum(self.edges.values())

    @property
    def depth(self) -> int:
        return depth(self.parts, self.edges)


def depth(parts: Iterable[str], edges: Mapping[tuple[str, str], int]) -> int:
    """Levels of the deepest assembly (a lone part is 1 level)."""
    children: dict[str, set[str]] = {}
    for parent, child in edges:
        children.setdefault(parent, set()).add(child)

    @cache
    def level(part: str) -> int:
        return 1 + max((level(c) for c in children.get(part, ())), default=0)

    return max((level(p) for p in parts), default=0)


@cache
def steputils_structure(path: Path) -> Structure:
    """Parts and NAUO edges as steputils reads the file: PRODUCT -> formation -> definition."""
    from steputils import p21  # a test-only dependency

    records: dict[str, list[tuple[str, Any]]] = {}
    for section in p21.readfile(str(path)).data:
        for ref, instance in section.instances.items():
            entities = getattr(instance, "entities", None) or [instance.entity]
            records[str(ref)] = [(e.name, e.params) for e in entities]

    def first(ref: str, prefix: str) -> Any:
        for name, params in records.get(str(ref), []):
            if name.startswith(prefix):
                return params
        return None

    products = {
        ref: params[0].strip()
        for ref, entities in records.items()
        for name, params in entities
        if name == "PRODUCT"
    }

    def part_of_definition(ref: str) -> str:
        formation = first(ref, "PRODUCT_DEFINITION")[2]
        return str(products[str(first(formation, "PRODUCT_DEFINITION_FORMATION")[2])])

    edges: Counter[tuple[str, str]] = Counter()
    for ref in records:
        usage = first(ref, "NEXT_ASSEMBLY_USAGE_OCCURRENCE")
        if usage is not None:
            edges[part_of_definition(usage[3]), part_of_definition(usage[4])] += 1
    return Structure(frozenset(products.values()), edges)


def union(structures: Iterable[Structure]) -> Structure:
    parts: set[str] = set()
    edges: Counter[tuple[str, str]] = Counter()
    for structure in structures:
        parts |= structure.parts
        edges += structure.edges
    return Structure(frozenset(parts), edges)


def graph_structure(store: Store | Any, graph: NamedNode) -> Structure:
    """The same numbers read back from a batch's graph with tests/ingest/step/structure.rq."""
    parts: set[str] = set()
    edges: Counter[tuple[str, str]] = Counter()
    for row in store.query(rq("structure.rq"), substitutions={"graph": graph}):
        number = _number(row["part"])
        if row["usage"] is None:
            parts.add(number)
        else:
            edges[number, _number(row["child"])] += int(row["quantity"].value)
    return Structure(frozenset(parts), edges)


def _number(node: Any) -> str:
    from kgthread import ids

    return ids.parse(node).keys[0]
