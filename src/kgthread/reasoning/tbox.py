"""TBox checks with HermiT (through owlready2): consistency and unsatisfiable classes.

An ontology change is accepted only when HermiT finds the ontologies consistent and no named
class equivalent to ``owl:Nothing``. The report explains each unsatisfiable class by the
declared-disjoint classes it falls under (the usual cause), so the author sees why.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import owlready2
import rdflib
from rdflib.namespace import OWL

from kgthread.errors import KgthreadError


class OntologyRejected(KgthreadError):
    """An ontology change HermiT finds inconsistent or with unsatisfiable classes."""

    status = 422
    code = "ontology-rejected"
    title = "Ontology change rejected"
    exit_code = 1


@dataclass(frozen=True)
class Report:
    consistent: bool
    unsatisfiable: tuple[str, ...]
    explanations: tuple[str, ...]

    @property
    def accepted(self) -> bool:
        return self.consistent and not self.unsatisfiable

    def to_json(self) -> dict[str, Any]:
        return {
            "consistent": self.consistent,
            "unsatisfiable": list(self.unsatisfiable),
            "explanations": list(self.explanations),
        }


def classify(ontology_paths: Sequence[Path]) -> Report:
    """Run HermiT over the given ontologies (Turtle or any rdflib format, read locally)."""
    world = owlready2.World()
    with tempfile.TemporaryDirectory(prefix="kgthread-tbox-") as folder:
        for i, path in enumerate(ontology_paths):
            graph = rdflib.Graph().parse(path)
            graph.remove((None, OWL.imports, None))  # nothing is fetched
            target = Path(folder) / f"{i}.nt"
            target.write_text(graph.serialize(format="nt"), encoding="utf-8")
            world.get_ontology(target.as_uri()).load(format="ntriples")
        try:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as exc:
            text = str(exc) or "HermiT: the ontology is inconsistent (some individual cannot exist)"
            return Report(False, (), (text,))
    unsatisfiable = sorted(
        (c for c in world.inconsistent_classes() if c is not owlready2.Nothing),
        key=lambda c: str(c.iri),
    )
    return Report(
        True,
        tuple(str(c.iri) for c in unsatisfiable),
        tuple(_why(world, c) for c in unsatisfiable),
    )


def check_change(ontology_paths: Sequence[Path]) -> Report:
    """``classify``, raising :class:`OntologyRejected` (with the report) unless accepted."""
    report = classify(ontology_paths)
    if not report.accepted:
        first = report.explanations[0] if report.explanations else "inconsistent"
        raise OntologyRejected(f"ontology change rejected: {first}", report=report.to_json())
    return report


def _why(world: owlready2.World, cls: Any) -> str:
    """Name disjoint classes that ``cls`` is asserted or inferred to be under."""
    ancestors = set(cls.ancestors())
    for disjoint in world.disjoint_classes():
        members = [e for e in disjoint.entities if e in ancestors]
        if len(members) >= 2:
            names = " and ".join(sorted(str(m.iri) for m in members[:2]))
            return f"{cls.iri} is unsatisfiable: it is a subclass of {names}, declared disjoint"
    return f"{cls.iri} is unsatisfiable (HermiT classifies it equivalent to owl:Nothing)"
