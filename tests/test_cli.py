"""The ``kgthread`` command: exit codes 0/1/2, one-line errors, the lock between processes."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from factories import product, unit
from kgthread.cli import main

CLI = shutil.which("kgthread", path=str(Path(sys.executable).parent)) or "kgthread"


def _nt(path: Path, triples: list[object]) -> Path:
    path.write_text("".join(f"{t} .\n" for t in triples), encoding="utf-8")
    return path


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return _nt(tmp_path / "good.nt", [*product("P-1"), *unit("P-1", "A", "SN-1")])


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    return _nt(tmp_path / "bad.nt", unit("P-9", "A", "SN-1"))


def test_validate_exit_codes_follow_pyshacl(
    good: Path, bad: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(good)]) == 0
    assert "conforms" in capsys.readouterr().out
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "does not conform" in out
    assert "SN-1" in out
    assert main(["validate", str(tmp_path / "missing.nt")]) == 2


def test_load_then_query(good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "store")
    assert main(["--data", data, "load", str(good)]) == 0
    assert "loaded as batch" in capsys.readouterr().out
    assert main(["--data", data, "load", str(good)]) == 0
    assert "unchanged as batch" in capsys.readouterr().out  # the same version of good.nt
    query = "SELECT ?serial WHERE { ?u <https://w3id.org/kgthread/ns#serialNumber> ?serial }"
    assert main(["--data", data, "query", query, "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [b["serial"]["value"] for b in result["results"]["bindings"]] == ["SN-1"]
    assert main(["--data", data, "query", query, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["serial", "SN-1"]
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1"
    assert main(["--data", data, "query", construct, "--format", "ntriples"]) == 0
    assert capsys.readouterr().out.strip().endswith(".")


def test_refused_load_exits_1_with_report_and_stores_nothing(
    bad: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "store")
    assert main(["--data", data, "load", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "rejected" in err
    assert "ClassConstraintComponent" in err
    assert main(["--data", data, "query", "ASK { ?s ?p ?o }"]) == 0
    assert json.loads(capsys.readouterr().out)["boolean"] is False


def test_errors_are_one_line_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "store")
    assert main(["--data", data, "query", "SELECT * WHERE { ?s ?p }"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("kgthread:")
    assert "\n" not in err
    assert "1:" in err
    unknown = tmp_path / "data.xyz"
    unknown.write_text("x", encoding="utf-8")
    assert main(["--data", data, "load", str(unknown)]) == 2
    assert "cannot tell the RDF format" in capsys.readouterr().err


def _drain(server: subprocess.Popen[str], lines: queue.Queue[str]) -> threading.Thread:
    """A thread keeping every stderr line of ``server`` in ``lines``, so the pipe never fills."""

    def drain() -> None:
        assert server.stderr is not None
        for line in server.stderr:
            lines.put(line)

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    return thread


def _serving_url(lines: queue.Queue[str]) -> str:
    """The URL the server prints once it has bound its socket (port 0 is any free port)."""
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=60)
        except queue.Empty:
            pytest.fail(f"the server printed no URL; stderr so far: {seen}")
        seen.append(line)
        found = re.search(r"serving .* on (http://127\.0\.0\.1:(\d+))", line)
        if found:
            assert found.group(2) != "0"
            return found.group(1)


def _answers(url: str) -> bool:
    try:
        response = httpx.get(f"{url}/sparql", params={"query": "ASK {}"}, timeout=10)
    except httpx.TransportError:
        return False
    return response.status_code == 200


def test_second_process_on_one_store_gets_a_clear_error(good: Path, tmp_path: Path) -> None:
    data = tmp_path / "store"
    env = {**os.environ, "KGTHREAD_DATA": str(data)}
    server = subprocess.Popen(
        [CLI, "serve", "--host", "127.0.0.1", "--port", "0"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = _drain(server, lines)
    try:
        url = _serving_url(lines)
        for _ in range(600):  # the lifespan opens the store (and takes the lock) before answering
            if _answers(url) or server.poll() is not None:
                break
            time.sleep(0.1)
        assert server.poll() is None, "the server exited before the second process started"
        assert _answers(url)
        done = subprocess.run(
            [CLI, "load", str(good)], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2
        assert "in use by another process" in done.stderr
        assert server.poll() is None, "the server did not survive the second process"
        assert _answers(url)
    finally:
        server.terminate()
        server.wait(timeout=30)
        reader.join(timeout=30)
        assert server.stderr is not None
        server.stderr.close()


def test_serve_reports_a_port_it_cannot_take(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = {**os.environ, "KGTHREAD_DATA": str(tmp_path / "store")}
        done = subprocess.run(
            [CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr


def test_named_query_with_parameters(
    good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "store")
    assert main(["--data", data, "load", str(good)]) == 0
    capsys.readouterr()
    unit = "https://w3id.org/kgthread/id/unit/P-1/SN-1"
    args = ["--data", data, "query", "--named", "recall", "--param", f"item={unit}"]
    assert main([*args, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["item,unit,serialNumber,shipment,customer"]
    assert main(["--data", data, "query", "--named", "recall", "--param", "item=not an iri"]) == 2
    assert "parameter 'item'" in capsys.readouterr().err
