"""Fuzzing the STEP Part 21 reader and adapter: mutated real files (truncated, bytes flipped,
junk inserted, instances duplicated) and generated parameter lists. Every input is read,
mapped and sent through the pipeline; the only failures allowed are kgthread's documented
errors naming the file and line, each example ends within the deadline, and a refused input
leaves the store as it was."""

from __future__ import annotations

import io
import tracemalloc

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from pyoxigraph import RdfFormat

from fuzz.strategies import FUZZ, duplicate_line, mutated, outcome, shared
from kgthread.errors import KgthreadError, StepSyntaxError, ValidationFailed
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.step import limits, params
from kgthread.ingest.step.adapter import StepAdapter
from kgthread.ingest.step.extract import extract
from kgthread.store.embedded import EmbeddedStore

SEEDS = (
    "cax-if-ap214/s1-c5-214/FOOT.stp",
    "cax-if-ap214/s1-c5-214/HEAD.stp",
    "cax-if-ap214/s1-c5-214/s1-c5-214.stp",
    "cax-if-ap214/sg1-c5-214.stp",
)
NAME = "fuzzed.stp"


def _originals() -> list[bytes]:
    files = [shared("step", seed).read_bytes() for seed in SEEDS]
    duplicated = [v for data in files for v in duplicate_line(data, b"=PRODUCT(")]
    return files + duplicated


ORIGINALS: list[bytes] = []


def originals() -> list[bytes]:
    if not ORIGINALS:
        ORIGINALS.extend(_originals())
    return ORIGINALS


def _check_refusal(error: KgthreadError) -> None:
    """A refusal is documented: a STEP error naming the file and line, or the gate's report."""
    if isinstance(error, ValidationFailed):
        return
    assert isinstance(error, StepSyntaxError), repr(error)
    assert error.status == 422
    assert error.detail["file"] == NAME
    assert isinstance(error.detail["line"], int)
    assert error.message.startswith(f"{NAME}: line {error.detail['line']}")


def _ingest(data: bytes, store: EmbeddedStore, pipeline: Pipeline, strict: bool) -> None:
    before = store.dump(None, RdfFormat.N_QUADS)
    adapter = StepAdapter(progress=None)
    options = IngestOptions(agent="fuzz", strict=strict)
    error = outcome(lambda: pipeline.ingest(adapter.upload(NAME, data, options)))
    event("committed" if error is None else f"refused: {getattr(error, 'code', '?')}")
    if error is not None:
        _check_refusal(error)
        assert store.dump(None, RdfFormat.N_QUADS) == before


@FUZZ
@given(data=st.data())
def test_mutated_real_files(store: EmbeddedStore, pipeline: Pipeline, data: st.DataObject) -> None:
    document = data.draw(mutated(originals()))
    strict = data.draw(st.booleans())
    _ingest(document, store, pipeline, strict)


def test_every_duplicated_product_is_refused_in_strict_mode() -> None:
    for document in originals()[len(SEEDS) :]:
        with pytest.raises(StepSyntaxError, match="defined twice") as info:
            extract(io.BytesIO(document), NAME)
        _check_refusal(info.value)


_ATOMS = st.sampled_from(
    ["$", "*", "1", "-2.5E3", ".T.", "#1", "'a''b'", '"0FF"', "''", "'#7'", " 1. "]
)


def _values(depth: int) -> st.SearchStrategy[str]:
    return st.recursive(
        _ATOMS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4).map(lambda xs: "(" + ",".join(xs) + ")"),
            st.tuples(st.sampled_from(["LENGTH_MEASURE", "X"]), inner).map(
                lambda t: f"{t[0]}({t[1]})"
            ),
        ),
        max_leaves=depth,
    )


@FUZZ
@given(st.lists(_values(60), max_size=5).map(lambda xs: "(" + ",".join(xs) + ")"))
def test_generated_parameter_lists_parse_and_check_alike(text: str) -> None:
    """The fast check and the full parser agree on every generated list: both accept it, or
    both refuse it with a ValueError (too deep), never a crash."""
    refs = params.check(text)
    if refs is None:
        with pytest.raises(ValueError, match="nested deeper"):
            params.parse(text)
        return
    parsed = params.parse(text)
    found: list[int] = []
    for value in parsed:
        params.references(value, found)
    assert [str(f) for f in found] == refs


@pytest.mark.parametrize("depth", [limits.MAX_NESTING + 1, 10_000, 200_000])
@pytest.mark.parametrize("entity", ["PRODUCT", "CARTESIAN_POINT"])
def test_deep_nesting_is_refused_quickly(entity: str, depth: int) -> None:
    """Found by fuzzing: a mapped entity nested a few thousand deep crashed the reader with a
    RecursionError, and an unmapped one nested 100k deep took minutes (one pass per level)."""
    head = shared("step", SEEDS[0]).read_bytes().split(b"DATA;")[0]
    body = f"#1={entity}('a'," + "(" * depth + ")" * depth + ");\n"
    document = head + b"DATA;\n" + body.encode() + b"ENDSEC;\nEND-ISO-10303-21;\n"
    with pytest.raises(StepSyntaxError, match=f"nested deeper than {limits.MAX_NESTING}") as info:
        extract(io.BytesIO(document), NAME)
    assert info.value.detail["entity"] == "#1"
    _check_refusal(info.value)


def test_a_long_string_in_a_mapped_instance_is_refused() -> None:
    head = shared("step", SEEDS[0]).read_bytes().split(b"DATA;")[0]
    long = "x" * (limits.MAX_STRING + 1)
    body = f"#1=PRODUCT('{long}','b','c',());\n"
    document = head + b"DATA;\n" + body.encode() + b"ENDSEC;\nEND-ISO-10303-21;\n"
    with pytest.raises(StepSyntaxError, match="string longer than") as info:
        extract(io.BytesIO(document), NAME)
    _check_refusal(info.value)


def test_real_files_are_within_every_limit() -> None:
    """The limits refuse nothing a CAD system wrote: every seed file reads whole."""
    for seed in SEEDS:
        path = shared("step", seed)
        extracted, count = extract(io.BytesIO(path.read_bytes()), path.name)
        assert count > 0
        assert not extracted.problems


def test_a_huge_instance_name_costs_no_memory() -> None:
    """One instance named #67108000 in a tiny file used to size the name map by the name
    (64 MiB); sparse names now wait in a set, and duplicates are still found."""
    head = shared("step", SEEDS[0]).read_bytes().split(b"DATA;")[0]
    point = b"=CARTESIAN_POINT('a',(1.,2.,3.));\n"
    body = b"#67108000" + point + b"#5" + point + b"#67108000" + point
    document = head + b"DATA;\n" + body + b"ENDSEC;\nEND-ISO-10303-21;\n"
    tracemalloc.start()
    try:
        with pytest.raises(StepSyntaxError, match="#67108000 is defined twice"):
            extract(io.BytesIO(document), NAME)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20
