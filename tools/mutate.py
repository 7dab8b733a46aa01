"""Mutation testing of the modules that decide correctness, one module at a time.

``make mutate MODULE=ids`` copies the sources, tests and semantic assets into
``build/mutation/<module>/``, writes a mutmut configuration there that mutates only that
module's files and selects only the tests that speak for it, runs mutmut (at low priority,
one worker) and prints the score. mutmut's cache stays in that folder, so a second run
re-tests only what changed. ``make mutate`` with no module runs every target in turn.

Scores and every surviving mutant's explanation live in docs/testing.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "mutation"
COPIED = ("src", "tests", "ontology", "shapes", "queries")


@dataclass(frozen=True)
class Target:
    sources: tuple[str, ...]
    """Files mutated, relative to the project root."""
    tests: tuple[str, ...]
    """pytest arguments selecting the tests that speak for them. Tests that start a live
    server are left out: a server thread in mutmut's forked runner does not come up, so
    every mutant they cover would count as killed by timeout."""


TARGETS: dict[str, Target] = {
    "ids": Target(("src/kgthread/ids.py",), ("tests/test_ids.py",)),
    "verdicts": Target(
        ("src/kgthread/ingest/mes/units.py",),
        ("tests/ingest/mes/test_units.py", "tests/ingest/mes/test_verdicts.py"),
    ),
    "guard": Target(
        ("src/kgthread/api/guard.py",),
        ("tests/api/test_guard.py", "tests/api/test_guard_targets.py", "-k", "not endpoint"),
    ),
    "native": Target(
        ("src/kgthread/validation/native.py", "src/kgthread/validation/values.py"),
        (
            "tests/validation/test_validation_w3c.py",
            "tests/validation/test_validation_values.py",
            "tests/validation/test_validation_boundaries.py",
        ),
    ),
    "gate": Target(
        ("src/kgthread/gate.py",),
        ("tests/test_gate_context.py", "tests/test_gate_examples.py"),
    ),
    "audit": Target(
        ("src/kgthread/audit/digest.py", "src/kgthread/audit/verify.py"),
        ("tests/audit/test_digest.py", "tests/audit/test_verify.py"),
    ),
    "step-structure": Target(
        ("src/kgthread/ingest/step/structure.py",),
        ("tests/ingest/step/test_step_reader.py", "tests/ingest/step/test_step_structure.py"),
    ),
    "lineage": Target(
        ("src/kgthread/lineage.py",),
        ("tests/lineage/test_edge_cases.py", "tests/lineage/test_oracle.py"),
    ),
}


def _config(target: Target) -> str:
    def array(items: tuple[str, ...] | list[str]) -> str:
        return "[" + ", ".join(json.dumps(i) for i in items) + "]"

    tests = tuple(
        t for t in target.tests if not t.startswith("tests/") or (ROOT / t.split("::")[0]).exists()
    )
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["src"]\n'
        f"only_mutate = {array(target.sources)}\n"
        f'also_copy = ["ontology", "shapes", "queries"]\n'
        f"pytest_add_cli_args_test_selection = {array(tests)}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]\n'
        "timeout_multiplier = 3.0\n"
        # Workers fork from a process that has not run the suite: the stats run leaves
        # RocksDB and server threads behind, and a child forked beside them can hang.
        'process_isolation = "forkserver"\n'
    )


def prepare(name: str, target: Target) -> Path:
    folder = BUILD / name
    folder.mkdir(parents=True, exist_ok=True)
    for part in COPIED:
        shutil.copytree(
            ROOT / part,
            folder / part,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"),
        )
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (folder / "pyproject.toml").write_text(text + _config(target), encoding="utf-8")
    return folder


def run(name: str) -> dict[str, int]:
    target = TARGETS[name]
    folder = prepare(name, target)
    mutmut = str(Path(sys.executable).parent / "mutmut")
    env = {
        **os.environ,
        "KGTHREAD_SHARED_DATA": str(_shared_data()),
        "PYTHONPATH": "",
    }
    subprocess.run(
        ["nice", "-n", "15", mutmut, "run", "--max-children", "1"], cwd=folder, env=env, check=True
    )
    subprocess.run([mutmut, "export-cicd-stats"], cwd=folder, env=env, check=True)
    stats: dict[str, int] = json.loads(
        (folder / "mutants" / "mutmut-cicd-stats.json").read_text(encoding="utf-8")
    )
    caught = stats.get("killed", 0) + stats.get("timeout", 0)
    survived = stats.get("survived", 0)
    judged = caught + survived
    score = 100.0 * caught / judged if judged else 0.0
    print(
        f"{name}: {caught} of {judged} mutants killed ({score:.1f}%; "
        f"{stats.get('timeout', 0)} by timeout), {survived} survived, "
        f"{stats.get('no_tests', 0)} not reached by the selected tests; "
        f"`cd {folder.relative_to(ROOT)} && mutmut results` lists the survivors"
    )
    return stats


def _shared_data() -> Path:
    override = os.environ.get("KGTHREAD_SHARED_DATA")
    return Path(override) if override else ROOT.parent / "shared" / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", choices=[[], *TARGETS], help="default: all")
    args = parser.parse_args()
    for name in args.modules or list(TARGETS):
        run(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
