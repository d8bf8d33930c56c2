"""The run lock on a warehouse file, in process: waiting times out, ``fail`` refuses at once; the
run lock and the snapshot paths import without the heavy libraries (checked in a clean interpreter).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from dateline.warehouse import lock
from tests.conftest import dateline_env


def test_run_lock_wait_times_out_and_fail_is_immediate(tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    with lock.run_lock(wh, "first") as waited:
        assert waited < 1
        assert lock.is_locked(wh)
        t0 = time.monotonic()
        with pytest.raises(lock.RunLocked, match="not waiting"), lock.run_lock(wh, "second", "fail"):
            pass
        assert time.monotonic() - t0 < 1
        notes: list[str] = []
        with (
            pytest.raises(lock.RunLocked, match="still busy after waiting"),
            lock.run_lock(wh, "third", "wait", timeout=0.5, notify=notes.append),
        ):
            pass
        assert notes and "pid" in notes[0] and "run first" in notes[0]
    assert not lock.is_locked(wh)  # released: the next run gets it at once
    with lock.run_lock(wh, "fourth", "fail"):
        pass


def test_the_run_lock_and_the_snapshot_paths_import_without_heavy_libraries() -> None:
    """``dateline run`` takes the run lock, and ``query``/``status`` look for the snapshot, before
    duckdb, polars, pandas, prefect or great_expectations are imported (a second run waiting for
    the lock must not pay for them)."""
    heavy = ("duckdb", "polars", "pandas", "prefect", "great_expectations")
    code = (
        "import sys\n"
        "from dateline.warehouse import lock, snapshots\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    p = subprocess.run(
        [sys.executable, "-c", code], env=dateline_env(), capture_output=True, text=True, timeout=60
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"
