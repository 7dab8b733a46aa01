"""Conformance reports in the store: one named graph per part revision, replaced whole
whenever that revision's units are checked again, with a catalog entry (a ``prov:Activity``)
naming the revision (the BOM version), the batches its design came from, the batch that
caused the check and when. See docs/reasoning.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, Triple

from kgthread import ids, vocab
from kgthread.errors import NotFound
from kgthread.reasoning.conformance import (
    ACTUAL,
    COMPONENT,
    CONFORMS,
    EXPECTED,
    FINDING,
    KIND,
    NONCONFORMING,
    PART,
    PROV_WAS_INFORMED_BY,
    REVISION,
    SH_RESULT_MESSAGE,
    SH_SOURCE_SHAPE,
    UNIT,
    UNIT_CONFORMANCE,
    UNITS_CHECKED,
    USAGE,
    Finding,
    UnitReport,
    Value,
    check_revision,
    finding_order,
    number,
    query_text,
)
from kgthread.store.base import CATALOG_GRAPH, GraphStore, Term

GRAPH_PREFIX = ids.batch_graph("conformance:").value
"""Every report graph's IRI starts so (``report_graph``)."""


@dataclass(frozen=True)
class Checked:
    """What one conformance run stored."""

    revisions: int
    units: int
    nonconforming: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "revisions": self.revisions,
            "units": self.units,
            "nonconforming": list(self.nonconforming),
        }


def report_graph(revision: NamedNode) -> NamedNode:
    """The named graph holding the reports of one revision's units."""
    return ids.batch_graph("conformance:" + revision.value)


def report_activity(revision: NamedNode) -> NamedNode:
    """The catalog activity of that graph: its provenance."""
    return ids.batch("conformance:" + revision.value)


def check_and_store(
    store: GraphStore, revisions: Iterable[NamedNode], informed_by: NamedNode | None = None
) -> Checked:
    """Check every unit of each revision and replace that revision's report graph."""
    units = 0
    failing: list[str] = []
    done = 0
    for revision in revisions:
        reports = check_revision(store, revision)
        _store(store, revision, reports, informed_by)
        done += 1
        units += len(reports)
        failing.extend(r.unit for r in reports if not r.conforms)
    return Checked(done, units, tuple(sorted(failing)))


def all_revisions(store: GraphStore) -> list[NamedNode]:
    """Every part revision that has units."""
    return _revisions(store, "conformance-revisions", {})


def check_all(store: GraphStore, informed_by: NamedNode | None = None) -> Checked:
    """Check every unit of every revision and store the reports."""
    return check_and_store(store, all_revisions(store), informed_by)


def touched_revisions(store: GraphStore, batch_graph: NamedNode) -> list[NamedNode]:
    """Revisions whose shapes or units a committed batch may have changed."""
    return _revisions(store, "conformance-touched", {"batch": batch_graph})


def _revisions(store: GraphStore, name: str, bound: dict[str, Term]) -> list[NamedNode]:
    result = store.query(query_text(name), substitutions=bound)
    assert isinstance(result, QuerySolutions)
    found = [row["revision"] for row in result]
    return sorted({r for r in found if isinstance(r, NamedNode)}, key=str)


def _store(
    store: GraphStore,
    revision: NamedNode,
    reports: list[UnitReport],
    informed_by: NamedNode | None,
) -> None:
    """Drop the old reports and catalog entry, then write both anew (a crash in between
    leaves no entry, so the next open removes the graph and the next check rewrites it)."""
    graph, activity = report_graph(revision), report_activity(revision)
    if store.contains_graph(graph):
        old = [q.triple for q in store.quads(activity, None, None, CATALOG_GRAPH)]
        store.drop_graph(graph, old)
    now = Literal(datetime.now(UTC).isoformat(), datatype=vocab.XSD_DATETIME)
    triples: list[Triple] = []
    for report in reports:
        node = BlankNode()
        triples += [
            Triple(node, vocab.RDF_TYPE, UNIT_CONFORMANCE),
            Triple(node, UNIT, NamedNode(report.unit)),
            Triple(node, REVISION, revision),
            Triple(node, CONFORMS, Literal(report.conforms)),
            Triple(node, vocab.PROV_WAS_GENERATED_BY, activity),
        ]
        for finding in report.findings:
            triples += _finding_triples(node, finding)
    sources = _revisions_sources(store, revision)
    catalog = [
        Triple(activity, vocab.RDF_TYPE, vocab.PROV_ACTIVITY),
        Triple(activity, vocab.RDFS_LABEL, Literal(f"design conformance of {revision.value}")),
        Triple(activity, vocab.TARGET_GRAPH, graph),
        Triple(activity, vocab.PROV_USED, revision),
        Triple(activity, vocab.PROV_ENDED_AT, now),
        Triple(activity, UNITS_CHECKED, Literal(len(reports))),
        Triple(activity, NONCONFORMING, Literal(sum(not r.conforms for r in reports))),
    ]
    catalog += [Triple(activity, PROV_WAS_INFORMED_BY, s) for s in sources]
    if informed_by is not None:
        catalog.append(Triple(activity, PROV_WAS_INFORMED_BY, informed_by))
    store.commit(graph, triples, catalog)


def _revisions_sources(store: GraphStore, revision: NamedNode) -> list[NamedNode]:
    result = store.query(
        query_text("conformance-usage-sources"), substitutions={"revision": revision}
    )
    assert isinstance(result, QuerySolutions)
    return [row["activity"] for row in result if isinstance(row["activity"], NamedNode)]


def _finding_triples(report: BlankNode, finding: Finding) -> list[Triple]:
    node = BlankNode()
    triples = [Triple(report, FINDING, node), Triple(node, KIND, Literal(finding.kind))]
    for predicate, value in (
        (USAGE, finding.usage),
        (PART, finding.part),
        (COMPONENT, finding.component),
        (SH_SOURCE_SHAPE, finding.shape),
    ):
        if value is not None:
            triples.append(Triple(node, predicate, NamedNode(value)))
    for predicate, amount in ((EXPECTED, finding.expected), (ACTUAL, finding.actual)):
        if isinstance(amount, str):
            triples.append(Triple(node, predicate, NamedNode(amount)))
        elif amount is not None:
            triples.append(Triple(node, predicate, Literal(str(amount), datatype=_numeric(amount))))
    if finding.message:
        triples.append(Triple(node, SH_RESULT_MESSAGE, Literal(finding.message)))
    return triples


def _numeric(amount: int | float) -> NamedNode:
    return vocab.XSD_INTEGER if isinstance(amount, int) else vocab.XSD_DECIMAL


def stored_report(store: GraphStore, unit: NamedNode) -> UnitReport | None:
    """The latest stored report of ``unit``, or ``None``."""
    for quad in store.quads(None, UNIT, unit):
        graph = quad.graph_name
        if not isinstance(graph, NamedNode) or not graph.value.startswith(GRAPH_PREFIX):
            continue
        node = quad.subject
        if not isinstance(node, NamedNode | BlankNode):
            continue
        revision = next(store.quads(node, REVISION, None, graph), None)
        if revision is None or not isinstance(revision.object, NamedNode):
            continue
        findings = [
            _read_finding(store, f.object, graph)
            for f in store.quads(node, FINDING, None, graph)
            if isinstance(f.object, BlankNode | NamedNode)
        ]
        return UnitReport(
            unit.value, revision.object.value, tuple(sorted(findings, key=finding_order))
        )
    return None


def _read_finding(store: GraphStore, node: BlankNode | NamedNode, graph: NamedNode) -> Finding:
    values: dict[NamedNode, Term] = {}
    for quad in store.quads(node, None, None, graph):
        if isinstance(quad.object, NamedNode | Literal):
            values[quad.predicate] = quad.object

    def iri(predicate: NamedNode) -> str | None:
        term = values.get(predicate)
        return term.value if isinstance(term, NamedNode) else None

    def amount(predicate: NamedNode) -> Value:
        term = values.get(predicate)
        if isinstance(term, NamedNode):
            return term.value
        return number(term) if isinstance(term, Literal) else None

    kind = values.get(KIND)
    message = values.get(SH_RESULT_MESSAGE)
    return Finding(
        kind.value if isinstance(kind, Literal) else "",
        iri(USAGE),
        iri(PART),
        amount(EXPECTED),
        amount(ACTUAL),
        iri(COMPONENT),
        iri(SH_SOURCE_SHAPE),
        message.value if isinstance(message, Literal) else "",
    )


def check_unit(store: GraphStore, unit: NamedNode) -> UnitReport:
    """Check the units of ``unit``'s revision, store them, and return ``unit``'s report;
    ``NotFound`` when it is not a unit of some revision."""
    revisions = [
        q.object
        for q in store.quads(unit, vocab.UNIT_OF_REVISION, None)
        if isinstance(q.object, NamedNode)
    ]
    if not revisions:
        raise NotFound(f"no unit {unit.value} with a part revision in the store", unit=unit.value)
    check_and_store(store, sorted(set(revisions), key=str))
    found = stored_report(store, unit)
    assert found is not None
    return found


def merge(runs: Iterable[Checked]) -> Checked:
    """Several runs as one summary."""
    listed = list(runs)
    failing = sorted({u for r in listed for u in r.nonconforming})
    return Checked(sum(r.revisions for r in listed), sum(r.units for r in listed), tuple(failing))
