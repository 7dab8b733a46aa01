"""``kgthread reason``: rebuild the inferred graph, explain a triple, check an ontology."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pyoxigraph import Triple

from kgthread import ids, vocab
from kgthread.cli import main
from kgthread.reasoning import INFERRED_GRAPH
from kgthread.store.embedded import EmbeddedStore


def test_rebuild_then_explain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "store"
    store = EmbeddedStore.open(folder)
    a, b, c = (ids.unit("P", s) for s in "abc")
    graph, batch = ids.batch_graph("hand"), ids.batch("hand")
    catalog = [Triple(batch, vocab.TARGET_GRAPH, graph)]
    store.commit(graph, [Triple(a, vocab.HAS_COMPONENT, b), Triple(b, vocab.HAS_COMPONENT, c)], [])
    store.commit(graph, [], catalog)
    store.close()

    assert main(["--data", str(folder), "reason", "rebuild"]) == 0
    assert INFERRED_GRAPH.value in capsys.readouterr().out
    assert (
        main(["--data", str(folder), "reason", "explain", a.value, vocab.CONTAINS.value, c.value])
        == 0
    )
    why = json.loads(capsys.readouterr().out)
    assert why["rule"] == "contains-transitive"
    assert [p["object"] for p in why["premises"]] == [b.value, c.value]
    assert (
        main(["--data", str(folder), "reason", "explain", c.value, vocab.CONTAINS.value, a.value])
        == 1
    )
    assert main(["--data", str(folder), "reason", "explain", "not an iri", "x", "y"]) == 2


@pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs java on PATH")
def test_check_ontology_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<urn:x:A> a owl:Class . <urn:x:B> a owl:Class ; owl:disjointWith <urn:x:A> .\n"
        "<urn:x:C> a owl:Class ; rdfs:subClassOf <urn:x:A>, <urn:x:B> .\n",
        encoding="utf-8",
    )
    assert main(["reason", "check-ontology", str(bad)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["unsatisfiable"] == ["urn:x:C"]
