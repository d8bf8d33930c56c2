"""An older warehouse's no-op run recorded as 'pass' says 'no new data' after migration."""

from __future__ import annotations

from pathlib import Path

from dateline.warehouse import connection, runs, schema


def test_an_old_no_op_run_is_migrated(tmp_path: Path) -> None:
    """A warehouse of an older version recorded a no-op run as 'pass': it says 'no new data' after
    the next start; a run whose checks passed keeps 'pass'."""
    w = tmp_path / "w.duckdb"
    con = connection.connect(w)
    try:
        schema.init_schema(con)
        for run_id in ("old-noop", "old-checked"):
            runs.start_run(con, run_id, str(tmp_path))
            runs.finish_run(con, run_id, "success", {}, "pass", None)
        con.execute(
            "INSERT INTO dq_results (run_id, table_name, expectation, check_name, severity, success) "
            "VALUES ('old-checked', 'articles', 'x', 'y', 'critical', true)"
        )
        schema.init_schema(con)
        got = dict(con.execute("SELECT run_id, dq_verdict FROM runs").fetchall())
    finally:
        con.close()
    assert got == {"old-noop": "no new data", "old-checked": "pass"}
