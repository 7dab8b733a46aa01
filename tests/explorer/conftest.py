"""One live server over a 10k-triple sample factory (seed 7), shared by the explorer tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.live_server import Served, serve_sample


@pytest.fixture(scope="package")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_sample(tmp_path_factory.mktemp("explorer"), seed=7) as live:
        yield live
