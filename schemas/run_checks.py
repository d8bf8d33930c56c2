"""Checks of a batch against earlier runs: volumes, rates and silently empty outputs.

Pure functions, frames in and frames out (no warehouse, no GX): the caller passes the batch's
fact-table frames and the history of earlier runs (rows of ``dq_runs``, see
:data:`schemas.tables.DQ_RUNS`) and gets

* :func:`batch_metrics` -- the ``dq_runs`` rows of this batch: ``rows`` of every fact table,
  ``input_units`` / ``new_articles`` of the run, and the rates (``entity_mentions.resolved_share``
  = share of mentions whose entity is a known reference actor, ``articles.undated_share`` = share
  of articles without a published date, ``quarantine.quarantine_rate`` = quarantined units /
  input units);
* :func:`evaluate` -- one ``dq_results`` row per check of :data:`RUN_CHECKS`.

Volumes are compared per new article (a batch of 10 files and one of 2,000 are comparable) with
the **trailing median** of the last :data:`TRAILING_RUNS` earlier runs that loaded articles. A
run with no new article (everything unchanged) compares nothing and passes.

Severities come from ``schemas/checks.toml`` like every other check (categories ``empty_output``
and ``trend``), resolved by :func:`schemas.expectations.severities`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from schemas.tables import FACT_TABLES

#: Earlier runs (that loaded articles) the trailing medians are taken over.
TRAILING_RUNS = 10
#: ``rows_vs_trailing_median`` fails outside [median / RATIO_BAND, median * RATIO_BAND] rows per article.
RATIO_BAND = 4.0
#: ``rows_not_empty`` only judges a batch from which history expects at least this many rows.
MIN_EXPECTED_ROWS = 3.0
#: A rate check fails when the rate moves this far (absolute) past its trailing median.
RATE_TOLERANCE = 0.25
#: Without history, the quarantine rate fails above this share of the input units.
MAX_QUARANTINE_RATE = 0.10
#: Quarantined units listed in the quarantine-rate result (the report shows them).
MAX_QUARANTINE_EXAMPLES = 50

#: Tables whose volume is tracked per new article.
VOLUME_TABLES = ("sentences", "entity_mentions", "events", "event_mentions", "quantities")
#: Tables whose batch row count is recorded in dq_runs.
COUNTED_TABLES = tuple(t.name for t in FACT_TABLES)
#: table_name of run-level metrics in dq_runs.
RUN_LEVEL = "run"

HISTORY_SCHEMA = pl.Schema(
    {"run_id": pl.String(), "started_at": pl.Datetime("us", "UTC"), "table_name": pl.String(),
     "metric": pl.String(), "value": pl.Float64()}
)  # fmt: skip
METRICS_SCHEMA = pl.Schema({"table_name": pl.String, "metric": pl.String, "value": pl.Float64})


@dataclass(frozen=True)
class RunCheck:
    """A check computed from the batch's metrics and the history of earlier runs."""

    table_name: str
    check_name: str
    category: str
    doc: str
    column_name: str | None = None


RUN_CHECKS: tuple[RunCheck, ...] = (
    *(
        RunCheck(
            t,
            "rows_not_empty",
            "empty_output",
            f"a batch with new articles yields {t} rows when earlier runs did "
            f"(zero rows where the trailing median predicts >= {MIN_EXPECTED_ROWS:g} fails)",
        )
        for t in VOLUME_TABLES
    ),
    *(
        RunCheck(
            t,
            "rows_vs_trailing_median",
            "trend",
            f"{t} rows per new article within x{RATIO_BAND:g} of the trailing median of earlier runs",
        )
        for t in VOLUME_TABLES
    ),
    RunCheck(
        "entity_mentions",
        "resolved_share_vs_trailing_median",
        "trend",
        "share of mentions resolved to a known actor no more than "
        f"{RATE_TOLERANCE:g} below the trailing median",
        "entity_id",
    ),
    RunCheck(
        "articles",
        "undated_share_vs_trailing_median",
        "trend",
        f"share of articles without a published_date no more than {RATE_TOLERANCE:g} above the trailing median",
        "published_date",
    ),
    RunCheck(
        "quarantine",
        "quarantine_rate",
        "trend",
        f"quarantined units / input units no more than {RATE_TOLERANCE:g} above the trailing median "
        f"(without history: at most {MAX_QUARANTINE_RATE:g}); lists the quarantined inputs",
        "reason",
    ),
)

EXPECTATION = "dateline_run_check"


def _height(frames: Mapping[str, pl.DataFrame], name: str) -> int:
    df = frames.get(name)
    return 0 if df is None else df.height


def batch_metrics(frames: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """The batch's ``dq_runs`` metrics: (table_name, metric, value), rates NULL when undefined."""
    rows: list[tuple[str, str, float | None]] = [
        (t, "rows", float(_height(frames, t))) for t in COUNTED_TABLES
    ]
    articles = _height(frames, "articles")
    units = articles + _height(frames, "duplicates") + _height(frames, "quarantine")
    rows += [(RUN_LEVEL, "input_units", float(units)), (RUN_LEVEL, "new_articles", float(articles))]
    mentions = frames.get("entity_mentions")
    resolved: float | None = None
    if mentions is not None and mentions.height:
        entities = frames.get("entities")
        known = (
            entities.filter(pl.col("actor_id").is_not_null()).get_column("entity_id")
            if entities is not None and "actor_id" in entities.columns
            else pl.Series(dtype=pl.String)
        )
        resolved = _share(mentions.get_column("entity_id").is_in(known.implode()))
    rows.append(("entity_mentions", "resolved_share", resolved))
    undated: float | None = None
    if articles:
        undated = _share(frames["articles"].get_column("published_date").is_null())
    rows.append(("articles", "undated_share", undated))
    rate = _height(frames, "quarantine") / units if units else None
    rows.append(("quarantine", "quarantine_rate", rate))
    return pl.DataFrame(rows, schema=METRICS_SCHEMA, orient="row")


def _share(flags: pl.Series) -> float:
    """The share of true values in a boolean Series (0.0 when it has no values)."""
    share = flags.mean()
    if share is None:
        return 0.0
    assert isinstance(share, float), f"mean of a boolean Series is a float, got {share!r}"
    return share


def _metric(metrics: pl.DataFrame, table: str, metric: str) -> float | None:
    hit = metrics.filter((pl.col("table_name") == table) & (pl.col("metric") == metric))
    return None if hit.height == 0 else hit.item(0, "value")


def trailing(history: pl.DataFrame | None, table: str, metric: str, per_article: bool = False) -> list[float]:
    """Values of ``table.metric`` in the last :data:`TRAILING_RUNS` earlier runs that loaded articles.

    ``per_article``: divided by the run's new articles. Oldest first.
    """
    if history is None or history.height == 0:
        return []
    h = history.cast({k: v for k, v in HISTORY_SCHEMA.items() if k in history.columns})
    runs = (
        h.filter((pl.col("table_name") == RUN_LEVEL) & (pl.col("metric") == "new_articles"))
        .filter(pl.col("value") > 0)
        .select("run_id", "started_at", pl.col("value").alias("_articles"))
    )
    vals = h.filter((pl.col("table_name") == table) & (pl.col("metric") == metric)).select("run_id", "value")
    joined = runs.join(vals, on="run_id", how="inner").filter(pl.col("value").is_not_null())
    joined = joined.sort("started_at", "run_id").tail(TRAILING_RUNS)
    if per_article:
        joined = joined.with_columns(pl.col("value") / pl.col("_articles"))
    return joined.get_column("value").to_list()


def _median(values: Sequence[float]) -> float:
    """The median of ``values`` (not empty)."""
    median = pl.Series(values, dtype=pl.Float64).median()
    assert isinstance(median, float), f"median of a non-empty float Series is a float, got {median!r}"
    return median


def _result(
    check: RunCheck,
    severity: str,
    success: bool,
    observed: str,
    element_count: int | None,
    unexpected_count: int | None,
    examples: list[Any] | None = None,
) -> dict[str, Any]:
    return {
        "table_name": check.table_name,
        "expectation": EXPECTATION,
        "column_name": check.column_name,
        "check_name": check.check_name,
        "severity": severity,
        "success": success,
        "observed_value": observed,
        "element_count": element_count,
        "unexpected_count": unexpected_count,
        "unexpected_examples": json.dumps(examples or [], ensure_ascii=False, default=str),
    }


def _volume(check: RunCheck, sev: str, metrics: pl.DataFrame, history: pl.DataFrame | None) -> dict:
    t = check.table_name
    articles = int(_metric(metrics, RUN_LEVEL, "new_articles") or 0)
    rows = int(_metric(metrics, t, "rows") or 0)
    past = trailing(history, t, "rows", per_article=True)
    if articles == 0:
        return _result(check, sev, True, "no new articles in this batch: nothing to compare", 0, 0)
    if not past:
        return _result(
            check, sev, True, f"{rows} rows from {articles} new articles; no earlier runs to compare", rows, 0
        )
    median = _median(past)
    per = rows / articles
    base = (
        f"{rows} rows from {articles} new articles ({per:.3g} per article); "
        f"trailing median {median:.3g} per article over {len(past)} earlier run(s)"
    )
    if check.check_name == "rows_not_empty":
        expected = median * articles
        ok = rows > 0 or expected < MIN_EXPECTED_ROWS
        note = "" if ok else f"; expected about {expected:.0f} rows, got none"
        return _result(check, sev, ok, base + note, rows, 0 if ok else 1)
    if median == 0:
        ok = True
        ratio_txt = ""
    else:
        ratio = per / median
        ok = 1 / RATIO_BAND <= ratio <= RATIO_BAND
        ratio_txt = f" (ratio {ratio:.2f})"
    return _result(check, sev, ok, base + ratio_txt, rows, 0 if ok else 1)


def _rate(
    check: RunCheck,
    sev: str,
    metrics: pl.DataFrame,
    history: pl.DataFrame | None,
    metric: str,
    higher_is_worse: bool,
    elements: int,
) -> dict:
    value = _metric(metrics, check.table_name, metric)
    if value is None:
        return _result(check, sev, True, f"{metric}: not defined for this batch (nothing to measure)", 0, 0)
    past = trailing(history, check.table_name, metric)
    if not past:
        if check.check_name == "quarantine_rate":
            ok = value <= MAX_QUARANTINE_RATE
            return _result(
                check,
                sev,
                ok,
                f"{metric} {value:.1%}; no earlier runs (limit {MAX_QUARANTINE_RATE:.0%})",
                elements,
                0 if ok else 1,
            )
        return _result(check, sev, True, f"{metric} {value:.1%}; no earlier runs to compare", elements, 0)
    median = _median(past)
    delta = value - median
    ok = delta <= RATE_TOLERANCE if higher_is_worse else -delta <= RATE_TOLERANCE
    observed = f"{metric} {value:.1%}; trailing median {median:.1%} over {len(past)} earlier run(s)"
    return _result(check, sev, ok, observed, elements, 0 if ok else 1)


def evaluate(
    frames: Mapping[str, pl.DataFrame],
    metrics: pl.DataFrame,
    history: pl.DataFrame | None,
    severities: Mapping[tuple[str, str], str],
) -> pl.DataFrame:
    """One dq_results row per :data:`RUN_CHECKS` entry (``run_id`` not set: the caller sets it).

    ``metrics``: :func:`batch_metrics` of ``frames``; ``history``: ``dq_runs`` rows of earlier runs
    with their ``started_at`` (see :data:`HISTORY_SCHEMA`; failed runs should be left out);
    ``severities``: (table, check) -> severity.
    """
    rows: list[dict[str, Any]] = []
    for check in RUN_CHECKS:
        sev = severities[check.table_name, check.check_name]
        if check.check_name in ("rows_not_empty", "rows_vs_trailing_median"):
            rows.append(_volume(check, sev, metrics, history))
        elif check.check_name == "resolved_share_vs_trailing_median":
            n = _height(frames, "entity_mentions")
            rows.append(_rate(check, sev, metrics, history, "resolved_share", False, n))
        elif check.check_name == "undated_share_vs_trailing_median":
            n = _height(frames, "articles")
            rows.append(_rate(check, sev, metrics, history, "undated_share", True, n))
        elif check.check_name == "quarantine_rate":
            units = int(_metric(metrics, RUN_LEVEL, "input_units") or 0)
            row = _rate(check, sev, metrics, history, "quarantine_rate", True, units)
            q = frames.get("quarantine")
            if q is not None and q.height:
                row["unexpected_count"] = q.height if not row["success"] else row["unexpected_count"]
                cols = [c for c in ("source_path", "source_record", "reason", "detail") if c in q.columns]
                examples = q.select(cols).head(MAX_QUARANTINE_EXAMPLES).to_dicts()
                row["unexpected_examples"] = json.dumps(examples, ensure_ascii=False, default=str)
            rows.append(row)
        else:  # pragma: no cover - RUN_CHECKS and this dispatch are kept in step
            raise NotImplementedError(check.check_name)
    schema = {
        "table_name": pl.String,
        "expectation": pl.String,
        "column_name": pl.String,
        "check_name": pl.String,
        "severity": pl.String,
        "success": pl.Boolean,
        "observed_value": pl.String,
        "element_count": pl.Int64,
        "unexpected_count": pl.Int64,
        "unexpected_examples": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


__all__ = ["RUN_CHECKS", "RunCheck", "batch_metrics", "evaluate", "trailing"]
