"""The warehouse's tables and views: every table from :data:`schemas.tables.ALL_TABLES`
(``Table.ddl()``), the ``_meta`` key-value table, the analyst views of ``warehouse/views.sql``,
older warehouses migrated on the way (:mod:`dateline.warehouse.migrations`), and row counts."""

from __future__ import annotations

from pathlib import Path

import duckdb

from dateline.config import REPO_ROOT
from dateline.errors import WarehouseError
from dateline.warehouse import migrations, sql
from schemas.tables import ALL_TABLES, EVENTS

VIEWS_SQL = REPO_ROOT / "warehouse" / "views.sql"

META_DDL = """CREATE TABLE IF NOT EXISTS _meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);"""


def init_schema(con: duckdb.DuckDBPyConnection, views_sql: Path = VIEWS_SQL) -> None:
    """Create every table (``Table.ddl()``), ``_meta`` and the views of ``views_sql``. Idempotent."""
    for table in ALL_TABLES:
        sql.fetch_all(con, table.ddl())
        if table is EVENTS:
            migrations.migrate_events(con)
        migrations.add_missing_columns(con, table)
    sql.fetch_all(con, META_DDL)
    migrations.migrate_no_new_data(con)
    try:
        views = Path(views_sql).read_text(encoding="utf-8")
    except OSError as exc:
        raise WarehouseError(f"cannot read the warehouse views {views_sql}: {exc}") from exc
    try:
        sql.fetch_all(con, views)
    except duckdb.Error as exc:
        raise WarehouseError(f"creating the views of {views_sql} failed: {exc}") from exc


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every warehouse table."""
    return {t.name: int(sql.fetch_scalar(con, f"SELECT count(*) FROM {t.name}")) for t in ALL_TABLES}
