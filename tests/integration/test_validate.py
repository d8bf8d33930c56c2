"""Data-quality suites run by Great Expectations: clean batches pass, each kind of defect is caught
and reported.
"""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from dateline.quality.validate import validate_batch, verdict
from schemas.expectations import build_suites
from schemas.tables import DQ_RESULTS
from tests.unit.test_validate import TODAY, make_batch, make_reference


def check(results: pl.DataFrame, table: str, name: str) -> dict:
    rows = results.filter((pl.col("table_name") == table) & (pl.col("check_name") == name))
    assert rows.height == 1, f"no result for {table}.{name}"
    return rows.row(0, named=True)


@pytest.fixture(scope="module")
def clean_results() -> pl.DataFrame:
    return validate_batch(make_batch(), make_reference(), today=TODAY)


def test_clean_batch_passes(clean_results: pl.DataFrame) -> None:
    failed = clean_results.filter(~pl.col("success"))
    assert failed.height == 0, failed.to_dicts()
    assert verdict(clean_results) == "pass"
    assert clean_results.columns == DQ_RESULTS.column_names
    assert clean_results["run_id"].is_null().all()
    suites = build_suites(today=TODAY)
    assert clean_results.height == sum(len(s) for s in suites.values())
    # key of dq_results is unique
    assert clean_results.select("table_name", "check_name").is_unique().all()
    assert check(clean_results, "events", "evidence_text_equals_body_slice")["element_count"] > 0


def test_run_id_argument() -> None:
    results = validate_batch(make_batch(1, 1, 1, 1, 1), make_reference(), run_id="r1", today=TODAY)
    assert results["run_id"].unique().to_list() == ["r1"]


def test_empty_tables_pass_with_zero_elements() -> None:
    results = validate_batch({"quarantine": pl.DataFrame()}, make_reference(), today=TODAY)
    assert results["success"].all()
    assert (results["element_count"] == 0).all()
    assert verdict(results) == "pass"


def test_duplicated_key_fails() -> None:
    batch = make_batch()
    batch["events"] = pl.concat([batch["events"], batch["events"].head(1)])
    batch["sentences"] = pl.concat([batch["sentences"], batch["sentences"].head(1)])
    results = validate_batch(batch, make_reference(), today=TODAY)
    ev = check(results, "events", "pk_unique")
    assert not ev["success"] and ev["unexpected_count"] == 2
    examples = json.loads(ev["unexpected_examples"])
    assert examples and {"event_id", "article_id", "start_char", "end_char"} <= set(examples[0])
    assert not check(results, "sentences", "pk_unique")["success"]
    assert verdict(results) == "fail"


@pytest.mark.parametrize(
    ("column", "value", "check_name"),
    [("event_type", "FOO", "event_type_in_set"), ("cameo_code", "13y", "cameo_code_in_taxonomy")],
)
def test_bad_enum_value_fails(column: str, value: str, check_name: str) -> None:
    batch = make_batch()
    batch["events"] = batch["events"].with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    )
    results = validate_batch(batch, make_reference(), today=TODAY)
    row = check(results, "events", check_name)
    assert not row["success"]
    assert row["unexpected_count"] == 1
    assert row["severity"] == "critical"
    assert json.loads(row["unexpected_examples"])[0][column] == value


def test_offset_beyond_body_fails() -> None:
    batch = make_batch()
    body_len = len(batch["articles"]["body"][0])
    aid = batch["articles"]["article_id"][0]
    batch["quantities"] = batch["quantities"].with_columns(
        pl.when(pl.col("article_id") == aid)
        .then(pl.lit(body_len + 5))
        .otherwise(pl.col("end_char"))
        .alias("end_char")
    )
    results = validate_batch(batch, make_reference(), today=TODAY)
    row = check(results, "quantities", "end_within_body")
    assert not row["success"]
    example = json.loads(row["unexpected_examples"])[0]
    assert example["article_id"] == aid and example["end_char"] == body_len + 5
    assert "start_char" in example
    assert verdict(results) == "fail"


def test_negative_and_inverted_offsets_fail() -> None:
    batch = make_batch()
    batch["sentences"] = batch["sentences"].with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(-1).otherwise(pl.col("start_char")).alias("start_char"),
        pl.when(pl.int_range(pl.len()) == 1)
        .then(pl.col("start_char"))
        .otherwise(pl.col("end_char"))
        .alias("end_char"),
    )
    results = validate_batch(batch, make_reference(), today=TODAY)
    assert not check(results, "sentences", "start_char_not_negative")["success"]
    assert not check(results, "sentences", "start_before_end")["success"]


def test_evidence_text_not_slice_fails() -> None:
    batch = make_batch()
    batch["events"] = batch["events"].with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.col("evidence_text") + " extra")
        .otherwise(pl.col("evidence_text"))
        .alias("evidence_text")
    )
    batch["entity_mentions"] = batch["entity_mentions"].with_columns(
        pl.col("mention_text").str.to_uppercase()
    )
    results = validate_batch(batch, make_reference(), today=TODAY)
    row = check(results, "events", "evidence_text_equals_body_slice")
    assert not row["success"] and row["unexpected_count"] == 1
    assert not check(results, "entity_mentions", "mention_text_equals_body_slice")["success"]


def test_dangling_foreign_key_fails_unless_in_warehouse() -> None:
    batch = make_batch()
    batch["entity_mentions"] = batch["entity_mentions"].with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("e_gone")).otherwise("entity_id").alias("entity_id")
    )
    batch["duplicates"] = pl.DataFrame(
        {
            "source_path": ["in/dup.txt"],
            "content_sha256": ["a" * 64],
            "article_id": ["a" * 16],
        }
    )
    results = validate_batch(batch, make_reference(), today=TODAY)
    row = check(results, "entity_mentions", "fk_entity_id")
    assert not row["success"] and row["column_name"] == "entity_id"
    assert json.loads(row["unexpected_examples"])[0]["entity_id_dangling"] == "e_gone"
    assert not check(results, "duplicates", "fk_article_id")["success"]
    # the same keys already in the warehouse satisfy the checks
    existing = {"entities": pl.Series(["e_gone"]), "articles": pl.Series(["a" * 16])}
    results = validate_batch(batch, make_reference(), existing, today=TODAY)
    assert check(results, "entity_mentions", "fk_entity_id")["success"]
    assert check(results, "duplicates", "fk_article_id")["success"]


def test_article_checks() -> None:
    batch = make_batch()
    batch["articles"] = batch["articles"].with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("x" * 16))
        .otherwise("article_id")
        .alias("article_id"),
        pl.when(pl.int_range(pl.len()) == 1)
        .then(pl.lit("ABC"))
        .otherwise("content_sha256")
        .alias("content_sha256"),
        pl.when(pl.int_range(pl.len()) == 2).then(pl.lit("  \n")).otherwise("body").alias("body"),
        pl.when(pl.int_range(pl.len()) == 0)
        .then(date(2031, 1, 1))
        .otherwise("published_date")
        .alias("published_date"),
    )
    results = validate_batch(batch, make_reference(), today=TODAY)
    assert not check(results, "articles", "article_id_is_sha256_prefix")["success"]
    assert not check(results, "articles", "content_sha256_format")["success"]
    assert not check(results, "articles", "body_not_blank")["success"]
    row = check(results, "articles", "published_date_plausible")
    assert not row["success"] and row["severity"] == "warning"
    assert json.loads(row["unexpected_examples"])[0]["published_date"] == "2031-01-01"


def test_event_plausibility_warnings() -> None:
    batch = make_batch()
    idx = pl.int_range(pl.len())
    batch["events"] = batch["events"].with_columns(
        pl.when(idx == 0)
        .then(date(2030, 1, 1))
        .when(idx == 1)
        .then(date(1850, 1, 1))
        .when(idx == 2)
        .then(date(2030, 1, 1))
        .otherwise("event_date")
        .alias("event_date"),
        pl.when(idx == 2).then(pl.lit("planned")).otherwise("status").alias("status"),
        pl.when(idx == 3).then(pl.lit("e_kor")).otherwise("source_entity_id").alias("source_entity_id"),
    )
    results = validate_batch(batch, make_reference(), today=TODAY)
    after = check(results, "events", "event_date_not_after_published")
    assert not after["success"] and after["unexpected_count"] == 1  # the planned one is exempt
    assert not check(results, "events", "event_date_not_before_1900")["success"]
    assert not check(results, "events", "source_differs_from_target")["success"]
    assert verdict(results) == "warn"


def test_event_value_ranges_and_country() -> None:
    batch = make_batch()
    idx = pl.int_range(pl.len())
    batch["events"] = batch["events"].with_columns(
        pl.when(idx == 0).then(11.0).otherwise("goldstein").alias("goldstein"),
        pl.when(idx == 1).then(0).otherwise("event_count").alias("event_count"),
        pl.when(idx == 2).then(5).otherwise("quad_class").alias("quad_class"),
    )
    batch["entities"] = batch["entities"].with_columns(pl.lit("XXX").alias("country_iso3"))
    results = validate_batch(batch, make_reference(), today=TODAY)
    for name in ("goldstein_in_range", "event_count_positive", "quad_class_in_set"):
        assert not check(results, "events", name)["success"], name
    assert not check(results, "entities", "country_iso3_in_countries")["success"]


def test_gx_does_not_fingerprint_batches(clean_results: pl.DataFrame) -> None:
    # validate_batch switches off GX's per-batch data hash (dateline.quality.validate._no_batch_fingerprints);
    # this fails when a GX upgrade renames the knob, so that the slowdown is noticed
    from great_expectations.execution_engine import pandas_execution_engine

    assert clean_results.height
    assert pandas_execution_engine.HASH_THRESHOLD == 0
