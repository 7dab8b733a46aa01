"""Docs that cannot drift: settings, commands and named queries the README promises."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from kgthread import assets, queries
from kgthread.config import Settings

ROOT = assets.root()
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_with_its_default() -> None:
    for f in fields(Settings):
        row = re.search(rf"^\| `{f.name}` \| `([^`]*)` \|", README, re.MULTILINE)
        assert row, f"setting {f.name} is missing from the README's settings table"
        default = f.default
        shown = str(default).lower() if isinstance(default, bool) else str(default)
        assert row.group(1) == shown, f"README shows {row.group(1)!r} as {f.name}'s default"


def test_documented_settings_exist() -> None:
    table = README.split("## Settings", 1)[1].split("##", 1)[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE))
    assert documented == {f.name for f in fields(Settings)}


def test_quickstart_commands_are_make_targets_and_ci_runs_the_test_one() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make (\w+)", quickstart, re.MULTILINE)
    assert commands == ["demo", "test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in commands:
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_cli_command_is_documented() -> None:
    from kgthread.cli import _HANDLERS

    for command in _HANDLERS:
        assert f"kgthread [--data DIR] {command}" in README or f"kgthread {command}" in README


def test_named_queries_declare_name_summary_and_parameters() -> None:
    catalog = queries.catalog()
    assert catalog, "no named queries found"
    for query in catalog.values():
        assert query.summary, f"{query.path.name} has no summary"
        assert query.name == Path(query.path).stem
        projected = re.search(r"SELECT\s+(.*?)\s+WHERE", query.text, re.DOTALL | re.IGNORECASE)
        assert projected, f"{query.path.name} is not a SELECT"
        variables = set(re.findall(r"\?(\w+)", projected.group(1)))
        for parameter in query.parameters:
            # Bound parameters must be projected: that is how the engine substitutes them.
            assert parameter.name in variables, f"{query.path.name}: ?{parameter.name}"
            assert f"?{parameter.name}" in query.text.split("WHERE", 1)[1]


def test_named_query_parameters_and_evidence_match_their_variables() -> None:
    for query in queries.catalog().values():
        projected = re.search(r"SELECT\s+(.*?)\s+WHERE", query.text, re.DOTALL | re.IGNORECASE)
        assert projected, f"{query.path.name} is not a SELECT"
        columns = set(re.findall(r"\?(\w+)\s*\)?\s*(?=\?|\(|$)", projected.group(1)))
        columns |= set(re.findall(r"AS\s+\?(\w+)", projected.group(1)))
        body = query.text.split("WHERE", 1)[1]
        names = [p.name for p in query.parameters]
        assert len(names) == len(set(names)), f"{query.path.name}: a parameter is declared twice"
        for name in names:
            assert name in columns, f"{query.path.name}: parameter ?{name} is not projected"
            assert re.search(rf"\?{name}\b", body), f"{query.path.name}: ?{name} is never used"
        for hop in query.evidence:
            for column in (hop.subject, hop.object):
                assert column in columns, f"{query.path.name}: evidence column ?{column}"


def test_readme_lists_every_named_query() -> None:
    section = README.split("## REST and named queries", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([\w-]+)` \|", section, re.MULTILINE))
    assert listed == {*queries.catalog(), "trace"}
