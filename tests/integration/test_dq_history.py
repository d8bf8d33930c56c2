"""The content checks run by Great Expectations on hand-made frames, and the data-quality history
in a warehouse: dq_runs and dq_results over several runs, the README's query on them, the views.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import polars as pl

from dateline.quality.validate import validate_batch, validate_run
from dateline.warehouse import connection, runs, schema
from schemas import run_checks
from schemas.tables import DQ_RESULTS
from tests.paths import REPO
from tests.unit.test_dq_history import result
from tests.unit.test_validate import TODAY, make_batch, make_reference

README = REPO / "README.md"


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
