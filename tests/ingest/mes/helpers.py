"""Shared helpers for the MES adapter tests."""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import RdfFormat

import shared_data
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.batch import Batch
from kgthread.ingest.mes.adapter import B2mmlAdapter, TableAdapter
from kgthread.store.embedded import EmbeddedStore

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def dump(store: EmbeddedStore) -> bytes:
    return store.dump(None, RdfFormat.N_QUADS)


def b2mml_dir(name: str) -> Path:
    return shared_data.require("b2mml", name)


def b2mml_batch(path: Path, **options: object) -> Batch:
    return next(B2mmlAdapter().batches([path], IngestOptions(**options)))  # type: ignore[arg-type]


def table_batch(path: Path, kind: str | None = None, **options: object) -> Batch:
    opts = IngestOptions(kind=kind, **options)  # type: ignore[arg-type]
    return next(TableAdapter().batches([path], opts))
