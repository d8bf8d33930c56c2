"""`dateline run` starts and stops its own temporary Prefect API (dateline/runtime/prefect_api.py) and
its extraction workers die with a killed run.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import duckdb

from tests.conftest import dateline_env
from tests.paths import REPO, SAMPLES


def test_run_starts_and_stops_its_own_prefect_api(tmp_path: Path) -> None:
    """Without PREFECT_API_URL `dateline run` starts the temporary API itself; nothing is left running."""
    mark = f"test-{uuid.uuid4().hex}"
    env = dateline_env(DATELINE_TEST_MARK=mark)  # inherited by every child of the run
    env.pop("PREFECT_API_URL", None)
    wh_path = tmp_path / "w.duckdb"
    proc = subprocess.run(
        [sys.executable, "-m", "dateline", "run", "--input", str(SAMPLES), "--warehouse", str(wh_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    con = duckdb.connect(str(wh_path), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] >= 5
        assert con.execute("SELECT status FROM runs").fetchall() == [("success",)]
    finally:
        con.close()
    # no process of that run (API server, extraction worker) survives it
    assert _processes_with(f"DATELINE_TEST_MARK={mark}".encode()) == []


def _processes_with(marker: bytes) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_workers_die_with_a_killed_run(tmp_path: Path) -> None:
    """A run killed by SIGKILL leaves no extraction worker behind (they hold the NER model)."""
    mark = f"test-{uuid.uuid4().hex}"
    script = tmp_path / "killed.py"
    script.write_text(
        "import os, signal\n"
        "from dateline.runtime.workers import WorkerPool\n"
        "if __name__ == '__main__':\n"
        "    pool = WorkerPool(2)\n"
        "    pool.loaded_fingerprint()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=REPO,
        env=dateline_env(DATELINE_TEST_MARK=mark),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -9
    deadline = time.monotonic() + 15
    while _processes_with(f"DATELINE_TEST_MARK={mark}".encode()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_with(f"DATELINE_TEST_MARK={mark}".encode()) == []
