"""The W3C SHACL Core suite through the pyshacl adapter, for the native subset.

pySHACL itself is tested upstream; this proves the adapter maps its reports (focus nodes,
paths, shapes, values, blank nodes) onto the same model, entry for entry.
"""

from __future__ import annotations

import pytest

from kgthread.validation import validate
from shared_data import cases as shared_cases
from validation.w3c_suite import SUITE_PARTS, W3cCase, actual_keys, cases

SUPPORTED = [c for c in cases() if c.conforms is not None and not c.shapes().unsupported_features()]


@pytest.mark.parametrize("case", shared_cases(SUPPORTED, *SUITE_PARTS), ids=lambda c: c.name)
def test_w3c_pyshacl_adapter(case: W3cCase) -> None:
    report = validate(case.data_store(), case.shapes(), engine="pyshacl")
    assert report.engine == "pyshacl"
    assert report.conforms == case.conforms
    assert actual_keys(report) == set(case.expected)
