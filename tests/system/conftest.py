"""Fixtures of the system tier: one real Prefect server that the ``dateline`` subprocesses share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prefect server (``prefect server start``) on a free loopback port, for the session.

    Yields its API URL. Subprocesses given ``PREFECT_API_URL`` use it instead of each starting a
    temporary API (which costs ~10-25 s per process).
    """
    from dateline.runtime.prefect_server import LocalServer

    with LocalServer(tmp_path_factory.mktemp("prefect-home"), "127.0.0.1", 0, ui=False) as server:
        yield server.api_url
