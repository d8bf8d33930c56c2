"""The DuckDB warehouse, one concern per module (no imports here: ``lock`` and ``snapshots`` stay
importable without duckdb or polars).

``connection`` opening the warehouse; ``sandbox`` the locked settings and spill folder of analysts'
connections; ``sql`` statement helpers; ``schema`` tables, views and row counts; ``migrations``
older warehouses brought up to date; ``reference_tables`` reference data; ``file_manifest`` the
``files`` manifest and where each input unit went; ``lookups`` what a batch reads before it is
loaded; ``runs`` a run's rows and data-quality records; ``load`` the transactional batch load;
``events`` events recomputed from their mentions; ``lock`` the run lock; ``snapshots`` the
published read-only copy and the analysts' reading connection.
"""
