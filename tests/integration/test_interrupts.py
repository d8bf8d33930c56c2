"""``dateline status`` on a run whose process died (SIGKILL, power cut): not called running when no
process holds the run lock. The signals themselves: tests/system/test_interrupts.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest


def test_status_shows_a_dead_running_run_as_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run whose process died (SIGKILL, power cut) keeps its ``running`` row until the next run:
    ``status`` must not call it running when no process holds the run lock."""
    import json

    from dateline.cli.main import main
    from dateline.warehouse import connection, lock, runs, schema

    db = tmp_path / "w.duckdb"
    con = connection.connect(db)
    try:
        schema.init_schema(con)
        runs.start_run(con, "dead-run", "in")
        runs.start_run(con, "live-run", "in")
    finally:
        con.close()

    def status(*args: str) -> str:
        monkeypatch.setattr(sys, "argv", ["dateline", "status", "--warehouse", str(db), *args])
        main()
        return capsys.readouterr().out

    doc = json.loads(status("--format", "json"))
    assert doc["run_in_progress"] is False
    assert {r["run_id"]: r["status"] for r in doc["runs"]} == {
        "dead-run": "interrupted",
        "live-run": "interrupted",
    }
    table = status()
    assert "running" not in table and table.count("interrupted") >= 2
    with lock.run_lock(db, "live-run"):  # its process is alive and holds the lock
        doc = json.loads(status("--format", "json"))
        table = status()
    assert doc["run_in_progress"] is True
    assert {r["run_id"]: r["status"] for r in doc["runs"]} == {
        "dead-run": "interrupted",
        "live-run": "running",
    }
    assert "a run is in progress: run live-run (pid" in table
