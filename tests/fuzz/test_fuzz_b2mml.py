"""Fuzzing the B2MML/BatchML reader and adapter with mutated real documents (truncated, bytes
flipped, junk and DOCTYPEs inserted, elements duplicated): only documented MES errors naming
the file and a line or XML path, within the deadline, and the store unchanged on refusal."""

from __future__ import annotations

import re

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from pyoxigraph import RdfFormat

from fuzz.strategies import FUZZ, duplicate_line, mutated, outcome, shared
from kgthread.errors import KgthreadError, MesInputError, ValidationFailed
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.mes.adapter import B2mmlAdapter
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.embedded import EmbeddedStore

SEEDS = (
    "courbon-v0401/MAT-20121210170256-CRBN0001.xml",
    "courbon-v0401/LOT-20121210170718-0001L0001.xml",
    "courbon-v0401/INV-20121210175555-0001L0001_01.xml",
    "courbon-v0401/PES-20121229115825-53107.xml",
    "courbon-v0401/PRO-20121210181416-27942.xml",
    "batchml-v0401/ProductionBatchRecord_Example_v06.xml",
)
NAME = "fuzzed.xml"
_WHERE = re.compile(rf"^{re.escape(NAME)}(:| line \d+|: line \d+)")

ORIGINALS: list[bytes] = []


def originals() -> list[bytes]:
    if not ORIGINALS:
        files = [shared("b2mml", seed).read_bytes() for seed in SEEDS]
        ids = [v for data in files for v in duplicate_line(data, b"<ID>")]
        ORIGINALS.extend(files + ids)
    return ORIGINALS


def _check_refusal(error: KgthreadError) -> None:
    if isinstance(error, ValidationFailed):
        return
    assert isinstance(error, MesInputError), repr(error)
    assert error.status == 422
    assert error.detail["file"] == NAME or error.detail["file"].startswith(NAME + ":")
    assert _WHERE.match(error.message), error.message
    assert "line" in error.detail or "location" in error.detail, error.detail


@FUZZ
@given(data=st.data())
def test_mutated_real_documents(
    store: EmbeddedStore, pipeline: Pipeline, data: st.DataObject
) -> None:
    document = data.draw(mutated(originals()))
    strict = data.draw(st.booleans())
    before = store.dump(None, RdfFormat.N_QUADS)
    options = IngestOptions(agent="fuzz", strict=strict)
    error = outcome(lambda: pipeline.ingest(B2mmlAdapter().upload(NAME, document, options)))
    event("committed" if error is None else f"refused: {getattr(error, 'code', '?')}")
    if error is not None:
        _check_refusal(error)
        assert store.dump(None, RdfFormat.N_QUADS) == before


@pytest.mark.parametrize("encoding", ["ttf-8", "utf-7", "nonsense"])
def test_an_undecodable_encoding_is_refused_with_the_line(encoding: str) -> None:
    """Found by fuzzing (one flipped byte in ``utf-8``): a LookupError escaped, a 500."""
    document = originals()[0].replace(b'encoding="utf-8"', f'encoding="{encoding}"'.encode(), 1)
    assert encoding.encode() in document
    with pytest.raises(MesInputError, match="cannot read the XML") as info:
        B2mmlAdapter().upload(NAME, document, IngestOptions(agent="fuzz"))
    _check_refusal(info.value)
    assert info.value.detail["line"] == 1
