"""``dateline status``: the last runs, with dead runs shown as interrupted."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table as RichTable
from rich.text import Text

from dateline import config
from dateline.cli.common import UsageError, WarehouseOpt, app, console, print_table


@app.command()
def status(
    warehouse: WarehouseOpt = None,
    last: Annotated[int, typer.Option("--last", "-n", help="How many runs to show.")] = 10,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | json")] = "table",
) -> None:
    """The last runs: when, how long, files and rows, data-quality verdict; and any run in progress."""
    from dateline.warehouse import snapshots

    if fmt not in ("table", "json"):
        raise UsageError(f"--format must be table or json, not {fmt!r}")
    if last < 1:
        raise UsageError("--last must be at least 1")
    path = config.warehouse_path(warehouse)
    if not path.exists() and not snapshots.snapshot_path(path).exists():
        raise UsageError(f"warehouse {path} does not exist yet: run 'dateline run' first")
    runs = _last_runs(path, last)
    if fmt == "json":
        _print_json(path, runs)
    else:
        _print_runs(path, runs)


@dataclass(frozen=True)
class _Runs:
    """What ``status`` read: the last rows of ``runs`` (a polars frame, dead runs shown as
    interrupted), where from (the live warehouse or its snapshot), and the run lock's holder
    after reading (None: no run in progress)."""

    rows: Any
    source: str
    holder: Any
    older_extractor_articles: int  # loaded articles whose run recorded another extractor version, or none


def _last_runs(path: Path, last: int) -> _Runs:
    """The ``last`` runs of the warehouse at ``path``, newest first. A ``running`` row whose run
    held the run lock neither before nor after the read is shown as interrupted."""
    from dateline.warehouse import lock, snapshots

    holder_before = lock.current_holder(path)
    con, source = snapshots.open_for_reading(path, 1.0)
    try:
        rows = con.sql(
            """
            SELECT run_id, status, started_at, finished_at,
                   round(epoch(finished_at) - epoch(started_at), 1) AS seconds,
                   files_seen, files_new, files_unchanged, files_duplicate, files_quarantined,
                   articles_loaded, rows_written, dq_verdict, message
            FROM runs ORDER BY started_at DESC LIMIT ?
            """,
            params=[last],
        ).pl()
        older = _older_extractor_articles(con)
    finally:
        con.close()
    holder = lock.current_holder(path)
    running = {held.run_id for held in (holder_before, holder) if held is not None}
    return _Runs(_interrupted_runs_shown(rows, running), source, holder, older)


def _older_extractor_articles(con: Any) -> int:
    """Loaded articles written by a run with another extractor version than this installation's (or by a run
    from before versions were recorded): what ``dateline run --reextract`` re-extracts. 0 in a warehouse no
    run of this version has opened yet (no column)."""
    from dateline.resources.extractor import extractor_version
    from dateline.warehouse import lookups

    columns = {
        r[0]
        for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'runs'").fetchall()
    }
    if "extractor_version" not in columns:
        return 0
    return lookups.count_older_extractor_articles(con, extractor_version())


def _print_json(path: Path, runs: _Runs) -> None:
    """``status --format json``: one object with the warehouse, where it was read from, whether a
    run is in progress, the snapshot (null: none) and the runs."""
    import json

    from dateline.resources.extractor import extractor_version
    from dateline.warehouse import snapshots

    snapshot = snapshots.snapshot_path(path)
    document = {
        "warehouse": str(path),
        "read_from": runs.source,
        "run_in_progress": runs.holder is not None,
        "snapshot": str(snapshot) if snapshot.exists() else None,
        "extractor_version": extractor_version(),
        "articles_from_older_extractors": runs.older_extractor_articles,
        "runs": json.loads(runs.rows.write_json()),
    }
    sys.stdout.write(json.dumps(document, default=str) + "\n")


def _print_runs(path: Path, runs: _Runs) -> None:
    """``status``'s table: the warehouse, a run in progress, the snapshot's age, one row per run,
    then the message of every run that did not succeed."""
    from dateline.warehouse import snapshots

    console.print(f"warehouse  {path}  (read from the {runs.source})")
    if runs.holder is not None:
        console.print(Text.assemble(("a run is in progress", "bold"), f": {runs.holder}"))
    now = datetime.now(UTC)
    snapshot = snapshots.snapshot_path(path)
    if snapshot.exists():
        published = datetime.fromtimestamp(snapshot.stat().st_mtime, tz=UTC)
        console.print(f"snapshot   {snapshot}  published {_when(published, now)}")
    if runs.rows.height == 0:
        console.print("no runs yet")
        return
    print_table(_runs_table(runs.rows, now))
    for run in runs.rows.iter_rows(named=True):
        if run["status"] != "success" and run["message"]:
            console.print(f"{run['run_id']}: {run['message']}")
    if runs.older_extractor_articles:
        console.print(
            f"note: {runs.older_extractor_articles} loaded article(s) were extracted by an older extractor than this "
            "installation's (runs.extractor_version): 'dateline run --reextract' re-extracts their events and entities"
        )


def _runs_table(rows: Any, now: datetime) -> RichTable:
    """One line per run: id, start, status, seconds, files seen/new/unchanged/duplicate/
    quarantined, articles, rows written, data-quality verdict."""
    from dateline.report.html import verdict_label

    # the run id is what `report --run` takes: never cut short (no_wrap), and first to be read
    table = RichTable(box=None, pad_edge=False, collapse_padding=True)
    table.add_column("run", no_wrap=True)
    for header in ("started", "status", "secs", "files s/n/u/d/q", "articles", "rows", "DQ"):
        table.add_column(header)
    for run in rows.iter_rows(named=True):
        started = _when(run["started_at"], now) if run["started_at"] else ""
        files = "/".join(
            "" if run[column] is None else str(run[column])
            for column in (
                "files_seen",
                "files_new",
                "files_unchanged",
                "files_duplicate",
                "files_quarantined",
            )
        )
        table.add_row(
            run["run_id"],
            started,
            run["status"],
            "" if run["seconds"] is None else f"{run['seconds']:.1f}",
            files,
            "" if run["articles_loaded"] is None else str(run["articles_loaded"]),
            "" if run["rows_written"] is None else str(run["rows_written"]),
            verdict_label(run),
        )
    return table


def _when(moment: datetime, now: datetime) -> str:
    """A time for people: local time with its zone, and how long ago, e.g.
    ``2026-11-30 10:51:02 UTC (3 min ago)``."""
    local = moment.astimezone()
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} ({_ago((now - moment).total_seconds())})"


def _ago(seconds: float) -> str:
    """``seconds`` as a rounded age: ``12 s ago``, ``3 min ago``, ``5 h ago``, ``2 days ago``."""
    seconds = max(seconds, 0.0)
    for limit, unit, size in ((90, "s", 1), (90 * 60, "min", 60), (36 * 3600, "h", 3600)):
        if seconds < limit:
            return f"{seconds / size:.0f} {unit} ago"
    return f"{seconds / 86400:.0f} days ago"


#: ``status`` of a run whose row says ``running`` while no process runs it (see below).
INTERRUPTED = "interrupted"


INTERRUPTED_MESSAGE = (
    "interrupted: its process stopped without closing the run (killed?); nothing of its batch "
    "was loaded unless it had committed (the next run marks it failed)"
)


def _interrupted_runs_shown(runs: Any, running: set[str | None]) -> Any:
    """``runs`` with the status of every ``running`` row whose run does not hold the run lock
    (``running``: the run ids of the lock's holders, read before and after the rows) shown as
    ``interrupted``, and a message saying what that means. Read-only: the next run marks such a
    row failed in the warehouse; until then no reader should call a dead run running."""
    import polars as pl

    dead = (pl.col("status") == "running") & ~pl.col("run_id").is_in([r for r in running if r])
    return runs.with_columns(
        pl.when(dead).then(pl.lit(INTERRUPTED)).otherwise(pl.col("status")).alias("status"),
        pl.when(dead)
        .then(pl.coalesce(pl.col("message"), pl.lit(INTERRUPTED_MESSAGE)))
        .otherwise(pl.col("message"))
        .alias("message"),
    )
