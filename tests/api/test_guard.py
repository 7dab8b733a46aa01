"""SERVICE is refused in client queries unless its target is allowed, and only the keyword
itself counts."""

from __future__ import annotations

import pytest

from api.live_server import Live
from kgthread.api.guard import refuse_service
from kgthread.errors import TargetRefused


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "select * where { service silent <http://example.org/> { ?s ?p ?o } }",
        "SELECT * WHERE {\n  Service\n<http://x/> { ?s ?p ?o } }",
    ],
)
def test_service_is_refused(query: str) -> None:
    with pytest.raises(TargetRefused, match=r"SERVICE <http://[^>]+> is refused"):
        refuse_service(query)


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * WHERE { ?s ?p "SERVICE" }',
        "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x/>",
        "PREFIX ex: <http://example.org/SERVICE/> SELECT * WHERE { ?s ex:SERVICE ?SERVICE }",
        "SELECT * WHERE { <http://example.org/SERVICE> ?p ?o }",
        "SELECT * WHERE { ?s ?p '''multi\nSERVICE line''' }",
    ],
)
def test_the_word_elsewhere_is_allowed(query: str) -> None:
    refuse_service(query)


def test_endpoint_answers_400_naming_the_target_without_calling_out(read_only: Live) -> None:
    # Nothing listens on the named port: a refusal naming it proves the query never ran.
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    response = read_only.client.get("/sparql", params={"query": query})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "target-refused"
    assert response.json()["target"] == "http://127.0.0.1:9/sparql"
