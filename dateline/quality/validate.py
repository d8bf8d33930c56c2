"""Validate a batch of fact-table frames with GX Core 1.x.

:func:`validate_batch` runs the checks of :mod:`schemas.expectations` on pandas copies of the
batch's frames, in one ephemeral GX context per call (no files, no Data Docs, no progress
bars), and returns one row per check conformed to :data:`schemas.tables.DQ_RESULTS`.

``run_id`` is an optional argument: the returned ``run_id`` column holds it, or NULL when it is
not given (the warehouse loader then fills in the run it writes the results for).
"""

# ruff: noqa: E402  (the offline settings are applied before GX is imported: see below)
from __future__ import annotations

import contextlib
import json
import logging
import math
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from dateline import environment

# GX reads its analytics switch when it is imported: whoever imports this module (a test, a
# notebook) gets the offline settings even without going through an edge that configured them.
environment.configure()

import great_expectations as gx
import numpy as np
import pandas as pd
import polars as pl
from great_expectations.data_context.types.base import ProgressBarsConfig

from schemas import run_checks
from schemas.expectations import (
    CHECKS_TOML,
    LOADER_COLUMNS,
    CheckSpec,
    build_suites,
    derive_columns,
    example_columns,
    key_sets,
    severities,
    value_set_parameters,
)
from schemas.tables import DQ_RESULTS, FACT_TABLES, TABLES

MAX_EXAMPLES = 5

log = logging.getLogger(__name__)


def _conform(table_name: str, frame: pl.DataFrame | None) -> pl.DataFrame:
    """The frame with the table's columns (loader-filled columns may be absent: NULL here)."""
    table = TABLES[table_name]
    if frame is None or frame.height == 0:
        return table.empty()
    missing = [c for c in LOADER_COLUMNS if c in table.column_names and c not in frame.columns]
    if missing:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in missing)
    return table.conform(frame)


def _columns_used(specs: list[CheckSpec], table_name: str) -> list[str]:
    cols: list[str] = list(example_columns(table_name))
    for s in specs:
        for key in ("column", "column_A", "column_B"):
            if key in s.kwargs:
                cols.append(s.kwargs[key])
        cols.extend(s.kwargs.get("column_list", []))
        condition = s.kwargs.get("row_condition")
        if condition is not None and hasattr(condition, "column"):
            cols.append(condition.column.name)
    return list(dict.fromkeys(cols))


def _to_pandas(frame: pl.DataFrame) -> Any:
    """pandas copy for GX; dates become datetime64[ns] so GX compares them vectorized."""
    casts = [
        pl.col(name).cast(pl.Datetime("ns"))
        for name, dtype in frame.schema.items()
        if dtype == pl.Date or isinstance(dtype, pl.Datetime)
    ]
    return frame.with_columns(casts).to_pandas() if casts else frame.to_pandas()


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.datetime64):
        value = None if np.isnat(value) else pd.Timestamp(value)
    if value is pd.NaT:
        return None
    if isinstance(value, np.generic):  # numpy scalars
        with contextlib.suppress(ValueError, TypeError):
            value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "isoformat"):  # date, datetime, pandas Timestamp
        if hasattr(value, "hour") and (value.hour, value.minute, value.second) == (0, 0, 0):
            return value.date().isoformat() if hasattr(value, "date") else value.isoformat()
        return value.isoformat()
    if isinstance(value, str | bool | int | float):
        return value
    return str(value)


def _examples(result: Mapping[str, Any]) -> list[Any]:
    rows = result.get("partial_unexpected_index_list") or []
    if rows and isinstance(rows[0], dict):
        return [_jsonable(r) for r in rows[:MAX_EXAMPLES]]
    values = result.get("partial_unexpected_list") or []
    return [_jsonable(v) for v in values[:MAX_EXAMPLES]]


def _observed(result: Mapping[str, Any]) -> str | None:
    if "observed_value" in result:
        return json.dumps(_jsonable(result["observed_value"]))
    unexpected, total = result.get("unexpected_count"), result.get("element_count")
    if unexpected is None or total is None:
        return None
    pct = f" ({100 * unexpected / total:.2f}%)" if total else ""
    return f"{unexpected} of {total} unexpected{pct}"


def _row(
    spec: CheckSpec,
    success: bool,
    observed: str | None,
    element_count: int | None,
    unexpected_count: int | None,
    examples: list[Any],
) -> dict[str, Any]:
    return {
        "table_name": spec.table_name,
        "expectation": spec.expectation_type,
        "column_name": spec.column_name,
        "check_name": spec.check_name,
        "severity": spec.severity,
        "success": bool(success),
        "observed_value": observed,
        "element_count": element_count,
        "unexpected_count": unexpected_count,
        "unexpected_examples": json.dumps(examples, ensure_ascii=False, default=str),
    }


def _new_context() -> Any:
    # GX logs at INFO about the (never built) temporary Data Docs site of every ephemeral context
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    _no_batch_fingerprints()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def _no_batch_fingerprints() -> None:
    """Stop GX from hashing every cell of each batch for its ``pandas_data_fingerprint`` marker.

    GX's pandas engine fingerprints a dataframe (``pd.util.hash_pandas_object`` over all of it)
    each time it builds a batch -- twice per table here -- for batch metadata Dateline never
    reads; it skips frames larger than the module's ``HASH_THRESHOLD`` bytes. Measured on the
    BBC corpus's frames: validation took 3.3-4.4 s with it at 0 against 4.7-5.1 s, same results.
    """
    from great_expectations.execution_engine import pandas_execution_engine

    if hasattr(pandas_execution_engine, "HASH_THRESHOLD"):  # a GX without it is slower, not wrong
        pandas_execution_engine.HASH_THRESHOLD = 0


def validate_batch(
    frames: dict[str, pl.DataFrame],
    reference: dict[str, pl.DataFrame],
    existing_keys: dict[str, pl.Series] | None = None,
    *,
    run_id: str | None = None,
    today: date | None = None,
    checks_path: Path = CHECKS_TOML,
) -> pl.DataFrame:
    """Run every fact table's checks on the batch; one DQ_RESULTS row per check.

    ``frames``: fact-table name -> frame (missing tables validate as empty; ``run_id`` /
    ``first_run_id`` may be absent, the loader sets them). ``reference``: reference-table name ->
    frame (``event_taxonomy`` and ``countries`` are used). ``existing_keys``: table name -> keys
    already in the warehouse (``articles`` -> article_id, ``entities`` -> entity_id), accepted by
    the foreign-key checks along with the batch's own keys.

    A check on an empty table passes with ``element_count`` 0. A check whose evaluation raises is
    reported as failed with the error in ``observed_value``. ``unexpected_examples`` is a JSON list
    of up to 5 offending rows (their key columns -- article_id and offsets for span tables -- and
    the checked values). Raises ``ValueError`` when a non-empty frame lacks a NOT NULL column
    (a transform bug, not a data-quality finding) and ``schemas.expectations.ChecksConfigError``
    when ``checks_path`` is wrong.
    """
    suites = build_suites(today=today, checks_path=checks_path)
    conformed = {t.name: _conform(t.name, frames.get(t.name)) for t in FACT_TABLES}
    params = value_set_parameters(suites, reference)
    keys = key_sets(conformed, existing_keys)
    context = _new_context()
    source = context.data_sources.add_pandas("dateline_batch")
    rows: list[dict[str, Any]] = []
    for table in FACT_TABLES:
        specs = suites[table.name]
        frame = conformed[table.name]
        if frame.height == 0:
            rows.extend(_row(s, True, None, 0, 0, []) for s in specs)
            continue
        derived = derive_columns(table.name, frame, conformed, keys)
        pdf = _to_pandas(derived.select(_columns_used(specs, table.name)))
        asset = source.add_dataframe_asset(table.name)
        batch = asset.add_batch_definition_whole_dataframe("batch").get_batch(
            batch_parameters={"dataframe": pdf}
        )
        by_name = _check_results(batch, table.name, specs, params)
        rows.extend(_result_row(spec, by_name[spec.check_name], frame.height) for spec in specs)
    out = pl.DataFrame(rows, schema={k: v for k, v in DQ_RESULTS.polars_schema().items() if k != "run_id"})
    return DQ_RESULTS.conform(out.with_columns(pl.lit(run_id, dtype=pl.String).alias("run_id")))


def _check_results(
    batch: Any, table_name: str, specs: list[CheckSpec], params: dict[str, Any]
) -> dict[str, Any]:
    """GX's result of every check of ``specs`` on ``batch`` (one table's), by check name.

    Every check first with GX's BASIC results (counts, observed values, unexpected values);
    the failed ones again with SUMMARY, which adds the key columns of the offending rows:
    GX computes those row indexes for every check in SUMMARY, which took ~15% of the BBC
    corpus's validation when every check passed.
    """
    basic = {"result_format": "BASIC", "partial_unexpected_count": MAX_EXAMPLES}
    validation = batch.validate(_suite(table_name, specs), result_format=basic, expectation_parameters=params)
    by_name = {r.expectation_config.meta["check_name"]: r for r in validation.results}
    failed = [spec for spec in specs if not by_name[spec.check_name].success]
    if failed:
        summary = {
            **basic,
            "result_format": "SUMMARY",
            "unexpected_index_column_names": example_columns(table_name),
        }
        again = batch.validate(
            _suite(table_name, failed), result_format=summary, expectation_parameters=params
        )
        by_name.update({r.expectation_config.meta["check_name"]: r for r in again.results})
    return by_name


def _result_row(spec: CheckSpec, gx_result: Any, height: int) -> dict[str, Any]:
    """The DQ_RESULTS row of check ``spec`` from its GX result ``gx_result`` on a table of ``height``
    rows; a check whose evaluation raised is failed, with the error as its observed value."""
    info = gx_result.exception_info or {}
    if "raised_exception" not in info:  # {metric id: info} when a metric failed
        info = next(iter(info.values()), {}) if info else {}
    if info.get("raised_exception"):
        message = info.get("exception_message") or "exception"
        log.error("check %s.%s raised: %s", spec.table_name, spec.check_name, message)
        return _row(spec, False, f"error: {message}", height, None, [])
    result = gx_result.result or {}
    return _row(
        spec,
        gx_result.success,
        _observed(result),
        result.get("element_count", height),
        result.get("unexpected_count"),
        _examples(result),
    )


def _suite(table_name: str, specs: list[CheckSpec]) -> Any:
    suite = gx.ExpectationSuite(name=f"dateline.{table_name}")
    for spec in specs:
        suite.add_expectation(spec.build())
    return suite


def validate_run(
    frames: dict[str, pl.DataFrame],
    reference: dict[str, pl.DataFrame],
    existing_keys: dict[str, pl.Series] | None = None,
    history: pl.DataFrame | None = None,
    *,
    run_id: str | None = None,
    today: date | None = None,
    checks_path: Path = CHECKS_TOML,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`validate_batch` plus the checks against earlier runs (:mod:`schemas.run_checks`).

    ``history``: ``dq_runs`` rows of earlier (successful) runs with their ``started_at``
    (:func:`dateline.warehouse.runs.dq_history`); None or empty = no earlier runs.
    Returns (dq_results rows of every check, the batch's dq_runs metrics).
    """
    gx_results = validate_batch(
        frames, reference, existing_keys, run_id=run_id, today=today, checks_path=checks_path
    )
    conformed = {t.name: _conform(t.name, frames.get(t.name)) for t in FACT_TABLES}
    metrics = run_checks.batch_metrics(conformed)
    sev = severities(checks_path)
    history_results = run_checks.evaluate(conformed, metrics, history, sev)
    history_results = history_results.with_columns(pl.lit(run_id, dtype=pl.String).alias("run_id"))
    return pl.concat([gx_results, DQ_RESULTS.conform(history_results)]), metrics


def verdict(results: pl.DataFrame) -> str:
    """'fail' if a critical check failed, 'warn' if a warning check failed, else 'pass'."""
    failed = results.filter(~pl.col("success"))
    if failed.filter(pl.col("severity") == "critical").height:
        return "fail"
    if failed.height:
        return "warn"
    return "pass"


def merge_results(earlier: pl.DataFrame | None, batch: pl.DataFrame) -> pl.DataFrame:
    """The check results of a run's batches as one result per check (``dq_results`` has one row
    per run, table and check): a run that re-extracts loads several batches.

    A check succeeds when it succeeded in every batch; its counts are summed; its observed value
    and examples are those of its first failure (else of its last batch).
    """
    if earlier is None or earlier.height == 0:
        return batch
    keys = ["table_name", "check_name"]
    both = (
        pl.concat([earlier, batch], how="vertical_relaxed")
        .with_row_index("_order")
        .cast({"_order": pl.Int64})
    )
    # the row that speaks for a check: its first failure, else its last batch
    speaker = (
        both.sort("success", pl.when(pl.col("success")).then(-pl.col("_order")).otherwise(pl.col("_order")))
        .unique(keys, keep="first")
        .drop("success", "element_count", "unexpected_count")
    )
    totals = both.group_by(keys).agg(
        pl.col("_order").min().alias("_first"),
        pl.col("success").all(),
        *(
            pl.when(pl.col(c).is_not_null().any()).then(pl.col(c).sum()).alias(c)
            for c in ("element_count", "unexpected_count")
        ),
    )
    merged = speaker.drop("_order").join(totals, on=keys).sort("_first").drop("_first")
    return merged.select(batch.columns)


def failures(results: pl.DataFrame) -> pl.DataFrame:
    """The failed checks, critical first, for messages and logs."""
    return results.filter(~pl.col("success")).sort(["severity", "table_name", "check_name"])


__all__ = ["failures", "merge_results", "validate_batch", "validate_run", "verdict"]
