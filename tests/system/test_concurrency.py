"""Two runs at once on one warehouse, and analysts querying during a load."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from dateline.warehouse import lock
from tests.conftest import dateline_env
from tests.paths import SAMPLES

#: ``dateline query`` processes started at once during a held load.
QUERIES = 20


def cli(*args: str, api_url: str | None = None, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dateline", *args],
        env=dateline_env(api_url, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_second_run_with_on_locked_fail_exits_1(tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    with lock.run_lock(wh, "holder"):
        p = cli("run", "--input", str(SAMPLES), "--warehouse", str(wh), "--on-locked", "fail")
        out, _ = p.communicate(timeout=120)
    assert p.returncode == 1, out
    assert "is busy" in out and "Traceback" not in out


def _wait_for(p: subprocess.Popen, text: str, timeout: float = 300) -> str:
    """Read ``p``'s output until a line contains ``text``; return what was read."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return "".join(seen)
    raise AssertionError(f"{text!r} not seen:\n{''.join(seen)}")


def test_two_runs_at_once_and_a_query_during_the_load(
    prefect_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dateline.cli.query import query

    inp = tmp_path / "in"
    inp.mkdir()
    files = sorted(SAMPLES.iterdir())
    for f in files[:2]:
        shutil.copy2(f, inp / f.name)
    wh = tmp_path / "w.duckdb"
    p0 = cli("run", "--input", str(inp), "--warehouse", str(wh), api_url=prefect_server)
    out0, _ = p0.communicate(timeout=600)
    assert p0.returncode == 0, out0
    con = duckdb.connect(str(wh), read_only=True)
    before = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    con.close()
    for f in files[2:]:
        shutil.copy2(f, inp / f.name)

    release = tmp_path / "release-a"
    # run A stops for a while inside its load transaction, holding the warehouse
    a = cli(
        "run", "--input", str(inp), "--warehouse", str(wh),
        api_url=prefect_server, DATELINE_PAUSE_AT=f"load_before_commit:@{release}",
    )  # fmt: skip
    head = _wait_for(a, "6/7 load")
    # run B starts meanwhile: it waits for A (default on_locked = wait)
    b = cli("run", "--input", str(inp), "--warehouse", str(wh), api_url=prefect_server)
    head_b = _wait_for(b, "waiting for run")

    # an analyst's query during the load: no lock error, the snapshot, and it says so
    capsys.readouterr()
    query("SELECT count(*) AS n FROM articles", warehouse=wh, fmt="csv", out=None, limit=10, wait=0.5)
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ["n", str(before)]
    assert "snapshot" in captured.err and "busy" in captured.err

    # many analysts at once, while A still holds the load: every one gets the snapshot's answer
    query_args = ("--warehouse", str(wh), "--format", "csv", "--wait", "0.5")
    queries = [
        subprocess.Popen(
            [sys.executable, "-m", "dateline", "query", "SELECT count(*) AS n FROM articles", *query_args],
            env=dateline_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(QUERIES)
    ]
    answers = [(q.communicate(timeout=300), q.returncode) for q in queries]
    for (q_out, q_err), code in answers:
        assert code == 0, q_err
        assert q_out.splitlines() == ["n", str(before)], q_err
        assert "read from the snapshot" in q_err and "Traceback" not in q_err
    assert a.poll() is None  # the load was held all along

    release.touch()
    out_a, _ = a.communicate(timeout=600)
    out_b, _ = b.communicate(timeout=600)
    assert a.returncode == 0, head + out_a
    out_b = head_b + out_b
    assert b.returncode == 0, out_b
    assert "is busy" in out_b  # B said it waited
    assert "nothing to do" in out_b  # ... and found A's work done: nothing loaded twice

    con = duckdb.connect(str(wh), read_only=True)
    try:
        after = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert after > before
        dup = con.execute(
            "SELECT count(*) FROM (SELECT source_path, source_record FROM articles GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()[0]
        assert dup == 0
        runs = con.execute("SELECT status, articles_loaded FROM runs ORDER BY started_at").fetchall()
    finally:
        con.close()
    assert [s for s, _ in runs] == ["success"] * 3
    assert sorted(n for _, n in runs) == [0, before, after - before]

    # after the load the query reads the live warehouse again
    query("SELECT count(*) AS n FROM articles", warehouse=wh, fmt="csv", out=None, limit=10, wait=0.5)
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ["n", str(after)]
    assert "live warehouse" in captured.err


def test_three_runs_at_once_load_each_file_once(prefect_server: str, tmp_path: Path) -> None:
    """Three runs started together on one input and warehouse: one loads, the others wait for the
    run lock (on_locked = wait) and then find nothing to do."""
    from schemas.tables import ALL_TABLES

    inp = tmp_path / "in"
    shutil.copytree(SAMPLES, inp)
    wh = tmp_path / "w.duckdb"
    runs = [cli("run", "--input", str(inp), "--warehouse", str(wh), api_url=prefect_server) for _ in range(3)]
    outs = [r.communicate(timeout=600)[0] for r in runs]
    for r, out in zip(runs, outs, strict=True):
        assert r.returncode == 0, out
    con = duckdb.connect(str(wh), read_only=True)
    try:
        articles, distinct = con.execute(
            "SELECT count(*), count(DISTINCT (source_path, source_record)) FROM articles"
        ).fetchone()
        for table in ALL_TABLES:
            total, unique = con.execute(
                f"SELECT (SELECT count(*) FROM {table.name}), (SELECT count(*) FROM (SELECT DISTINCT * FROM {table.name}))"
            ).fetchone()
            assert total == unique, f"duplicate rows in {table.name}"
        loaded = con.execute(
            "SELECT files_new, articles_loaded FROM runs WHERE status = 'success' ORDER BY articles_loaded DESC"
        ).fetchall()
        files = con.execute("SELECT count(*) FROM files").fetchone()[0]
    finally:
        con.close()
    n_files = len(list(inp.iterdir()))
    assert articles == distinct > 0 and files == n_files
    # each file read and loaded by exactly one of the three runs
    assert loaded == [(n_files, articles), (0, 0), (0, 0)]
    assert sum("nothing to do" in out for out in outs) == 2
