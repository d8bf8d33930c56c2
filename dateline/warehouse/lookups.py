"""What a batch looks up among the articles already loaded before it is validated and loaded: the
keys its foreign keys may reference, and for near-duplicate detection the loaded articles sharing
an LSH bucket with it and the event reports of their stories."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import polars as pl

from dateline.warehouse import sql
from transforms.event_mentions import STORY_REPORT_SCHEMA
from transforms.near_dup import SIGNATURE_SCHEMA, bucket_rows


def existing_keys(con: duckdb.DuckDBPyConnection) -> dict[str, pl.Series]:
    """Keys foreign keys may reference, by table: ``articles`` (article_id), ``entities``
    (entity_id), ``events`` (event_id)."""
    return {
        "articles": sql.fetch_frame(con, "SELECT article_id FROM articles").get_column("article_id"),
        "entities": sql.fetch_frame(con, "SELECT entity_id FROM entities").get_column("entity_id"),
        "events": sql.fetch_frame(con, "SELECT event_id FROM events").get_column("event_id"),
    }


_STORY_OF = "coalesce(a.near_duplicate_of, a.article_id)"

_CANDIDATES_SQL = f"""
WITH wanted AS (SELECT DISTINCT band, bucket FROM _nd_buckets),
banded AS (
    SELECT article_id, unnest(range(len(buckets))) AS band, unnest(buckets) AS bucket
    FROM article_signatures WHERE params = ?
),
hit AS (
    SELECT DISTINCT s.article_id FROM banded s
    JOIN wanted w ON s.band = w.band AND s.bucket = w.bucket
),
candidates AS (
    SELECT a.article_id, {_STORY_OF} AS story_id
    FROM articles a JOIN hit h ON h.article_id = a.article_id
    WHERE a.source_path NOT IN (SELECT source_path FROM _nd_paths)
),
ranks AS (
    -- a story's age: the run that loaded its first article still held (run ids sort by time)
    SELECT {_STORY_OF} AS story_id, min(a.run_id) AS story_rank
    FROM articles a WHERE {_STORY_OF} IN (SELECT story_id FROM candidates)
    GROUP BY 1
)
SELECT c.article_id, c.story_id, r.story_rank, s.minhash, s.buckets
FROM candidates c
JOIN article_signatures s ON s.article_id = c.article_id
LEFT JOIN ranks r ON r.story_id = c.story_id
ORDER BY c.article_id
"""


def near_duplicate_candidates(
    con: duckdb.DuckDBPyConnection, signed: pl.DataFrame, params: str, exclude_paths: Sequence[str]
) -> pl.DataFrame:
    """Loaded articles that share an LSH bucket with an article of ``signed`` (their candidates).

    ``signed``: the batch's signature frame (:func:`transforms.near_dup.signature_frame`);
    ``params``: its signature parameters (only signatures made with them are comparable);
    ``exclude_paths``: the batch's paths, whose loaded articles it replaces. The join runs in
    DuckDB over ``article_signatures``: only the candidates' signatures are read. Returns
    article_id, story_id (its near_duplicate_of or itself), story_rank (the oldest run of its
    story), minhash, buckets.
    """
    schema = pl.Schema(
        {
            "article_id": pl.String(),
            "story_id": pl.String(),
            "story_rank": pl.String(),
            "minhash": SIGNATURE_SCHEMA["minhash"],
            "buckets": SIGNATURE_SCHEMA["buckets"],
        }
    )
    if signed.height == 0:
        return pl.DataFrame(schema=schema)
    paths = pl.DataFrame({"source_path": list(exclude_paths)}, schema={"source_path": pl.String})
    with (
        sql.registered(con, "_nd_buckets", bucket_rows(signed)),
        sql.registered(con, "_nd_paths", paths),
    ):
        return sql.fetch_frame(con, _CANDIDATES_SQL, [params]).cast(schema)


def story_reports(
    con: duckdb.DuckDBPyConnection,
    story_ids: pl.Series,
    exclude_paths: Sequence[str],
    exclude_articles: Sequence[str] = (),
) -> pl.DataFrame:
    """Loaded event reports of the stories ``story_ids``, for the batch's copies to join.

    One row per mention of a loaded article of one of the stories (not at ``exclude_paths`` nor
    one of ``exclude_articles``: the batch replaces those), with its event's type, CAMEO code and
    actors: :data:`transforms.event_mentions.STORY_REPORT_SCHEMA`.
    """
    stories = story_ids.drop_nulls().unique().cast(pl.String).to_frame("story_id")
    if stories.height == 0:
        return pl.DataFrame(schema=STORY_REPORT_SCHEMA)
    paths = pl.DataFrame({"source_path": list(exclude_paths)}, schema={"source_path": pl.String})
    replaced = pl.DataFrame({"article_id": list(exclude_articles)}, schema={"article_id": pl.String})
    with (
        sql.registered(con, "_nd_stories", stories),
        sql.registered(con, "_nd_paths", paths),
        sql.registered(con, "_nd_replaced", replaced),
    ):
        return sql.fetch_frame(
            con,
            f"""
            SELECT m.mention_id, m.event_id, m.article_id, {_STORY_OF} AS story_id,
                a.published_date AS article_published_date, m.start_char, m.trigger_start,
                m.evidence_text, e.event_type, e.cameo_code, e.source_entity_id,
                e.target_entity_id, m.polarity, m.status
            FROM event_mentions m
            JOIN articles a ON a.article_id = m.article_id
            JOIN events e ON e.event_id = m.event_id
            WHERE {_STORY_OF} IN (SELECT story_id FROM _nd_stories)
              AND a.source_path NOT IN (SELECT source_path FROM _nd_paths)
              AND a.article_id NOT IN (SELECT article_id FROM _nd_replaced)
            ORDER BY m.mention_id
            """,
        ).cast(STORY_REPORT_SCHEMA)


#: Articles written by a run of another extractor version than the given one, or by a run that
#: recorded none (or that the warehouse no longer knows).
_OLDER_EXTRACTOR_SQL = """
SELECT a.* FROM articles a LEFT JOIN runs r ON r.run_id = a.run_id
WHERE r.extractor_version IS DISTINCT FROM ?
"""


def older_extractor_articles(
    con: duckdb.DuckDBPyConnection, version: str, limit: int, exclude: Sequence[str] = ()
) -> pl.DataFrame:
    """Up to ``limit`` loaded ``articles`` rows an extractor other than ``version`` wrote, but those
    in ``exclude`` (articles whose re-extraction failed earlier in the run).

    Ordered by story (``coalesce(near_duplicate_of, article_id)``), then article_id: the copies of
    a story are re-extracted in one batch where the batch size allows, so their reports are
    matched with each other's new reports rather than with the old ones.
    """
    skip = pl.DataFrame({"article_id": list(exclude)}, schema={"article_id": pl.String})
    with sql.registered(con, "_rx_exclude", skip):
        return sql.fetch_frame(
            con,
            f"""
            SELECT * FROM ({_OLDER_EXTRACTOR_SQL}) a
            WHERE a.article_id NOT IN (SELECT article_id FROM _rx_exclude)
            ORDER BY {_STORY_OF}, a.article_id LIMIT ?
            """,
            [version, limit],
        )


def count_older_extractor_articles(con: duckdb.DuckDBPyConnection, version: str) -> int:
    """How many loaded articles an extractor other than ``version`` wrote."""
    return int(sql.fetch_scalar(con, f"SELECT count(*) FROM ({_OLDER_EXTRACTOR_SQL})", [version]) or 0)
