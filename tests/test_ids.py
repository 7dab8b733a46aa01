"""Identifier minting: one IRI per entity, whatever source the key came from, and no key
can change the shape of an IRI."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyoxigraph import NamedNode, RdfFormat, parse

from kgthread import ids
from kgthread.errors import IdentifierError

keys = st.text(min_size=1, max_size=60).filter(lambda k: _acceptable(k))
printable_keys = st.text(
    st.characters(exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), min_size=1, max_size=30
)


def _acceptable(key: str) -> bool:
    try:
        ids.normalise_key(key)
    except IdentifierError:
        return False
    return True


def test_same_part_number_from_any_source_mints_one_iri() -> None:
    # STEP PRODUCT ids and MES exports differ in padding and Unicode composition only.
    assert ids.part("BRKT-100") == ids.part("  BRKT-100\t")
    assert ids.part("Gehäuse-7") == ids.part("Geha\u0308use-7")


@pytest.mark.parametrize(
    "hostile", ["a b", "a/b", "a#b", "a>b", 'a"b', "a'b", "a<b>", "ünï", "a%2Fb", "x\\y", "{}"]
)
def test_hostile_keys_are_encoded_into_one_path_segment(hostile: str) -> None:
    iri = ids.part(hostile)
    tail = iri.value.removeprefix(ids.DATA_BASE + "part/")
    assert "/" not in tail
    assert "#" not in tail
    assert ">" not in tail
    assert " " not in tail
    assert ids.parse(iri).keys == (hostile,)
    # The IRI survives a round trip through a real RDF parser.
    [quad] = list(parse(f"{iri} {iri} {iri} .".encode(), format=RdfFormat.N_TRIPLES))
    assert quad.subject == iri


@pytest.mark.parametrize("bad", ["", "   ", "a\x00b", "line\nbreak", "x" * 600])
def test_unusable_keys_are_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(IdentifierError) as info:
        ids.part(bad)
    assert info.value.status == 400
    assert info.value.message


def test_arity_is_checked() -> None:
    with pytest.raises(IdentifierError, match="takes 2 key"):
        ids.mint(ids.Kind.UNIT, "only-one")


def test_parse_refuses_foreign_and_non_canonical_iris() -> None:
    with pytest.raises(IdentifierError):
        ids.parse("http://example.org/part/x")
    with pytest.raises(IdentifierError):
        ids.parse(ids.DATA_BASE + "part/a%2fb")  # lower-case escape is not what mint writes
    with pytest.raises(IdentifierError):
        ids.parse(ids.DATA_BASE + "nosuchkind/x")


@given(st.sampled_from(list(ids.Kind)), st.lists(keys, min_size=1, max_size=4))
def test_minting_round_trips(kind: ids.Kind, key_list: list[str]) -> None:
    if kind.arity >= 0:
        key_list = (key_list * 4)[: kind.arity]
    iri = ids.mint(kind, *key_list)
    assert ids.parse(iri) == ids.ParsedIri(kind, tuple(ids.normalise_key(k) for k in key_list))


@given(keys, keys)
def test_minting_is_injective_on_normalised_keys(a: str, b: str) -> None:
    if ids.normalise_key(a) != ids.normalise_key(b):
        assert ids.part(a) != ids.part(b)
        assert ids.unit("P", a) != ids.unit("P", b)


@given(printable_keys, printable_keys, printable_keys)
def test_keys_cannot_bleed_across_positions(a: str, b: str, c: str) -> None:
    # ("a/b", "c") and ("a", "b/c") must not collide.
    assert ids.part_revision(a + "/" + b, c) != ids.part_revision(a, b + "/" + c)


def test_kinds_do_not_collide() -> None:
    assert ids.part("X") != ids.work_order("X")
    assert isinstance(ids.batch_graph("b1"), NamedNode)
    assert ids.batch("b1") != ids.batch_graph("b1")
