"""Suite-wide hooks: tests that need the shared data folder (see ``shared_data.py``)."""

from __future__ import annotations

import pytest

import shared_data


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{shared_data.MARKER}(*parts): needs this path under the shared data folder "
        "(skipped locally, failed under CI=true when it is absent)",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers(shared_data.MARKER):
        shared_data.require(*marker.args)
