"""The batch: the unit of ingest, committed whole or not at all.

A batch carries its triples (or, for large RDF files, the file itself so the store can take
its fast path), where each came from, and what the provenance activity must say about it.
Its id is new for every write unless the client names one (an idempotency key): a retry is
recognised by that key only, never guessed from content, so no write the caller meant is
skipped. A batch names the source document it is a version of, so a new version replaces
the old one in the current view.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple

from kgthread import ids, vocab


@dataclass(frozen=True)
class Source:
    """One input document: its name (file name or upload name) and content digest."""

    name: str | None
    sha256: str

    @classmethod
    def of_file(cls, path: Path) -> Source:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return cls(path.name, digest.hexdigest())

    @classmethod
    def of_bytes(cls, name: str | None, data: bytes) -> Source:
        return cls(name, hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class BulkFile:
    """A triples file the store loads directly (its fast path) after the gate has seen it."""

    path: Path
    rdf_format: RdfFormat
    base_iri: str | None = None


@dataclass(frozen=True)
class Batch:
    adapter: str
    adapter_version: str
    sources: Sequence[Source]
    triples: Sequence[Triple] = ()
    bulk: BulkFile | None = None
    batch_id: str | None = None
    target_graph: NamedNode | None = None
    replace: bool = False
    agent: str = "anonymous"
    locations: Mapping[str, str] = field(default_factory=dict)
    """Source location (file and line, XML path, record id) per term, in N-Triples form."""
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    document: str | None = None
    """The identity of the source document across versions (default: the source names)."""
    append: bool = False
    """The source only ever adds (events, summaries): no earlier version is replaced."""
    generated_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def id(self) -> str:
        return self.batch_id or self.generated_id

    @property
    def content_digest(self) -> str:
        """What the batch carries: its adapter and sources (or its triples when it has no
        source document). A retry under the same key must carry the same."""
        digest = hashlib.sha256(self.adapter.encode())
        for source in sorted(self.sources, key=lambda s: s.sha256):
            digest.update(source.sha256.encode())
        if not self.sources:
            for line in sorted(str(t) for t in self.triples):
                digest.update(line.encode())
        return digest.hexdigest()

    @property
    def document_identity(self) -> str | None:
        """The document this batch is a version of, or ``None`` (appends, writes to a named
        graph, in-place rewrites of a batch's own graph)."""
        if self.append or self.target_graph is not None or self.replace:
            return None
        if self.document:
            return self.document
        names = sorted({s.name for s in self.sources if s.name})
        return " + ".join(names) or None

    @property
    def document_iri(self) -> NamedNode | None:
        identity = self.document_identity
        return None if identity is None else ids.document(self.adapter, identity)

    @property
    def graph(self) -> NamedNode:
        return self.target_graph or ids.batch_graph(self.id)

    @property
    def activity(self) -> NamedNode:
        return ids.batch(self.id)


def provenance(
    batch: Batch, triple_count: int, ended: datetime, version: int | None = None
) -> list[Triple]:
    """The batch's ``kgt:IngestBatch`` activity, its sources, its adapter and the document
    it is a ``version`` of, for the catalog."""
    activity = batch.activity
    adapter = ids.adapter(batch.adapter)
    agent = ids.agent(batch.agent)
    triples = [
        Triple(activity, vocab.RDF_TYPE, vocab.INGEST_BATCH),
        Triple(activity, vocab.BATCH_ID, Literal(batch.id)),
        Triple(activity, vocab.TARGET_GRAPH, batch.graph),
        Triple(activity, vocab.PROV_STARTED_AT, _timestamp(batch.started)),
        Triple(activity, vocab.PROV_ENDED_AT, _timestamp(ended)),
        Triple(
            activity, vocab.TRIPLE_COUNT, Literal(str(triple_count), datatype=vocab.XSD_INTEGER)
        ),
        Triple(activity, vocab.PROV_WAS_ASSOCIATED_WITH, adapter),
        Triple(adapter, vocab.RDF_TYPE, vocab.ADAPTER),
        Triple(adapter, vocab.RDFS_LABEL, Literal(batch.adapter)),
        Triple(adapter, vocab.ADAPTER_VERSION, Literal(batch.adapter_version)),
        Triple(activity, vocab.PROV_WAS_ASSOCIATED_WITH, agent),
        Triple(agent, vocab.RDF_TYPE, vocab.PROV_AGENT),
        Triple(agent, vocab.RDFS_LABEL, Literal(batch.agent)),
        Triple(activity, vocab.CONTENT_DIGEST, Literal(batch.content_digest)),
    ]
    if batch.batch_id:
        triples.append(Triple(activity, vocab.IDEMPOTENCY_KEY, Literal(batch.batch_id)))
    document, identity = batch.document_iri, batch.document_identity
    if document is not None and identity is not None and version is not None:
        triples += [
            Triple(activity, vocab.VERSION_OF, document),
            Triple(
                activity, vocab.DOCUMENT_VERSION, Literal(str(version), datatype=vocab.XSD_INTEGER)
            ),
            Triple(document, vocab.RDF_TYPE, vocab.DOCUMENT),
            Triple(document, vocab.DOCUMENT_ID, Literal(identity)),
            Triple(document, vocab.SOURCE_SYSTEM, Literal(batch.adapter)),
        ]
    for source in batch.sources:
        document = ids.source_document(source.sha256)
        triples += [
            Triple(activity, vocab.PROV_USED, document),
            Triple(document, vocab.RDF_TYPE, vocab.SOURCE_DOCUMENT),
            Triple(document, vocab.SHA256, Literal(source.sha256)),
        ]
        if source.name:
            triples.append(Triple(document, vocab.SOURCE_FILE_NAME, Literal(source.name)))
    return triples


def class_counts(triples: Iterable[Triple]) -> dict[str, int]:
    """How many instances of each class (by local name) a batch declares: the summary the
    CLI and REST print after an ingest."""
    counts: dict[str, int] = {}
    for triple in triples:
        if triple.predicate == vocab.RDF_TYPE and isinstance(triple.object, NamedNode):
            name = triple.object.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            counts[name] = counts.get(name, 0) + 1
    return counts


def _timestamp(moment: datetime) -> Literal:
    return Literal(moment.isoformat(), datatype=vocab.XSD_DATETIME)
