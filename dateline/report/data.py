"""The data of the data-quality report, read from the warehouse: every run with its check counts,
and for one run its check results, quarantined inputs and the articles its failed checks' examples
name (:class:`RunData`, what a run page shows)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl


class ReportError(RuntimeError):
    """There is nothing to report (no runs, unknown run)."""


@dataclass
class RunData:
    """What one run page shows, read from the warehouse (or built directly in tests)."""

    run: dict[str, Any]
    results: pl.DataFrame  # dq_results rows of the run
    runs: pl.DataFrame  # every run, oldest first: run_id, started_at, status, dq_verdict, checks, ...
    counts: pl.DataFrame  # dq_runs 'rows' per run and table: run_id, table_name, value
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    articles: dict[str, dict[str, Any]] = field(default_factory=dict)  # article_id -> title, source_path


def _runs(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every run, oldest first, with its number of checks and of failed critical and warning checks."""
    runs: pl.DataFrame = con.sql(
        """
        SELECT r.run_id, r.started_at, r.finished_at, r.status, r.dq_verdict, r.input_dir,
               r.files_seen, r.files_new, r.files_unchanged, r.files_duplicate, r.files_quarantined,
               r.articles_loaded, r.rows_written, r.message,
               coalesce(q.checks, 0) AS checks,
               coalesce(q.critical_failed, 0) AS critical_failed,
               coalesce(q.warnings_failed, 0) AS warnings_failed
        FROM runs r
        LEFT JOIN (
            SELECT run_id, count(*) AS checks,
                   count(*) FILTER (WHERE NOT success AND severity = 'critical') AS critical_failed,
                   count(*) FILTER (WHERE NOT success AND severity = 'warning') AS warnings_failed
            FROM dq_results GROUP BY run_id
        ) q USING (run_id)
        ORDER BY r.started_at, r.run_id
        """
    ).pl()
    return runs


def _example_article_ids(results: pl.DataFrame) -> set[str]:
    """The articles the example rows of the failed checks in ``results`` name."""
    ids: set[str] = set()
    for raw in results.filter(~pl.col("success")).get_column("unexpected_examples").to_list():
        for ex in parse_examples(raw):
            if isinstance(ex, dict) and isinstance(ex.get("article_id"), str):
                ids.add(ex["article_id"])
    return ids


def load_run_data(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> RunData:
    """Read what the page of ``run_id`` (default: the latest run) shows."""
    runs = _runs(con)
    if runs.height == 0:
        raise ReportError("the warehouse has no runs yet: run 'dateline run' first")
    if run_id is None:
        run_id = runs.get_column("run_id")[-1]
    if runs.filter(pl.col("run_id") == run_id).height == 0:
        recent = ", ".join(runs.get_column("run_id").tail(5).to_list())
        raise ReportError(f"run {run_id!r} is not in the warehouse (latest runs: {recent})")
    counts = con.sql("SELECT run_id, table_name, value FROM dq_runs WHERE metric = 'rows'").pl()
    return run_page_data(con, run_id, runs, counts)


def run_page_data(
    con: duckdb.DuckDBPyConnection, run_id: str, runs: pl.DataFrame, counts: pl.DataFrame
) -> RunData:
    """The page data of ``run_id`` (one of ``runs``), given every run and the row counts."""
    results = con.sql(
        "SELECT * FROM dq_results WHERE run_id = ? ORDER BY table_name, check_name", params=[run_id]
    ).pl()
    quarantine = con.sql(
        "SELECT source_path, source_record, reason, detail FROM quarantine WHERE run_id = ? "
        "ORDER BY source_path, source_record",
        params=[run_id],
    ).pl()
    ids = sorted(_example_article_ids(results))
    articles: dict[str, dict[str, Any]] = {}
    if ids:
        rows = con.sql(
            "SELECT article_id, title, source_path FROM articles WHERE list_contains(?, article_id)",
            params=[ids],
        ).pl()
        articles = {r["article_id"]: r for r in rows.iter_rows(named=True)}
    return RunData(
        run=runs.filter(pl.col("run_id") == run_id).row(0, named=True),
        results=results,
        runs=runs,
        counts=counts,
        quarantine=quarantine.to_dicts(),
        articles=articles,
    )


def parse_examples(raw: str | None) -> list[Any]:
    """The example rows of a check result (its ``unexpected_examples`` JSON list; text that is
    not JSON is one example)."""
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return [raw]
    return value if isinstance(value, list) else [value]
