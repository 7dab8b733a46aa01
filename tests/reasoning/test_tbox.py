"""TBox checks: the shipped ontology is accepted; a change that makes disjoint classes share
a subclass, or an individual impossible, is refused with an explanation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kgthread import assets
from kgthread.reasoning.tbox import OntologyRejected, check_change, classify

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None, reason="HermiT, owlready2's reasoner, needs java on PATH"
)

PREFIXES = """@prefix kgt: <https://w3id.org/kgthread/ns#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""
LOT_AND_UNIT = "kgt:Scrap a owl:Class ; rdfs:subClassOf kgt:MaterialLot, kgt:SerializedUnit .\n"


def change(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "change.ttl"
    path.write_text(PREFIXES + text, encoding="utf-8")
    return path


def test_shipped_ontology_is_accepted() -> None:
    report = check_change([assets.ontology_file()])
    assert report.accepted
    assert report.unsatisfiable == ()


def test_common_subclass_of_disjoint_classes_is_refused(tmp_path: Path) -> None:
    paths = [assets.ontology_file(), change(tmp_path, LOT_AND_UNIT)]
    report = classify(paths)
    assert report.consistent
    assert not report.accepted
    assert report.unsatisfiable == ("https://w3id.org/kgthread/ns#Scrap",)
    assert "MaterialLot" in report.explanations[0]
    assert "SerializedUnit" in report.explanations[0]
    with pytest.raises(OntologyRejected) as refused:
        check_change(paths)
    assert refused.value.detail["report"]["unsatisfiable"] == list(report.unsatisfiable)


def test_an_instance_of_an_unsatisfiable_class_is_inconsistent(tmp_path: Path) -> None:
    individual = "<urn:x:s1> a kgt:Scrap .\n"
    report = classify([assets.ontology_file(), change(tmp_path, LOT_AND_UNIT + individual)])
    assert not report.consistent
    assert not report.accepted
    assert report.explanations
