"""Migrations of a warehouse made by an older version, run by
:func:`dateline.warehouse.schema.init_schema`: new nullable columns added, ``events`` split into
events and their ``event_mentions``, and the verdict of runs that had nothing to check."""

from __future__ import annotations

import logging

import duckdb

from dateline.warehouse import sql
from dateline.warehouse.events import representative_order_sql
from schemas.tables import EVENT_MENTIONS, NO_NEW_DATA, Table
from transforms.event_mentions import EVENT_LEVEL_COLUMNS, KEY_COLUMNS

log = logging.getLogger(__name__)


def migrate_no_new_data(con: duckdb.DuckDBPyConnection) -> None:
    """Migrate runs closed by an older version with nothing to check: their verdict said 'pass'
    although no check ran; it is ``schemas.tables.NO_NEW_DATA``, as a new run records it."""
    sql.fetch_all(
        con,
        "UPDATE runs r SET dq_verdict = ? WHERE r.status = 'success' AND r.dq_verdict = 'pass' "
        "AND NOT EXISTS (SELECT 1 FROM dq_results d WHERE d.run_id = r.run_id)",
        [NO_NEW_DATA],
    )


def _columns(con: duckdb.DuckDBPyConnection, table_name: str) -> set[str]:
    """The columns ``table_name`` has in the warehouse."""
    return {
        r[0]
        for r in sql.fetch_all(
            con,
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema()",
            [table_name],
        )
    }


def add_missing_columns(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Migrate a warehouse made by an older version: add the table's new (nullable) columns."""
    have = _columns(con, table.name)
    for c in table.columns:
        if c.name not in have and c.nullable:
            sql.fetch_all(con, f"ALTER TABLE {table.name} ADD COLUMN {c.name} {c.sql}")
            log.info("warehouse migrated: %s.%s added", table.name, c.name)


def migrate_events(con: duckdb.DuckDBPyConnection) -> None:
    """Migrate ``events`` of a warehouse made before ``event_mentions``: one row per report then.

    Each old row becomes a mention (``mention_id`` = its old ``event_id``) of the event its key
    names -- the same key hash as :func:`transforms.event_mentions.event_key_id`, or the old id
    when the key is not fully known -- and ``events`` is rebuilt from them: one row per event,
    with its representative report and counts. Runs once (when ``events`` lacks
    ``mention_count``), in one transaction.
    """
    have = _columns(con, "events")
    if "mention_count" in have:
        return
    sql.fetch_all(con, EVENT_MENTIONS.ddl())
    known = " AND ".join(f"{c} IS NOT NULL" for c in KEY_COLUMNS) + " AND date_precision = 'day'"
    key = ", ".join(f"strftime({c}, '%Y-%m-%d')" if c == "event_date" else c for c in KEY_COLUMNS)
    report = [c for c in EVENT_MENTIONS.column_names if c in have and c not in ("mention_id", "event_id")]
    level = [c for c in EVENT_LEVEL_COLUMNS if c in have]
    order = representative_order_sql()
    with sql.transaction(con, "migrating events to events + event_mentions"):
        sql.fetch_all(con, "ALTER TABLE events ADD COLUMN mention_count BIGINT DEFAULT 1")
        sql.fetch_all(con, "ALTER TABLE events ADD COLUMN article_count BIGINT DEFAULT 1")
        sql.fetch_all(con, "CREATE OR REPLACE TEMP TABLE _mig_events AS SELECT * FROM events")
        sql.fetch_all(
            con,
            f"""
            INSERT INTO event_mentions (mention_id, event_id, {", ".join(report)})
            SELECT event_id,
                CASE WHEN {known} THEN substr(sha256(concat_ws('|', 'event', {key})), 1, 16)
                     ELSE event_id END,
                {", ".join(report)}
            FROM _mig_events ON CONFLICT DO NOTHING
            """,
        )
        sql.fetch_all(con, "DELETE FROM events")
        rows = sql.fetch_all(
            con,
            f"""
            INSERT INTO events (event_id, {", ".join(report)}, {", ".join(level)}, mention_count, article_count)
            SELECT m.event_id, {", ".join("m." + c for c in report)}, {", ".join("o." + c for c in level)},
                count(*) OVER (PARTITION BY m.event_id),
                (SELECT count(DISTINCT x.article_id) FROM event_mentions x WHERE x.event_id = m.event_id)
            FROM event_mentions m
            JOIN _mig_events o ON o.event_id = m.mention_id
            LEFT JOIN articles a ON a.article_id = m.article_id
            QUALIFY row_number() OVER (PARTITION BY m.event_id ORDER BY {order}) = 1
            """,
        )
        sql.fetch_all(con, "DROP TABLE IF EXISTS _mig_events")
    log.info(
        "warehouse migrated: events split into %s event(s) and their event_mentions",
        rows[0][0] if rows else 0,
    )
