"""One 10k-triple sample shared by the sample tests, loaded into an in-memory store."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import RdfFormat, Store

from kgthread.sample import SampleSummary, generate


@dataclass(frozen=True)
class Sample:
    path: Path
    summary: SampleSummary
    truth: dict[str, Any]
    store: Store


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    out = tmp_path_factory.mktemp("sample") / "factory.nt"
    summary = generate(10_000, 7, out)
    store = Store()
    store.bulk_load(path=out, format=RdfFormat.N_TRIPLES)
    truth = json.loads(summary.truth.read_text(encoding="utf-8"))
    return Sample(out, summary, truth, store)
