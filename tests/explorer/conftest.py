"""One live server over a 10k-triple sample factory (seed 7) with its inferred graph
materialised (so inferred links show) and every unit's design-conformance report stored,
shared by the explorer tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.live_server import Served, serve_sample
from kgthread.reasoning import Reasoner
from kgthread.reasoning.conformance_reports import check_all


@pytest.fixture(scope="package")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_sample(tmp_path_factory.mktemp("explorer"), seed=7) as live:
        Reasoner().rebuild(live.store)
        check_all(live.store)
        yield live
