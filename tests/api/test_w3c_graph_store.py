"""The W3C Graph Store Protocol tests (indirect identification) against a live server.

Paths starting ``/gsp`` go to ``/store``. ``manifest-direct.ttl`` is not run: kgthread
identifies graphs indirectly only (``?graph=<iri>``), since its graph IRIs are minted
identifiers on another host, not URLs under the server.
"""

from __future__ import annotations

import pytest

from api.http_manifest import HttpTest, problems, read_manifest, send
from api.live_server import LiveFactory
from shared_data import cases, path

MANIFEST_PARTS = ("w3c", "sparql11-graph-store-protocol", "manifest-indirect.ttl")
MANIFEST = path(*MANIFEST_PARTS)
PREFIXES = {"/gsp": "/store"}


def _tests() -> list[HttpTest]:
    return read_manifest(MANIFEST) if MANIFEST.is_file() else []


@pytest.mark.parametrize("test", cases(_tests(), *MANIFEST_PARTS), ids=lambda t: t.id)
def test_graph_store(test: HttpTest, live_factory: LiveFactory) -> None:
    live = live_factory()
    variables: dict[str, str] = {}
    for step in test.steps:
        response = send(live.client, step, PREFIXES, variables)
        assert problems(step, response, variables) == [], f"{test.name}: {step.method} {step.path}"
