"""RDFC-1.0 digests: the streamed way (no blank nodes) agrees with pyoxigraph's
canonicalisation, spilling to disk changes nothing, blank-node labels do not matter."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest
from pyoxigraph import (
    BlankNode,
    CanonicalizationAlgorithm,
    Dataset,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    RdfFormat,
    Triple,
    serialize,
)

from kgthread.audit.digest import EMPTY, DumpsGraphs, canonical_digest, graph_digest
from kgthread.store.embedded import EmbeddedStore

P = NamedNode("https://example.org/p")
G = NamedNode("https://example.org/g")


def _reference(quads: list[Quad]) -> str:
    """RDFC-1.0 by the book: pyoxigraph's canonical labelling, then the N-Quads lines sorted
    by code point and hashed."""
    dataset = Dataset(quads)
    dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    text = (serialize(dataset, format=RdfFormat.N_QUADS) or b"").decode("utf-8")
    lines = sorted(line + "\n" for line in text.splitlines())
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def _tricky(count: int, seed: int) -> list[Quad]:
    rng = random.Random(seed)
    values = ['quote " and \\ backslash', "line\nbreak\ttab", "é ü 𝔘 \u0001", "plain", "🙂"]
    quads = []
    for i in range(count):
        subject = NamedNode(f"https://example.org/s/{rng.randrange(count)}")
        value = rng.choice(values) + str(i)
        obj = rng.choice(
            [
                Literal(value),
                Literal(value, language="en-GB"),
                Literal(str(i), datatype=NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
                NamedNode(f"https://example.org/o/{i % 7}"),
            ]
        )
        quads.append(Quad(subject, P, obj, rng.choice([G, DefaultGraph()])))
    return quads


def test_blank_node_free_digest_is_rdfc_1_0() -> None:
    quads = _tricky(500, seed=3)
    found = canonical_digest(quads)
    assert found.sha256 == _reference(quads)
    assert found.quads == len(set(quads))


def test_spilled_chunks_give_the_same_digest_and_drop_duplicates() -> None:
    quads = _tricky(2_000, seed=5)
    doubled = quads + quads[::-1]
    in_memory = canonical_digest(quads)
    spilled = canonical_digest(doubled, chunk_lines=97)
    assert spilled == in_memory
    assert spilled.sha256 == _reference(quads)


def test_blank_node_labels_do_not_change_the_digest() -> None:
    def shape(a: str, b: str) -> list[Quad]:
        x, y = BlankNode(a), BlankNode(b)
        return [Quad(x, P, y, G), Quad(y, P, Literal("leaf"), G), Quad(x, P, Literal("root"), G)]

    first, second = canonical_digest(shape("a", "b")), canonical_digest(shape("zz", "q1"))
    assert first == second
    assert first.sha256 == _reference(shape("a", "b"))
    other = [Quad(BlankNode("a"), P, Literal("root"), G)]
    assert canonical_digest(other) != first


def test_a_blank_node_after_a_spill_still_canonicalises_everything() -> None:
    quads = _tricky(300, seed=9)
    late = [*quads, Quad(BlankNode("late"), P, Literal("x"), G)]
    assert canonical_digest(late, chunk_lines=50).sha256 == _reference(late)


@pytest.mark.parametrize("count", [300, 320, 30])
def test_a_blank_node_after_spilled_and_unspilled_lines(count: int) -> None:
    # 300 fills six chunks exactly; 320 leaves 20 lines not yet spilled; 30 spills nothing.
    late = [*_tricky(count, seed=4), Quad(BlankNode("late"), P, Literal("x"), G)]
    assert canonical_digest(late, chunk_lines=50).sha256 == _reference(late)


def test_one_changed_literal_changes_the_digest() -> None:
    quads = _tricky(100, seed=1)
    changed = [*quads[:-1], Quad(quads[-1].subject, P, Literal("tampered"), quads[-1].graph_name)]
    assert canonical_digest(changed) != canonical_digest(quads)
    assert canonical_digest([]) == EMPTY


def test_a_graph_dumped_and_sorted_outside_python_has_the_same_digest(tmp_path: Path) -> None:
    store = EmbeddedStore.open(tmp_path / "store")
    try:
        quads = [q for q in _tricky(3_000, seed=11) if q.graph_name == G]
        quads.append(Quad(NamedNode("https://example.org/s/x"), P, Literal("not _:blank"), G))
        store.commit(G, [q.triple for q in quads], [])
        assert isinstance(store, DumpsGraphs)
        triples = [q.triple for q in quads]
        # A literal holding "_:" takes the exact way; without it, the dump-and-sort way.
        assert graph_digest(store, G) == canonical_digest(triples)
        other = NamedNode("https://example.org/g2")
        plain = [t for t in triples if "_:" not in str(t)]
        store.commit(other, plain, [])
        assert graph_digest(store, other) == canonical_digest(plain)
        assert graph_digest(store, other).sha256 == _reference(
            [Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in plain]
        )
        blank = NamedNode("https://example.org/g3")
        store.commit(blank, [Triple(BlankNode("b"), P, Literal("x"))], [])
        assert graph_digest(store, blank) == canonical_digest(
            [Triple(BlankNode("z"), P, Literal("x"))]
        )
    finally:
        store.close()
