"""``dateline status``: the last runs, with dead runs shown as interrupted."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table as RichTable
from rich.text import Text

from dateline import settings
from dateline.cli.common import UsageError, WarehouseOpt, _print_table, app, console


@app.command()
def status(
    warehouse: WarehouseOpt = None,
    last: Annotated[int, typer.Option("--last", "-n", help="How many runs to show.")] = 10,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | json")] = "table",
) -> None:
    """The last runs: when, how long, files and rows, data-quality verdict; and any run in progress."""
    import json

    from dateline.report.html import verdict_label
    from dateline.warehouse import lock, snapshots

    if fmt not in ("table", "json"):
        raise UsageError(f"--format must be table or json, not {fmt!r}")
    if last < 1:
        raise UsageError("--last must be at least 1")
    path = settings.warehouse_path(warehouse)
    if not path.exists() and not snapshots.snapshot_path(path).exists():
        raise UsageError(f"warehouse {path} does not exist yet: run 'dateline run' first")
    holder_before = lock.current_holder(path)
    con, source = snapshots.open_for_reading(path, 1.0)
    try:
        runs = con.sql(
            """
            SELECT run_id, status, started_at, finished_at,
                   round(epoch(finished_at) - epoch(started_at), 1) AS seconds,
                   files_seen, files_new, files_unchanged, files_duplicate, files_quarantined,
                   articles_loaded, rows_written, dq_verdict, message
            FROM runs ORDER BY started_at DESC LIMIT ?
            """,
            params=[last],
        ).pl()
    finally:
        con.close()
    holder = lock.current_holder(path)
    busy = holder is not None
    runs = _interrupted_runs_shown(runs, {h.run_id for h in (holder_before, holder) if h is not None})
    snap = snapshots.snapshot_path(path)
    if fmt == "json":
        doc = {
            "warehouse": str(path),
            "read_from": source,
            "run_in_progress": busy,
            "snapshot": str(snap) if snap.exists() else None,
            "runs": json.loads(runs.write_json()),
        }
        sys.stdout.write(json.dumps(doc, default=str) + "\n")
        return
    console.print(f"warehouse  {path}  (read from the {source})")
    if busy:
        console.print(Text.assemble(("a run is in progress", "bold"), f": {holder}"))
    now = datetime.now(UTC)
    if snap.exists():
        published = datetime.fromtimestamp(snap.stat().st_mtime, tz=UTC)
        console.print(f"snapshot   {snap}  published {_when(published, now)}")
    if runs.height == 0:
        console.print("no runs yet")
        return
    # the run id is what `report --run` takes: never cut short (no_wrap), and first to be read
    t = RichTable(box=None, pad_edge=False, collapse_padding=True)
    t.add_column("run", no_wrap=True)
    for header in ("started", "status", "secs", "files s/n/u/d/q", "articles", "rows", "DQ"):
        t.add_column(header)
    for r in runs.iter_rows(named=True):
        started = _when(r["started_at"], now) if r["started_at"] else ""
        files = "/".join(
            "" if r[k] is None else str(r[k])
            for k in ("files_seen", "files_new", "files_unchanged", "files_duplicate", "files_quarantined")
        )
        t.add_row(
            r["run_id"],
            started,
            r["status"],
            "" if r["seconds"] is None else f"{r['seconds']:.1f}",
            files,
            "" if r["articles_loaded"] is None else str(r["articles_loaded"]),
            "" if r["rows_written"] is None else str(r["rows_written"]),
            verdict_label(r),
        )
    _print_table(t)
    for r in runs.iter_rows(named=True):
        if r["status"] != "success" and r["message"]:
            console.print(f"{r['run_id']}: {r['message']}")


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
