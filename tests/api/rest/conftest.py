"""One live server over a 10k-triple sample factory, shared by the REST tests of a module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.live_server import Served, serve_sample


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_sample(tmp_path_factory.mktemp("api"), seed=3) as live:
        yield live
