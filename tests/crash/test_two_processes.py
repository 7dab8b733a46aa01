"""Two processes on one store: the second gets a clear error (exit 2 naming the folder), and
the first goes on undisturbed."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from crash.harness import Folders, judge, start_driver
from kgthread.errors import StoreLocked
from kgthread.store.embedded import EmbeddedStore

CLI = shutil.which("kgthread", path=str(Path(sys.executable).parent)) or "kgthread"


def test_a_second_process_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    folders = Folders.under(tmp_path)
    driver = start_driver(folders, 1_000_000)
    try:
        for command in (["audit", "verify"], ["query", "ASK { ?s ?p ?o }"]):
            done = subprocess.run(
                [CLI, "--data", str(folders.store), *command],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 2, done.stderr
            assert f"store folder {folders.store} is in use by another process" in done.stderr
            assert "Traceback" not in done.stderr
        with pytest.raises(StoreLocked, match="stop the other kgthread process"):
            EmbeddedStore.open(folders.store)
        assert driver.poll() is None, "the first process was disturbed"
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.communicate(timeout=30)
    judged = judge(folders)
    assert judged.verification.holds, judged.verification.findings
