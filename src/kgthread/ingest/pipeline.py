"""The pipeline: the one place that wires a batch through the gate into the store.

Order matters and is the whole point: nothing reaches the store before the gate has passed
it, the batch's provenance lands in the catalog in the same transaction as its triples, a
new version of a document retires the current one in that transaction too, and a retry
under a client's key already in the catalog is acknowledged without writing anything again
(the same key with other content is refused).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pyoxigraph import Literal as RdfLiteral
from pyoxigraph import NamedNode, Store, Triple

from kgthread import vocab
from kgthread.audit.digest import canonical_digest, graph_digest
from kgthread.audit.trail import AuditTrail, Recorder, audited_reasoning
from kgthread.errors import Conflict, ValidationFailed
from kgthread.gate import Checked, Gate
from kgthread.ingest import versions
from kgthread.ingest.batch import Batch, provenance
from kgthread.reasoning import Reasoner
from kgthread.store.base import GraphStore
from kgthread.store.owned import refuse_owned
from kgthread.validation import Report

Status = Literal["committed", "duplicate", "unchanged"]
DEFAULT_MEMORY_LIMIT = 512 * 1024 * 1024


@dataclass(frozen=True)
class CommitResult:
    batch_id: str
    graph: NamedNode
    status: Status
    triple_count: int
    report: Report | None
    seconds: float

    superseded: NamedNode | None = None
    version: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "batch": self.batch_id,
            "version": self.version,
            "superseded": None if self.superseded is None else self.superseded.value,
            "graph": self.graph.value,
            "status": self.status,
            "triples": self.triple_count,
            "seconds": round(self.seconds, 3),
            "conforms": None if self.report is None else self.report.conforms,
        }


class Pipeline:
    """Gate then commit, for every entry point (CLI load, REST ingest, Graph Store, update)."""

    def __init__(
        self,
        store: GraphStore,
        gate: Gate,
        *,
        gate_memory_limit: int = DEFAULT_MEMORY_LIMIT,
        reasoner: Reasoner | None = None,
        audit: AuditTrail | None = None,
    ) -> None:
        self.store = store
        self.audit = audit
        self.gate = gate
        self.gate_memory_limit = gate_memory_limit
        self.reasoner = reasoner

    def ingest(
        self, batch: Batch, *, progress: Callable[[int], None] | None = None
    ) -> CommitResult:
        """Validate and commit ``batch``; raise :class:`ValidationFailed` with the report.
        With an audit trail every outcome, refusals and duplicates too, is recorded in it."""
        record = None
        if self.audit is not None:
            record = self.audit.record(
                self.store, "ingest", batch.agent, [batch.graph], batch=batch.id
            )
        try:
            return self._ingest(batch, progress, record)
        except BaseException as exc:
            if record is not None:
                record.failed(exc)
            raise

    def _ingest(
        self, batch: Batch, progress: Callable[[int], None] | None, record: Recorder | None
    ) -> CommitResult:
        started = time.perf_counter()
        refuse_owned([batch.graph])
        if batch.batch_id is not None and not batch.replace:  # a replace is idempotent itself
            recorded = versions.digest_for_key(self.store, batch.batch_id)
            if recorded is not None:
                if recorded and recorded != batch.content_digest:
                    raise Conflict(
                        f"batch id {batch.batch_id!r} was already used for other content; "
                        "a retry must send the same content, a new write a new id",
                        batch=batch.batch_id,
                    )
                if record is not None:
                    record.duplicate()
                return CommitResult(batch.id, batch.graph, "duplicate", 0, None, 0.0)
        document = batch.document_iri
        history = [] if document is None else versions.versions(self.store, document)
        current = next((v for v in reversed(history) if v.current), None)
        if current is not None and self._unchanged(batch, current):
            if record is not None:
                record.duplicate("the current version of the document holds the same content")
            return CommitResult(
                current.batch.value.rsplit("/", 1)[-1],
                current.graph,
                "unchanged",
                0,
                None,
                0.0,
                version=current.number,
            )
        version = None if document is None else max((v.number for v in history), default=0) + 1
        retire = [current.graph] if current is not None and current.graph != batch.graph else []
        if record is not None:
            record.also(retire)  # its catalog entry changes: superseded
        if self.reasoner is not None:
            self.reasoner.refuse(batch, self.store)
        ignore = ((batch.graph,) if batch.replace else ()) + tuple(retire)

        def catalog_of(count: int) -> list[Triple]:
            now = datetime.now(UTC)
            entry = provenance(batch, count, now, version)
            if current is not None:
                entry += supersession(current.batch, batch.activity, now)
            return entry

        if batch.bulk is None:
            triples = list(batch.triples)
            report = self.gate.check_triples(triples, self.store, ignore=ignore).report
            _raise_if_rejected(batch, report)
            catalog = catalog_of(len(triples))
            self._announce(record, batch, triples)
            self.store.commit(batch.graph, triples, catalog, replace=batch.replace, retire=retire)
            if record is not None:
                record.committed()
            count = len(triples)
        else:
            bulk = batch.bulk
            outcome: list[Checked] = []

            def check() -> None:
                checked = self.gate.check_file(bulk, self.store, ignore=ignore)
                outcome.append(checked)
                _raise_if_rejected(batch, checked.report)

            def check_loaded(loaded: Store, graph: NamedNode) -> None:
                checked = self.gate.check_loaded(loaded, graph)
                outcome.append(checked)
                _raise_if_rejected(batch, checked.report)

            # A file too large to copy into memory beside the loader is checked in place,
            # after the load, on one copy (the native engine reads the store directly).
            in_place = (
                self.gate.engine == "native" and bulk.path.stat().st_size > self.gate_memory_limit
            )

            def deferred_catalog() -> list[Triple]:
                return catalog_of(outcome[0].triple_count)

            if record is not None:  # the delta is known once loaded: recorded at commit
                record.pending(None, None)
            self.store.bulk_commit(
                batch.graph,
                bulk.path,
                bulk.rdf_format,
                _Deferred(deferred_catalog),
                check,
                base_iri=bulk.base_iri,
                progress=progress,
                check_loaded=check_loaded if in_place else None,
                retire=retire,
            )
            report, count = outcome[0].report, outcome[0].triple_count
            if record is not None:
                loaded = graph_digest(self.store, batch.graph)
                record.committed({batch.graph: loaded}, added=loaded)
        if self.reasoner is not None:
            # After the batch's own commit: its entailments land in the inferred graph; a
            # retired version's entailments can only go by a rebuild.
            reasoner, graphs = self.reasoner, [batch.graph, *retire]
            if retire:
                audited_reasoning(
                    self.audit, self.store, lambda s: reasoner.after_write(s, graphs, removed=True)
                )
            else:
                audited_reasoning(self.audit, self.store, lambda s: reasoner.after_commit(s, batch))
        return CommitResult(
            batch.id,
            batch.graph,
            "committed",
            count,
            report,
            time.perf_counter() - started,
            superseded=current.batch if current is not None else None,
            version=version,
        )

    def _unchanged(self, batch: Batch, current: versions.Version) -> bool:
        """Whether ``batch`` repeats the current version and its graph still holds exactly
        what that version wrote (checked statement by statement when the batch is in
        memory, by count for a bulk file)."""
        if current.digest != batch.content_digest or batch.replace:
            return False
        stored = {q.triple for q in self.store.quads(graph=current.graph)}
        if batch.bulk is not None:
            return current.triple_count == len(stored)
        return stored == set(batch.triples)

    def _announce(self, record: Recorder | None, batch: Batch, triples: list[Triple]) -> None:
        """The pending audit entry, with the delta's digests (the committed entry records
        the graph as the store then holds it)."""
        if record is None:
            return
        added = canonical_digest(triples)
        existed = self.store.contains_graph(batch.graph)
        removed = graph_digest(self.store, batch.graph) if batch.replace and existed else None
        record.pending(added, removed)


def supersession(old: NamedNode, new: NamedNode, when: datetime) -> list[Triple]:
    """The catalog statements that make ``old`` history, superseded by ``new`` at ``when``."""
    return [
        Triple(old, vocab.SUPERSEDED_BY, new),
        Triple(old, vocab.SUPERSEDED_AT, RdfLiteral(when.isoformat(), datatype=vocab.XSD_DATETIME)),
    ]


class _Deferred:
    """An iterable computed when first iterated: the catalog entry of a bulk load is written
    after the load, when the gate has counted its triples."""

    def __init__(self, produce: Callable[[], list[Triple]]) -> None:
        self._produce = produce

    def __iter__(self) -> Iterator[Triple]:
        return iter(self._produce())


def _raise_if_rejected(batch: Batch, report: Report) -> None:
    violations = report.violations()
    if not violations:
        return
    located = report.with_locations(batch.locations)
    first = located.violations()[0]
    where = f" ({first.source_location})" if first.source_location else ""
    raise ValidationFailed(
        f"batch {batch.id} rejected: {len(violations)} violation(s); first: "
        f"{first.focus_node} {first.result_path or ''}: {first.message}{where}",
        report=located.to_json(),
    )
