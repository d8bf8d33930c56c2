"""Extraction in worker processes (dateline/runtime/workers.py) gives exactly what one process gives, and
`dateline run` starts its own temporary Prefect API early (dateline/runtime/prefect_api.py)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dateline.resources.ner_model import load_ner
from dateline.runtime import prefect_api
from dateline.runtime import workers as parallel
from dateline.runtime.isolation import FAILED_KEY
from tests.conftest import REPO, SAMPLES, dateline_env
from transforms.extract import extract, merge_extracted
from transforms.parse import parse_files
from transforms.route import KNOWN_SCHEMA, route_units

TODAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def articles() -> pl.DataFrame:
    from dateline.pipeline.discover import discover

    units = route_units(parse_files(discover(SAMPLES)), pl.DataFrame(schema=KNOWN_SCHEMA))
    arts = units.filter(pl.col("route") == "article")
    assert arts.height >= 5
    return arts


def _same(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        x, y = a[name], b[name]
        assert x.columns == y.columns, name
        assert x.sort(x.columns).equals(y.sort(y.columns)), f"{name} differs"


def test_chunks_cover_every_article_once_in_order(articles: pl.DataFrame) -> None:
    for n in (1, 2, 3, 100):
        parts = parallel.chunks(articles, n)
        assert 1 <= len(parts) <= min(n, articles.height)
        assert pl.concat(parts)["article_id"].to_list() == articles["article_id"].to_list()
    assert parallel.chunks(articles.head(0), 4)[0].height == 0


def test_chunks_balance_text_not_rows() -> None:
    df = pl.DataFrame({"article_id": [str(i) for i in range(6)], "body": ["x" * 1000] + ["y" * 10] * 5})
    parts = parallel.chunks(df, 2)
    assert [p.height for p in parts] == [1, 5]


def test_merge_of_chunks_equals_one_call(articles: pl.DataFrame, reference: dict) -> None:
    nlp = load_ner()
    whole = extract(articles, reference, today=TODAY, nlp=nlp)
    parts = [extract(p, reference, today=TODAY, nlp=nlp) for p in parallel.chunks(articles, 3)]
    _same(whole, merge_extracted(parts))
    # entities named in several chunks appear once
    merged = merge_extracted(parts)["entities"]
    assert merged["entity_id"].n_unique() == merged.height


def test_worker_processes_give_the_same_rows(articles: pl.DataFrame, reference: dict) -> None:
    calls: list[int] = []

    def in_process(batch: pl.DataFrame) -> dict[str, pl.DataFrame]:
        calls.append(batch.height)
        return extract(batch, reference, today=TODAY, nlp=load_ner())

    with parallel.WorkerPool(2) as pool:
        parallel_out = pool.extract(
            articles,
            reference,
            today=TODAY,
            default_year=None,
            min_articles=2,
            in_process=in_process,
            timeout=30,
        )
        assert calls == [], "the batch should have gone to the workers"
        assert not pool.running, "the pool is shut down after the batch"
    # the workers guard each article (dateline/runtime/isolation.py): none was set aside here
    assert parallel_out.pop(FAILED_KEY).height == 0
    _same(extract(articles, reference, today=TODAY, nlp=load_ner()), parallel_out)


def test_small_batches_and_one_worker_stay_in_process(articles: pl.DataFrame, reference: dict) -> None:
    calls: list[int] = []

    def in_process(batch: pl.DataFrame) -> dict[str, pl.DataFrame]:
        calls.append(batch.height)
        return {"articles": batch}

    for workers, min_articles in ((2, 1000), (1, 1)):
        with parallel.WorkerPool(workers) as pool:
            pool.extract(
                articles,
                reference,
                today=TODAY,
                default_year=None,
                min_articles=min_articles,
                in_process=in_process,
                timeout=30,
            )
            assert not pool.running
    assert calls == [articles.height, articles.height]


def test_other_reference_data_falls_back_to_in_process(articles: pl.DataFrame, reference: dict) -> None:
    changed = dict(reference)
    changed["countries"] = reference["countries"].head(3)
    notes: list[str] = []
    with parallel.WorkerPool(2) as pool:
        out = pool.extract(
            articles,
            changed,
            today=TODAY,
            default_year=None,
            min_articles=2,
            in_process=lambda b: {"articles": b},
            timeout=30,
            note=notes.append,
        )
    assert out["articles"].height == articles.height
    assert notes and "other reference data" in notes[0]


def test_reference_fingerprint_sees_content(reference: dict) -> None:
    fp = parallel.reference_fingerprint(reference)
    assert fp == parallel.reference_fingerprint(dict(reference))
    edited = dict(reference)
    edited["actors"] = reference["actors"].with_columns(pl.col("canonical_name").str.to_uppercase())
    assert parallel.reference_fingerprint(edited) != fp


def test_start_early_leaves_a_configured_server_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    assert prefect_api.start_early() is None


def test_run_starts_and_stops_its_own_prefect_api(tmp_path: Path) -> None:
    """Without PREFECT_API_URL `dateline run` starts the temporary API itself; nothing is left running."""
    mark = f"test-{uuid.uuid4().hex}"
    env = dateline_env(DATELINE_TEST_MARK=mark)  # inherited by every child of the run
    env.pop("PREFECT_API_URL", None)
    wh_path = tmp_path / "w.duckdb"
    proc = subprocess.run(
        [sys.executable, "-m", "dateline", "run", "--input", str(SAMPLES), "--warehouse", str(wh_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    con = duckdb.connect(str(wh_path), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] >= 5
        assert con.execute("SELECT status FROM runs").fetchall() == [("success",)]
    finally:
        con.close()
    # no process of that run (API server, extraction worker) survives it
    assert _processes_with(f"DATELINE_TEST_MARK={mark}".encode()) == []


def _processes_with(marker: bytes) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_workers_die_with_a_killed_run(tmp_path: Path) -> None:
    """A run killed by SIGKILL leaves no extraction worker behind (they hold the NER model)."""
    mark = f"test-{uuid.uuid4().hex}"
    script = tmp_path / "killed.py"
    script.write_text(
        "import os, signal\n"
        "from dateline.runtime.workers import WorkerPool\n"
        "if __name__ == '__main__':\n"
        "    pool = WorkerPool(2)\n"
        "    pool.loaded_fingerprint()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=REPO,
        env=dateline_env(DATELINE_TEST_MARK=mark),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -9
    deadline = time.monotonic() + 15
    while _processes_with(f"DATELINE_TEST_MARK={mark}".encode()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_with(f"DATELINE_TEST_MARK={mark}".encode()) == []


def test_prestart_early_waits_then_applies_the_batch_size_rule() -> None:
    import threading

    started: list[int] = []

    class RecordingPool(parallel.WorkerPool):
        """Records its starts instead of starting processes."""

        def start(self) -> None:
            started.append(self.size)

    booted = threading.Event()
    counted = threading.Event()

    def count() -> int:
        counted.set()
        return 500

    thread = RecordingPool(2).start_early(count, min_articles=200, after=booted)
    assert not counted.wait(0.2)  # waits for the server's boot
    booted.set()
    thread.join(5)
    assert started == [2]
    # a small batch, one worker, or a failing count: no early start, and no error
    for files, workers in ((199, 2), (500, 1)):
        RecordingPool(workers).start_early(lambda n=files: n, min_articles=200).join(5)

    def broken() -> int:
        raise OSError("warehouse busy")

    RecordingPool(2).start_early(broken, min_articles=200).join(5)
    assert started == [2]


def test_a_closed_pool_starts_no_workers() -> None:
    """close() (an interrupted `dateline run`) stops the pool for good: the early start's thread,
    still on its way, starts nothing."""
    pool = parallel.WorkerPool(2)
    pool.close()
    pool.start_early(lambda: 500, min_articles=200).join(5)
    pool.start()
    assert not pool.running


def test_files_to_read_looks_at_the_warehouse_read_only(tmp_path: Path) -> None:
    from dateline.cli.run import _files_to_read
    from dateline.warehouse import connection, schema

    inbox = tmp_path / "in"
    inbox.mkdir()
    for i in range(3):
        (inbox / f"{i}.txt").write_text(f"Title {i}\n\nBody {i}.\n")
    db = tmp_path / "w.duckdb"
    assert _files_to_read(inbox, db, rehash=False) == 3  # no warehouse yet
    con = connection.connect(db)
    schema.init_schema(con)
    con.close()
    assert _files_to_read(inbox, db, rehash=False) == 3
    # the read-only connection is closed: the run can open the warehouse for writing
    connection.connect(db).close()
