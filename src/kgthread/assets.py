"""Where the semantic assets live: ``ontology/``, ``shapes/`` and ``queries/`` are data, not code.

They sit at the project root so integrators can read and edit them; the package finds them
there (editable install, the supported set-up) or under ``KGTHREAD_ASSETS``.
"""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from pathlib import Path


def root() -> Path:
    override = os.environ.get("KGTHREAD_ASSETS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2]


def ontology_dir() -> Path:
    return root() / "ontology"


def ontology_file() -> Path:
    return ontology_dir() / "kgthread.ttl"


def shapes_dir() -> Path:
    return root() / "shapes"


def queries_dir() -> Path:
    return root() / "queries"


def shared_data_dir() -> Path:
    """``../shared/data`` beside the checkout: real third-party files the tests read."""
    override = os.environ.get("KGTHREAD_SHARED_DATA")
    if override:
        return Path(override)
    return root().parent / "shared" / "data"


@cache
def internal_query(name: str) -> str:
    """The text of one of the package's own SPARQL files (``src/kgthread/rq/NAME``): the
    queries and updates the store, the gate, the catalog and the audit trail run."""
    return resources.files("kgthread.rq").joinpath(name).read_text(encoding="utf-8")
