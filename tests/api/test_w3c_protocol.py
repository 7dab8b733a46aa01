"""The W3C SPARQL 1.1 Protocol tests, run against a live server, one case per test.

Every test gets a fresh server and store; its ``ut:graphData`` files are loaded into the
named graphs their labels name, through the Graph Store Protocol. Paths starting
``/sparql/`` go to ``/sparql``.
"""

from __future__ import annotations

import pytest

from api.http_manifest import HttpTest, load_graph_data, problem_code, problems, read_manifest, send
from api.live_server import LiveFactory
from shared_data import cases, path

MANIFEST_PARTS = ("w3c", "sparql11-protocol", "manifest.ttl")
MANIFEST = path(*MANIFEST_PARTS)
PREFIXES = {"/sparql/": "/sparql"}

USING_REFUSED = (
    "using-graph-uri / using-named-graph-uri are refused with 400: pyoxigraph's update API "
    "takes no dataset from outside the update text, and the update is not rewritten"
)
DEVIATIONS: dict[str, str] = {
    "update_dataset_default_graph": USING_REFUSED,
    "update_dataset_default_graphs": USING_REFUSED,
    "update_dataset_named_graphs": USING_REFUSED,
    "update_dataset_full": USING_REFUSED,
}
"""Tests we knowingly fail; each must still fail exactly the documented way."""


def _tests() -> list[HttpTest]:
    return read_manifest(MANIFEST) if MANIFEST.is_file() else []


@pytest.mark.parametrize("test", cases(_tests(), *MANIFEST_PARTS), ids=lambda t: t.id)
def test_protocol(test: HttpTest, live_factory: LiveFactory) -> None:
    live = live_factory(enable_update=True)
    load_graph_data(live.client, test)
    variables: dict[str, str] = {}
    if test.id in DEVIATIONS:
        response = send(live.client, test.steps[0], PREFIXES, variables)
        assert response.status_code == 400, response.text
        assert problem_code(response) == "bad-request"
        assert "using-" in response.json()["detail"]
        return
    for step in test.steps:
        response = send(live.client, step, PREFIXES, variables)
        assert problems(step, response, variables) == [], f"{test.name}: {step.method} {step.path}"
