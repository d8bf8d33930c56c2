"""The query sandbox in process: a sandboxed DuckDB connection must be read-only; the spill folder
is made once, private, and removed when its process exits.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dateline.warehouse import connection, sandbox
from tests.conftest import dateline_env


def test_a_sandboxed_connection_must_be_read_only(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="read-only"):
        connection.connect(tmp_path / "w.duckdb", sandbox=True)


def test_a_spill_folder_is_made_once_private_and_removed_when_its_process_exits(tmp_path: Path) -> None:
    """The spill folder is an object's state (no module global): made on first use with mode 0700,
    the same folder on every later use (DuckDB wants one configuration per file and process),
    removed when the process exits; a sandboxed config spills to the folder it is given."""
    folder = sandbox.SpillFolder()
    made = Path(folder.path())
    assert folder.path() == str(made) and made.is_dir() and (made.stat().st_mode & 0o777) == 0o700
    other = sandbox.SpillFolder()
    assert sandbox.sandbox_config(other)["temp_directory"] == other.path() != str(made)
    assert {k: v for k, v in sandbox.sandbox_config(other).items() if k != "temp_directory"} == (
        sandbox.SANDBOX_CONFIG
    )
    code = "from dateline.warehouse.sandbox import SpillFolder; print(SpillFolder().path())"
    p = subprocess.run(
        [sys.executable, "-c", code], env=dateline_env(), capture_output=True, text=True, timeout=60
    )
    assert p.returncode == 0, p.stderr
    gone = Path(p.stdout.strip())
    assert gone.name.startswith("dateline-query-") and not gone.exists()
