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

Syndicated copies: articles that are near-duplicates of one another are one *story*
(``articles.near_duplicate_of``, :mod:`transforms.near_dup`), and the story is the evidence that
their copies of a sentence are one report. Within a story, reports with the same
``event_type``, ``cameo_code``, source and target (NULL matching NULL), ``polarity``,
``status`` and normalized evidence text (lower-cased, whitespace collapsed) -- and the same
place among such reports in their article, so two reports of one article never merge this way
-- are one event even when the date or an actor is unknown (:data:`STORY_KEY_COLUMNS`). They take
the event of the story's earliest such report: one already loaded (``story_reports``), else a
known event's key hash, else the first report's ``mention_id``. An article that is its own story
keeps today's ids: its unknown reports are their own events, ``event_id`` = ``mention_id``.

An event row carries the provenance and the telling of its *representative* report -- the
earliest: by the article's ``published_date`` (unknown last), then ``article_id``, then
``start_char`` (then ``trigger_start``, ``mention_id``) -- plus ``mention_count`` (reports)
and ``article_count`` (distinct articles). ``dateline.warehouse.events`` recomputes the same from the
warehouse's mentions when a later batch adds or removes reports (:data:`REPRESENTATIVE_ORDER`).

Pure polars: DataFrames in, DataFrames out; no I/O.
"""

from __future__ import annotations

import hashlib

import polars as pl

from schemas.tables import EVENT_MENTIONS, EVENTS, normalized_evidence, story_id

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

#: Columns that, with the story and the normalized evidence text, make reports of near-duplicate
#: articles one event (NULL matches NULL: the story, not the key, is the evidence).
STORY_KEY_COLUMNS: tuple[str, ...] = (
    "event_type",
    "cameo_code",
    "source_entity_id",
    "target_entity_id",
    "polarity",
    "status",
)

#: Columns of the already loaded reports ``group_event_mentions`` matches a story's reports with.
STORY_REPORT_SCHEMA = pl.Schema(
    {
        "mention_id": pl.String,
        "event_id": pl.String,
        "article_id": pl.String,
        "story_id": pl.String,
        "article_published_date": pl.Date,
        "start_char": pl.Int64,
        "trigger_start": pl.Int64,
        "evidence_text": pl.String,
        **{c: pl.String for c in STORY_KEY_COLUMNS},
    }
)

#: Order of an event's reports; the first is its representative (SQL twin in dateline.warehouse.events).
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


def _with_story_signature(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (reports with ``story_id``) plus ``_story_sig``: its story key as one string.

    The key: story, :data:`STORY_KEY_COLUMNS`, normalized evidence, and the report's place among
    the reports of its article with the same key (0, 1, ... by start_char, trigger_start,
    mention_id), so the n-th such report of one copy matches the n-th of another.
    """
    parts = [
        pl.col("story_id"),
        *(pl.col(c).cast(pl.String).fill_null("\x00") for c in STORY_KEY_COLUMNS),
        normalized_evidence().fill_null(""),
    ]
    base = pl.concat_str(parts, separator="\x1f")
    return (
        frame.with_row_index("_pos")
        .with_columns(base.alias("_story_base"))
        .sort("article_id", "start_char", "trigger_start", "mention_id", nulls_last=True)
        .with_columns(pl.int_range(pl.len()).over("article_id", "_story_base").alias("_nth"))
        .sort("_pos")
        .with_columns(
            pl.concat_str([pl.col("_story_base"), pl.col("_nth").cast(pl.String)], separator="\x1f").alias(
                "_story_sig"
            )
        )
        .drop("_pos", "_story_base", "_nth")
    )


def _typed(table_columns: list[str], schema: pl.Schema) -> list[pl.Expr]:
    return [pl.col(c).cast(schema[c]) for c in table_columns if c != "run_id"]


def group_event_mentions(
    reports: pl.DataFrame,
    articles: pl.DataFrame | None,
    story_reports: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split per-report event rows into (``events``, ``event_mentions``) frames.

    ``reports``: rows as :func:`transforms.events.extract_events` makes them (columns of
    ``EVENTS`` without the counts; ``event_id`` is the report's own id). ``articles``: at least
    ``article_id`` and ``published_date`` of the reports' articles, for the representative (an
    article missing there counts as undated), and ``near_duplicate_of`` when known (the story;
    absent: every article is its own). ``story_reports``: reports already loaded of the batch's
    stories (:data:`STORY_REPORT_SCHEMA`), whose events the batch's copies join.
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
        story_id(articles.columns).alias("story_id"),
    ).unique("article_id", keep="first")
    mentions = mentions.join(pub, on="article_id", how="left", maintain_order="left").with_columns(
        pl.col("story_id").fill_null(pl.col("article_id"))
    )
    mentions = _story_events(mentions, story_reports).drop("story_id")
    ordered = mentions.sort(["event_id", *REPRESENTATIVE_ORDER], nulls_last=True, maintain_order=True)
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


def _story_events(mentions: pl.DataFrame, story_reports: pl.DataFrame | None) -> pl.DataFrame:
    """Give a report not known well enough to merge the event of its story's copies, if any.

    ``mentions``: the batch's reports with ``event_id`` (key hash or own mention_id),
    ``story_id`` and ``article_published_date``. For each story key (:func:`_with_story_signature`)
    the event is taken from, first to last: a loaded report of the story, a known report of the
    batch, an unknown one; within each, the earliest by :data:`REPRESENTATIVE_ORDER`. Known
    reports keep their key hash.
    """
    signed = _with_story_signature(mentions)
    own = signed.select(
        "_story_sig",
        pl.col("event_id").alias("_story_event"),
        pl.when(known_event()).then(1).otherwise(2).alias("_source"),
        *REPRESENTATIVE_ORDER,
    )
    if story_reports is not None and story_reports.height:
        loaded = _with_story_signature(
            story_reports.select([pl.col(c).cast(t) for c, t in STORY_REPORT_SCHEMA.items()])
        ).select(
            "_story_sig",
            pl.col("event_id").alias("_story_event"),
            pl.lit(0).alias("_source"),
            *REPRESENTATIVE_ORDER,
        )
        own = pl.concat([loaded, own], how="vertical_relaxed")
    first = (
        own.sort(["_story_sig", "_source", *REPRESENTATIVE_ORDER], nulls_last=True)
        .unique("_story_sig", keep="first", maintain_order=True)
        .select("_story_sig", "_story_event")
    )
    return (
        signed.join(first, on="_story_sig", how="left", maintain_order="left")
        .with_columns(
            pl.when(known_event())
            .then(pl.col("event_id"))
            .otherwise(pl.coalesce("_story_event", "event_id"))
            .alias("event_id")
        )
        .drop("_story_sig", "_story_event")
    )


__all__ = [
    "EVENT_LEVEL_COLUMNS",
    "KEY_COLUMNS",
    "REPORT_COLUMNS",
    "REPRESENTATIVE_ORDER",
    "STORY_KEY_COLUMNS",
    "STORY_REPORT_SCHEMA",
    "event_key_id",
    "group_event_mentions",
    "known_event",
]
