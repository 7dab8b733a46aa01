"""The SERVICE/LOAD guard's reading of query text, token by token: which keywords count,
what each target resolves to, and what is refused. Pure functions, no server."""

from __future__ import annotations

import pytest

from kgthread.api.guard import allow_list, refuse_service, refuse_unlisted, targets
from kgthread.errors import TargetRefused

A = "http://a.example/sparql"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (f"SELECT * {{ SERVICE <{A}> {{ ?s ?p ?o }} }}", [("SERVICE", A)]),
        (f"select * {{ service silent <{A}> {{ ?s ?p ?o }} }}", [("SERVICE", A)]),
        (f"LOAD <{A}>", [("LOAD", A)]),
        (f"load silent <{A}> into graph <http://g/>", [("LOAD", A)]),
        ("PREFIX e: <http://a.example/> SELECT * { SERVICE e:sparql { } }", [("SERVICE", A)]),
        ("prefix e: <http://a.example/> LOAD e:sparql", [("LOAD", A)]),
        ("PREFIX : <http://a.example/> SELECT * { SERVICE :sparql { } }", [("SERVICE", A)]),
        ("BASE <http://a.example/x/> SELECT * { SERVICE <../sparql> { } }", [("SERVICE", A)]),
        ("base <http://a.example/> LOAD <sparql>", [("LOAD", A)]),
        ("SELECT * { SERVICE <http://a.example/\\u0073parql> { } }", [("SERVICE", A)]),
        ("SELECT * { SERVICE <http://a.example/\\U00000073parql> { } }", [("SERVICE", A)]),
        (
            "PREFIX e: <http://a.example/> SELECT * { SERVICE e:sp\\-x { } }",
            [("SERVICE", "http://a.example/sp-x")],
        ),
        ("SELECT * { SERVICE ?endpoint { } }", [("SERVICE", None)]),
        ("SELECT * { SERVICE $endpoint { } }", [("SERVICE", None)]),
        ("SELECT * { SERVICE undeclared:x { } }", [("SERVICE", None)]),
        ("SELECT * { SERVICE }", [("SERVICE", None)]),
        ("SELECT * { SERVICE SILENT }", [("SERVICE", None)]),
        (
            f"SELECT * {{ SERVICE <{A}> {{}} SERVICE <http://b/> {{}} }}",
            [("SERVICE", A), ("SERVICE", "http://b/")],
        ),
    ],
)
def test_targets(text: str, found: list[tuple[str, str | None]]) -> None:
    assert list(targets(text)) == found


@pytest.mark.parametrize(
    "text",
    [
        '# SERVICE <http://x/>\nSELECT * { ?s ?p "SERVICE <http://x/>" }',
        "SELECT * { ?s ?p 'SERVICE <http://x/>' }",
        'SELECT * { ?s ?p """multi\nSERVICE <http://x/>\nline""" }',
        "SELECT * { ?s ?p '''multi\nLOAD <http://x/>''' }",
        'SELECT * { ?s ?p "with \\" SERVICE <http://x/> escaped" }',
        "SELECT * { ?s ?p 'with \\' LOAD <http://x/> escaped' }",
        'SELECT * { ?s ?p """two "" quotes SERVICE <http://x/>""" }',
        "SELECT * { <http://x/SERVICE> <http://x/LOAD> ?o }",
        "PREFIX ex: <http://x/> SELECT * { ?s ex:SERVICE ex:LOAD }",
        "SELECT ?service ?load { ?service ?load ?o }",
        "SELECT $service { ?s ?p $service }",
        "SELECT * { ?s a ex:x.SERVICE }",
        "SELECT * { ?s ?p ?o } # LOAD <http://x/>",
    ],
)
def test_the_words_elsewhere_are_not_targets(text: str) -> None:
    assert list(targets(text)) == []
    refuse_service(text)


def test_a_prefix_declared_after_use_is_not_applied_before() -> None:
    text = "SELECT * { SERVICE e:sparql { } } PREFIX e: <http://a.example/>"
    assert list(targets(text)) == [("SERVICE", None)]


def test_a_prefix_redeclared_takes_the_latest() -> None:
    text = (
        "PREFIX e: <http://b.example/> PREFIX e: <http://a.example/> "
        "SELECT * { SERVICE e:sparql { } }"
    )
    assert list(targets(text)) == [("SERVICE", A)]


def test_the_base_argument_resolves_relative_targets() -> None:
    assert list(targets("LOAD <sparql>", "http://a.example/")) == [("LOAD", A)]
    assert list(targets("LOAD <sparql>")) == [("LOAD", "sparql")]


def test_an_absolute_target_ignores_the_base() -> None:
    assert list(targets(f"LOAD <{A}>", "http://other/")) == [("LOAD", A)]


def test_allow_list_setting() -> None:
    assert allow_list("") == frozenset()
    assert allow_list(f" {A} , http://b/ ,, ") == frozenset({A, "http://b/"})


def test_refusals_name_keyword_and_target() -> None:
    with pytest.raises(TargetRefused) as refused:
        refuse_unlisted("LOAD <http://b/>", [A])
    assert refused.value.detail["keyword"] == "LOAD"
    assert refused.value.detail["target"] == "http://b/"
    assert "LOAD <http://b/> is refused" in refused.value.message
    with pytest.raises(TargetRefused) as variable:
        refuse_unlisted("SELECT * { SERVICE ?x { } }", [A])
    assert variable.value.detail["keyword"] == "SERVICE"
    assert "variable or unresolvable target" in variable.value.message
    refuse_unlisted(f"SELECT * {{ SERVICE <{A}> {{ }} }}", [A])
    refuse_unlisted(f"LOAD <{A}>", (a for a in [A]))
    with pytest.raises(TargetRefused):
        refuse_unlisted(f"LOAD <{A}/>", [A])  # exactly, not by prefix


def test_refuse_service_refuses_every_target() -> None:
    with pytest.raises(TargetRefused):
        refuse_service(f"LOAD <{A}>")
    refuse_service("SELECT * { ?s ?p ?o }")


def test_a_comment_before_a_real_target_does_not_hide_it() -> None:
    text = f"# a note\nSELECT * {{ SERVICE # the endpoint:\n <{A}> {{ }} }}"
    assert list(targets(text)) == [("SERVICE", A)]
    refuse_unlisted(text, [A])
    with pytest.raises(TargetRefused):
        refuse_unlisted(text, [])
    after_string = f'SELECT * {{ ?s ?p "x" . SERVICE <{A}> {{ }} }}'
    assert list(targets(after_string)) == [("SERVICE", A)]


def test_prefixes_and_bases_resolve_against_the_base_before_them() -> None:
    text = "BASE <http://a.example/> PREFIX e: <x/> SELECT * { SERVICE e:sparql { } }"
    assert list(targets(text)) == [("SERVICE", "http://a.example/x/sparql")]
    text = "BASE <http://a.example/x/y/> BASE <../> LOAD <sparql>"
    assert list(targets(text)) == [("LOAD", "http://a.example/x/sparql")]


def test_a_keyword_at_the_very_end_has_no_target() -> None:
    assert list(targets("LOAD")) == [("LOAD", None)]
    assert list(targets("LOAD SILENT")) == [("LOAD", None)]


def test_a_local_name_may_hold_a_colon() -> None:
    text = "PREFIX e: <http://a.example/> SELECT * { SERVICE e:x:y { } }"
    assert list(targets(text)) == [("SERVICE", "http://a.example/x:y")]
    refuse_unlisted(text, ["http://a.example/x:y"])


def test_refuse_unlisted_resolves_against_the_base_it_is_given() -> None:
    refuse_unlisted("LOAD <sparql>", [A], base_iri="http://a.example/")
    with pytest.raises(TargetRefused):
        refuse_unlisted("LOAD <sparql>", [A])


def test_the_refusal_messages() -> None:
    with pytest.raises(TargetRefused) as listed:
        refuse_unlisted("LOAD <http://b/>", [])
    assert listed.value.message == (
        "LOAD <http://b/> is refused: that target is not on this server's service_allow_list"
    )
    with pytest.raises(TargetRefused) as variable:
        refuse_unlisted("SELECT * { SERVICE ?x { } }", [])
    assert variable.value.message == (
        "SERVICE with a variable or unresolvable target is refused: name an endpoint on the "
        "service_allow_list"
    )
