"""Run bookkeeping in one place (dateline/pipeline/run.py): the Run closes its row on every expected
exit, and the ``ingest`` flow uses the configuration and the progress reporter it is given.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dateline.pipeline.discover import InputError
from dateline.pipeline.run import Run, connected
from dateline.pipeline.summary import count_files
from dateline.warehouse import schema
from schemas.tables import NO_NEW_DATA
from tests.paths import SAMPLES
from tests.unit.test_run_bookkeeping import _unit


def _runs(warehouse: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("SELECT run_id, status, message, dq_verdict, files_seen, rows_written FROM runs")
        return {r[0]: r[1:] for r in rows.fetchall()}
    finally:
        con.close()


def test_run_closes_its_row_on_every_expected_exit(tmp_path: Path) -> None:
    """An expected failure closes the row 'failed' with its message; any other error leaves it
    'running' for the next run (or the stopped command) to close; a run with nothing to do is
    closed 'success' with its counts."""
    warehouse = tmp_path / "w.duckdb"
    with connected(warehouse) as con:
        schema.init_schema(con)

    def started(run_id: str) -> Run:
        run = Run(warehouse, run_id, tmp_path / "in", failures=(InputError,))
        with connected(warehouse) as con:
            run.start(con)
        return run

    with pytest.raises(InputError), started("listing") as run:
        raise InputError("cannot list the input folder")
    with pytest.raises(ValueError), started("bug") as run:
        raise ValueError("a transform bug")
    with started("idle") as run:
        run.count(
            count_files(pl.DataFrame([_unit("/in/same.txt", "unchanged")]), read=1, skipped=2, deleted=0)
        )
        summary = run.nothing_to_do(checkpoint=False)
    assert (summary.status, summary.dq_verdict, summary.files_unchanged) == ("success", NO_NEW_DATA, 3)
    assert summary.message.startswith("nothing to do")
    assert _runs(warehouse) == {
        "listing": ("failed", "cannot list the input folder", None, None, None),
        "bug": ("running", None, None, None, None),
        "idle": ("success", None, NO_NEW_DATA, 3, 0),
    }


class _Stages:
    """A progress reporter that keeps the stages it is told."""

    def __init__(self) -> None:
        self.stages: list[str] = []

    def stage(self, name: str, detail: str = "") -> None:
        self.stages.append(name)

    def note(self, message: str) -> None:
        pass

    def close(self) -> None:
        pass


def test_the_flow_uses_the_config_and_the_reporter_it_is_given(prefect_harness: None, tmp_path: Path) -> None:
    from dateline import config
    from flows.ingest import ingest

    inp = tmp_path / "in"
    shutil.copytree(SAMPLES, inp)
    warehouse = tmp_path / "w.duckdb"
    given = dataclasses.replace(config.load(), max_bytes=10, snapshot=False)
    reporter = _Stages()
    summary = ingest(inp, warehouse, config=given, reporter=reporter)
    # every file is over the given max_bytes: quarantined 'oversized', nothing extracted
    assert summary.files_quarantined == summary.files_seen > 0 and summary.articles_loaded == 0
    assert {why.split(":")[0] for _, why in summary.quarantined} == {"oversized"}
    assert not (tmp_path / "w.snapshot.duckdb").exists()  # snapshot = false
    assert reporter.stages == ["lock", "discover", "parse", "extract", "validate", "load"]
