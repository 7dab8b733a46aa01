"""Determinism, size control and file handling of ``kgthread.sample.generate``."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, parse

from kgthread.errors import BadRequest
from kgthread.sample import generate, truth_path_for


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    a = generate(10_000, 3, tmp_path / "a.nt")
    b = generate(10_000, 3, tmp_path / "b.nt")
    assert a.out.read_bytes() == b.out.read_bytes()
    assert a.truth.read_bytes() == b.truth.read_bytes()


def test_different_seed_differs(tmp_path: Path) -> None:
    a = generate(10_000, 3, tmp_path / "a.nt")
    b = generate(10_000, 4, tmp_path / "b.nt")
    assert a.out.read_bytes() != b.out.read_bytes()


@pytest.mark.parametrize("scale", [10_000, 100_000])
def test_triple_count_within_tolerance(tmp_path: Path, scale: int) -> None:
    seen: list[int] = []
    summary = generate(scale, 11, tmp_path / "s.nt", progress=seen.append)
    with summary.out.open(encoding="utf-8") as fh:
        lines = sum(1 for _ in fh)
    assert lines == summary.triples
    assert abs(summary.triples - scale) <= 0.15 * scale
    assert seen[-1] == summary.triples
    assert seen == sorted(seen)


def test_gzip_output_is_deterministic_and_parses(tmp_path: Path) -> None:
    a = generate(10_000, 5, tmp_path / "a.nt.gz")
    b = generate(10_000, 5, tmp_path / "b.nt.gz")
    plain = generate(10_000, 5, tmp_path / "plain.nt")
    assert a.out.read_bytes() == b.out.read_bytes()
    assert gzip.decompress(a.out.read_bytes()) == plain.out.read_bytes()
    assert a.truth == tmp_path / "a.truth.json"
    with gzip.open(a.out) as fh:
        assert sum(1 for _ in parse(fh, format=RdfFormat.N_TRIPLES)) == a.triples


def test_explicit_truth_path(tmp_path: Path) -> None:
    summary = generate(10_000, 5, tmp_path / "x.nt", truth=tmp_path / "t.json")
    assert summary.truth == tmp_path / "t.json"
    assert summary.truth.exists()


def test_truth_path_for() -> None:
    assert truth_path_for(Path("d/f.nt")) == Path("d/f.truth.json")
    assert truth_path_for(Path("d/f.nt.gz")) == Path("d/f.truth.json")


def test_too_small_scale_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadRequest):
        generate(100, 1, tmp_path / "x.nt")
