"""Real third-party files from ``../shared/data``: a test that needs them skips, saying why,
when they are absent on a developer's machine, and fails when ``CI=true`` (there they must be
present, or the test would pass by not running)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kgthread import assets


def shared(relative: str, what: str) -> Path:
    """``assets.shared_data_dir() / relative``, or a skip (a failure on CI) naming it."""
    path = assets.shared_data_dir() / relative
    if path.exists():
        return path
    message = f"{what} not found: {path} is absent (set KGTHREAD_SHARED_DATA)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def present(relative: str) -> bool:
    return (assets.shared_data_dir() / relative).exists()
