"""Real third-party files from the shared data folder (``../shared/data`` beside the checkout,
or ``KGTHREAD_SHARED_DATA``), and what a test does when they are absent.

Locally an absent file skips the test, naming the path. Under CI (``CI=true``) it fails the
test instead, so a run without the data cannot look green. Tests parametrized over a
manifest keep one placeholder case when the manifest is absent, so they are counted (as
skipped or failed) rather than disappearing from the run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import pytest

from kgthread import assets

MARKER = "shared_data"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def path(*parts: str) -> Path:
    """The path under the shared data folder, present or not."""
    return assets.shared_data_dir().joinpath(*parts)


def missing(what: Path | str) -> NoReturn:
    """Skip (locally) or fail (in CI) the running test: ``what`` is absent."""
    reason = f"shared data absent: {what} (set KGTHREAD_SHARED_DATA to the shared data folder)"
    if in_ci():
        pytest.fail(f"{reason}; CI runs every test on the real files", pytrace=False)
    pytest.skip(reason)


def require(*parts: str) -> Path:
    """The file or folder under the shared data folder; skip or fail when it is absent."""
    found = path(*parts)
    if not found.exists():
        missing(found)
    return found


def cases(found: Sequence[object], *parts: str) -> list[object]:
    """Parameters for a test over the cases read from ``parts``: the cases, or when
    ``parts`` is absent one placeholder the ``shared_data`` marker skips or fails."""
    if found or path(*parts).exists():
        return list(found)
    return [pytest.param(None, id="shared-data-absent", marks=pytest.mark.shared_data(*parts))]


def shared(relative: str, what: str) -> Path:
    """``relative`` under the shared data folder (``what`` it holds, for the message); skip
    or fail when it is absent."""
    found = path(relative)
    if not found.exists():
        missing(f"{what}: {found}")
    return found


def present(relative: str) -> bool:
    return path(relative).exists()
