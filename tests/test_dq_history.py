"""Checks against earlier runs (schemas/run_checks.py), the new content checks, dq_runs history."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from dateline.quality.validate import validate_batch, validate_run, verdict
from dateline.warehouse import connection, runs, schema
from schemas import run_checks
from schemas.expectations import ChecksConfigError, severities
from schemas.tables import DQ_RESULTS
from tests.test_validate import TODAY, make_batch, make_reference

README = Path(__file__).resolve().parents[1] / "README.md"


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


def test_content_checks_on_frames() -> None:
    """Articles without sentences, role conflicts and placeholder events, in one GX validation."""
    batch = make_batch(n_articles=12, sentences_per=2, events_per=2)
    gone = batch["articles"]["article_id"][0]
    batch["sentences"] = batch["sentences"].filter(pl.col("article_id") != gone)
    batch["entity_mentions"] = batch["entity_mentions"].with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("text calls X 'President', but Y held that office"))
        .otherwise(None)
        .alias("role_conflict")
    )
    # a hard-coded event: the same evidence, type and actors in every article
    ev = batch["events"]
    first = ev.group_by("article_id", maintain_order=True).first().select("event_id")
    batch["events"] = ev.with_columns(
        pl.when(pl.col("event_id").is_in(first["event_id"].implode()))
        .then(pl.lit("Talks  were held."))
        .otherwise("evidence_text")
        .alias("evidence_text")
    )
    results, metrics = validate_run(batch, make_reference(), today=TODAY, run_id="r9")
    assert results["run_id"].unique().to_list() == ["r9"]
    row = result(results, "articles", "has_sentences")
    assert not row["success"] and row["severity"] == "critical"
    assert json.loads(row["unexpected_examples"])[0]["article_id"] == gone
    row = result(results, "entity_mentions", "no_role_conflict")
    assert not row["success"] and row["severity"] == "warning" and row["unexpected_count"] == 1
    assert "mention_text" in json.loads(row["unexpected_examples"])[0]
    row = result(results, "events", "not_placeholder")
    assert not row["success"] and row["severity"] == "critical"
    ex = json.loads(row["unexpected_examples"])[0]
    assert (
        ex["placeholder_article_count"] == 12
        and ex["evidence_text"] == "Talks  were held."
        and "evidence_text" in ex
        and "article_source_path" in ex
    )
    assert len(results) == results.select("table_name", "check_name").n_unique()
    assert metrics.filter(pl.col("metric") == "rows").height == len(run_checks.COUNTED_TABLES)


def test_clean_small_batch_has_no_content_failures() -> None:
    results = validate_batch(make_batch(n_articles=3), make_reference(), today=TODAY)
    for table, name in [
        ("articles", "has_sentences"),
        ("entity_mentions", "no_role_conflict"),
        ("events", "not_placeholder"),
    ]:
        assert result(results, table, name)["success"], name


def _dq_rows(run_id: str, failed: list[str]) -> pl.DataFrame:
    names = ["pk_unique", "cameo_code_in_taxonomy", "rows_not_empty"]
    return DQ_RESULTS.conform(
        pl.DataFrame(
            {
                "run_id": [run_id] * 3,
                "table_name": ["events"] * 3,
                "expectation": ["x"] * 3,
                "check_name": names,
                "severity": ["critical"] * 3,
                "success": [n not in failed for n in names],
                "unexpected_count": [1 if n in failed else 0 for n in names],
            }
        )
    )


def _readme_query(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    m = re.search(rf"-- {re.escape(title)}\n(.*?;)", text, re.S)
    assert m, f"README has no query '{title}'"
    return m.group(1)


def test_history_in_the_warehouse_and_readme_query(tmp_path: Path) -> None:
    con = connection.connect(tmp_path / "w.duckdb")
    try:
        schema.init_schema(con)
        for i in range(7):
            rid = f"run{i}"
            runs.start_run(con, rid, "in")
            con.execute("UPDATE runs SET started_at = ? WHERE run_id = ?", [datetime(2025, 1, 1 + i), rid])
            runs.write_dq_results(con, rid, _dq_rows(rid, ["pk_unique"] if i in (0, 3, 6) else []))
            metrics = pl.DataFrame(
                {"table_name": ["run", "events"], "metric": ["new_articles", "rows"], "value": [2.0, 4.0 + i]}
            )
            runs.write_dq_runs(con, rid, metrics)
            runs.write_dq_runs(con, rid, metrics)  # replaces, no duplicate keys
            status = "failed" if i == 5 else "success"
            runs.finish_run(con, rid, status, {}, "fail" if i in (0, 3, 6) else "pass", None)
        hist = runs.dq_history(con, "run6")
        assert sorted(hist["run_id"].unique()) == [
            "run0",
            "run1",
            "run2",
            "run3",
            "run4",
        ]  # not failed, not self
        assert run_checks.trailing(hist, "events", "rows") == [4.0, 5.0, 6.0, 7.0, 8.0]
        # "Which checks failed in the last 5 runs" from the README, in one query
        rows = con.sql(_readme_query("Which checks failed in the last 5 runs")).fetchall()
        assert {r[0] for r in rows} == {"run3", "run6"}
        assert all(r[3] == "pk_unique" for r in rows)
    finally:
        con.close()


def test_views_and_tables_know_dq_runs(tmp_path: Path) -> None:
    con = connection.connect(tmp_path / "w.duckdb")
    try:
        schema.init_schema(con)
        cols = [r[0] for r in con.execute("DESCRIBE dq_runs").fetchall()]
        assert cols == ["run_id", "table_name", "metric", "value"]
    finally:
        con.close()


def test_run_checks_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    from schemas.expectations import main

    main()
    out = capsys.readouterr().out
    assert re.search(r"events\s+rows_not_empty\s+critical\s+empty_output", out)
    assert re.search(r"entity_mentions\s+no_role_conflict\s+warning\s+content", out)
