"""``dateline report``: the self-contained HTML data-quality report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dateline import config
from dateline.cli.common import UsageError, WarehouseOpt, app, console


@app.command()
def report(
    run_id: Annotated[
        str | None, typer.Option("--run", help="Run to report (default: the latest run).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder for the HTML files (default: reports/ next to the warehouse)."
        ),
    ] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Write the self-contained HTML data-quality report of a run, and the index over all runs."""
    from dateline.report.data import ReportError
    from dateline.report.html import write_report

    path = config.warehouse_path(warehouse)
    if not path.exists():
        raise UsageError(f"warehouse {path} does not exist yet: run 'dateline run' first")
    try:
        paths = write_report(path, run_id=run_id, out_dir=out)
    except ReportError as e:
        raise UsageError(str(e)) from None
    console.print(f"data-quality report of run {paths.run_id}: {paths.run_html}")
    console.print(f"all runs: {paths.index_html}")
