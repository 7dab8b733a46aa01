"""Every write path records pending then committed; refusals and retries are recorded as
such; reconciliation resolves a write a crash cut short."""

from __future__ import annotations

import json

import pytest
from pyoxigraph import DefaultGraph, Literal, NamedNode, RdfFormat, Triple

from audit.conftest import Audited, batch
from factories import product, unit
from kgthread import ids, vocab
from kgthread.audit.log import entry_hash
from kgthread.audit.trail import audited_drop
from kgthread.errors import ValidationFailed
from kgthread.ingest import update as updates


def _states(env: Audited) -> list[tuple[str, str, str | None]]:
    return [(e["action"], e["state"], e.get("batch")) for e in env.trail.entries()]


def test_a_committed_batch_is_pending_then_committed_with_its_digests(env: Audited) -> None:
    result = env.pipeline.ingest(batch(product("P-1"), "b1"))
    assert result.status == "committed"
    pending, committed = env.trail.entries()
    assert (pending["state"], committed["state"]) == ("pending", "committed")
    assert committed["ref"] == pending["seq"]
    assert pending["principal"] == committed["principal"] == "alice"
    graph = ids.batch_graph("b1").value
    assert pending["graphs"] == [graph]
    added = pending["delta"]["added"]
    assert added["quads"] == len(product("P-1"))
    assert pending["delta"]["algorithm"] == "RDFC-1.0+SHA-256"
    state = committed["graph_states"][graph]
    assert state["content"] == added  # a new graph holds exactly the delta
    assert state["catalog"]["quads"] > 0
    assert committed["prev"] == pending["hash"] == entry_hash(pending)
    assert env.verify().holds


def test_a_retry_with_the_same_batch_id_is_a_duplicate_entry_not_a_second_commit(
    env: Audited,
) -> None:
    env.pipeline.ingest(batch(product("P-1"), "client-42"))
    again = env.pipeline.ingest(batch(product("P-1"), "client-42"))
    assert again.status == "duplicate"
    assert _states(env) == [
        ("ingest", "pending", "client-42"),
        ("ingest", "committed", "client-42"),
        ("ingest", "duplicate", "client-42"),
    ]
    assert env.verify().holds


def test_a_rejected_batch_is_recorded_and_leaves_store_and_chain_consistent(
    env: Audited,
) -> None:
    env.pipeline.ingest(batch(product("P-1"), "good"))
    before = env.store.dump(None, RdfFormat.N_QUADS)
    with pytest.raises(ValidationFailed):
        env.pipeline.ingest(batch(unit("P-404", "A", "SN-1"), "bad"))
    assert env.store.dump(None, RdfFormat.N_QUADS) == before
    last = list(env.trail.entries())[-1]
    assert (last["state"], last["batch"]) == ("rejected", "bad")
    assert "ValidationFailed" in last["reason"]
    assert "ref" not in last  # refused by the gate: nothing was announced to the store
    assert env.verify().holds


def test_updates_and_drops_are_recorded(env: Audited) -> None:
    env.pipeline.ingest(batch(product("P-1"), "b1"))
    graph = ids.batch_graph("b1")
    text = (
        f"INSERT DATA {{ GRAPH <{graph.value}> {{ <{ids.part('P-1').value}> "
        f"<{vocab.RDFS_LABEL.value}> 'bracket' }} }}"
    )
    updates.apply_update(env.store, env.pipeline.gate, text, agent="bob", audit=env.trail)
    update_pending, update_committed = list(env.trail.entries())[-2:]
    assert (update_pending["action"], update_pending["principal"]) == ("update", "bob")
    assert update_pending["delta"]["added"]["quads"] == 1
    assert update_pending["delta"]["removed"]["quads"] == 0
    assert (
        update_pending["expect"][graph.value]
        == (update_committed["graph_states"][graph.value]["content"])
    )
    assert env.verify().holds
    audited_drop(env.trail, env.store, graph, lambda: env.store.drop_graph(graph), "carol")
    dropped = list(env.trail.entries())[-1]
    assert (dropped["action"], dropped["state"]) == ("drop", "committed")
    assert dropped["graph_states"][graph.value] == {"content": None, "catalog": None}
    # The drop above left the batch's catalog entry behind: verify says so.
    findings = env.verify().findings
    assert [(f.kind, f.where) for f in findings] == [("catalog-changed", graph.value)]


def test_a_refused_update_is_recorded_as_rejected(env: Audited) -> None:
    with pytest.raises(ValidationFailed):
        updates.apply_update(
            env.store,
            env.pipeline.gate,
            f"INSERT DATA {{ <{ids.unit('P-9', 'S1').value}> a <{vocab.SERIALIZED_UNIT.value}> }}",
            audit=env.trail,
        )
    (entry,) = env.trail.entries()
    assert (entry["action"], entry["state"], entry["graphs"]) == ("update", "rejected", ["default"])
    assert not any(True for _ in env.store.quads(graph=DefaultGraph()))
    assert env.verify().holds


def test_reconciliation_marks_a_landed_batch_committed_and_a_lost_one_aborted(
    env: Audited,
) -> None:
    landed, lost = ids.batch_graph("landed"), ids.batch_graph("lost")
    for name, graph in (("landed", landed), ("lost", lost)):
        record = env.trail.record(env.store, "ingest", "alice", [graph], batch=name)
        record.pending(None, None)
    # The crash: "landed" reached the store (with its catalog entry), "lost" did not.
    env.store.commit(landed, product("P-1"), _catalog_of("landed", landed))
    env.reopen()
    resolved = {e["batch"]: e for e in env.trail.entries() if e.get("ref")}
    assert resolved["landed"]["state"] == "committed"
    assert resolved["lost"]["state"] == "aborted"
    assert "reconciled" in resolved["lost"]["reason"]
    assert env.trail.unresolved() == []
    assert env.verify().holds


def test_opening_a_store_that_already_holds_data_starts_from_a_baseline(env: Audited) -> None:
    env.store.commit(
        ids.batch_graph("old"), product("P-1"), _catalog_of("old", ids.batch_graph("old"))
    )
    env.reopen()  # no log yet, a graph present: the log starts from a baseline of it
    env.pipeline.ingest(batch(product("P-2"), "b2"))
    env.reopen()
    first = next(iter(env.trail.entries()))
    assert (first["action"], first["seq"]) == ("baseline", 1)
    assert ids.batch_graph("old").value in first["graph_states"]
    assert env.verify().holds


def test_a_torn_last_line_is_dropped_at_open_and_the_write_reconciled(env: Audited) -> None:
    env.pipeline.ingest(batch(product("P-1"), "b1"))
    committed = json.loads(env.log_path.read_text().splitlines()[-1])
    # As if the committed entry's write was cut short by a crash.
    text = env.log_path.read_text()
    env.log_path.write_text(text[: -len(json.dumps(committed)) // 2])
    env.reopen()
    assert env.trail.log.repaired_bytes > 0
    resolved = list(env.trail.entries())[-1]
    assert (resolved["state"], resolved["ref"]) == ("committed", 1)
    assert env.verify().holds


def _catalog_of(batch_id: str, graph: NamedNode) -> list[Triple]:
    activity = ids.batch(batch_id)
    return [
        Triple(activity, vocab.BATCH_ID, Literal(batch_id)),
        Triple(activity, vocab.TARGET_GRAPH, graph),
    ]
