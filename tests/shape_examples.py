"""Discovery of the SHACL example pairs in ``tests/data/shapes/``, shared by all validators' tests.

Each shaped class ``X`` has ``X-conforms.ttl`` (a minimal valid instance with the nodes it links
to) and ``X-violates.ttl`` (the same with one defect), whose ``# violates: <Component>`` line
names the SHACL constraint component the defect must trip. pyshacl's tests and the native
engine's tests both iterate :func:`discover`, so a new example is picked up by both.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

EXAMPLES_DIR = Path(__file__).resolve().parent / "data" / "shapes"
SH_NS = "http://www.w3.org/ns/shacl#"

_VIOLATES_LINE = re.compile(r"^#\s*violates:\s*(\w+ConstraintComponent)\s*$", re.MULTILINE)
_FILE_NAME = re.compile(r"^(?P<name>[A-Z]\w*)-(?P<kind>conforms|violates)\.ttl$")


class ShapeExample(NamedTuple):
    """One example pair: class local name, both files, expected component's local name."""

    name: str
    conforms_path: Path
    violates_path: Path
    expected_component: str

    @property
    def component_iri(self) -> str:
        return SH_NS + self.expected_component


def expected_component(violates_path: Path) -> str:
    """The component named by the file's ``# violates:`` comment (exactly one is required)."""
    found = _VIOLATES_LINE.findall(violates_path.read_text(encoding="utf-8"))
    if len(found) != 1:
        raise ValueError(f"{violates_path}: need exactly one '# violates: <Component>' line")
    return str(found[0])


def discover(directory: Path = EXAMPLES_DIR) -> list[ShapeExample]:
    """All example pairs, sorted by name; raises if a file is unpaired or misnamed.

    Failing loudly matters: a silently skipped file would be a shape nobody tests.
    """
    files: dict[str, dict[str, Path]] = {}
    for path in sorted(directory.glob("*.ttl")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise ValueError(f"{path}: expected <ClassLocalName>-conforms.ttl or -violates.ttl")
        files.setdefault(match["name"], {})[match["kind"]] = path
    examples = []
    for name, pair in sorted(files.items()):
        missing = {"conforms", "violates"} - pair.keys()
        if missing:
            raise ValueError(f"{directory}: {name} has no {'/'.join(sorted(missing))} example")
        violates = pair["violates"]
        examples.append(
            ShapeExample(name, pair["conforms"], violates, expected_component(violates))
        )
    return examples
