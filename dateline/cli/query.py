"""``dateline query``: ad hoc SQL against the warehouse (or its snapshot), read-only and sandboxed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from dateline import config
from dateline.cli.common import UsageError, WarehouseOpt, app, console, err, print_table

QUERY_FORMATS = ("table", "csv", "json", "parquet")


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL to run (read-only).")],
    warehouse: WarehouseOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | csv | json | parquet")] = "table",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the result to this file (required for parquet).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows to show in table format.")] = 200,
    wait: Annotated[
        float | None,
        typer.Option(
            help="Seconds to wait for a running load before reading the snapshot ([query] wait_seconds)."
        ),
    ] = None,
) -> None:
    """Run a read-only SQL query; during a load, wait briefly or read the last published snapshot.

    Says on stderr which it read: the live warehouse or the snapshot (and how old it is). The
    SQL reads the warehouse and nothing else: COPY TO, reading files or URLs, ATTACH,
    INSTALL/LOAD and SET are refused (exit 2); --out writes the result (from Python, not SQL).
    """
    import duckdb

    from dateline.warehouse import sandbox, snapshots

    configuration = config.load()
    path = config.warehouse_path(warehouse, configuration)
    if fmt not in QUERY_FORMATS:
        raise UsageError(f"--format must be one of {', '.join(QUERY_FORMATS)}, not {fmt!r}")
    if fmt == "parquet" and out is None:
        raise UsageError("--format parquet needs --out FILE")
    if fmt == "table" and out is not None:
        raise UsageError("--out needs --format csv, json or parquet")
    if not path.exists() and not snapshots.snapshot_path(path).exists():
        raise UsageError(f"warehouse {path} does not exist yet: run 'dateline run' first")
    con, source = snapshots.open_for_reading(
        path,
        configuration.query_wait_seconds if wait is None else wait,
        use_snapshot=configuration.snapshot,
    )
    try:
        try:
            relation = con.sql(sql)
            result = relation.pl() if relation is not None else None
        except duckdb.Error as e:
            refused = sandbox.sandbox_refusal(e)
            raise UsageError(refused or f"query failed: {str(e).splitlines()[0]}") from None
    finally:
        con.close()
    err.print(f"dateline: read from the {source}")
    if result is None:
        raise UsageError("the SQL returned no result set (only SELECT-like statements are supported)")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        {"csv": result.write_csv, "json": result.write_json, "parquet": result.write_parquet}[fmt](out)
        err.print(f"dateline: {result.height} row(s) written to {out}")
    elif fmt == "csv":
        sys.stdout.write(result.write_csv())
    elif fmt == "json":
        sys.stdout.write(result.write_json() + "\n")
    else:
        table = RichTable(*result.columns)
        for row in result.head(limit).iter_rows():
            table.add_row(*["" if value is None else str(value) for value in row])
        print_table(table)
        if result.height > limit:
            console.print(f"({result.height} rows, {limit} shown)")
