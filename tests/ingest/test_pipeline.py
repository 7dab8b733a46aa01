"""The pipeline end to end on a real store on disk: gate, commit, provenance, no-ops."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import Literal, RdfFormat, Triple

from backends.stores import BACKENDS, open_backend
from factories import built_into, product, unit
from kgthread import ids, vocab
from kgthread.errors import RdfSyntaxError, ValidationFailed
from kgthread.gate import Gate
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.rdf_files import batch_from_file
from kgthread.store.base import CATALOG_GRAPH, GraphStore
from kgthread.store.embedded import EmbeddedStore


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """The same pipeline over each backend (backend parity: tests/backends/stores.py)."""
    opened = open_backend(request, request.param, tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def pipeline(store: EmbeddedStore) -> Pipeline:
    return Pipeline(store, Gate.default())


def _batch(triples: list[Triple], name: str, **extra: object) -> Batch:
    data = "\n".join(str(t) for t in triples).encode()
    return Batch(
        "test",
        "1",
        [Source.of_bytes(name, data)],
        triples=triples,
        **extra,  # type: ignore[arg-type]
    )


def _dump(store: EmbeddedStore) -> bytes:
    return store.dump(None, RdfFormat.N_QUADS)


def test_conforming_batch_commits_with_its_provenance(
    pipeline: Pipeline, store: EmbeddedStore
) -> None:
    triples = product("P-1") + unit("P-1", "A", "SN-1")
    batch = _batch(triples, "units.ttl")
    result = pipeline.ingest(batch)
    assert result.status == "committed"
    assert result.triple_count == len(triples)
    assert len(list(store.quads(graph=batch.graph))) == len(triples)
    activity = batch.activity
    catalog = {(q.predicate, q.object) for q in store.quads(activity, None, None, CATALOG_GRAPH)}
    assert (vocab.RDF_TYPE, vocab.INGEST_BATCH) in catalog
    assert (vocab.TARGET_GRAPH, batch.graph) in catalog
    assert (vocab.TRIPLE_COUNT, Literal(str(len(triples)), datatype=vocab.XSD_INTEGER)) in catalog
    document = ids.source_document(batch.sources[0].sha256)
    assert (vocab.PROV_USED, document) in catalog
    assert list(store.quads(document, vocab.SHA256, Literal(batch.sources[0].sha256)))


def test_resending_a_batch_is_a_no_op(pipeline: Pipeline, store: EmbeddedStore) -> None:
    batch = _batch(product("P-1"), "p.ttl")
    pipeline.ingest(batch)
    before = _dump(store)
    again = pipeline.ingest(batch)
    assert again.status == "unchanged"  # the current version of p.ttl holds the same content
    assert _dump(store) == before
    keyed = _batch(product("P-2"), "q.ttl", batch_id="client-key-1")
    assert pipeline.ingest(keyed).status == "committed"
    assert pipeline.ingest(keyed).status == "duplicate"
    assert _dump(store) != before


def test_violating_batch_is_refused_whole_and_store_unchanged(
    pipeline: Pipeline, store: EmbeddedStore
) -> None:
    pipeline.ingest(_batch(product("P-1"), "p.ttl"))
    before = _dump(store)
    orphan = ids.unit("P-1", "SN-9")
    bad = [*unit("P-1", "A", "SN-1"), Triple(orphan, vocab.RDF_TYPE, vocab.SERIALIZED_UNIT)]
    batch = _batch(bad, "units.csv", locations={str(orphan): "units.csv line 7"})
    with pytest.raises(ValidationFailed) as info:
        pipeline.ingest(batch)
    report = info.value.detail["report"]
    assert report["conforms"] is False
    focus = {r["focusNode"] for r in report["results"]}
    assert str(orphan) in focus  # a unit without a serial number or revision
    assert "units.csv line 7" in info.value.message
    assert _dump(store) == before


def test_links_are_checked_against_what_the_store_already_knows(pipeline: Pipeline) -> None:
    pipeline.ingest(_batch(product("P-1"), "design.ttl"))
    # The revision lives in the store, not in this batch: its type comes from the context.
    assert pipeline.ingest(_batch(unit("P-1", "A", "SN-1"), "mes.csv")).status == "committed"
    # A revision nobody has declared is a dangling link: refused.
    with pytest.raises(ValidationFailed, match="violation"):
        pipeline.ingest(_batch(unit("P-2", "A", "SN-2"), "mes2.csv"))


def test_a_serial_cannot_be_built_into_two_parents_across_batches(pipeline: Pipeline) -> None:
    child = ids.unit("C", "1")
    first_parent, second_parent = ids.unit("P", "1"), ids.unit("P", "2")
    setup = product("C") + product("P") + unit("C", "A", "1") + unit("P", "A", "1")
    pipeline.ingest(_batch(setup + built_into(first_parent, child), "build-1.csv"))
    second = unit("P", "A", "2") + built_into(second_parent, child)
    with pytest.raises(ValidationFailed) as info:
        pipeline.ingest(_batch(second, "build-2.csv"))
    components = {r["sourceConstraintComponent"] for r in info.value.detail["report"]["results"]}
    assert "http://www.w3.org/ns/shacl#MaxCountConstraintComponent" in components


def _turtle(triples: list[Triple]) -> str:
    return "".join(f"{t} .\n" for t in triples)


def test_bulk_path_commits_a_conforming_file(
    pipeline: Pipeline, store: EmbeddedStore, tmp_path: Path
) -> None:
    triples = product("P-1")
    for i in range(300):
        triples += unit("P-1", "A", f"SN-{i}")
    path = tmp_path / "units.nt"
    path.write_text(_turtle(triples), encoding="utf-8")
    result = pipeline.ingest(batch_from_file(path, bulk_threshold=0))
    assert result.status == "committed"
    assert result.triple_count == len(triples)


def test_bulk_path_refuses_a_violating_file_and_leaves_no_trace(
    pipeline: Pipeline, store: EmbeddedStore, tmp_path: Path
) -> None:
    first = pipeline.ingest(_batch(product("P-1"), "p.ttl"))
    before = _dump(store)
    no_revision = Triple(ids.unit("P-1", "SN-2"), vocab.SERIAL_NUMBER, Literal("SN-2"))
    # SN-2 has no type-defining properties; SN-3 names revision B, which does not exist.
    triples = [*unit("P-1", "A", "SN-1"), no_revision, *unit("P-1", "B", "SN-3")]
    path = tmp_path / "bad.nt"
    path.write_text(_turtle(triples), encoding="utf-8")
    with pytest.raises(ValidationFailed):
        pipeline.ingest(batch_from_file(path, bulk_threshold=0))
    assert _dump(store) == before
    assert set(store.graph_names()) == {CATALOG_GRAPH, first.graph}


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("truncated.ttl", "<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> ", 2),
        ("garbage.nt", "<urn:a> <urn:b> <urn:c> .\n\x00\x01 garbage\n", 2),
        ("bad-iri.nt", "<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> <http://exa mple.org/> .\n", 2),
        ("bad-iri.ttl", "@prefix ex: <http://example.org/> .\n\nex:a ex:b <ht tp://x> .\n", 3),
    ],
)
def test_malformed_rdf_names_file_and_line(
    pipeline: Pipeline, store: EmbeddedStore, tmp_path: Path, name: str, content: str, line: int
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RdfSyntaxError) as info:
        pipeline.ingest(batch_from_file(path, bulk_threshold=1 << 30))
    assert name in info.value.message
    assert info.value.detail["line"] == line
    assert store.graph_names() == []


def test_wrong_encoding_is_refused(pipeline: Pipeline, tmp_path: Path) -> None:
    path = tmp_path / "latin1.ttl"
    path.write_bytes('<urn:a> <urn:b> "Gehäuse" .\n'.encode("latin-1"))
    with pytest.raises(RdfSyntaxError, match=r"latin1\.ttl"):
        pipeline.ingest(batch_from_file(path, bulk_threshold=1 << 30))


def test_rdfxml_with_doctype_is_refused(pipeline: Pipeline, tmp_path: Path) -> None:
    path = tmp_path / "bomb.rdf"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rdf [<!ENTITY a "aaaa">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n',
        encoding="utf-8",
    )
    with pytest.raises(RdfSyntaxError, match="DOCTYPE"):
        pipeline.ingest(batch_from_file(path, bulk_threshold=1 << 30))


def test_the_provenance_the_pipeline_writes_passes_the_shapes() -> None:
    from datetime import UTC, datetime

    from kgthread.ingest.batch import provenance

    batch = _batch(product("P-1"), "design.ttl")
    checked = Gate.default().check_triples(provenance(batch, 5, datetime.now(UTC)), None)
    assert checked.report.conforms, checked.report.to_json()
    assert checked.report.focus_count >= 3  # the activity, its source document, its adapter


def test_files_over_the_memory_limit_are_checked_in_place(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    """The one-copy path (validate where the bulk loader wrote) accepts and refuses as the
    in-memory path does, and a refusal leaves no trace."""
    pipeline = Pipeline(store, Gate.default(), gate_memory_limit=0)
    pipeline.ingest(_batch(product("P-1"), "p.ttl"))
    before = _dump(store)
    bad = tmp_path / "bad.nt"
    bad.write_text(_turtle(unit("P-1", "B", "SN-3")), encoding="utf-8")  # no revision B
    with pytest.raises(ValidationFailed, match="SN-3"):
        pipeline.ingest(batch_from_file(bad, bulk_threshold=0))
    assert _dump(store) == before
    good = tmp_path / "good.nt"
    triples = [t for i in range(50) for t in unit("P-1", "A", f"SN-{i}")]
    good.write_text(_turtle(triples), encoding="utf-8")
    result = pipeline.ingest(batch_from_file(good, bulk_threshold=0))
    assert (result.status, result.triple_count) == ("committed", len(triples))
    assert len(list(store.quads(graph=result.graph))) == len(triples)
