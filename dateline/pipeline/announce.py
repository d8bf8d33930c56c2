"""The summary line of a run started by ``dateline serve``, and its report.

Each served run (flows/served.py) writes its data-quality report (:func:`dateline.report.html.write_report`)
and prints one summary line (:func:`announce`), for success and failure alike: that is when the
report matters. The line goes to the run's stdout, which Prefect's runner streams to the
``dateline serve`` terminal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dateline.errors import WarehouseError
from dateline.pipeline.summary import RunSummary
from dateline.warehouse import connection

#: Start of every summary line: easy to find in the serve terminal (and in tests).
LINE_PREFIX = "dateline serve:"


def summary_line(run: dict[str, Any], report: str) -> str:
    """One line about a finished run: id, status, files, articles and rows, verdict, message, and
    where its report is (or why there is none). ``run`` holds :class:`RunSummary` fields or a
    ``runs`` row (``rows_written`` instead of ``rows``)."""
    from dateline.report.html import verdict_label

    rows = run.get("rows_written")
    if rows is None and isinstance(run.get("rows"), dict):
        rows = sum(run["rows"].values())
    seconds = f" in {run['seconds']:.1f} s" if run.get("seconds") else ""
    parts = [
        f"{LINE_PREFIX} run {run['run_id']} {run['status']}{seconds}",
        f"files seen {_n(run.get('files_seen'))}, new or changed {_n(run.get('files_new'))}, "
        f"quarantined {_n(run.get('files_quarantined'))}",
        f"articles loaded {_n(run.get('articles_loaded'))}, rows written {_n(rows)}",
        f"data quality: {verdict_label(run)}",
    ]
    if run.get("message"):
        parts.append(str(run["message"]))
    parts.append(report)
    return " | ".join(parts)


def _n(value: Any) -> str:
    return "-" if value is None else str(value)


def _runs_row(warehouse: Path, run_id: str) -> dict[str, Any] | str:
    """The ``runs`` row of ``run_id``, or why there is none (no warehouse yet, the warehouse
    cannot be read, or the run never recorded itself)."""
    if not warehouse.exists():
        return "the run did not start"
    import duckdb

    try:
        con = connection.connect(warehouse, read_only=True)
        try:
            rows = con.sql("SELECT * FROM runs WHERE run_id = ?", params=[run_id]).pl()
        finally:
            con.close()
    except (WarehouseError, duckdb.Error) as exc:  # e.g. no runs table yet, or busy again
        return f"the warehouse could not be read: {str(exc).splitlines()[0]}"
    return rows.row(0, named=True) if rows.height else "the run did not start"


def _write_report(warehouse: Path, run_id: str) -> str:
    """Write the run's report (reports/ next to the warehouse); say where, or why it was not."""
    import duckdb

    from dateline.report.data import ReportError
    from dateline.report.html import write_report

    try:
        paths = write_report(warehouse, run_id=run_id)
    except (ReportError, WarehouseError, duckdb.Error, OSError) as exc:
        return f"no report: {exc}"
    return f"report {paths.run_html}"


def announce(warehouse: Path, run_id: str, summary: RunSummary | None, error: BaseException | None) -> None:
    """Write the report of run ``run_id`` and print its summary line (flushed at once: stdout is
    a pipe to the serving process). Without a ``summary`` (the run raised), the line is made from
    the run's ``runs`` row, or, if it never got one, from ``error``."""
    row = dict(vars(summary)) if summary is not None else _runs_row(warehouse, run_id)
    if isinstance(row, dict):
        if error is not None and row.get("status") == "running":
            row["status"] = "failed"  # its row is closed by the next run
        if not row.get("message") and error is not None:
            row["message"] = error_text(error)
        report = _write_report(warehouse, run_id)
    else:
        report = f"no report: {row}"
        row = {"run_id": run_id, "status": "failed", "message": error_text(error)}
    print(summary_line(row, report), flush=True)


def error_text(error: BaseException | None) -> str:
    if error is None:
        return ""
    return str(error).splitlines()[0] if str(error) else type(error).__name__


__all__ = ["LINE_PREFIX", "announce", "error_text", "summary_line"]
