"""The SHACL report model both engines produce, so their results compare one for one.

Terms are kept as N-Triples strings: the report crosses process boundaries (REST, CLI,
audit log) and must not drag a live pyoxigraph or rdflib term along.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from kgthread.vocab import SH_NS

SH_VIOLATION = SH_NS + "Violation"
SH_WARNING = SH_NS + "Warning"
SH_INFO = SH_NS + "Info"


@dataclass(frozen=True)
class ValidationResult:
    """One ``sh:ValidationResult``; ``source_location`` is filled by the gate, not the engine."""

    focus_node: str
    result_path: str | None
    constraint_component: str
    source_shape: str
    severity: str
    message: str
    value: str | None
    source_location: str | None = None

    def key(self) -> tuple[str, str | None, str, str, str | None]:
        """What identifies a result across engines (message and severity text excluded)."""
        return (
            self.focus_node,
            self.result_path,
            self.constraint_component,
            self.source_shape,
            self.value,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "focusNode": self.focus_node,
            "resultPath": self.result_path,
            "sourceConstraintComponent": self.constraint_component,
            "sourceShape": self.source_shape,
            "resultSeverity": self.severity,
            "resultMessage": self.message,
            "value": self.value,
            "sourceLocation": self.source_location,
        }


@dataclass(frozen=True)
class Report:
    """A validation report; ``conforms`` follows SHACL: true iff there are no results at all."""

    conforms: bool
    results: tuple[ValidationResult, ...]
    engine: str
    focus_count: int

    @classmethod
    def build(cls, results: set[ValidationResult], engine: str, focus_count: int) -> Report:
        """A report with results in a stable order, so two runs print identically."""
        ordered = tuple(sorted(results, key=_sort_key))
        return cls(not ordered, ordered, engine, focus_count)

    def violations(self) -> tuple[ValidationResult, ...]:
        return tuple(r for r in self.results if r.severity == SH_VIOLATION)

    def to_json(self) -> dict[str, Any]:
        return {
            "conforms": self.conforms,
            "engine": self.engine,
            "focusCount": self.focus_count,
            "violationCount": len(self.violations()),
            "results": [r.to_json() for r in self.results],
        }

    def with_locations(self, locations: Mapping[str, str]) -> Report:
        """The same report with ``source_location`` set from a focus-node -> location map."""
        located = tuple(
            replace(r, source_location=locations.get(r.focus_node, r.source_location))
            for r in self.results
        )
        return replace(self, results=located)


def _sort_key(result: ValidationResult) -> tuple[str, str, str, str, str]:
    return (
        result.focus_node,
        result.source_shape,
        result.constraint_component,
        result.result_path or "",
        result.value or "",
    )
