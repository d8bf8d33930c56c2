"""Re-extraction: loaded articles back into the form extraction takes, from the warehouse alone.

``dateline run --reextract`` re-extracts the articles an older extractor wrote (their run recorded
another ``runs.extractor_version``, or none) from the text the ``articles`` table holds: the landing
files may be gone, and nothing outside the landing folder is ever read. :func:`as_units` rebuilds
the parsed unit of each article (what :func:`transforms.parse.parse_files` gave extraction);
the flow (flows/ingest.py) extracts them and loads the result through the ordinary load
(:func:`dateline.warehouse.load.load_batch` with ``replaced``).

What parsing found stays: title, outlet, dateline, body, language and a publication date read from
the metadata or from a dateline with its year. What extraction inferred is inferred again: a
publication date whose year extraction chose from the text (the dateline's month and day are
given back to it) and every extracted row. Pure polars: no I/O.
"""

from __future__ import annotations

import polars as pl

# the dateline forms parsing reads a dateline given on its own with (a JSON field): the stored
# dateline gives its month and day back (parsing's own reader: transforms/ has no public one)
from schemas.tables import story_id
from transforms.parse import UNIT_SCHEMA, given_dateline

#: ``articles.date_source`` of a publication date parsing found (kept as it is): from the metadata
#: (a prefix) or from a dateline with its year (the whole value).
FROM_METADATA = "metadata:"
FROM_DATELINE = "dateline"
#: ``date_source`` prefix of a date whose year extraction inferred from a dateline's month and day.
INFERRED_YEAR = "dateline month/day"
#: ``date_source`` prefixes of an unknown date for a dateline that gave month and day, no year.
UNKNOWN_YEAR = ("unknown: dateline has no year", "unknown: years ")
#: What parsing says of a dateline with month and day and no year (extraction replaces it).
NO_YEAR_SOURCE = "unknown: dateline gives month/day without year"


def as_units(articles: pl.DataFrame) -> pl.DataFrame:
    """The parsed units (``route`` 'article') of loaded ``articles`` rows, for extraction.

    Keys and provenance (article_id, content_sha256, source_path, source_record, format, encoding,
    size_bytes) are the loaded ones, so the re-extracted rows replace the article's own. A
    publication date parsing found is kept; one whose year extraction inferred is dropped, so that
    extraction infers it again. The dateline's month and day are given back: from that inferred
    date, else from the stored dateline (read with the forms parsing reads a given dateline with).
    """
    source = pl.col("date_source").fill_null("")
    parsed = source.str.starts_with(FROM_METADATA) | (source == FROM_DATELINE)
    inferred = source.str.starts_with(INFERRED_YEAR) & pl.col("published_date").is_not_null()
    unknown_year = pl.any_horizontal(source.str.starts_with(p) for p in UNKNOWN_YEAR)
    given = given_dateline(pl.col("dateline"))
    month = pl.when(inferred).then(pl.col("published_date").dt.month()).otherwise(given["month"])
    day = pl.when(inferred).then(pl.col("published_date").dt.day()).otherwise(given["day"])
    units = articles.with_columns(
        pl.when(parsed).then(pl.col("published_date")).alias("published_date"),
        pl.when(parsed).then(pl.col("date_precision")).alias("date_precision"),
        pl.when(parsed | ~(inferred | unknown_year))
        .then(pl.col("date_source"))
        .otherwise(pl.lit(NO_YEAR_SOURCE))
        .alias("date_source"),
        month.cast(pl.Int8, strict=False).alias("dateline_month"),
        day.cast(pl.Int8, strict=False).alias("dateline_day"),
        pl.col("content_sha256").alias("file_sha256"),
        pl.lit(None, pl.Datetime("us", "UTC")).alias("mtime"),
        pl.lit(None, pl.String).alias("quarantine_reason"),
        pl.lit(None, pl.String).alias("quarantine_detail"),
    )
    return units.select(
        *(pl.col(name).cast(dtype) for name, dtype in UNIT_SCHEMA.items()),
        pl.col("article_id"),
        pl.lit("article").alias("route"),
    )


def stories_of(articles: pl.DataFrame) -> pl.DataFrame:
    """article_id, near_duplicate_of of loaded ``articles``: their stories stay as loaded."""
    return articles.select("article_id", pl.col("near_duplicate_of").cast(pl.String))


def story_ids(articles: pl.DataFrame) -> pl.Series:
    """The story of each loaded article (``coalesce(near_duplicate_of, article_id)``): the copies of
    an article's story outside its batch have reports its new ones may join."""
    return articles.select(story_id(articles.columns)).to_series()


def failure_lines(failed: pl.DataFrame, articles: pl.DataFrame) -> list[tuple[str, str]]:
    """(article, "reason: detail") of the articles whose re-extraction was set aside (``failed``:
    :data:`dateline.runtime.isolation.FAILED_SCHEMA`), the article named by its id and source."""
    placed = failed.join(
        articles.select("article_id", "source_path", "source_record"), on="article_id", how="left"
    )
    return [
        (
            f"{row['article_id']} ({row['source_path']}"
            + (f", record {row['source_record']})" if row["source_record"] is not None else ")"),
            f"{row['reason']}: {row['detail']}",
        )
        for row in placed.iter_rows(named=True)
    ]


#: ``dq_results`` check of a re-extraction batch: the articles whose re-extraction was set aside.
SET_ASIDE_CHECK = "reextraction_set_aside"
#: Set-aside articles listed in its ``unexpected_examples``.
MAX_SET_ASIDE_EXAMPLES = 50


def set_aside_result(failed: pl.DataFrame, articles: pl.DataFrame, run_id: str) -> pl.DataFrame:
    """The ``dq_results`` row (a warning) of a re-extraction batch of ``articles``: the ones its
    extraction set aside (``failed``, with reason and detail) keep the rows an older extractor
    wrote. Not a quarantine row: quarantine holds inputs that are not loaded, and these are."""
    import json

    from schemas.tables import DQ_RESULTS

    placed = failed.join(
        articles.select("article_id", "source_path", "source_record"), on="article_id", how="left"
    )
    examples = placed.head(MAX_SET_ASIDE_EXAMPLES).to_dicts()
    n = failed.height
    row = {
        "run_id": run_id,
        "table_name": "articles",
        "expectation": "dateline_reextraction",
        "column_name": None,
        "check_name": SET_ASIDE_CHECK,
        "severity": "warning",
        "success": n == 0,
        "observed_value": f"{n} of {articles.height} article(s) could not be re-extracted; their rows are kept",
        "element_count": articles.height,
        "unexpected_count": n,
        "unexpected_examples": json.dumps(examples, ensure_ascii=False, default=str),
    }
    return DQ_RESULTS.conform(pl.DataFrame([row], schema=DQ_RESULTS.polars_schema()))
