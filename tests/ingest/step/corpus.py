"""The Open CASCADE STEP corpus (``../shared/data/step/occt-corpus``) against what an
independent Part 21 reader found in the same files (``expected.json``, steputils 0.1).

Each file gets one outcome; where it is not "same", the reason is one of kgthread's documented
conventions (docs/step.md, "Corpus"), never silence:

- ``same``: the reader's product ids, usage count, depth and exploded BOM of every root;
- ``same, shape reference followed``: usages that name a PRODUCT_DEFINITION_SHAPE instead
  of its definition (an Open CASCADE 6.7 writer bug): the reader leaves that parent
  unresolved (its root is ``null``), kgthread follows the shape to its definition with a
  warning; below that root both find the same BOM;
- ``same, blank ids named``: as ``same`` with each blank PRODUCT id named from the product;
- ``same, repeated ids kept distinct``: the reader merges products that share an id; kgthread
  keeps each PRODUCT instance a part of its own (``<id> #<entity>``). Folded back onto their
  ids, kgthread's parts and usages are the reader's; where the merge makes a part contain
  itself the reader finds no root and no depth, and kgthread's structure has no cycle;
- ``refused: schema``: not AP203, AP214 or AP242, refused naming the schema;
- ``refused: broken, same with --failsafe``: instances that break Part 21 (an undefined
  reference, a name defined twice) refuse the file by default; with ``--failsafe`` the bad
  instances are skipped, listed, and the structure is the reader's;
- ``refused: reference reader fails too``: the file is broken for both readers.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pyoxigraph import NamedNode

from kgthread import vocab
from kgthread.errors import StepSyntaxError
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.step.adapter import StepAdapter
from kgthread.ingest.step.part21 import Reader
from shared_data import present, shared

CORPUS = "step/occt-corpus"
_DISTINCT = re.compile(r" #\d+$")

SAME = "same"
SHAPE = "same, shape reference followed"
BLANK = "same, blank ids named"
REPEATED = "same, repeated ids kept distinct"
REFUSED_SCHEMA = "refused: schema"
FAILSAFE = "refused: broken, same with --failsafe"
BOTH_FAIL = "refused: reference reader fails too"
READ_ONLY_HERE = "read; reference reader fails"
DIFFERS = "differs"

AGREE = (SAME, SHAPE, BLANK, REPEATED)
KINDS = (SAME, SHAPE, BLANK, REPEATED, READ_ONLY_HERE, FAILSAFE, REFUSED_SCHEMA, BOTH_FAIL, DIFFERS)


def corpus_dir() -> Path:
    return shared(CORPUS, "the Open CASCADE STEP corpus")


def names() -> list[str]:
    """The corpus files (at collection time; empty when the corpus is absent)."""
    if not present(f"{CORPUS}/expected.json"):
        return []
    return sorted(json.loads((_data() / "expected.json").read_text(encoding="utf-8")))


def _data() -> Path:
    from kgthread import assets

    return assets.shared_data_dir() / CORPUS


@cache
def expected() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads(
        (corpus_dir() / "expected.json").read_text(encoding="utf-8")
    )
    return data


@dataclass(frozen=True)
class Found:
    """A file's structure as kgthread's batch holds it."""

    parts: tuple[str, ...]
    """Part numbers, sorted."""
    edges: Counter[tuple[str, str]]
    """(parent number, child number) -> quantity."""
    problems: tuple[str, ...]

    def folded(self) -> Found:
        """Repeated ids folded back onto the id the file gives (``nut #517`` -> ``nut``)."""
        edges: Counter[tuple[str, str]] = Counter()
        for (parent, child), n in self.edges.items():
            edges[_DISTINCT.sub("", parent), _DISTINCT.sub("", child)] += n
        return Found(tuple(sorted(_DISTINCT.sub("", p) for p in self.parts)), edges, self.problems)


@dataclass(frozen=True)
class Outcome:
    kind: str
    detail: str = ""
    system: str = ""


def structure(triples: Iterable[Any], problems: Iterable[str]) -> Found:
    """Parts and usages read from the mapped triples (what lands in the batch's graph)."""
    numbers: dict[NamedNode, str] = {}
    revision_of: dict[NamedNode, NamedNode] = {}
    usages: dict[NamedNode, dict[NamedNode, Any]] = {}
    for triple in triples:
        s, p, o = triple.subject, triple.predicate, triple.object
        if p == vocab.PART_NUMBER:
            numbers[s] = o.value
        elif p == vocab.REVISION_OF:
            revision_of[s] = o
        elif p in (vocab.USAGE_PARENT, vocab.USAGE_CHILD, vocab.QUANTITY):
            usages.setdefault(s, {})[p] = o
    edges: Counter[tuple[str, str]] = Counter()
    for usage in usages.values():
        parent = numbers[revision_of[usage[vocab.USAGE_PARENT]]]
        child = numbers[usage[vocab.USAGE_CHILD]]
        edges[parent, child] += int(float(usage[vocab.QUANTITY].value))
    return Found(tuple(sorted(numbers.values())), edges, tuple(problems))


def graph(edges: Counter[tuple[str, str]]) -> dict[str, dict[str, int]]:
    children: dict[str, dict[str, int]] = {}
    for (parent, child), n in edges.items():
        children.setdefault(parent, {})[child] = children.get(parent, {}).get(child, 0) + n
    return children


def cyclic(edges: Counter[tuple[str, str]]) -> bool:
    children = graph(edges)
    state: dict[str, int] = {}

    def visit(node: str) -> bool:
        state[node] = 1
        for child in children.get(node, {}):
            if state.get(child) == 1 or (child not in state and visit(child)):
                return True
        state[node] = 2
        return False

    return any(node not in state and visit(node) for node in list(children))


def roots(edges: Counter[tuple[str, str]]) -> list[str]:
    parents = {p for p, _ in edges}
    children = {c for _, c in edges}
    return sorted(parents - children)


def depth(edges: Counter[tuple[str, str]]) -> int:
    """Usages on the longest path from a root (0 for a lone part), as the reader counts."""
    children = graph(edges)

    @cache
    def down(node: str) -> int:
        return max((1 + down(c) for c in children.get(node, {})), default=0)

    return max((down(r) for r in roots(edges)), default=0)


def exploded(edges: Counter[tuple[str, str]]) -> dict[str, dict[str, float]]:
    """Per root, every part below it with its total quantity."""
    children = graph(edges)
    out: dict[str, dict[str, float]] = {}
    for root in roots(edges):
        totals: Counter[str] = Counter()
        stack = [(root, 1)]
        while stack:
            node, factor = stack.pop()
            for child, n in children.get(node, {}).items():
                totals[child] += factor * n
                stack.append((child, factor * n))
        out[root] = {child: float(n) for child, n in totals.items()}
    return out


def agrees(found: Found, reference: dict[str, Any]) -> str | None:
    """Why ``found`` is not the reader's structure, or ``None`` when it is."""
    if list(found.parts) != sorted(reference["product_ids"]):
        return f"parts {list(found.parts)} != {sorted(reference['product_ids'])}"
    usages = sum(found.edges.values())
    if usages != reference["usages"]:
        return f"{usages} usages != {reference['usages']}"
    if depth(found.edges) != reference["depth"]:
        return f"depth {depth(found.edges)} != {reference['depth']}"
    if exploded(found.edges) != reference["exploded"]:
        return f"exploded BOM {exploded(found.edges)} != {reference['exploded']}"
    return None


def read(name: str, *, strict: bool = True) -> Found:
    messages: list[str] = []
    adapter = StepAdapter(progress=messages.append)
    options = IngestOptions(agent="test", strict=strict)
    batches = list(adapter.batches([corpus_dir() / name], options))
    assert len(batches) == 1
    return structure(batches[0].triples, messages)


def system(name: str) -> str:
    """The CAD system that wrote the file, from FILE_NAME (originating system, preprocessor)."""
    try:
        with (corpus_dir() / name).open("rb") as stream:
            header = Reader(stream, name, strict=False).read_header()
    except StepSyntaxError:
        return "not named"
    said = f"{header.originating_system} {header.preprocessor_version}".lower()
    for needle, label in SYSTEMS:
        if needle in said:
            return label
    return "not named"


SYSTEMS = (
    ("catia v5", "CATIA V5"),
    ("catia version 5", "CATIA V5"),
    ("catia", "CATIA V4"),
    ("pro/engineer", "Pro/ENGINEER"),
    ("unigraphics", "NX / Unigraphics"),
    ("nx 9", "NX / Unigraphics"),
    ("ug ->", "NX / Unigraphics"),
    ("i-deas", "I-DEAS"),
    ("cadds", "CADDS"),
    ("euclid", "Euclid"),
    ("cascade", "Open CASCADE"),
    ("freecad", "Open CASCADE"),
    ("microstation", "MicroStation"),
    ("autocad", "AutoCAD"),
    ("inventor", "Inventor"),
    ("solidworks", "SolidWorks"),
    ("soliddesigner", "CoCreate"),
    ("hicad", "HiCAD"),
    ("alias", "Alias"),
    ("syrko", "Syrko"),
    ("3dshare", "other"),
    ("pcb libraries", "other"),
    ("express-r", "other"),
    ("st-developer", "ST-Developer (system not named)"),
    ("xstep", "other"),
)


@cache
def outcome(name: str) -> Outcome:
    reference = expected()[name]
    cad = system(name)
    try:
        found = read(name)
    except StepSyntaxError as error:
        if reference["reference_reader_error"]:
            return Outcome(BOTH_FAIL, error.message, cad)
        if "unsupported schema" in error.message:
            return Outcome(REFUSED_SCHEMA, error.message, cad)
        why = agrees(read(name, strict=False), reference)
        if why is None:
            return Outcome(FAILSAFE, error.message, cad)
        return Outcome(DIFFERS, f"{error.message}; with --failsafe: {why}", cad)
    if reference["reference_reader_error"]:
        return Outcome(READ_ONLY_HERE, reference["reference_reader_error"], cad)
    why = agrees(found, reference)
    if why is None:
        return Outcome(SAME, "", cad)
    if None in reference["roots"]:
        return _unresolved_root(found, reference, cad)
    ids_given = reference["product_ids"]
    if "" in ids_given:
        return _blank(found, reference, cad)
    if len(set(ids_given)) < len(ids_given):
        return _repeated(found, reference, cad)
    return Outcome(DIFFERS, why, cad)


def _blank(found: Found, reference: dict[str, Any], cad: str) -> Outcome:
    named = [p for p in found.parts if p not in reference["product_ids"]]
    blanks = reference["product_ids"].count("")
    warned = sum("blank id" in problem for problem in found.problems)
    if len(named) != blanks or warned != blanks:
        return Outcome(DIFFERS, f"{blanks} blank ids, {len(named)} named, {warned} warnings", cad)
    renamed = dict(zip(sorted(named), [""] * blanks, strict=True))
    edges: Counter[tuple[str, str]] = Counter()
    for (parent, child), n in found.edges.items():
        edges[renamed.get(parent, parent), renamed.get(child, child)] += n
    parts = tuple(sorted(renamed.get(p, p) for p in found.parts))
    why = agrees(Found(parts, edges, found.problems), reference)
    return Outcome(DIFFERS if why else BLANK, why or "", cad)


def _repeated(found: Found, reference: dict[str, Any], cad: str) -> Outcome:
    repeats = len(reference["product_ids"]) - len(set(reference["product_ids"]))
    warned = sum("is also the id of" in problem for problem in found.problems)
    if warned != repeats:
        return Outcome(DIFFERS, f"{repeats} repeated ids, {warned} warnings", cad)
    if cyclic(found.edges):
        return Outcome(DIFFERS, "kgthread's structure has a cycle", cad)
    folded = found.folded()
    if cyclic(folded.edges):
        # merged by id, a part would contain itself: the reader finds no root and no depth
        if reference["roots"] or reference["depth"]:
            return Outcome(DIFFERS, "the reader found a root in a cyclic merge", cad)
        if list(folded.parts) != sorted(reference["product_ids"]):
            return Outcome(DIFFERS, f"parts {folded.parts}", cad)
        if sum(folded.edges.values()) != reference["usages"]:
            return Outcome(DIFFERS, f"{sum(folded.edges.values())} usages", cad)
        return Outcome(REPEATED, "merged by id, a part would contain itself", cad)
    why = agrees(folded, reference)
    return Outcome(DIFFERS if why else REPEATED, why or "", cad)


def _unresolved_root(found: Found, reference: dict[str, Any], cad: str) -> Outcome:
    followed = sum("PRODUCT_DEFINITION_SHAPE" in problem for problem in found.problems)
    ours = exploded(found.edges)
    theirs = reference["exploded"].get("null")
    if not followed or len(ours) != 1 or next(iter(ours.values())) != theirs:
        return Outcome(DIFFERS, f"exploded {ours} != the reader's unresolved root {theirs}", cad)
    if list(found.parts) != sorted(reference["product_ids"]):
        return Outcome(DIFFERS, f"parts {list(found.parts)}", cad)
    if sum(found.edges.values()) != reference["usages"]:
        return Outcome(DIFFERS, f"{sum(found.edges.values())} usages", cad)
    return Outcome(SHAPE, f"{followed} usages name a shape", cad)


def table(outcomes: dict[str, Outcome]) -> list[str]:
    """The per-CAD-system table of docs/step.md, as markdown rows."""
    kinds = [k for k in KINDS if any(o.kind == k for o in outcomes.values())]
    by_system: dict[str, Counter[str]] = {}
    for item in outcomes.values():
        by_system.setdefault(item.system, Counter())[item.kind] += 1
    rows = [
        "| CAD system | files | " + " | ".join(kinds) + " |",
        "| --- | ---: | " + " | ".join("---:" for _ in kinds) + " |",
    ]
    order = sorted(by_system, key=lambda name: (-sum(by_system[name].values()), name))
    for name in order:
        counts = by_system[name]
        cells = " | ".join(str(counts[k]) if counts[k] else "" for k in kinds)
        rows.append(f"| {name} | {sum(counts.values())} | {cells} |")
    total: Counter[str] = Counter(o.kind for o in outcomes.values())
    cells = " | ".join(str(total[k]) for k in kinds)
    rows.append(f"| **all** | {len(outcomes)} | {cells} |")
    return rows
