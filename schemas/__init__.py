"""Table definitions: columns, DuckDB DDL and expectation suites, one source of truth per table."""

from schemas.tables import ALL_TABLES, TABLES, Column, ForeignKey, Table

__all__ = ["ALL_TABLES", "TABLES", "Column", "ForeignKey", "Table"]
