"""``verify`` finds an edited, deleted or reordered entry, and any change made to the store
outside the service, and says what and where."""

from __future__ import annotations

import json

import pytest
from pyoxigraph import Literal, NamedNode, Quad, Store

from audit.conftest import Audited, batch
from factories import product
from kgthread import ids, vocab
from kgthread.audit.log import entry_hash
from kgthread.audit.verify import Finding
from kgthread.cli import main
from kgthread.store.base import CATALOG_GRAPH
from kgthread.store.embedded import EmbeddedStore


def _three_batches(env: Audited) -> None:
    for number in ("P-1", "P-2", "P-3"):
        env.pipeline.ingest(batch(product(number), number))
    assert env.verify().holds


def _kinds(env: Audited) -> set[tuple[str, str]]:
    return {(f.kind, f.where) for f in env.verify().findings}


def _lines(env: Audited) -> list[str]:
    return env.log_path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_an_edited_entry_is_found_at_its_line(env: Audited) -> None:
    _three_batches(env)
    lines = _lines(env)
    entry = json.loads(lines[1])
    entry["principal"] = "mallory"
    lines[1] = json.dumps(entry, sort_keys=True) + "\n"
    env.log_path.write_text("".join(lines), encoding="utf-8")
    assert _kinds(env) == {("edited", "line 2")}


def test_an_edited_entry_with_a_recomputed_hash_breaks_the_next_link(env: Audited) -> None:
    _three_batches(env)
    lines = _lines(env)
    entry = json.loads(lines[1])
    entry["principal"] = "mallory"
    entry["hash"] = entry_hash(entry)
    lines[1] = json.dumps(entry, sort_keys=True) + "\n"
    env.log_path.write_text("".join(lines), encoding="utf-8")
    assert _kinds(env) == {("chain-broken", "line 3")}


def test_a_deleted_entry_is_found(env: Audited) -> None:
    _three_batches(env)
    lines = _lines(env)
    del lines[2]
    env.log_path.write_text("".join(lines), encoding="utf-8")
    assert _kinds(env) == {("chain-broken", "line 3"), ("sequence", "line 3")}


def test_reordered_entries_are_found(env: Audited) -> None:
    _three_batches(env)
    lines = _lines(env)
    lines[2], lines[3] = lines[3], lines[2]
    env.log_path.write_text("".join(lines), encoding="utf-8")
    kinds = _kinds(env)
    assert ("chain-broken", "line 3") in kinds
    assert ("sequence", "line 3") in kinds


def test_a_quad_added_to_a_graph_outside_the_service_is_found(env: Audited) -> None:
    _three_batches(env)
    graph = ids.batch_graph("P-2")
    extra = Quad(ids.part("P-2"), vocab.RDFS_LABEL, Literal("edited by hand"), graph)
    env.tamper(lambda raw: raw.add(extra))
    findings = env.verify().findings
    assert [(f.kind, f.where) for f in findings] == [
        ("content-changed", graph.value),
        # The statement is asserted by a current graph but not in the view queries read.
        ("view-changed", "https://w3id.org/kgthread/id/graph/current"),
    ]
    assert "6 quads now, 5 recorded" in findings[0].detail


def test_a_graph_written_outside_the_service_is_found(env: Audited) -> None:
    _three_batches(env)
    graph = ids.batch_graph("smuggled")
    activity = ids.batch("smuggled")

    def smuggle(raw: Store) -> None:
        raw.extend(Quad(t.subject, t.predicate, t.object, graph) for t in product("P-9"))
        raw.add(Quad(activity, vocab.TARGET_GRAPH, graph, CATALOG_GRAPH))

    env.tamper(smuggle)
    # Its statements are also missing from the current view queries read.
    assert _kinds(env) == {("unlogged-graph", graph.value), VIEW_CHANGED}


VIEW_CHANGED = ("view-changed", "https://w3id.org/kgthread/id/graph/current")


def test_a_graph_removed_outside_the_service_is_found(env: Audited) -> None:
    _three_batches(env)
    graph = ids.batch_graph("P-1")
    env.tamper(lambda raw: raw.remove_graph(graph))
    assert _kinds(env) == {
        ("missing-graph", graph.value),
        ("catalog-changed", graph.value),
        VIEW_CHANGED,  # the view still holds what only that graph asserted
    }


def test_an_edited_catalog_entry_is_found(env: Audited) -> None:
    _three_batches(env)
    graph = ids.batch_graph("P-3")
    activity = ids.batch("P-3")

    def relabel(raw: Store) -> None:
        for quad in list(raw.quads_for_pattern(activity, vocab.TRIPLE_COUNT, None, CATALOG_GRAPH)):
            raw.remove(quad)
            raw.add(Quad(activity, vocab.TRIPLE_COUNT, Literal("99"), CATALOG_GRAPH))

    env.tamper(relabel)
    assert _kinds(env) == {("catalog-changed", graph.value)}


def test_the_cli_exits_0_when_the_chain_holds_and_1_naming_what_and_where(
    env: Audited, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _three_batches(env)
    env.store.close()
    monkeypatch.setenv("KGTHREAD_AUDIT_DIR", str(env.folder / "audit"))
    args = ["--data", str(env.folder / "store"), "audit", "verify"]
    try:
        assert main(args) == 0
        assert "audit trail holds: 6 entries" in capsys.readouterr().out
        lines = _lines(env)
        env.log_path.write_text("".join(lines[:2] + lines[3:]), encoding="utf-8")
        assert main(args) == 1
        out = capsys.readouterr().out
        assert "chain-broken at line 3: entry seq 4 does not follow the entry before it" in out
        assert "audit trail BROKEN: 2 finding(s)" in out
        assert main([*args, "--json"]) == 1
        report = json.loads(capsys.readouterr().out)
        assert report["holds"] is False
        assert {(f["kind"], f["where"]) for f in report["findings"]} == {
            ("chain-broken", "line 3"),
            ("sequence", "line 3"),
        }
    finally:
        env.store = EmbeddedStore.open(env.folder / "store")


def test_the_cli_reports_a_missing_log_when_the_store_holds_data(
    env: Audited, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _three_batches(env)
    env.store.close()
    env.log_path.unlink()
    monkeypatch.setenv("KGTHREAD_AUDIT_DIR", str(env.folder / "audit"))
    try:
        assert main(["--data", str(env.folder / "store"), "audit", "verify"]) == 1
        assert "missing-log at" in capsys.readouterr().out
    finally:
        env.store = EmbeddedStore.open(env.folder / "store")


XSD_TOKEN = NamedNode("http://www.w3.org/2001/XMLSchema#token")


def _replace(raw: Store, old: Quad, new: Quad) -> None:
    assert old in raw
    raw.remove(old)
    raw.add(new)


def _edited_in_place(env: Audited, graph: NamedNode, old: Quad, new: Quad) -> list[Finding]:
    """Swap one statement for another outside the service: the graph keeps its size."""
    before = len(list(env.store.quads(None, None, None, graph)))
    env.tamper(lambda raw: _replace(raw, old, new))
    assert len(list(env.store.quads(None, None, None, graph))) == before
    return env.verify().findings


@pytest.mark.parametrize(
    "changed",
    [
        Literal("P-2X"),  # another value
        Literal("P-2", language="en"),  # the same text with a language tag
        Literal(
            "P-2", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#token")
        ),  # the same text with another datatype
        Literal("P-2 "),  # one trailing space
    ],
    ids=["value", "language", "datatype", "whitespace"],
)
def test_a_literal_changed_in_place_is_found(env: Audited, changed: Literal) -> None:
    _three_batches(env)
    graph = ids.batch_graph("P-2")
    old = Quad(ids.part("P-2"), vocab.PART_NUMBER, Literal("P-2"), graph)
    new = Quad(ids.part("P-2"), vocab.PART_NUMBER, changed, graph)
    findings = _edited_in_place(env, graph, old, new)
    assert [(f.kind, f.where) for f in findings] == [
        ("content-changed", graph.value),
        VIEW_CHANGED,
        VIEW_CHANGED,
    ]
    assert "5 quads now, 5 recorded" in findings[0].detail
    # The view still holds the old statement and lacks the new one.
    assert "1 statement(s) held by the view, asserted by no current graph" in findings[1].detail
    assert "1 statement(s) asserted by a current graph, missing from the view" in findings[2].detail


def test_a_link_redirected_in_place_is_found(env: Audited) -> None:
    _three_batches(env)
    graph = ids.batch_graph("P-2")
    revision = ids.part_revision("P-2", "A")
    (old,) = env.store.quads(revision, vocab.REVISION_OF, None, graph)
    new = Quad(revision, vocab.REVISION_OF, ids.part("P-1"), graph)
    findings = _edited_in_place(env, graph, old, new)
    assert [(f.kind, f.where) for f in findings] == [
        ("content-changed", graph.value),
        VIEW_CHANGED,
        VIEW_CHANGED,
    ]


def test_statements_swapped_between_graphs_are_found_in_both(env: Audited) -> None:
    _three_batches(env)
    one, two = ids.batch_graph("P-1"), ids.batch_graph("P-2")
    a = Quad(ids.part("P-1"), vocab.PART_NUMBER, Literal("P-1"), one)
    b = Quad(ids.part("P-2"), vocab.PART_NUMBER, Literal("P-2"), two)

    def swap(raw: Store) -> None:
        _replace(raw, a, Quad(a.subject, a.predicate, a.object, two))
        _replace(raw, b, Quad(b.subject, b.predicate, b.object, one))

    env.tamper(swap)
    assert _kinds(env) == {("content-changed", one.value), ("content-changed", two.value)}


def test_a_catalog_value_changed_in_place_is_found(env: Audited) -> None:
    _three_batches(env)
    graph = ids.batch_graph("P-1")
    activity = ids.batch("P-1")
    (old,) = env.store.quads(activity, vocab.PROV_ENDED_AT, None, CATALOG_GRAPH)
    assert isinstance(old.object, Literal)
    moved = old.object.value.replace("20", "19", 1)  # a year earlier, same length
    new = Quad(
        activity, vocab.PROV_ENDED_AT, Literal(moved, datatype=old.object.datatype), CATALOG_GRAPH
    )
    env.tamper(lambda raw: _replace(raw, old, new))
    assert _kinds(env) == {("catalog-changed", graph.value)}


def test_a_log_value_changed_to_one_of_the_same_length_is_found(env: Audited) -> None:
    _three_batches(env)
    lines = _lines(env)
    entry = json.loads(lines[0])
    entry["principal"] = "bobby"  # "alice" and "bobby": the same length, the same keys
    lines[0] = json.dumps(entry, sort_keys=True) + "\n"
    env.log_path.write_text("".join(lines), encoding="utf-8")
    assert ("edited", "line 1") in _kinds(env)


def test_a_pending_write_with_no_outcome_is_judged_without_writing(env: Audited) -> None:
    _three_batches(env)
    graph = ids.batch_graph("lost")
    env.trail.record(env.store, "ingest", "cli", [graph], batch="lost").pending(None, None)
    seq = json.loads(_lines(env)[-1])["seq"]
    before = env.log_path.read_bytes()
    verification = env.verify()
    assert verification.holds  # the batch never landed: aborted, as reconciliation will say
    assert verification.judged == [(seq, "lost", "aborted")]
    assert env.log_path.read_bytes() == before  # judged, not written
    env.reopen()  # reconciliation runs when the store opens, and writes the outcome
    assert env.verify().judged == []
    assert env.log_path.read_bytes() != before


def test_the_json_form_names_every_field(env: Audited) -> None:
    _three_batches(env)
    graph = ids.batch_graph("P-2")
    old = Quad(ids.part("P-2"), vocab.PART_NUMBER, Literal("P-2"), graph)
    env.tamper(
        lambda raw: _replace(raw, old, Quad(old.subject, old.predicate, Literal("X"), graph))
    )
    verification = env.verify()
    last = json.loads(_lines(env)[-1])
    assert verification.to_json() == {
        "holds": False,
        "entries": len(_lines(env)),
        "head": last["hash"],
        "graphs_checked": verification.graphs_checked,
        "findings": [
            {
                "kind": "content-changed",
                "where": graph.value,
                "detail": verification.findings[0].detail,
            },
            *(
                {"kind": "view-changed", "where": VIEW_CHANGED[1], "detail": f.detail}
                for f in verification.findings[1:]
            ),
        ],
    }
    assert verification.graphs_checked >= 3


@pytest.mark.parametrize("garbage", ["not json at all", "[1, 2, 3]", '"a string"'])
def test_a_line_that_is_not_an_entry_is_named_unreadable(env: Audited, garbage: str) -> None:
    _three_batches(env)
    lines = _lines(env)
    lines[1] = garbage + "\n"
    env.log_path.write_text("".join(lines), encoding="utf-8")
    findings = env.verify().findings
    unreadable = [f for f in findings if f.kind == "unreadable"]
    assert [(f.where, f.detail) for f in unreadable] == [("line 2", "not a JSON object")]
    assert env.verify().entries == len(lines) - 1
