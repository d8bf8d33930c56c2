"""Fixtures of the system tier: one real Prefect server that the ``dateline`` subprocesses share."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import dateline_env
from tests.paths import REPO


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prefect server (``prefect server start``) on a free loopback port, for the session.

    Yields its API URL. Subprocesses given ``PREFECT_API_URL`` use it instead of each starting a
    temporary API (which costs ~10-25 s per process).
    """
    from dateline.runtime.prefect_server import LocalServer

    with LocalServer(tmp_path_factory.mktemp("prefect-home"), "127.0.0.1", 0, ui=False) as server:
        yield server.api_url


def start_serve(tmp_path: Path) -> subprocess.Popen[str]:
    """`dateline serve` in a subprocess that starts its own local Prefect server (any free port,
    its home under ``tmp_path``), on a schedule that does not fire; stdout and stderr merged."""
    env = dateline_env(DATELINE_SERVE_PREFECT_HOME=str(tmp_path / "prefect"))
    env.pop("PREFECT_API_URL", None)
    args = [
        "serve",
        "--port",
        "0",
        "--cron",
        "0 0 1 1 *",
        "--input",
        str(tmp_path),
        "-w",
        str(tmp_path / "w"),
    ]
    return subprocess.Popen(
        [sys.executable, "-m", "dateline", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
