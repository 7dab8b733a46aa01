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
from reasoning.designs import BUILT, DESIGN, LEAF, MID, TOP, design, unit


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


def test_conformance_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "store"
    store = EmbeddedStore.open(folder)
    graph, batch = ids.batch_graph("hand"), ids.batch("hand")
    whole, bare = ids.unit("TOP", "1"), ids.unit("TOP", "2")
    triples = design("TOP", "A", "CH", "1") + unit("TOP", "A", "1") + unit("TOP", "A", "2")
    triples += [*unit("CH", "A", "1"), Triple(whole, vocab.HAS_COMPONENT, ids.unit("CH", "1"))]
    store.commit(graph, triples, [Triple(batch, vocab.TARGET_GRAPH, graph)])
    store.close()
    data = ["--data", str(folder), "reason", "conformance"]

    assert main(data) == 1
    assert json.loads(capsys.readouterr().out)["nonconforming"] == [bare.value]
    assert main([*data, "--unit", whole.value]) == 0
    assert json.loads(capsys.readouterr().out)["conforms"] is True
    assert main([*data, "--unit", bare.value]) == 1
    assert json.loads(capsys.readouterr().out)["findings"][0]["kind"] == "missing"
    assert main([*data, "--unit", ids.unit("TOP", "9").value]) == 2
    assert "no unit" in capsys.readouterr().err


def test_load_keeps_the_inferred_graph_when_reasoning_is_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "store"
    design_file, built_file = tmp_path / "design.ttl", tmp_path / "built.ttl"
    design_file.write_text(DESIGN, encoding="utf-8")
    built_file.write_text(BUILT, encoding="utf-8")
    monkeypatch.setenv("KGTHREAD_REASONING", "off")
    assert main(["--data", str(folder), "load", str(design_file)]) == 0
    monkeypatch.setenv("KGTHREAD_REASONING", "on")
    assert main(["--data", str(folder), "load", str(built_file)]) == 0
    store = EmbeddedStore.open(folder)
    try:
        inferred = {
            (q.subject, q.object) for q in store.quads(None, vocab.CONTAINS, None, INFERRED_GRAPH)
        }
        assert inferred == {(TOP, MID), (MID, LEAF), (TOP, LEAF)}
    finally:
        store.close()
