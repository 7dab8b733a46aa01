"""API conformance: schemathesis generates requests from the app's own OpenAPI schema and
sends them to a real server over a sample factory. No answer is a 500, every documented
response matches its schema and media type, and every operation has its own id.

Bounded: a few examples per operation, derandomized, so the suite stays short and repeatable.
``KGTHREAD_FUZZ_EXAMPLES`` raises the count for a longer local run.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from api.live_server import Served, serve_sample
from kgthread.api.app import create_app
from kgthread.config import Settings

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("KGTHREAD_FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder: Path = tmp_path_factory.mktemp("conformance")
    with serve_sample(folder, seed=11) as running:
        yield running


def _openapi() -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a duplicate operation id is a broken schema
        return create_app(Settings()).openapi()


# Loaded from the app object itself (no server needed to read it); each call is sent to the
# live server below. The lazy fixture loader of schemathesis does not run on pytest 9.
schema = schemathesis.openapi.from_dict(_openapi())
# Valid requests and invalid ones (wrong types, missing parameters, bad bodies) alike.
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    deterministic=True,
)


def test_the_schema_has_unique_operation_ids() -> None:
    spec = _openapi()
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    assert len(ids) > 20


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=30),
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation(case: schemathesis.Case, served: Served) -> None:
    response = case.call(base_url=served.url, timeout=30)
    case.validate_response(response, checks=CHECKS)
