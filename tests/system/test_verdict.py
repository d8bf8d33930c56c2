"""One verdict per run, the same in `run --json`, `status`, the `runs` table, the run's report page
and the report index; a run with nothing new says "no new data" everywhere; `report --out DIR`
writes every page its index links to; a killed run's page says it failed.

One warehouse is built once for the module by real `dateline run` subprocesses (on the session's
Prefect server): a first run of the sample articles (verdict warn), a no-op rerun, a run killed
(SIGKILL) right after it recorded itself, and a second no-op rerun that finds and marks it.
`run --json` gets its own small warehouse.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from dateline.warehouse import lock
from tests.conftest import dateline_env
from tests.paths import SAMPLES

#: The keys of `dateline run --json` (RunSummary's fields, rows_written and exit_code).
JSON_KEYS = {
    "run_id",
    "status",
    "input_dir",
    "warehouse",
    "files_seen",
    "files_new",
    "files_unchanged",
    "files_duplicate",
    "files_quarantined",
    "files_deleted",
    "files_kept",
    "articles_loaded",
    "articles_reextracted",
    "reextract_failed",
    "rows",
    "rows_written",
    "dq_verdict",
    "dq_failed",
    "quarantined",
    "kept",
    "message",
    "seconds",
    "exit_code",
}


def dateline(*args: str | Path, api: str | None, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m dateline ARGS` as a user would; stdout and stderr kept apart."""
    return subprocess.run(
        [sys.executable, "-m", "dateline", *map(str, args)],
        env=dateline_env(api, **env),
        capture_output=True,
        text=True,
        timeout=600,
    )


@dataclass
class Run:
    run_id: str
    stdout: str  # the summary `dateline run` printed


@dataclass
class History:
    warehouse: Path
    first: Run  # the samples
    noop: Run  # again: nothing new
    killed_id: str  # the run SIGKILLed after it recorded itself
    last: Run  # again: marks the killed run failed


def summary_run_id(stdout: str) -> str:
    """The run id in the first line of `dateline run`'s summary: ``run <id>  <status>  (<s> s)``."""
    m = re.match(r"run (\S+)\s+\w+\s+\(", stdout)
    assert m, stdout
    return m.group(1)


def summary_verdict(stdout: str) -> str:
    """The verdict in `dateline run`'s summary: its ``data quality  <verdict>`` line."""
    m = re.search(r"^data quality\s+(.+?)\s*$", stdout, re.M)
    assert m, stdout
    return m.group(1)


def text_of(html: str) -> str:
    """What a reader sees of an HTML page: its text, tags dropped, white space collapsed."""
    html = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture(scope="module")
def history(prefect_server: str, tmp_path_factory: pytest.TempPathFactory) -> History:
    base = tmp_path_factory.mktemp("verdict")
    inp = base / "in"
    shutil.copytree(SAMPLES, inp)
    w = base / "w.duckdb"
    run = ("run", "--input", inp, "--warehouse", w)

    def ok() -> Run:
        proc = dateline(*run, api=prefect_server)
        assert proc.returncode == 0, proc.stderr
        return Run(summary_run_id(proc.stdout), proc.stdout)

    first = ok()
    noop = ok()
    killed = dateline(*run, api=prefect_server, DATELINE_CRASH_AT="after_start_run")
    assert killed.returncode == -9, killed.stderr
    con = duckdb.connect(str(w), read_only=True)
    try:
        killed_id = con.execute("SELECT run_id FROM runs WHERE status = 'running'").fetchone()[0]
    finally:
        con.close()
    last = ok()
    return History(w, first, noop, killed_id, last)


def test_run_json_prints_one_object_on_stdout(prefect_server: str, tmp_path: Path) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(SAMPLES / "004_gulf_energy_dialogue.txt", inp)
    w = tmp_path / "w.duckdb"
    docs = []
    for _ in range(2):  # a run that loads the file, then one with nothing new
        proc = dateline("run", "--json", "--input", inp, "--warehouse", w, api=prefect_server)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.count("\n") == 1, proc.stdout  # one line, nothing else on stdout
        doc = json.loads(proc.stdout)
        assert set(doc) == JSON_KEYS
        assert doc["status"] == "success" and doc["exit_code"] == 0
        assert doc["rows_written"] == sum(doc["rows"].values())
        assert "lock" in proc.stderr  # progress stays on stderr
        docs.append(doc)
    first, noop = docs
    assert first["files_new"] == 1 and first["articles_loaded"] == 1
    assert first["dq_verdict"] in ("pass", "warn") and first["rows"]["articles"] == 1
    assert noop["files_new"] == 0 and noop["rows"] == {} and noop["dq_verdict"] == "no new data"
    con = duckdb.connect(str(w), read_only=True)
    try:
        runs = con.execute("SELECT run_id, dq_verdict FROM runs ORDER BY started_at").fetchall()
    finally:
        con.close()
    assert runs == [(d["run_id"], d["dq_verdict"]) for d in docs]


def test_run_json_for_a_failed_run(tmp_path: Path) -> None:
    """A run that stops with an error still prints one JSON object (fewer keys: no summary), and
    exits 1: here the warehouse is busy."""
    w = tmp_path / "w.duckdb"
    with lock.run_lock(w, "holder-run"):
        proc = dateline(
            "run", "--json", "--on-locked", "fail", "--input", SAMPLES, "--warehouse", w, api=None
        )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.count("\n") == 1, proc.stdout
    doc = json.loads(proc.stdout)
    assert set(doc) == {"run_id", "status", "input_dir", "warehouse", "message", "exit_code"}
    assert doc["status"] == "failed" and doc["exit_code"] == 1 and "busy" in doc["message"]
    assert doc["run_id"] is None and doc["warehouse"] == str(w) and doc["input_dir"] == str(SAMPLES)
    assert "busy" in proc.stderr  # the one error line as without --json


def _status(w: Path) -> dict[str, dict]:
    proc = dateline("status", "--format", "json", "--warehouse", w, api=None)
    assert proc.returncode == 0, proc.stderr
    return {r["run_id"]: r for r in json.loads(proc.stdout)["runs"]}


def _runs_table(w: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(w), read_only=True)
    try:
        rows = con.execute("SELECT run_id, status, dq_verdict, finished_at, message FROM runs").fetchall()
    finally:
        con.close()
    return {r[0]: r[1:] for r in rows}


def test_one_verdict_everywhere(history: History, tmp_path: Path) -> None:
    """Each run's verdict is the same in run's summary, status, runs, its report page and the
    index; the no-op reruns' is "no new data"."""
    runs = _runs_table(history.warehouse)
    status = _status(history.warehouse)
    out = tmp_path / "reports"
    proc = dateline("report", "--warehouse", history.warehouse, "--out", out, api=None)
    assert proc.returncode == 0, proc.stderr
    index = (out / "index.html").read_text()
    assert [summary_verdict(r.stdout) for r in (history.first, history.noop, history.last)] == [
        "warn",
        "no new data",
        "no new data",
    ]
    for run in (history.first, history.noop, history.last):
        run_id, verdict = run.run_id, summary_verdict(run.stdout)
        assert runs[run_id][1] == verdict
        assert status[run_id]["dq_verdict"] == verdict
        row = re.search(rf'<tr><td><a href="run-{run_id}\.html">.*?</tr>', index)
        assert row is not None and f">{verdict}</span>" in row.group(0), run_id
        page = (out / f"run-{run_id}.html").read_text()
        assert f"<title>Dateline data quality — {run_id} — {verdict}</title>" in page
    noop_page = text_of((out / f"run-{history.noop.run_id}.html").read_text())
    assert "No new data" in noop_page and "All checks passed" not in noop_page


def test_index_shows_the_last_run_with_checks(history: History, tmp_path: Path) -> None:
    """After no-op reruns the index's banner is the last checked run's state, with its warning."""
    out = tmp_path / "reports"
    assert dateline("report", "--warehouse", history.warehouse, "--out", out, api=None).returncode == 0
    index = text_of((out / "index.html").read_text())
    first, last = history.first.run_id, history.last.run_id
    assert "No checks ran" not in index
    assert f"Current data quality: Loaded, with warnings from run {first}" in index
    assert "1 warning(s)" in index
    assert f"Latest run: {last}" in index and "verdict: no new data" in index


def test_report_out_writes_every_page_its_index_links_to(history: History, tmp_path: Path) -> None:
    first = history.first.run_id
    out = tmp_path / "elsewhere"
    proc = dateline("report", "--run", first, "--out", out, "--warehouse", history.warehouse, api=None)
    assert proc.returncode == 0, proc.stderr
    links = set(re.findall(r'href="([^"#]+\.html)"', (out / "index.html").read_text()))
    assert len(links) == 4  # the four runs
    assert sorted(p.name for p in out.iterdir()) == sorted(links | {"index.html"})
    for name in links:  # and each page's own links resolve too
        for link in re.findall(r'href="([^"#:]+\.html)"', (out / name).read_text()):
            assert (out / link).is_file(), (name, link)


def test_a_killed_runs_page_says_it_failed(history: History, tmp_path: Path) -> None:
    """Its page shows its status and message, not "nothing new", and no finish time that is
    really when the next run found it."""
    status, verdict, finished, message = _runs_table(history.warehouse)[history.killed_id]
    assert (status, verdict, finished) == ("failed", None, None)
    assert message.startswith("interrupted") and "marked failed by a later run at" in message
    assert _status(history.warehouse)[history.killed_id]["dq_verdict"] is None
    out = tmp_path / "reports"
    proc = dateline(
        "report", "--run", history.killed_id, "--out", out, "--warehouse", history.warehouse, api=None
    )
    assert proc.returncode == 0, proc.stderr
    page = text_of((out / f"run-{history.killed_id}.html").read_text())
    assert "Run failed before its checks" in page
    assert message in page
    assert "nothing new to validate" not in page
    assert "finish time unknown" in page and "finished 20" not in page


def test_run_json_for_a_batch_that_fails_its_checks(prefect_server: str, tmp_path: Path) -> None:
    """A run whose batch fails a critical check prints its whole summary as JSON and exits 1."""
    from tests.system.test_serve_reports import placeholder_batch

    placeholder_batch(tmp_path / "in")
    w = tmp_path / "w.duckdb"
    proc = dateline("run", "--json", "--input", tmp_path / "in", "--warehouse", w, api=prefect_server)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.count("\n") == 1, proc.stdout
    doc = json.loads(proc.stdout)
    assert set(doc) == JSON_KEYS
    assert (doc["status"], doc["dq_verdict"], doc["exit_code"], doc["articles_loaded"]) == (
        "failed",
        "fail",
        1,
        0,
    )
    assert any("not_placeholder" in f for f in doc["dq_failed"])
    assert doc["message"] in proc.stderr  # and the one line on stderr
