"""Events recomputed from their mentions: an event is shared by the articles that report it, so
after a load (or the migration of an old warehouse) its counts and its representative report come
from ``event_mentions`` (the SQL twin of :mod:`transforms.event_mentions`)."""

from __future__ import annotations

import duckdb

from dateline.warehouse import sql
from transforms.event_mentions import REPORT_COLUMNS, REPRESENTATIVE_ORDER

#: Columns of ``events`` recomputed from its representative mention (see transforms.event_mentions).
EVENT_REPORT_COLUMNS: tuple[str, ...] = REPORT_COLUMNS


def representative_order_sql() -> str:
    """ORDER BY of an event's mentions ``m`` (with their article ``a``): the first is its representative."""
    order_sql = {
        "article_published_date": "a.published_date NULLS LAST",
        "article_id": "m.article_id",
        "start_char": "m.start_char",
        "trigger_start": "m.trigger_start NULLS LAST",
        "mention_id": "m.mention_id",
    }
    return ", ".join(order_sql[c] for c in REPRESENTATIVE_ORDER)


def refresh_events(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """Recompute the events that lost a mention or are in the batch from ``event_mentions``.

    Reads temp table ``_dl_touched_events`` and view ``_dl_batch_event_ids`` (dropping the former).
    An event with no mention left is deleted; the others get ``mention_count``,
    ``article_count`` and the columns of their representative mention (the first by the
    article's published_date, unknown last, then article_id, start_char, trigger_start,
    mention_id: :data:`transforms.event_mentions.REPRESENTATIVE_ORDER`), and ``run_id``.
    Returns the events deleted.
    """
    order = representative_order_sql()
    sets = ", ".join(f"{c} = r.{c}" for c in EVENT_REPORT_COLUMNS)
    try:
        sql.fetch_all(
            con,
            """
            CREATE OR REPLACE TEMP TABLE _dl_refresh AS
            SELECT event_id FROM _dl_touched_events UNION SELECT event_id FROM _dl_batch_event_ids
            """,
        )
        gone = sql.fetch_all(
            con,
            """
            DELETE FROM events e
            WHERE e.event_id IN (SELECT event_id FROM _dl_refresh)
              AND NOT EXISTS (SELECT 1 FROM event_mentions m WHERE m.event_id = e.event_id)
            """,
        )
        sql.fetch_all(
            con,
            f"""
            UPDATE events e SET {sets}, mention_count = r.mention_count,
                article_count = r.article_count, run_id = ?
            FROM (
                SELECT m.*, c.mention_count, c.article_count
                FROM event_mentions m
                LEFT JOIN articles a ON a.article_id = m.article_id
                JOIN (
                    SELECT event_id, count(*) AS mention_count, count(DISTINCT article_id) AS article_count
                    FROM event_mentions WHERE event_id IN (SELECT event_id FROM _dl_refresh)
                    GROUP BY event_id
                ) c ON c.event_id = m.event_id
                QUALIFY row_number() OVER (PARTITION BY m.event_id ORDER BY {order}) = 1
            ) r
            WHERE e.event_id = r.event_id
            """,
            [run_id],
        )
    finally:
        sql.fetch_all(con, "DROP TABLE IF EXISTS _dl_refresh")
        sql.fetch_all(con, "DROP TABLE IF EXISTS _dl_touched_events")
    return int(gone[0][0]) if gone else 0
