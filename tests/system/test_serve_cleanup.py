"""`dateline serve` never leaves its local Prefect server behind: not when it is killed outright
(SIGKILL: the server gets SIGTERM from the kernel, PR_SET_PDEATHSIG), not when Ctrl-C comes while
the server is still starting (its stop is registered before it starts)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from dateline.runtime.interrupts import processes
from tests.system.conftest import start_serve


def _read_until(proc: subprocess.Popen[str], prefix: str) -> list[str]:
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if line.startswith(prefix):
            return lines
    raise AssertionError(f"serve ended before printing {prefix!r}: {''.join(lines)}")


def _servers_started_by(pid: int) -> list[int]:
    """The Prefect server processes `serve` (pid) started: its children leading their own group."""
    return [child for child, parent, group in processes() if parent == pid and group == child]


def _gone(pids: list[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = {pid for pid, _, _ in processes()}
        if not alive.intersection(pids):
            return True
        time.sleep(0.2)
    return False


def test_a_serve_killed_outright_takes_its_local_server_with_it(tmp_path: Path) -> None:
    proc = start_serve(tmp_path)
    try:
        _read_until(proc, "Prefect UI:")
        servers = _servers_started_by(proc.pid)
        assert servers, "serve started no server process of its own"
        proc.kill()
        proc.wait(10)
        assert _gone(servers, 30), f"the local Prefect server {servers} outlived its serve process"
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in _servers_started_by(proc.pid):
            os.killpg(pid, signal.SIGKILL)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_while_the_server_starts_stops_it(tmp_path: Path, sig: signal.Signals) -> None:
    proc = start_serve(tmp_path)
    try:
        _read_until(proc, "starting a local Prefect server")
        time.sleep(1.0)  # the server process exists, it is not healthy yet
        servers = _servers_started_by(proc.pid)
        proc.send_signal(sig)
        rest, _ = proc.communicate(timeout=60)
        assert _gone(servers, 30), f"the local Prefect server {servers} outlived serve:\n{rest}"
        assert "Traceback" not in rest
    finally:
        if proc.poll() is None:
            proc.kill()
