"""The report model: ordering, JSON form, severities and source locations."""

from __future__ import annotations

from kgthread.validation import Report, ValidationResult
from kgthread.validation.report import SH_VIOLATION, SH_WARNING

SH = "http://www.w3.org/ns/shacl#"


def _result(focus: str, severity: str = SH_VIOLATION) -> ValidationResult:
    return ValidationResult(
        focus_node=focus,
        result_path="<http://example.org/p>",
        constraint_component=SH + "MinCountConstraintComponent",
        source_shape="http://example.org/S",
        severity=severity,
        message="m",
        value=None,
    )


def test_report_orders_results_and_conforms_only_when_empty() -> None:
    report = Report.build({_result("<urn:b>"), _result("<urn:a>", SH_WARNING)}, "native", 2)
    assert [r.focus_node for r in report.results] == ["<urn:a>", "<urn:b>"]
    assert not report.conforms  # a warning alone is still a result
    assert [r.focus_node for r in report.violations()] == ["<urn:b>"]
    assert Report.build(set(), "native", 0).conforms


def test_json_and_locations() -> None:
    report = Report.build({_result("<urn:a>")}, "pyshacl", 1)
    located = report.with_locations({"<urn:a>": "batch.csv:7"})
    assert located.results[0].source_location == "batch.csv:7"
    assert report.results[0].source_location is None
    body = located.to_json()
    assert body["conforms"] is False
    assert body["engine"] == "pyshacl"
    assert body["violationCount"] == 1
    assert body["results"][0]["sourceLocation"] == "batch.csv:7"
    assert body["results"][0]["focusNode"] == "<urn:a>"
