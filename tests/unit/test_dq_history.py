"""Checks against earlier runs (schemas/run_checks.py) as pure functions, and their severities."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from dateline.quality.validate import verdict
from schemas import run_checks
from schemas.expectations import ChecksConfigError, severities
from schemas.tables import DQ_RESULTS
from tests.unit.test_validate import make_batch


def history_of(*runs: dict[str, float], start: datetime | None = None) -> pl.DataFrame:
    """dq_runs history: one run per dict of 'table.metric' -> value."""
    start = start or datetime(2025, 1, 1, tzinfo=UTC)
    rows = []
    for i, metrics in enumerate(runs):
        for key, value in metrics.items():
            table, metric = key.split(".")
            rows.append((f"r{i:02d}", start + timedelta(hours=i), table, metric, value))
    return pl.DataFrame(rows, schema=run_checks.HISTORY_SCHEMA, orient="row")


def result(results: pl.DataFrame, table: str, name: str) -> dict:
    rows = results.filter((pl.col("table_name") == table) & (pl.col("check_name") == name))
    assert rows.height == 1, f"no result for {table}.{name}"
    return rows.row(0, named=True)


SEV = severities()


def test_batch_metrics() -> None:
    batch = make_batch(n_articles=4)
    batch["entities"] = batch["entities"].with_columns(
        pl.when(pl.col("entity_id") == "e_kor").then(pl.lit("KOR")).otherwise(None).alias("actor_id")
    )
    batch["articles"] = batch["articles"].with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise("published_date").alias("published_date")
    )
    batch["quarantine"] = pl.DataFrame(
        {"source_path": ["x.bin"], "reason": ["binary"], "detail": ["NUL bytes"]}
    )
    m = run_checks.batch_metrics(batch)
    get = {(r["table_name"], r["metric"]): r["value"] for r in m.iter_rows(named=True)}
    assert get["articles", "rows"] == 4 and get["events", "rows"] == batch["events"].height
    assert get["run", "input_units"] == 5 and get["run", "new_articles"] == 4
    assert get["quarantine", "quarantine_rate"] == pytest.approx(1 / 5)
    assert get["articles", "undated_share"] == pytest.approx(1 / 4)
    kor = batch["entity_mentions"]["entity_id"].eq("e_kor").mean()
    assert get["entity_mentions", "resolved_share"] == pytest.approx(kor)
    empty = run_checks.batch_metrics({})
    assert empty.filter(pl.col("metric") == "quarantine_rate")["value"].is_null().all()


def test_no_history_passes_and_says_so() -> None:
    batch = make_batch()
    out = run_checks.evaluate(batch, run_checks.batch_metrics(batch), None, SEV)
    assert out["success"].all()
    assert "no earlier runs" in result(out, "events", "rows_vs_trailing_median")["observed_value"]
    assert len(out) == len(run_checks.RUN_CHECKS)


def test_zero_events_from_nonempty_batch_fails_critical() -> None:
    past = [{"run.new_articles": 10, "events.rows": 20, "sentences.rows": 30} for _ in range(3)]
    batch = make_batch(n_articles=5)
    batch["events"] = batch["events"].clear()
    out = run_checks.evaluate(batch, run_checks.batch_metrics(batch), history_of(*past), SEV)
    row = result(out, "events", "rows_not_empty")
    assert not row["success"] and row["severity"] == "critical"
    assert "expected about 10 rows, got none" in row["observed_value"]
    assert not result(out, "events", "rows_vs_trailing_median")["success"]
    assert result(out, "sentences", "rows_not_empty")["success"]
    assert verdict(DQ_RESULTS.conform(out.with_columns(pl.lit("r").alias("run_id")))) == "fail"
    # one new article: history predicts 2 events, too few to call zero a failure
    one = make_batch(n_articles=1)
    one["events"] = one["events"].clear()
    out = run_checks.evaluate(one, run_checks.batch_metrics(one), history_of(*past), SEV)
    assert result(out, "events", "rows_not_empty")["success"]
    # no new articles at all (everything unchanged): nothing to compare
    out = run_checks.evaluate({}, run_checks.batch_metrics({}), history_of(*past), SEV)
    assert out["success"].all()


def test_volume_and_rate_trends() -> None:
    batch = make_batch(n_articles=3, events_per=2)  # 2 events per article
    batch["articles"] = batch["articles"].with_columns(pl.lit(None, dtype=pl.Date).alias("published_date"))
    hist = history_of(
        *[
            {
                "run.new_articles": 10,
                "events.rows": 200,  # 20 per article: 2 is 10x lower
                "entity_mentions.resolved_share": 0.9,
                "articles.undated_share": 0.0,
                "quarantine.quarantine_rate": 0.0,
            }
        ]
        * 3
    )
    out = run_checks.evaluate(batch, run_checks.batch_metrics(batch), hist, SEV)
    vol = result(out, "events", "rows_vs_trailing_median")
    assert not vol["success"] and vol["severity"] == "warning" and "ratio 0.10" in vol["observed_value"]
    assert result(out, "events", "rows_not_empty")["success"]
    assert not result(out, "entity_mentions", "resolved_share_vs_trailing_median")["success"]  # 0 vs 0.9
    undated = result(out, "articles", "undated_share_vs_trailing_median")
    assert not undated["success"] and "100.0%" in undated["observed_value"]
    assert result(out, "quarantine", "quarantine_rate")["success"]


def test_trailing_uses_recent_runs_with_articles() -> None:
    runs = [{"run.new_articles": 1, "events.rows": float(i)} for i in range(15)]
    runs.insert(7, {"run.new_articles": 0, "events.rows": 999})  # a run with nothing new is ignored
    values = run_checks.trailing(history_of(*runs), "events", "rows", per_article=True)
    assert values == [float(i) for i in range(5, 15)]


def test_quarantine_rate_lists_inputs() -> None:
    batch = make_batch(n_articles=2)
    batch["quarantine"] = pl.DataFrame(
        {"source_path": ["a.bin", "b.txt"], "source_record": [None, 3], "reason": ["binary", "malformed"]}
    ).with_columns(pl.lit("why").alias("detail"))
    out = run_checks.evaluate(batch, run_checks.batch_metrics(batch), None, SEV)
    row = result(out, "quarantine", "quarantine_rate")
    assert not row["success"] and row["unexpected_count"] == 2  # 50% > 10% with no history
    examples = json.loads(row["unexpected_examples"])
    assert [e["source_path"] for e in examples] == ["a.bin", "b.txt"] and examples[1]["reason"] == "malformed"


def test_run_check_severity_from_checks_toml(tmp_path: Path) -> None:
    base = Path("schemas/checks.toml").read_text()
    cfg = tmp_path / "checks.toml"
    cfg.write_text(base + '\n[quantities]\nrows_vs_trailing_median = "critical"\n')
    assert severities(cfg)["quantities", "rows_vs_trailing_median"] == "critical"
    assert (
        SEV["events", "rows_not_empty"] == "critical"
        and SEV["events", "rows_vs_trailing_median"] == "warning"
    )
    cfg.write_text(base + '\n[sentences]\nrows_not_emty = "warning"\n')
    with pytest.raises(ChecksConfigError, match="rows_not_empty"):
        severities(cfg)


def test_run_checks_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    from schemas.expectations import main

    main()
    out = capsys.readouterr().out
    assert re.search(r"events\s+rows_not_empty\s+critical\s+empty_output", out)
    assert re.search(r"entity_mentions\s+no_role_conflict\s+warning\s+content", out)
