"""Error isolation per article through the flow: quarantined articles in the run's own process and
in the extraction workers, and a dead worker pool falling back to the guarded in-process path.
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dateline.runtime import isolation, workers
from dateline.runtime.progress import LogReporter
from tests.paths import SAMPLES
from tests.unit.test_isolation import TODAY

FAIL_MARK = "Zqxfailmarker"
SLOW_MARK = "Zqxslowmarker"


# --- through the flow ----------------------------------------------------------------------------


def _inbox(tmp_path: Path) -> Path:
    """The sample articles plus three: one that fails, a copy of it, and one that stalls."""
    inp = tmp_path / "in"
    shutil.copytree(SAMPLES, inp)
    fail = f"Trade talks stall\n\nOfficials in Geneva said on Monday that {FAIL_MARK} talks would resume.\n"
    (inp / "fail.txt").write_text(fail)
    (inp / "fail_copy.txt").write_text(fail)
    (inp / "slow.txt").write_text(
        f"Ministers meet\n\nThe foreign ministers of France and Germany met in Paris on Tuesday. {SLOW_MARK}\n"
    )
    return inp


def _check_isolated_run(summary: object, wh: Path, inp: Path) -> None:
    assert summary.status == "success"
    listed = dict(summary.quarantined)
    assert listed[str(inp / "fail.txt")].startswith("extract_failed: InjectedFault: injected failure")
    assert listed[str(inp / "fail_copy.txt")].startswith("extract_failed: same content as ")
    assert listed[str(inp / "slow.txt")].startswith("extract_timeout: extraction took longer than 2 s")
    assert summary.files_quarantined == 3 and summary.files_duplicate == 0
    con = duckdb.connect(str(wh), read_only=True)
    try:
        q = dict(con.execute("SELECT source_path, reason FROM quarantine").fetchall())
        assert q == {
            str(inp / "fail.txt"): "extract_failed",
            str(inp / "fail_copy.txt"): "extract_failed",
            str(inp / "slow.txt"): "extract_timeout",
        }
        loaded = {
            Path(p).name for (p,) in con.execute("SELECT DISTINCT source_path FROM articles").fetchall()
        }
        assert loaded == {p.name for p in SAMPLES.iterdir()}, "every other article is loaded"
        assert summary.articles_loaded == con.execute("SELECT count(*) FROM articles").fetchone()[0] >= 5
        for marker in (FAIL_MARK, SLOW_MARK):  # none of their rows anywhere
            assert (
                con.execute("SELECT count(*) FROM sentences WHERE text LIKE ?", [f"%{marker}%"]).fetchone()[0]
                == 0
            )
        outcomes = dict(con.execute("SELECT source_path, outcome FROM files").fetchall())
        assert {outcomes[str(inp / n)] for n in ("fail.txt", "fail_copy.txt", "slow.txt")} == {"quarantine"}
        runs = con.execute("SELECT files_quarantined FROM runs WHERE run_id = ?", [summary.run_id]).fetchone()
        assert runs == (3,)
    finally:
        con.close()


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("DATELINE_FAIL_ARTICLE", FAIL_MARK)
    monkeypatch.setenv("DATELINE_SLOW_ARTICLE", SLOW_MARK)
    monkeypatch.setenv("DATELINE_LIMITS_ARTICLE_TIMEOUT_SECONDS", "2")
    return monkeypatch


def test_flow_in_process_quarantines_and_goes_on(prefect_harness: None, tmp_path: Path, faults) -> None:
    from dateline.report.data import load_run_data
    from flows.ingest import ingest

    faults.setenv("DATELINE_RUN_WORKERS", "1")
    inp, wh = _inbox(tmp_path), tmp_path / "w.duckdb"
    summary = ingest(inp, wh)
    _check_isolated_run(summary, wh, inp)
    con = duckdb.connect(str(wh), read_only=True)
    try:  # the DQ report lists them
        reasons = {row["reason"] for row in load_run_data(con, summary.run_id).quarantine}
    finally:
        con.close()
    assert reasons == {"extract_failed", "extract_timeout"}
    # a rerun does not extract them again (the slow one would cost its limit again)
    again = ingest(inp, wh)
    assert again.status == "success" and again.files_new == 0 and again.seconds < 2

    # the machine is no longer busy and the bug is fixed: --rehash retries them (only them)
    faults.delenv("DATELINE_FAIL_ARTICLE")
    faults.delenv("DATELINE_SLOW_ARTICLE")
    retried = ingest(inp, wh, rehash=True)
    assert retried.status == "success" and retried.files_quarantined == 0
    assert retried.files_new == 3 and retried.articles_loaded == 2 and retried.files_duplicate == 1
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM quarantine").fetchone() == (0,)
        outcomes = dict(con.execute("SELECT source_path, outcome FROM files").fetchall())
    finally:
        con.close()
    assert [outcomes[str(inp / n)] for n in ("fail.txt", "fail_copy.txt", "slow.txt")] == [
        "article",
        "duplicate",
        "article",
    ]


def test_flow_with_worker_processes_quarantines_and_goes_on(
    prefect_harness: None, tmp_path: Path, faults
) -> None:
    from flows.ingest import ingest

    faults.setenv("DATELINE_RUN_PARALLEL_MIN_ARTICLES", "2")
    notes = _Notes()
    inp, wh = _inbox(tmp_path), tmp_path / "w.duckdb"
    with workers.WorkerPool(2) as pool:
        _check_isolated_run(ingest(inp, wh, workers=pool, reporter=notes), wh, inp)
        assert not pool.running  # the workers do not outlive the run
    assert not any("extracting in process" in n for n in notes.notes), notes.notes


class _Notes(LogReporter):
    """A progress reporter that keeps the run's notes."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def note(self, message: str) -> None:
        self.notes.append(message)


def test_a_dead_worker_sends_the_batch_to_the_guarded_in_process_path(
    tmp_path: Path, faults, articles: pl.DataFrame, reference: dict
) -> None:
    """BrokenProcessPool: the batch is extracted in process, with the same guard."""
    from flows.tasks import extract_task

    # workers that die as they start: the first result raises BrokenProcessPool
    broken = workers.WorkerPool(2, initializer=functools.partial(os._exit, 3))
    notes = _Notes()
    batch = pl.concat(
        [
            articles,
            articles.head(1).with_columns(pl.lit("x9").alias("article_id"), pl.lit(FAIL_MARK).alias("body")),
        ],
        how="diagonal_relaxed",
    )
    with broken:
        out = extract_task.fn(batch, reference, TODAY, None, broken, 2, 2.0, notes)
    assert any("extraction workers failed" in n for n in notes.notes), notes.notes
    assert out[isolation.FAILED_KEY]["article_id"].to_list() == ["x9"]
    assert set(out["articles"]["article_id"]) == set(articles["article_id"])
    assert out["articles"].height == articles.height
