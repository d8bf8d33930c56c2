"""Re-extraction's units (dateline/pipeline/reextract.py): a loaded article gives back what parsing
gave extraction, so that extracting it again infers again what extraction inferred."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from dateline import config
from dateline.pipeline.discover import discover
from dateline.pipeline.reextract import NO_YEAR_SOURCE, as_units, failure_lines, set_aside_result
from dateline.pipeline.run import RunOptions
from dateline.pipeline.summary import RunSummary
from schemas.tables import ARTICLES
from tests.paths import SAMPLES
from transforms.extract import extract
from transforms.parse import UNIT_SCHEMA, parse_files
from transforms.route import KNOWN_SCHEMA, route_units

#: What extraction reads of a unit (the rest: where the file was and when, not the article).
READ_BY_EXTRACTION = [c for c in UNIT_SCHEMA if c not in ("file_sha256", "mtime")]


def _parsed_and_loaded(reference: dict[str, pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the sample articles as parsing routes them, their ``articles`` rows as a run loads them)."""
    units = route_units(parse_files(discover(SAMPLES)), pl.DataFrame(schema=KNOWN_SCHEMA))
    units = units.filter(pl.col("route") == "article")
    extracted = extract(units, reference, today=date(2026, 1, 1))["articles"]
    loaded = ARTICLES.conform(extracted.with_columns(pl.lit("run-0").alias("run_id")))
    return units, loaded


def test_loaded_articles_give_back_their_parsed_units(reference: dict[str, pl.DataFrame]) -> None:
    """Every column extraction reads equals the parsed unit's; a year extraction inferred is dropped
    and the dateline's month and day given back (the sample 000's dateline has no year)."""
    units, loaded = _parsed_and_loaded(reference)
    inferred = loaded.filter(pl.col("date_source").str.starts_with("dateline month/day"))
    assert inferred.height == 1 and inferred["published_date"][0] is not None
    rebuilt = as_units(loaded)
    assert rebuilt["route"].unique().to_list() == ["article"]
    order = ["article_id"]
    expected = units.select("article_id", *READ_BY_EXTRACTION).sort(order)
    assert rebuilt.select("article_id", *READ_BY_EXTRACTION).sort(order).equals(expected)


def test_an_unknown_year_gets_its_month_and_day_back_from_the_dateline(
    reference: dict[str, pl.DataFrame],
) -> None:
    """An article whose year extraction could not choose: month and day come from its stored dateline."""
    units, loaded = _parsed_and_loaded(reference)
    undated = loaded.with_columns(
        pl.lit(None, pl.Date).alias("published_date"),
        pl.lit(None, pl.String).alias("date_precision"),
        pl.lit("unknown: dateline has no year and no evidence for the year").alias("date_source"),
    ).filter(pl.col("dateline").str.contains("Chosun"))
    rebuilt = as_units(undated)
    parsed = units.filter(pl.col("article_id").is_in(undated["article_id"].implode()))
    assert rebuilt.select("dateline_month", "dateline_day").equals(
        parsed.select("dateline_month", "dateline_day")
    )
    assert rebuilt["dateline_month"][0] is not None and rebuilt["date_source"][0] == NO_YEAR_SOURCE


def test_a_set_aside_article_is_a_warning_with_its_reason(reference: dict[str, pl.DataFrame]) -> None:
    """The articles whose re-extraction raised: one warning row in dq_results naming them, and a
    line each for the summary; none: the check passes."""
    _units, loaded = _parsed_and_loaded(reference)
    first = loaded["article_id"][0]
    failed = pl.DataFrame({"article_id": [first], "reason": ["extract_failed"], "detail": ["boom"]})
    row = set_aside_result(failed, loaded, "run-1").row(0, named=True)
    assert (row["severity"], row["success"], row["unexpected_count"], row["element_count"]) == (
        "warning",
        False,
        1,
        loaded.height,
    )
    assert first in row["unexpected_examples"] and "boom" in row["unexpected_examples"]
    [(article, why)] = failure_lines(failed, loaded)
    assert article.startswith(first) and why == "extract_failed: boom"
    assert set_aside_result(failed.clear(), loaded, "run-1")["success"].to_list() == [True]


def test_reextract_is_off_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run re-extracts only when asked: ``--reextract`` or ``[run] reextract``; the batch size is
    ``[run] parallel_min_articles``."""
    monkeypatch.delenv("DATELINE_RUN_REEXTRACT", raising=False)
    assert RunOptions.resolve(config.Config()).reextract is False
    toml = tmp_path / "dateline.toml"
    toml.write_text("[run]\nreextract = true\nparallel_min_articles = 7\n")
    configured = config.load(toml)
    options = RunOptions.resolve(configured)
    assert (options.reextract, options.reextract_batch) == (True, 7)
    assert RunOptions.resolve(configured, reextract=False).reextract is False


def test_the_summary_says_how_many_articles_were_reextracted(monkeypatch: pytest.MonkeyPatch) -> None:
    """`dateline run` prints the re-extracted articles and those set aside; --json has both fields."""
    from rich.console import Console

    from dateline.cli import run as cli

    buf = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=buf, width=300))
    summary = RunSummary("r1", "success", "/in", "/w.duckdb", articles_reextracted=4)
    summary.reextract_failed = [("abc (in/a.txt)", "extract_failed: boom")]
    cli._print_summary(summary)
    out = buf.getvalue()
    assert "re-extracted  4 loaded article(s) an older extractor wrote; 1 could not be" in out
    assert "not re-extracted  abc (in/a.txt): extract_failed: boom (its rows are kept)" in out
    doc = cli.run_json(summary)
    assert doc["articles_reextracted"] == 4 and doc["reextract_failed"] == [summary.reextract_failed[0]]
    buf.truncate(0)
    cli._print_summary(RunSummary("r2", "success", "/in", "/w.duckdb"))
    assert "re-extracted" not in buf.getvalue()
