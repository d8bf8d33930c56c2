"""A second ``dateline run`` on a busy warehouse: refused at once, or waiting and saying so.

The command takes the run lock before it starts Prefect or imports its heavy libraries, so a
refusal costs well under 2 s and prints one line naming the holder (run id, pid, since when);
nothing of Prefect runs, so no Prefect line can appear. The lock is held here by this test
process (``lock.run_lock``), as another run would hold it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dateline.warehouse import lock
from tests.conftest import dateline_env
from tests.integration.test_lock_cli import HOLDER
from tests.paths import SAMPLES


def start(wh: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dateline", "run", "--input", str(SAMPLES), "--warehouse", str(wh), *args],
        env=dateline_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def holder_named(line: str) -> bool:
    """The line names the holding run, its process and since when."""
    return f"run {HOLDER} (pid {os.getpid()}, since 20" in line


def test_on_locked_fail_refuses_at_once_in_one_line(tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    with lock.run_lock(wh, HOLDER):
        started = time.monotonic()
        p = start(wh, "--on-locked", "fail")
        out, err = p.communicate(timeout=60)
        seconds = time.monotonic() - started
    assert p.returncode == 1, err
    assert seconds < 2, f"the refusal took {seconds:.1f} s"
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"dateline: warehouse {wh} is busy: ")
    assert holder_named(lines[0]) and "not waiting" in lines[0]
    assert out == ""
    assert not wh.exists()  # nothing was started


def test_on_locked_wait_says_so_once_then_times_out_in_one_line(tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    with lock.run_lock(wh, HOLDER):
        started = time.monotonic()
        p = start(wh, "--on-locked", "wait", "--lock-timeout", "1")
        out, err = p.communicate(timeout=60)
        seconds = time.monotonic() - started
    assert p.returncode == 1, err
    assert seconds < 4, f"took {seconds:.1f} s for a 1 s wait"
    lines = err.splitlines()
    assert len(lines) == 2, err  # no Prefect line: Prefect was never started
    assert lines[0].startswith(f"dateline: warehouse {wh} is busy: waiting for run {HOLDER}")
    assert holder_named(lines[0]) and lines[0].endswith("to finish (up to 1 s)...")
    assert lines[1].startswith(f"dateline: warehouse {wh} is still busy after waiting 1 s: ")
    assert holder_named(lines[1])
    assert out == ""


def test_ctrl_c_while_waiting_for_the_lock_is_one_line_and_130(tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    with lock.run_lock(wh, HOLDER):
        p = start(wh, "--on-locked", "wait")
        assert p.stderr is not None
        first = p.stderr.readline()  # the wait has started
        assert "waiting for run" in first, first
        os.killpg(p.pid, signal.SIGINT)  # a terminal's Ctrl-C: the whole process group
        started = time.monotonic()
        out, rest = p.communicate(timeout=30)
        seconds = time.monotonic() - started
    assert p.returncode == 130, rest
    assert seconds < 2
    lines = rest.splitlines()
    assert len(lines) == 1, rest
    assert lines[0].startswith(f"dateline: interrupted by SIGINT while waiting for run {HOLDER}")
    assert lines[0].endswith("to finish: nothing was run")
    assert out == "" and not wh.exists()
