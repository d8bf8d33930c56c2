"""One event, many reports: group per-report event rows into ``events`` and ``event_mentions``.

:func:`transforms.events.extract_events` codes every report of an event it finds in an article
(one row per trigger, its ``event_id`` a hash of article, trigger offsets, CAMEO code and actors).
The same event is often told in several articles (or twice in one): like GDELT's Events and
Mentions, the warehouse keeps one ``events`` row per distinct event and one ``event_mentions``
row per report.

Two reports are the same event only when that is *known*: same ``event_type`` and
``cameo_code``, same source and target entity (both non-NULL), same ``event_date`` at day
precision, same ``polarity`` and ``status``. Such an event's ``event_id`` is a hash of that key
(:func:`event_key_id`), so a later run's report of it maps to the same row. A report with an
unknown date (or a date only to the month or year), an unknown actor or no CAMEO code is its own
event: unknown stays unknown, nothing is merged on a guess; its ``event_id`` is its
``mention_id``.

An event row carries the provenance and the telling of its *representative* report -- the
earliest: by the article's ``published_date`` (unknown last), then ``article_id``, then
``start_char`` (then ``trigger_start``, ``mention_id``) -- plus ``mention_count`` (reports)
and ``article_count`` (distinct articles). ``flows.warehouse`` recomputes the same from the
warehouse's mentions when a later batch adds or removes reports (:data:`REPRESENTATIVE_ORDER`).

Pure polars: DataFrames in, DataFrames out; no I/O.
"""

from __future__ import annotations

import hashlib

import polars as pl

from schemas.tables import EVENT_MENTIONS, EVENTS

#: Columns that define a known event (all non-NULL, event_date at day precision).
KEY_COLUMNS: tuple[str, ...] = (
    "event_type",
    "cameo_code",
    "source_entity_id",
    "target_entity_id",
    "event_date",
    "polarity",
    "status",
)

#: Order of an event's reports; the first is its representative (SQL twin in flows.warehouse).
REPRESENTATIVE_ORDER: tuple[str, ...] = (
    "article_published_date",
    "article_id",
    "start_char",
    "trigger_start",
    "mention_id",
)

#: Columns of ``events`` that describe the event itself (equal for all of its reports).
EVENT_LEVEL_COLUMNS: tuple[str, ...] = (
    "event_type",
    "cameo_code",
    "quad_class",
    "goldstein",
    "source_entity_id",
    "target_entity_id",
)

#: Columns of ``events`` taken from the representative report (also in ``event_mentions``).
REPORT_COLUMNS: tuple[str, ...] = tuple(
    c
    for c in EVENT_MENTIONS.column_names
    if c in EVENTS.column_names and c not in ("event_id", "run_id", *EVENT_LEVEL_COLUMNS)
)


def event_key_id(
    event_type: str,
    cameo_code: str,
    source_entity_id: str,
    target_entity_id: str,
    event_date: str,
    polarity: str,
    status: str,
) -> str:
    """``event_id`` of a known event: the first 16 hex digits of sha256 of its key.

    ``event_date`` is ISO ``YYYY-MM-DD``. The ``event|`` prefix keeps key hashes apart from the
    report hashes singleton events use as their id.
    """
    return _sha16(
        "|".join(
            (
                "event",
                event_type,
                cameo_code,
                source_entity_id,
                target_entity_id,
                event_date,
                polarity,
                status,
            )
        )
    )


def _sha16(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def known_event() -> pl.Expr:
    """True for a report whose event is known well enough to be merged with others' reports."""
    known = pl.all_horizontal(pl.col(c).is_not_null() for c in KEY_COLUMNS)
    return known & (pl.col("date_precision") == "day").fill_null(False)


def _typed(table_columns: list[str], schema: pl.Schema) -> list[pl.Expr]:
    return [pl.col(c).cast(schema[c]) for c in table_columns if c != "run_id"]


def group_event_mentions(
    reports: pl.DataFrame, articles: pl.DataFrame | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split per-report event rows into (``events``, ``event_mentions``) frames.

    ``reports``: rows as :func:`transforms.events.extract_events` makes them (columns of
    ``EVENTS`` without the counts; ``event_id`` is the report's own id). ``articles``: at least
    ``article_id`` and ``published_date`` of the reports' articles, for the representative (an
    article missing there counts as undated).
    Both outputs follow ``schemas.tables`` without ``run_id`` (the caller adds it).
    """
    if "mention_count" in reports.columns or "article_count" in reports.columns:
        reports = reports.drop("mention_count", "article_count", strict=False)
    mentions = reports.rename({"event_id": "mention_id"})
    key = pl.concat_str(
        [
            pl.lit("event"),
            *(
                pl.col(c).dt.strftime("%Y-%m-%d") if c == "event_date" else pl.col(c).cast(pl.String)
                for c in KEY_COLUMNS
            ),
        ],
        separator="|",
    )
    mentions = mentions.with_columns(
        pl.when(known_event())
        .then(key.map_elements(_sha16, return_dtype=pl.String))
        .otherwise(pl.col("mention_id"))
        .alias("event_id")
    )
    if articles is None or not {"article_id", "published_date"} <= set(articles.columns):
        articles = pl.DataFrame(schema={"article_id": pl.String, "published_date": pl.Date})
    pub = articles.select(
        pl.col("article_id").cast(pl.String),
        pl.col("published_date").cast(pl.Date).alias("article_published_date"),
    ).unique("article_id", keep="first")
    ordered = mentions.join(pub, on="article_id", how="left", maintain_order="left").sort(
        ["event_id", *REPRESENTATIVE_ORDER], nulls_last=True, maintain_order=True
    )
    counts = ordered.group_by("event_id").agg(
        pl.len().cast(pl.Int64).alias("mention_count"),
        pl.col("article_id").n_unique().cast(pl.Int64).alias("article_count"),
    )
    events = (
        ordered.unique("event_id", keep="first", maintain_order=True)
        .join(counts, on="event_id", how="left", maintain_order="left")
        .select(_typed(EVENTS.column_names, EVENTS.polars_schema()))
    )
    event_mentions = mentions.select(_typed(EVENT_MENTIONS.column_names, EVENT_MENTIONS.polars_schema()))
    return events, event_mentions


__all__ = [
    "EVENT_LEVEL_COLUMNS",
    "KEY_COLUMNS",
    "REPORT_COLUMNS",
    "REPRESENTATIVE_ORDER",
    "event_key_id",
    "group_event_mentions",
    "known_event",
]
