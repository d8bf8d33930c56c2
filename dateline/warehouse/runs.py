"""A run's rows in the warehouse: its ``runs`` row (started, closed with status, counters and
verdict; left 'running' by a process that died, or stopped by a signal), whether its batch was
committed, and its data-quality results and metrics (``dq_results``, ``dq_runs``) with the
history of earlier runs' metrics."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from dateline.errors import WarehouseError
from dateline.warehouse import sql
from schemas.tables import DQ_RESULTS, DQ_RUNS, RUN_STATUSES, RUNS

#: Counters ``finish_run`` accepts (the integer columns of ``runs``).
RUN_COUNTERS: tuple[str, ...] = tuple(
    c.name for c in RUNS.columns if c.dtype == pl.Int64 and c.name != "run_id"
)


def start_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    input_dir: str | Path | None,
    extractor_version: str | None = None,
) -> None:
    """Record run ``run_id`` as running (started now), with the extractor version that writes its rows."""
    try:
        sql.fetch_all(
            con,
            "INSERT INTO runs (run_id, started_at, status, input_dir, extractor_version) "
            "VALUES (?, now(), 'running', ?, ?)",
            [run_id, None if input_dir is None else str(input_dir), extractor_version],
        )
    except duckdb.ConstraintException as exc:
        raise WarehouseError(f"run {run_id!r} already exists in the warehouse") from exc


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    status: str,
    counts: Mapping[str, int | None],
    dq_verdict: str | None,
    message: str | None,
) -> None:
    """Close run ``run_id``: finish time, status, counters (names of ``runs`` columns), verdict."""
    if status not in RUN_STATUSES:
        raise ValueError(f"run status {status!r} is not one of {', '.join(RUN_STATUSES)}")
    unknown = sorted(set(counts) - set(RUN_COUNTERS))
    if unknown:
        raise ValueError(f"unknown run counters {', '.join(unknown)}; known: {', '.join(RUN_COUNTERS)}")
    sets = ["finished_at = now()", "status = ?", "dq_verdict = ?", "message = ?"]
    params: list[Any] = [status, dq_verdict, message]
    for name, value in counts.items():
        sets.append(f"{name} = ?")
        params.append(None if value is None else int(value))
    rows = sql.fetch_all(con, f"UPDATE runs SET {', '.join(sets)} WHERE run_id = ?", [*params, run_id])
    if not rows or rows[0][0] == 0:
        raise WarehouseError(f"run {run_id!r} was not started in this warehouse")


def batch_committed(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    """True when run ``run_id``'s batch was committed: the load writes the run's dq_results in
    its transaction (the test :func:`recover_interrupted_runs` uses too)."""
    return bool(sql.fetch_scalar(con, "SELECT EXISTS (SELECT 1 FROM dq_results WHERE run_id = ?)", [run_id]))


def recover_interrupted_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Close runs left 'running' by a process that died (call it while holding the run lock).

    Their batch was never committed (the load is one transaction), so the warehouse holds nothing
    of them; they are marked failed with a message saying so and when it was found. Their
    ``finished_at`` stays unknown (NULL): the time a later run found them is not when they stopped.
    Returns their run ids.
    """
    rows = sql.fetch_all(
        con,
        """
        UPDATE runs r SET status = 'failed',
            message = CASE
                WHEN EXISTS (SELECT 1 FROM dq_results d WHERE d.run_id = r.run_id)
                THEN 'interrupted after its batch was committed, before the run was closed'
                ELSE 'interrupted: the process stopped before its batch was committed; nothing of '
                    || 'it was loaded (the next run redid the work)' END
                || ' (marked failed by a later run at '
                || strftime(now() AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') || ' UTC)'
        WHERE r.status = 'running' RETURNING r.run_id
        """,
    )
    return [r[0] for r in rows]


def close_stopped_run(con: duckdb.DuckDBPyConnection, run_id: str, why: str) -> bool | None:
    """Mark run ``run_id``, stopped by a signal, ``failed`` with message ``why`` (plus whether its
    batch had been committed) at once, rather than at the next run. Returns whether its batch
    was committed; None when the run never got a ``runs`` row (nothing of it is anywhere)."""
    if not sql.fetch_scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'runs'"):
        return None
    if not sql.fetch_scalar(con, "SELECT count(*) FROM runs WHERE run_id = ?", [run_id]):
        return None
    committed = batch_committed(con, run_id)
    said = "its batch had been committed" if committed else "nothing of its batch was loaded"
    sql.fetch_all(
        con,
        "UPDATE runs SET status = 'failed', finished_at = coalesce(finished_at, now()), message = ? "
        "WHERE run_id = ?",
        [f"{why}: {said}", run_id],
    )
    return committed


def dq_frame(run_id: str, dq_results: pl.DataFrame) -> pl.DataFrame:
    """``dq_results`` rows conformed to :data:`schemas.tables.DQ_RESULTS`, with ``run_id`` set."""
    return DQ_RESULTS.conform(dq_results.with_columns(pl.lit(run_id, dtype=pl.String).alias("run_id")))


def write_dq_results(con: duckdb.DuckDBPyConnection, run_id: str, dq_results: pl.DataFrame) -> int:
    """Replace the data-quality results of ``run_id`` (used when a critical failure stops the load)."""
    with sql.transaction(con, f"writing the dq results of run {run_id}"):
        sql.fetch_all(con, "DELETE FROM dq_results WHERE run_id = ?", [run_id])
        return sql.insert(con, DQ_RESULTS, dq_frame(run_id, dq_results))


def write_dq_runs(con: duckdb.DuckDBPyConnection, run_id: str, metrics: pl.DataFrame) -> int:
    """Replace the ``dq_runs`` metrics (table_name, metric, value) of ``run_id``."""
    frame = DQ_RUNS.conform(metrics.with_columns(pl.lit(run_id, dtype=pl.String).alias("run_id")))
    with sql.transaction(con, f"writing the dq metrics of run {run_id}"):
        sql.fetch_all(con, "DELETE FROM dq_runs WHERE run_id = ?", [run_id])
        return sql.insert(con, DQ_RUNS, frame)


def dq_history(con: duckdb.DuckDBPyConnection, before_run: str | None = None) -> pl.DataFrame:
    """``dq_runs`` rows of the successful runs (other than ``before_run``) with their ``started_at``.

    The history :func:`dateline.quality.validate.validate_run` compares a batch with (failed runs are left
    out: their batch was not loaded, and a broken batch must not become the norm).
    """
    df = sql.fetch_frame(
        con,
        """
        SELECT d.run_id, r.started_at, d.table_name, d.metric, d.value
        FROM dq_runs d JOIN runs r USING (run_id)
        WHERE r.status = 'success' AND d.run_id IS DISTINCT FROM ?
        ORDER BY r.started_at, d.run_id, d.table_name, d.metric
        """,
        [before_run],
    )
    return df.cast({"started_at": pl.Datetime("us", "UTC"), "value": pl.Float64})
