"""Every file of the Open CASCADE STEP corpus (305 real files from about twenty CAD systems)
gives the structure an independent reader finds, or is refused or read differently for a
documented reason (``corpus.py`` names the outcomes; docs/step.md holds the table)."""

from __future__ import annotations

from collections import Counter

import pytest

from ingest.step import corpus
from kgthread import assets

DOCUMENTED_REFUSALS = {
    # not AP203, AP214 or AP242: refused naming the schema
    "trj9_ap209-td.stp": "STRUCTURAL_ANALYSIS_DESIGN",
    "trj10_ap209-eb.stp": "STRUCTURAL_ANALYSIS_DESIGN",
    "trj10_ap209-td.stp": "STRUCTURAL_ANALYSIS_DESIGN",
    "trj10_ch1-id-chs.stp": "CONSTRUCTION_HISTORY_SCHEMA",
    # broken Part 21 (refused by default, read with --failsafe)
    "bug25013_25013faces.stp": "#794080 is defined twice",
    "bug31292.stp": "reference to #18446744073709551615, which the file does not define",
    "bug33665.step": "reference to #18, which the file does not define",
    # broken for the reference reader too
    "bug28454_directives.stp": "bad escape in string",
    "bug32314_corrupted.stp": "malformed instance",
}
TARGET = 0.98


def test_the_corpus_is_there() -> None:
    assert len(corpus.expected()) == 305
    files = {p.name for p in corpus.corpus_dir().iterdir() if p.suffix in (".stp", ".step")}
    assert files == set(corpus.expected())


@pytest.mark.parametrize("name", corpus.names() or ["(corpus absent)"])
def test_file_gives_the_reference_structure_or_a_documented_refusal(name: str) -> None:
    if name not in corpus.expected():
        pytest.fail(f"{name} is not in expected.json")
    found = corpus.outcome(name)
    assert found.kind != corpus.DIFFERS, found.detail
    phrase = DOCUMENTED_REFUSALS.get(name)
    if found.kind.startswith("refused"):
        assert phrase is not None, f"undocumented refusal: {found.detail}"
        assert phrase in found.detail
    else:
        assert phrase is None, f"documented as refused ({phrase}) but {found.kind}"


def test_corpus_target_and_documented_table() -> None:
    outcomes = {name: corpus.outcome(name) for name in corpus.expected()}
    kinds = Counter(o.kind for o in outcomes.values())
    assert kinds[corpus.DIFFERS] == 0
    readable = [
        n for n, o in outcomes.items() if not corpus.expected()[n]["reference_reader_error"]
    ]
    in_scope = [n for n in readable if outcomes[n].kind != corpus.REFUSED_SCHEMA]
    agree = [n for n in in_scope if outcomes[n].kind in corpus.AGREE]
    assert len(agree) / len(in_scope) >= TARGET, (len(agree), len(in_scope))
    docs = (assets.root() / "docs" / "step.md").read_text(encoding="utf-8")
    rows = corpus.table(outcomes)
    assert "\n".join(rows) in docs, "docs/step.md's corpus table is out of date:\n" + "\n".join(
        rows
    )
