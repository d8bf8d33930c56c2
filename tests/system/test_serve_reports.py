"""Runs started by `dateline serve` speak: each prints its summary line in the serve terminal and
writes its data-quality report, whether it succeeds or fails, scheduled, triggered or `--once`;
`serve --once` exits with the run's exit code.

Real `python -m dateline serve` subprocesses on the session's Prefect server; each test serves
its own deployment name, so that no test runs another's deployment. (A run triggered through the
API while `serve` runs prints its line too: tests/system/test_serve.py.)
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.conftest import dateline_env
from tests.paths import SAMPLES
from tests.system.test_serve import LINE


def serve(*args: str | Path, api: str, deployment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dateline", "serve", *map(str, args)],
        env=dateline_env(api, DATELINE_SERVE_DEPLOYMENT=deployment),
        capture_output=True,
        text=True,
        timeout=600,
    )


def one_line(out: str) -> dict[str, str]:
    lines = [m.groupdict() for m in LINE.finditer(out)]
    assert len(lines) == 1, out
    return lines[0]


def runs_row(w: Path, run_id: str) -> tuple:
    con = duckdb.connect(str(w), read_only=True)
    try:
        return con.execute("SELECT status, dq_verdict FROM runs WHERE run_id = ?", [run_id]).fetchone()
    finally:
        con.close()


def placeholder_batch(folder: Path, n: int = 12) -> None:
    """``n`` unrelated articles that all report the same sentence: the batch fails the critical
    placeholder check, so its run fails (nothing loaded, verdict fail)."""
    rng = random.Random(1)
    words = "market harvest river council school bridge festival museum railway orchard library".split()
    folder.mkdir(parents=True)
    for i in range(n):
        filler = " ".join(rng.choice(words) for _ in range(120))
        (folder / f"{i:02d}.txt").write_text(
            f"Local notes number {i}\n\nPARIS, March {i + 3} (Reuters) - {filler.capitalize()}.\n\n"
            "Russian forces attacked Ukrainian troops near Kharkiv.\n"
        )


def test_serve_once_prints_the_summary_and_writes_the_report(prefect_server: str, tmp_path: Path) -> None:
    inp, w = tmp_path / "in", tmp_path / "w.duckdb"
    shutil.copytree(SAMPLES, inp)
    args = ("--once", "--input", inp, "--warehouse", w)
    proc = serve(*args, api=prefect_server, deployment="once-samples")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = one_line(proc.stdout)
    assert (line["status"], line["seen"], line["new"], line["verdict"]) == ("success", "5", "5", "warn")
    assert int(line["articles"]) > 0 and int(line["rows"]) > 0
    assert runs_row(w, line["run_id"]) == ("success", "warn")
    report = Path(line["report"])
    assert report == w.parent / "reports" / f"run-{line['run_id']}.html"
    page = report.read_text()
    assert line["run_id"] in page and "Loaded, with warnings" in page
    assert (report.parent / "index.html").is_file()
    # again: nothing new, and the line says so as the warehouse does
    proc = serve(*args, api=prefect_server, deployment="once-samples")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    again = one_line(proc.stdout)
    assert (again["status"], again["new"], again["verdict"]) == ("success", "0", "no new data")
    assert runs_row(w, again["run_id"]) == ("success", "no new data")
    assert "No new data" in Path(again["report"]).read_text()


def test_serve_once_reports_a_failed_run_and_exits_1(prefect_server: str, tmp_path: Path) -> None:
    inp, w = tmp_path / "in", tmp_path / "w.duckdb"
    placeholder_batch(inp)
    proc = serve("--once", "--input", inp, "--warehouse", w, api=prefect_server, deployment="once-failing")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = one_line(proc.stdout)
    assert (line["status"], line["verdict"], line["articles"]) == ("failed", "fail", "0")
    assert line["message"].startswith("critical data-quality checks failed")
    assert runs_row(w, line["run_id"]) == ("failed", "fail")
    page = Path(line["report"]).read_text()
    assert "Not loaded: critical checks failed" in page and "not_placeholder" in page
    assert "Traceback" not in proc.stdout + proc.stderr


def test_serve_once_reports_a_run_that_could_not_start(prefect_server: str, tmp_path: Path) -> None:
    """A served run that stops with an error (here: the warehouse is busy and on_locked = 'fail')
    prints its line with the error, no traceback, and --once exits 1."""
    from dateline.warehouse import lock

    w = tmp_path / "w.duckdb"
    with lock.run_lock(w, "holder-run"):
        proc = subprocess.run(
            [sys.executable, "-m", "dateline", "serve", "--once", "--input", SAMPLES, "--warehouse", w],
            env=dateline_env(
                prefect_server, DATELINE_SERVE_DEPLOYMENT="once-locked", DATELINE_RUN_ON_LOCKED="fail"
            ),
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = [x for x in proc.stdout.splitlines() if x.startswith("dateline serve: run ")]
    assert len(lines) == 1, proc.stdout
    assert re.match(
        r"dateline serve: run \S+ failed \| .* \| data quality: none \(run failed\) \| ", lines[0]
    )
    assert "is busy" in lines[0] and lines[0].endswith("| no report: the run did not start")
    assert "Traceback" not in proc.stdout + proc.stderr
