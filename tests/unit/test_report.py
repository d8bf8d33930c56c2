"""The HTML data-quality report rendered from frames, without a warehouse: empty history, a run
without results.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import polars as pl

from dateline.report.html import render_index, render_run
from schemas.tables import DQ_RESULTS

EXTERNAL = re.compile(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def static_problems(page: str) -> list[str]:
    """Things that would make the page fetch something or depend on the network."""
    problems = []
    if EXTERNAL.search(page):
        problems.append("an attribute loads an http(s) or protocol-relative URL")
    for bad in ("<script", "<link", "@import", "<iframe", "<img", "url(http", "url(//", "@font-face"):
        if bad in page.lower():
            problems.append(f"contains {bad}")
    if "Content-Security-Policy" not in page:
        problems.append("no Content-Security-Policy")
    return problems


def test_empty_history_renders() -> None:
    runs = pl.DataFrame(
        {"run_id": ["r"], "started_at": [datetime(2025, 1, 1, tzinfo=UTC)], "status": ["success"],
         "dq_verdict": ["pass"], "files_new": [0], "articles_loaded": [0], "files_quarantined": [0],
         "checks": [0], "critical_failed": [0], "warnings_failed": [0]}
    )  # fmt: skip
    index = render_index(
        runs, pl.DataFrame(schema={"run_id": pl.String, "table_name": pl.String, "value": pl.Float64})
    )
    assert "no runs yet" in index and static_problems(index) == []


def test_render_run_without_results() -> None:
    from dateline.report.data import RunData

    run = {"run_id": "r", "status": "success", "dq_verdict": "pass", "message": "nothing to do"}
    runs = pl.DataFrame(
        {"run_id": ["r"], "started_at": [None], "checks": [0], "critical_failed": [0], "warnings_failed": [0]}
    )
    data = RunData(
        run=run,
        results=DQ_RESULTS.empty(),
        runs=runs,
        counts=pl.DataFrame(schema={"run_id": pl.String, "table_name": pl.String, "value": pl.Float64}),
    )
    page = render_run(data)
    assert "No checks ran" in page and static_problems(page) == []
