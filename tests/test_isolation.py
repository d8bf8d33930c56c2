"""Error isolation per article (dateline/runtime/isolation.py): an article whose extraction raises or stalls is
quarantined (``extract_failed`` / ``extract_timeout``) and the batch goes on, in the run's own
process and in the extraction workers."""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dateline.runtime import isolation
from dateline.runtime import workers as parallel
from dateline.runtime.progress import LogReporter
from tests.conftest import SAMPLES
from transforms.extract import extract, merge_extracted
from transforms.gazetteer import build_gazetteer
from transforms.route import KNOWN_SCHEMA, quarantine_failed, route_units

TODAY = date(2026, 11, 28)
FAIL_MARK = "Zqxfailmarker"
SLOW_MARK = "Zqxslowmarker"


@pytest.fixture(scope="module")
def articles() -> pl.DataFrame:
    from dateline.pipeline.discover import discover
    from transforms.parse import parse_files

    units = route_units(parse_files(discover(SAMPLES)), pl.DataFrame(schema=KNOWN_SCHEMA))
    arts = units.filter(pl.col("route") == "article")
    assert arts.height >= 5
    return arts


@pytest.fixture(scope="module")
def plain(reference: dict) -> isolation.Extractor:
    """``extract`` without the NER model (fast), its gazetteer built once."""
    gaz = build_gazetteer(reference)
    return lambda group: extract(group, reference, today=TODAY, gazetteer=gaz)


def _same(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        x, y = a[name], b[name]
        assert x.columns == y.columns, name
        assert x.sort(x.columns).equals(y.sort(y.columns)), f"{name} differs"


def _spin() -> None:
    """A catastrophically backtracking match (2**64 ways): never ends by itself."""
    re.match(r"(a+)+!", "a" * 64)


def _timer_state() -> tuple[object, tuple[float, float]]:
    return signal.getsignal(signal.SIGALRM), signal.getitimer(signal.ITIMER_REAL)


def test_failing_articles_are_set_aside_and_the_rest_equals_one_extract(
    articles: pl.DataFrame, plain: isolation.Extractor
) -> None:
    ids = articles["article_id"].to_list()
    bad = {ids[1], ids[-1]}
    calls: list[int] = []

    def flaky(group: pl.DataFrame) -> dict[str, pl.DataFrame]:
        calls.append(group.height)
        if set(group["article_id"]) & bad:
            raise ValueError("cannot code this one")
        return plain(group)

    before = _timer_state()
    frames, failed = isolation.extract_isolated(articles, flaky, timeout=30)
    assert _timer_state() == before
    assert failed.schema == isolation.FAILED_SCHEMA
    assert sorted(failed["article_id"]) == sorted(bad)
    assert set(failed["reason"]) == {"extract_failed"}
    for detail in failed["detail"]:
        assert detail.startswith("ValueError: cannot code this one (at ") and "in flaky" in detail
    good = articles.filter(~pl.col("article_id").is_in(list(bad)))
    _same(frames, plain(good))
    # the whole batch, then its parts, down to the bad single articles
    assert calls[0] == articles.height and calls.count(1) >= 2


def test_a_stalling_article_times_out_alone(articles: pl.DataFrame, plain: isolation.Extractor) -> None:
    slow = articles["article_id"][2]

    def stalling(group: pl.DataFrame) -> dict[str, pl.DataFrame]:
        if slow in group["article_id"]:
            _spin()
        return plain(group)

    before = _timer_state()
    started = time.monotonic()
    frames, failed = isolation.extract_isolated(articles, stalling, timeout=0.5)
    elapsed = time.monotonic() - started
    assert _timer_state() == before, "timer disarmed, previous handler back"
    assert failed.rows() == [(slow, "extract_timeout", failed["detail"][0])]
    assert failed["detail"][0].startswith("extraction took longer than 0.5 s (at ")
    _same(frames, plain(articles.filter(pl.col("article_id") != slow)))
    # a group of <= 64 articles gets one limit: 7 articles, then 7 single ones: two limits of 0.5 s
    assert elapsed < 2 * 0.5 + 5


def test_timeout_names_the_place_in_the_project_code(
    articles: pl.DataFrame, plain: isolation.Extractor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The detail says where extraction was when the limit struck: here the quantity scanner (a
    Python loop on the main thread), its regex made pathological."""
    import transforms.quantities as quantities

    spinning = re.compile(r"(a+)+!")
    monkeypatch.setattr(quantities, "finditer", lambda _rx, _pf, _text, _folded: spinning.finditer("a" * 64))
    one = articles.head(1).with_columns(pl.lit("Exports rose 5% to $3 billion in 2025.").alias("body"))
    _, failed = isolation.extract_isolated(
        one, plain, timeout=2.0
    )  # long enough for the stages before it on a busy machine
    assert failed["reason"].to_list() == ["extract_timeout"]
    assert re.search(r"\(at transforms/quantities\.py:\d+ in extract_quantities\)$", failed["detail"][0]), (
        failed
    )


def test_describe_error_names_type_message_and_place() -> None:
    with pytest.raises(ValueError) as info:
        merge_extracted([])
    detail = isolation.describe_error(info.value)
    assert re.fullmatch(
        r"ValueError: merge_extracted needs at least one extract\(\) result "
        r"\(at transforms/extract\.py:\d+ in merge_extracted\)",
        detail,
    ), detail


def test_budget_grows_with_the_group() -> None:
    assert isolation.budget_seconds(1, 30) == 30
    assert isolation.budget_seconds(64, 30) == 30
    assert isolation.budget_seconds(65, 30) == 60
    assert isolation.budget_seconds(500, 2) == 16


def test_ctrl_c_is_not_an_article_failure(articles: pl.DataFrame) -> None:
    def interrupted(group: pl.DataFrame) -> dict[str, pl.DataFrame]:
        raise KeyboardInterrupt

    before = _timer_state()
    with pytest.raises(KeyboardInterrupt):
        isolation.extract_isolated(articles, interrupted, timeout=30)
    assert _timer_state() == before


def test_an_outer_timer_and_handler_survive(articles: pl.DataFrame, plain: isolation.Extractor) -> None:
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, _frame: fired.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 100)
        isolation.extract_isolated(articles.head(2), plain, timeout=30)
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 80 < left < 100, "the outer timer is re-armed with what was left of it"
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        time.sleep(0.3)
        assert fired == [signal.SIGALRM], "the outer handler is back"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_off_the_main_thread_errors_are_still_isolated(
    articles: pl.DataFrame, plain: isolation.Extractor
) -> None:
    bad = articles["article_id"][0]
    notes: list[str] = []
    out: list[pl.DataFrame] = []

    def flaky(group: pl.DataFrame) -> dict[str, pl.DataFrame]:
        if bad in group["article_id"]:
            raise RuntimeError("boom")
        return plain(group)

    thread = threading.Thread(
        target=lambda: out.append(
            isolation.extract_isolated(articles, flaky, timeout=30, note=notes.append)[1]
        )
    )
    thread.start()
    thread.join(60)
    assert out and out[0]["article_id"].to_list() == [bad]
    assert notes and "not enforced" in notes[0]


def test_an_error_on_an_empty_batch_is_raised(articles: pl.DataFrame) -> None:
    def broken(group: pl.DataFrame) -> dict[str, pl.DataFrame]:
        raise KeyError("event_taxonomy")

    with pytest.raises(KeyError):
        isolation.extract_isolated(articles.head(0), broken, timeout=30)


def test_quarantine_failed_moves_the_article_and_its_duplicates() -> None:
    units = pl.DataFrame(
        {
            "source_path": ["a.txt", "b.jsonl", "c.txt", "d.txt"],
            "source_record": [None, 3, None, None],
            "content_sha256": ["h1", "h1", "h2", "h3"],
            "route": ["article", "duplicate", "article", "quarantine"],
            "article_id": ["h1", "h1", "h2", None],
            "quarantine_reason": [None, None, None, "empty"],
            "quarantine_detail": [None, None, None, "no bytes"],
        },
        schema_overrides={"source_record": pl.Int64},
    )
    failed = pl.DataFrame(
        {"article_id": ["h1"], "reason": ["extract_timeout"], "detail": ["extraction took longer than 30 s"]}
    )
    out = quarantine_failed(units, failed)
    assert out.columns == units.columns
    assert out["route"].to_list() == ["quarantine", "quarantine", "article", "quarantine"]
    assert out["article_id"].to_list() == [None, None, "h2", None]
    assert out["quarantine_reason"].to_list() == ["extract_timeout", "extract_timeout", None, "empty"]
    assert out["quarantine_detail"][0] == "extraction took longer than 30 s"
    assert (
        out["quarantine_detail"][1]
        == "same content as a.txt, not extracted: extraction took longer than 30 s"
    )
    assert quarantine_failed(units, failed.head(0)).equals(units)


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
    with parallel.WorkerPool(2) as pool:
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
    broken = parallel.WorkerPool(2, initializer=functools.partial(os._exit, 3))
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
