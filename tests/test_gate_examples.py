"""Every shape's example pair through the gate itself, with each engine: the conforming file
passes, the violating one is caught by the component its comment names."""

from __future__ import annotations

import pytest
from pyoxigraph import RdfFormat

from kgthread.gate import Gate
from kgthread.ingest.batch import BulkFile
from shape_examples import ShapeExample, discover

EXAMPLES = discover()


@pytest.mark.parametrize("engine", ["native", "pyshacl"])
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_example_pair(example: ShapeExample, engine: str) -> None:
    gate = Gate.default(engine)  # type: ignore[arg-type]
    conforming = gate.check_file(BulkFile(example.conforms_path, RdfFormat.TURTLE), None)
    assert conforming.report.conforms, conforming.report.to_json()["results"]
    violating = gate.check_file(BulkFile(example.violates_path, RdfFormat.TURTLE), None)
    components = {r.constraint_component for r in violating.report.violations()}
    assert example.component_iri in components, violating.report.to_json()["results"]
