"""Answers kept per store state: repeated requests and next pages are served without
evaluating again, and a commit makes every kept answer unreachable at once."""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, serialize

import factories
from api.live_server import LiveFactory, Served
from kgthread import ids, lineage, vocab
from kgthread.api.auth import key_entry, new_key
from kgthread.api.result_cache import Answer, ResultCache
from kgthread.gate import Gate
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.pipeline import Pipeline

RECALL = "/api/queries/recall"


def _cache(served: Served) -> ResultCache:
    cache: ResultCache = served.server.server.config.app.state.result_cache
    return cache


def _new_unit_consuming(served: Served, lot: str, serial: str) -> bytes:
    """N-Triples of a new unit (of an existing revision) built from ``lot``, as the gate wants."""
    revision = NamedNode(served.truth["top_units"][0]["revision"])
    node = ids.unit(ids.parse(revision).keys[0], serial)
    event = ids.consumption(node, NamedNode(lot))
    triples = [
        Triple(node, vocab.RDF_TYPE, vocab.SERIALIZED_UNIT),
        Triple(node, vocab.SERIAL_NUMBER, Literal(serial)),
        Triple(node, vocab.UNIT_OF_REVISION, revision),
        Triple(node, vocab.HAS_COMPONENT, NamedNode(lot)),
        Triple(event, vocab.RDF_TYPE, vocab.CONSUMPTION),
        Triple(event, vocab.CONSUMER, node),
        Triple(event, vocab.CONSUMED_ENTITY, NamedNode(lot)),
        Triple(event, vocab.QUANTITY, Literal("0.5", datatype=vocab.XSD_DECIMAL)),
        Triple(event, vocab.UNIT_OF_MEASURE, vocab.unit("KiloGM")),
    ]
    return serialize(triples, format=RdfFormat.N_TRIPLES) or b""


def test_a_repeated_request_is_served_from_the_kept_answer(served: Served) -> None:
    lot = served.truth["lots"][0]["lot"]
    first = served.client.get(RECALL, params={"item": lot})
    assert first.status_code == 200
    cache = _cache(served)
    hits = cache.hits
    again = served.client.get(RECALL, params={"item": lot})
    assert again.status_code == 200
    assert cache.hits == hits + 1
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["content-type"] == first.headers["content-type"]
    as_ld = served.client.get(
        RECALL, params={"item": lot}, headers={"Accept": "application/ld+json"}
    )
    assert as_ld.headers["content-type"] == "application/ld+json"
    assert as_ld.json()["@context"].endswith("/api/context.jsonld")


def test_callers_share_kept_answers_only_with_the_same_grants(
    tmp_path: Path, live_factory: LiveFactory
) -> None:
    keys, blocks = {}, []
    for name, sources in (("full-1", None), ("full-2", None), ("plm-only", ["plm"])):
        key, digest = new_key()
        keys[name] = {"X-API-Key": key}
        blocks.append(key_entry(name, digest, "read", sources))
    (tmp_path / "keys.toml").write_text("\n".join(blocks), encoding="utf-8")
    live = live_factory(api_keys_file=tmp_path / "keys.toml")
    pipeline = Pipeline(live.store, Gate.default())
    design = factories.product("P-1") + factories.product("P-2")
    built = factories.unit("P-1", "A", "S-1") + factories.unit("P-2", "A", "S-2")
    built += factories.built_into(ids.unit("P-1", "S-1"), ids.unit("P-2", "S-2"))
    for adapter, triples in (("plm", design), ("mes", built)):
        source = Source.of_bytes(f"{adapter}.nt", adapter.encode())
        pipeline.ingest(Batch(adapter, "1", [source], triples=triples))
    url, params = "/api/queries/genealogy-down", {"unit": ids.unit("P-1", "S-1").value}
    first = live.client.get(url, params=params, headers=keys["full-1"])
    assert first.status_code == 200, first.text
    assert first.json()["rows"]
    same_grants = live.client.get(url, params=params, headers=keys["full-2"])
    assert same_grants.content == first.content
    # the same URL at the same state, kept for the full readers: not for this one
    limited = live.client.get(url, params=params, headers=keys["plm-only"])
    assert limited.status_code == 404  # the unit is in the mes graph it may not read


def test_next_pages_are_cut_from_the_table_already_read(served: Served) -> None:
    lot = served.truth["lots"][2]["lot"]
    whole = served.client.get(RECALL, params={"item": lot, "limit": "1000"}).json()["rows"]
    assert len(whole) > 3
    cache = _cache(served)
    hits = cache.hits
    url: str | None = RECALL
    params: dict[str, str] | None = {"item": lot, "limit": "3"}
    paged: list[dict[str, object]] = []
    pages = 0
    while url:
        answer = served.client.get(url, params=params)
        assert answer.status_code == 200
        paged += answer.json()["rows"]
        pages += 1
        link = answer.headers.get("link")
        url, params = (link.split(">")[0][1:], None) if link else (None, None)
    assert paged == whole
    # each page: its own answer is new (a miss), the table is found (a hit)
    assert cache.hits == hits + pages


def test_a_commit_invalidates_every_kept_answer(served: Served) -> None:
    lot = served.truth["lots"][3]["lot"]
    before = served.client.get(RECALL, params={"item": lot, "limit": "1000"})
    units = {r["unit"] for r in before.json()["rows"]}
    assert len(_cache(served)) > 0
    posted = served.client.post(
        "/store",
        params={"graph": "https://w3id.org/kgthread/id/graph/test-cache"},
        content=_new_unit_consuming(served, lot, "CACHE-1"),
        headers={"content-type": "application/n-triples"},
    )
    assert posted.status_code in (201, 204), posted.text
    after = served.client.get(
        RECALL,
        params={"item": lot, "limit": "1000"},
        headers={"If-None-Match": before.headers["etag"]},
    )
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    new_units = {r["unit"] for r in after.json()["rows"]} - units
    assert len(new_units) == 1
    assert next(iter(new_units)).endswith("/CACHE-1")


def test_a_lowered_limit_is_not_answered_from_a_table_read_under_a_higher_one(
    served: Served,
) -> None:
    app = served.server.server.config.app
    lot = served.truth["lots"][4]["lot"]
    assert served.client.get(RECALL, params={"item": lot}).status_code == 200
    saved = app.state.lineage_limits
    app.state.lineage_limits = lineage.Limits(max_rows=1)
    try:
        answer = served.client.get(RECALL, params={"item": lot})
    finally:
        app.state.lineage_limits = saved
    assert answer.status_code == 503


def _table(rows: int) -> lineage.Table:
    return lineage.Table("q", ["a"], [{"a": Literal(str(i))} for i in range(rows)])


def test_cache_bounds_its_memory_and_forgets_an_old_state() -> None:
    cache = ResultCache(max_bytes=4096)
    assert cache.answer("s1", "k") is None
    cache.keep_answer("s1", "k", Answer(b"x" * 1000, {}))
    cache.keep_answer("s1", "j", Answer(b"y" * 1000, {}))
    assert cache.answer("s1", "k") == Answer(b"x" * 1000, {})
    cache.keep_answer("s1", "i", Answer(b"z" * 2000, {}))  # over budget: j was used least
    assert cache.answer("s1", "j") is None
    assert cache.answer("s1", "k") is not None
    cache.keep_answer("s1", "huge", Answer(b"h" * 5000, {}))  # larger than the budget
    assert cache.answer("s1", "huge") is None
    assert cache.answer("s2", "k") is None  # a new state: everything before it is gone
    assert len(cache) == 0
    cache.keep_table("s1", "t", _table(3))  # computed under a state no longer current
    assert cache.table("s2", "t") is None
    cache.keep_table("s2", "t", _table(3))
    kept = cache.table("s2", "t")
    assert kept is not None
    assert len(kept.rows) == 3


def test_a_zero_budget_keeps_nothing() -> None:
    cache = ResultCache(max_bytes=0)
    assert cache.answer("s", "k") is None
    cache.keep_answer("s", "k", Answer(b"", {}))
    assert cache.answer("s", "k") is None
