"""The report's charts as inline SVG (no scripts, nothing fetched): a (stacked) bar chart, and the
trend panels over the runs (row counts per table, share of failed checks)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

import polars as pl

#: Tables whose row counts are charted, in this order.
CHART_TABLES = (
    "articles",
    "sentences",
    "entity_mentions",
    "events",
    "event_mentions",
    "quantities",
    "quarantine",
)
#: Runs shown in the charts (the most recent).
CHART_RUNS = 30

SERIES_COLORS = {"critical": "#d1242f", "warning": "#d4a72c"}


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exp: float = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def _fmt(v: float) -> str:
    if abs(v) >= 1000:
        return f"{v / 1000:.1f}k".replace(".0k", "k")
    return f"{v:.3g}"


def bar_chart(
    labels: list[str],
    stacks: dict[str, list[float]],
    *,
    highlight: int | None = None,
    colors: dict[str, str] | None = None,
    y_format: str = "{}",
    width: int = 360,
    height: int = 150,
) -> str:
    """A (stacked) bar chart as inline SVG: one bar per label, one segment per series."""
    colors = colors or {}
    n = len(labels)
    left, right, top, bottom = 44, 8, 10, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(s[i] for s in stacks.values()) for i in range(n)]
    ymax = _nice_max(max(totals, default=0))
    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">']
    for k in range(3):
        v = ymax * k / 2
        y = top + plot_h - plot_h * k / 2
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e8ec"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end" fill="#59636e">'
            f"{escape(y_format.format(_fmt(v)))}</text>"
        )
    if n == 0:
        parts.append(
            f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" font-size="12" text-anchor="middle" '
            'fill="#59636e">no runs yet</text></svg>'
        )
        return "".join(parts)
    slot = plot_w / n
    bar_w = max(2.0, min(28.0, slot * 0.7))
    palette = ["#2f5f98", "#5b8fc9", "#9cc1e8"]
    for i, label in enumerate(labels):
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h
        tip = [label]
        for j, (name, values) in enumerate(stacks.items()):
            v = values[i]
            tip.append(f"{name}: {y_format.format(_fmt(v))}")
            if v <= 0:
                continue
            h = plot_h * v / ymax
            y -= h
            color = colors.get(name, palette[j % len(palette)])
            if highlight is not None and i != highlight and name not in colors:
                color = "#a9bfd9"
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{color}" rx="1.5"/>'
            )
        parts.append(
            f'<rect x="{left + slot * i:.1f}" y="{top}" width="{slot:.1f}" height="{plot_h}" fill="transparent">'
            f"<title>{escape(' | '.join(tip))}</title></rect>"
        )
        if highlight == i or n <= 12:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{max(top + 9, y - 3):.1f}" font-size="10" '
                f'text-anchor="middle" fill="#1f2328">{escape(y_format.format(_fmt(totals[i])))}</text>'
            )
    first, last = labels[0], labels[-1]
    parts.append(
        f'<text x="{left}" y="{height - 6}" font-size="10" fill="#59636e">{escape(first)}</text>'
        f'<text x="{width - right}" y="{height - 6}" font-size="10" text-anchor="end" fill="#59636e">'
        f"{escape(last)}</text>"
    )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#8c959f"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _run_label(run: dict[str, Any]) -> str:
    started = run.get("started_at")
    if isinstance(started, datetime):
        return started.strftime("%m-%d %H:%M")
    return str(run["run_id"])[:13]


def trend_charts(runs: pl.DataFrame, counts: pl.DataFrame, current: str | None = None) -> str:
    """Row counts per table and failure rates over the last :data:`CHART_RUNS` runs with checks."""
    shown = runs.filter(pl.col("checks") > 0).tail(CHART_RUNS)
    run_rows = shown.to_dicts()
    labels = [_run_label(r) for r in run_rows]
    ids = [r["run_id"] for r in run_rows]
    highlight = ids.index(current) if current in ids else None
    by = {(r["run_id"], r["table_name"]): r["value"] or 0.0 for r in counts.iter_rows(named=True)}
    panels = []
    for table in CHART_TABLES:
        values = [float(by.get((rid, table), 0.0)) for rid in ids]
        svg = bar_chart(labels, {table: values}, highlight=highlight)
        panels.append(
            f'<div class="chart"><h4>{escape(table)}</h4><p>rows in each run\'s batch</p>{svg}</div>'
        )
    crit = [100.0 * r["critical_failed"] / r["checks"] for r in run_rows]
    warn = [100.0 * r["warnings_failed"] / r["checks"] for r in run_rows]
    svg = bar_chart(
        labels, {"critical": crit, "warning": warn}, colors=SERIES_COLORS, y_format="{}%", highlight=highlight
    )
    legend = (
        '<div class="legend"><span><i style="background:#d1242f"></i>critical failed</span>'
        '<span><i style="background:#d4a72c"></i>warning failed</span></div>'
    )
    panels.insert(
        0,
        f'<div class="chart"><h4>failed checks</h4><p>share of the run\'s checks that failed</p>{svg}{legend}</div>',
    )
    note = (
        f'<p class="sub">The last {len(ids)} run(s) with checks, oldest left'
        + ("; this run is the dark bar." if highlight is not None else ".")
        + " Hover a bar for its values.</p>"
    )
    return note + f'<div class="charts">{"".join(panels)}</div>'
