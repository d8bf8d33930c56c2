"""The DuckDB statement helpers every warehouse module uses: run a statement to its end, read a
frame or a value, a transaction that rolls back on error, a polars frame registered as a view, and
the INSERT of a conformed frame.

DuckDB 2.x note: ``execute()`` streams a query's rows and the connection refuses other work until
they are read, so every statement here is fetched to its end (:func:`fetch_all`, :func:`fetch_frame`).
Frames are handed to DuckDB by registering their Arrow form (no copy) and inserted with
``INSERT INTO t (...) SELECT ... FROM <registered frame>``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import polars as pl

from dateline.errors import WarehouseError
from schemas.tables import Table

log = logging.getLogger(__name__)


def fetch_all(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
    """Run ``sql`` to its end and return its rows."""
    return con.execute(sql, params).fetchall()


def fetch_frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> pl.DataFrame:
    """Run ``sql`` and return its rows as a polars frame."""
    frame: pl.DataFrame = con.sql(sql, params=params).pl()
    return frame


def fetch_scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> Any:
    """The first column of the first row of ``sql``, or None when it returns no row."""
    rows = fetch_all(con, sql, params)
    return rows[0][0] if rows else None


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, what: str) -> Iterator[None]:
    """BEGIN ... COMMIT; ROLLBACK and re-raise on any error (DuckDB errors as WarehouseError)."""
    fetch_all(con, "BEGIN TRANSACTION")
    try:
        yield
        fetch_all(con, "COMMIT")
    except BaseException as exc:
        try:
            fetch_all(con, "ROLLBACK")
        except duckdb.Error:  # the transaction may already be aborted
            log.debug("rollback after failed %s raised", what, exc_info=True)
        if isinstance(exc, duckdb.Error):
            raise WarehouseError(f"{what} failed and was rolled back: {exc}") from exc
        raise


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> Iterator[str]:
    """Register ``frame`` (its Arrow data, not a copy) as view ``name`` for the block."""
    con.register(name, frame.to_arrow())
    try:
        yield name
    finally:
        con.unregister(name)


def insert(con: duckdb.DuckDBPyConnection, table: Table, frame: pl.DataFrame, conflict: str = "") -> int:
    """INSERT the conformed ``frame`` into ``table``; return the rows written."""
    if frame.height == 0:
        return 0
    cols = ", ".join(table.column_names)
    with registered(con, f"_dl_batch_{table.name}", table.conform(frame)) as view:
        rows = fetch_all(con, f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {view} {conflict}")
    return int(rows[0][0]) if rows else 0
