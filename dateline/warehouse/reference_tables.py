"""The content of the warehouse's reference tables (countries, the event taxonomy, actors...):
replaced in one transaction when it changed, left alone when its content hash (kept in ``_meta``)
is the same."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping

import duckdb
import polars as pl

from dateline.warehouse import sql
from schemas.tables import REFERENCE_TABLES, Table

log = logging.getLogger(__name__)


def _frame_hash(table: Table, frame: pl.DataFrame) -> str:
    """The content hash of ``frame`` conformed to ``table`` (its schema and its rows as CSV)."""
    conformed = table.conform(frame)
    digest = hashlib.sha256(repr(conformed.schema).encode())
    digest.update(conformed.write_csv().encode())
    return digest.hexdigest()


def load_reference(con: duckdb.DuckDBPyConnection, reference: Mapping[str, pl.DataFrame]) -> dict[str, int]:
    """Replace the content of the given reference tables whose content changed, in one transaction.

    A table's content hash is kept in ``_meta`` (``reference_sha256:<table>``); an unchanged table
    is left alone. Entries of ``reference`` that are not warehouse reference tables (lookups such
    as ``agents``) are ignored. Returns the rows loaded per replaced table.
    """
    known = {t.name: t for t in REFERENCE_TABLES}
    loaded: dict[str, int] = {}
    with sql.transaction(con, "loading the reference tables"):
        for name, frame in reference.items():
            table = known.get(name)
            if table is None:
                continue
            digest = _frame_hash(table, frame)
            key = f"reference_sha256:{name}"
            if sql.fetch_scalar(con, "SELECT value FROM _meta WHERE key = ?", [key]) == digest:
                continue
            sql.fetch_all(con, f"DELETE FROM {name}")
            loaded[name] = sql.insert(con, table, frame)
            sql.fetch_all(
                con,
                "INSERT INTO _meta (key, value, updated_at) VALUES (?, ?, now()) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                [key, digest],
            )
            log.info("reference table %s replaced: %d rows", name, loaded[name])
    return loaded
