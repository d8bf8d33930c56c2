"""The `dateline` CLI called in process on a small warehouse written directly (no flow): exit codes,
query formats and its snapshot fallback while a writer holds the file, status, snapshots.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dateline.warehouse import connection, runs, schema, snapshots
from tests.conftest import dateline_env
from tests.unit.test_cli import dateline


@pytest.fixture
def small_wh(tmp_path: Path) -> Path:
    """A warehouse with two runs and one article, written directly (no flow)."""
    path = tmp_path / "w.duckdb"
    con = connection.connect(path)
    try:
        schema.init_schema(con)
        runs.start_run(con, "r1", "in")
        runs.finish_run(con, "r1", "success", {"files_seen": 3, "rows_written": 10}, "warn", None)
        runs.start_run(con, "r2", "in")
        runs.finish_run(con, "r2", "failed", {"files_seen": 3}, "fail", "critical checks failed")
        con.execute(
            "INSERT INTO files (source_path, outcome, first_run_id, run_id) VALUES ('in/a.txt', 'article', 'r1', 'r1')"
        )
    finally:
        con.close()
    return path


def test_bad_usage_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, small_wh: Path
) -> None:
    assert dateline(monkeypatch, capsys, "run", "--input", str(tmp_path / "nope"))[0] == 2
    assert dateline(monkeypatch, capsys, "query", "SELECT 1", "-w", str(small_wh), "--format", "xml")[0] == 2
    assert (
        dateline(monkeypatch, capsys, "query", "SELECT 1", "-w", str(small_wh), "--format", "parquet")[0] == 2
    )
    code, _, err = dateline(monkeypatch, capsys, "query", "SELEC nonsense", "-w", str(small_wh))
    assert code == 2 and "query failed" in err
    code, _, err = dateline(monkeypatch, capsys, "serve", "--cron", "every tuesday", "--input", str(tmp_path))
    assert code == 2 and "cron" in err
    assert dateline(monkeypatch, capsys, "status", "--bogus-option")[0] == 2


def test_query_is_read_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], small_wh: Path
) -> None:
    code, _, err = dateline(monkeypatch, capsys, "query", "DELETE FROM runs", "-w", str(small_wh))
    assert code == 2 and "read-only" in err.lower()


def test_query_formats_and_out(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], small_wh: Path, tmp_path: Path
) -> None:
    sql = "SELECT run_id, status FROM runs ORDER BY run_id"
    code, out, err = dateline(monkeypatch, capsys, "query", sql, "-w", str(small_wh), "-f", "csv")
    assert code == 0 and out.splitlines() == ["run_id,status", "r1,success", "r2,failed"]
    assert "live warehouse" in err
    code, out, _ = dateline(monkeypatch, capsys, "query", sql, "-w", str(small_wh), "-f", "json")
    assert code == 0 and json.loads(out)[0] == {"run_id": "r1", "status": "success"}
    target = tmp_path / "out" / "runs.parquet"
    code, _, _ = dateline(
        monkeypatch, capsys, "query", sql, "-w", str(small_wh), "-f", "parquet", "--out", str(target)
    )
    assert code == 0 and pl.read_parquet(target)["run_id"].to_list() == ["r1", "r2"]
    code, out, _ = dateline(monkeypatch, capsys, "query", sql, "-w", str(small_wh))
    assert code == 0 and "r2" in out and "failed" in out


def test_query_and_status_while_a_writer_holds_the_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], small_wh: Path
) -> None:
    # a writer process holds the live file (as a run's load does)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)",
            str(small_wh),
        ],
        env=dateline_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        # no snapshot yet: a clear message and exit 1, not a traceback
        code, _, err = dateline(
            monkeypatch, capsys, "query", "SELECT 1", "-w", str(small_wh), "--wait", "0.3"
        )
        assert code == 1 and "busy" in err and "Traceback" not in err
        # with a snapshot: the query reads it and says so
        holder.kill()
        holder.wait()
        snapshots.publish_snapshot(small_wh)
        holder = subprocess.Popen(holder.args, env=dateline_env(), stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        code, out, err = dateline(
            monkeypatch,
            capsys,
            "query",
            "SELECT count(*) AS n FROM runs",
            "-w",
            str(small_wh),
            "-f",
            "csv",
            "--wait",
            "0.3",
        )
        assert code == 0 and out.splitlines() == ["n", "2"]
        assert "snapshot" in err and "busy" in err
        assert time.monotonic() - t0 < 10
        code, out, err = dateline(monkeypatch, capsys, "status", "-w", str(small_wh))
        assert code == 0 and "r2" in out and "snapshot" in out
    finally:
        holder.kill()
        holder.wait()


def test_status_shows_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], small_wh: Path
) -> None:
    code, out, _ = dateline(monkeypatch, capsys, "status", "-w", str(small_wh))
    assert code == 0
    assert "r1" in out and "success" in out and "warn" in out
    assert "critical checks failed" in out  # why a run failed
    code, out, _ = dateline(monkeypatch, capsys, "status", "-w", str(small_wh), "-f", "json", "-n", "1")
    doc = json.loads(out)
    assert code == 0 and [r["run_id"] for r in doc["runs"]] == ["r2"] and doc["run_in_progress"] is False


def test_snapshot_is_atomic_copy(small_wh: Path) -> None:
    snapshots.mark_snapshot_stale(small_wh)
    assert not snapshots.snapshot_is_current(small_wh)
    snap = snapshots.publish_snapshot(small_wh)
    assert snapshots.snapshot_is_current(small_wh)
    con = duckdb.connect(str(snap), read_only=True)
    assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
    con.close()


def test_status_says_how_many_articles_an_older_extractor_wrote(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from dateline.resources.extractor import extractor_version

    path = tmp_path / "w.duckdb"
    con = connection.connect(path)
    try:
        schema.init_schema(con)
        for run_id, version in (("old", "000000000000"), ("new", extractor_version())):
            runs.start_run(con, run_id, "in", version)
            runs.finish_run(con, run_id, "success", {"articles_loaded": 1}, "pass", None)
            con.execute(
                """INSERT INTO articles (article_id, content_sha256, source_path, format, encoding, size_bytes, body,
                   run_id) VALUES (?, ?, ?, 'txt', 'utf-8', 4, 'body', ?)""",
                [run_id, run_id * 8, f"in/{run_id}.txt", run_id],
            )
    finally:
        con.close()
    code, out, _ = dateline(monkeypatch, capsys, "status", "-w", str(path))
    assert code == 0
    assert "note: 1 loaded article(s) were extracted by an older extractor" in " ".join(out.split())
    assert "'dateline run --reextract' re-extracts" in " ".join(out.split())
    code, out, _ = dateline(monkeypatch, capsys, "status", "-w", str(path), "--format", "json")
    document = json.loads(out)
    assert document["extractor_version"] == extractor_version()
    assert document["articles_from_older_extractors"] == 1


def test_a_run_records_the_extractor_version(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    con = connection.connect(path)
    try:
        schema.init_schema(con)
        runs.start_run(con, "r1", "in", "abc123")
        assert con.execute("SELECT extractor_version FROM runs").fetchone() == ("abc123",)
    finally:
        con.close()
