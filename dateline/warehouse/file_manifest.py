"""What the warehouse holds of the landing folder: the ``files`` manifest (size, mtime, content
hash and deletion of every path read) and where each input unit went (article, duplicate or
quarantine). Discovery compares the folder with the first; routing reads the second."""

from __future__ import annotations

import duckdb
import polars as pl

from dateline.warehouse import sql

MANIFEST_SCHEMA = pl.Schema(
    {
        "source_path": pl.String(),
        "size_bytes": pl.Int64(),
        "mtime": pl.Datetime("us", "UTC"),
        "content_sha256": pl.String(),
        "deleted_at": pl.Datetime("us", "UTC"),
    }
)


def manifest(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The ``files`` manifest: source_path, size_bytes, mtime, content_sha256, deleted_at."""
    df = sql.fetch_frame(con, f"SELECT {', '.join(MANIFEST_SCHEMA.names())} FROM files ORDER BY source_path")
    return df.cast(MANIFEST_SCHEMA)


def known_units(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every input unit the warehouse holds and where it is.

    Columns source_path, source_record, content_sha256, article_id, place
    ('article' | 'duplicate' | 'quarantine'; quarantine rows have no article_id), reason and
    detail (a quarantine row's reason and detail, NULL for the others).
    """
    return sql.fetch_frame(
        con,
        """
        SELECT source_path, source_record, content_sha256, article_id, 'article' AS place,
            NULL AS reason, NULL AS detail
        FROM articles
        UNION ALL
        SELECT source_path, source_record, content_sha256, article_id, 'duplicate', NULL, NULL
        FROM duplicates
        UNION ALL
        SELECT source_path, source_record, content_sha256, NULL, 'quarantine', reason, detail
        FROM quarantine
        ORDER BY source_path, source_record NULLS FIRST, place
        """,
    ).cast({"source_record": pl.Int64, "article_id": pl.String, "reason": pl.String, "detail": pl.String})
