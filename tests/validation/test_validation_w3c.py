"""The W3C SHACL Core test suite through the native engine (whole-graph mode).

Every entry whose shapes stay inside the native subset must pass; the others must be
refused with a clear message (and are then reported as skipped with that message). The
last test is the rule that lets the native engine be the gate's default: the components
the passing tests exercise cover every component the project's shapes use.
"""

from __future__ import annotations

import pytest

from kgthread import assets
from kgthread.errors import BadRequest
from kgthread.validation import ShapesGraph, validate
from kgthread.validation.plan import compile_plan
from shared_data import cases as shared_cases
from validation.w3c_suite import SUITE_PARTS, W3cCase, actual_keys, cases

CASES = cases()

# Known failures of the native engine, each with the reason. Empty: every supported entry
# passes. (datatype-ill-formed passes only because Oxigraph stores the ill-formed
# "300"^^xsd:byte as "300"^^xsd:integer, which fails sh:datatype xsd:byte anyway; see
# test_validation_values.py.)
KNOWN_FAILURES: dict[str, str] = {}


def _supported(case: W3cCase) -> tuple[bool, str]:
    if case.conforms is None:
        return False, "expects a shapes-graph failure (sht:Failure)"
    problems = case.shapes().unsupported_features()
    more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
    return (not problems, "; ".join(problems[:3]) + more)


@pytest.mark.parametrize("case", shared_cases(CASES, *SUITE_PARTS), ids=lambda c: c.name)
def test_w3c_native(case: W3cCase) -> None:
    supported, reason = _supported(case)
    if not supported:
        if case.conforms is not None:
            with pytest.raises(BadRequest, match="use gate_engine=pyshacl"):
                validate(case.data_store(), case.shapes())
        pytest.skip(f"outside the native subset: {reason}")
    if case.name in KNOWN_FAILURES:
        pytest.xfail(KNOWN_FAILURES[case.name])
    report = validate(case.data_store(), case.shapes())
    assert report.engine == "native"
    assert report.conforms == case.conforms
    assert actual_keys(report) == set(case.expected)


@pytest.mark.shared_data(*SUITE_PARTS)
def test_w3c_passing_cases_cover_project_components() -> None:
    """The native engine may be the default only for components the suite proves."""
    shapes_files = sorted(assets.shapes_dir().glob("*.ttl"))
    if not shapes_files:
        pytest.skip(f"no project shapes in {assets.shapes_dir()} yet")
    project = ShapesGraph.load(shapes_files)
    assert project.unsupported_features() == []
    exercised: set[str] = set()
    for case in CASES:
        if _supported(case)[0] and case.name not in KNOWN_FAILURES:
            report = validate(case.data_store(), case.shapes())
            if report.conforms == case.conforms and actual_keys(report) == set(case.expected):
                exercised |= {check.component for check in compile_plan(case.shapes()).checks}
    used = {check.component for check in compile_plan(project).checks}
    assert used - exercised == set()
