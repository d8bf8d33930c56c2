"""Shared fixtures: paths, the reference data, and one Prefect test harness per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from dateline import config, environment

environment.configure()

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "seeds" / "articles"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


shared_data = config.shared_data  # $DATELINE_SHARED_DATA, default ../shared/data next to the repo


@pytest.fixture(scope="session")
def shared() -> Path:
    p = shared_data()
    if not p.is_dir():
        pytest.skip(f"shared data not found at {p} (set DATELINE_SHARED_DATA to run this test)")
    return p


@pytest.fixture(scope="session")
def reference() -> dict[str, pl.DataFrame]:
    from dateline.resources.reference import load_reference

    return load_reference()


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One temporary Prefect API for the whole session (starting one costs ~10-25 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prefect server (``prefect server start``) on a free loopback port, for the session.

    Yields its API URL. Subprocesses given ``PREFECT_API_URL`` use it instead of each starting a
    temporary API (which costs ~10-25 s per process).
    """
    from dateline.runtime.prefect_server import LocalServer

    with LocalServer(tmp_path_factory.mktemp("prefect-home"), "127.0.0.1", 0, ui=False) as server:
        yield server.api_url


def dateline_env(api_url: str | None = None, **extra: str) -> dict[str, str]:
    """Environment for a ``python -m dateline`` subprocess: this checkout first, the given server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATELINE_CRASH", "DATELINE_PAUSE"))}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    if api_url:
        env["PREFECT_API_URL"] = api_url
    env.update(extra)
    return env
