"""Row counts and content hashes of every table of a warehouse: proof that a change left the data alone.

Usage: ``python -m dateline.evaluation.fingerprint WAREHOUSE [--against FILE]``

Prints one line per table: name, rows, and the MD5 of its rows (each row cast to text, the texts
sorted, so row order does not matter). What legitimately differs between two runs of the same code
on the same input is left out, so that two such runs print the same lines:

* timestamps (``started_at``, ``mtime``, ``deleted_at``, ...): every column of a TIMESTAMP type;
* run ids (random per run): every column whose name ends in ``run_id`` is replaced by the run's
  position in ``runs`` ordered by ``started_at`` (1 for the first run), so "which run wrote this
  row" is still compared.

Input paths are part of the rows (``articles.source_path``, ``runs.input_dir``): compare runs over
the same input folder. ``--against FILE`` compares with the lines of an earlier print and exits 1
on any difference (used for issue #13's before/after check: docs/performance.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb


def _row_text(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """``struct_pack(...)`` of the table's comparable columns (see the module docstring)."""
    columns = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    fields = []
    for name, data_type in columns:
        quoted = '"' + name.replace('"', '""') + '"'
        if data_type.startswith("TIMESTAMP"):
            continue
        if name.endswith("run_id"):
            fields.append(f"{quoted} := (SELECT n FROM run_order o WHERE o.run_id = t.{quoted})")
        else:
            fields.append(f"{quoted} := t.{quoted}")
    return f"CAST(struct_pack({', '.join(fields)}) AS VARCHAR)"


def fingerprint(warehouse: Path) -> dict[str, tuple[int, str]]:
    """Table name -> (rows, MD5 of the sorted row texts), for every base table of ``warehouse``."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute(
            "CREATE TEMP TABLE run_order AS "
            "SELECT run_id, row_number() OVER (ORDER BY started_at, run_id) AS n FROM runs"
        )
        tables = [
            name
            for (name,) in con.execute(
                "SELECT table_name FROM duckdb_tables() "
                "WHERE schema_name = 'main' AND NOT temporary ORDER BY table_name"
            ).fetchall()
        ]
        prints: dict[str, tuple[int, str]] = {}
        for table in tables:
            rows, digest = con.execute(
                f"SELECT count(*), md5(coalesce(string_agg(r, chr(10) ORDER BY r), '')) "
                f'FROM (SELECT {_row_text(con, table)} AS r FROM "{table}" t)'
            ).fetchone() or (0, "")
            prints[table] = (int(rows), str(digest))
        return prints
    finally:
        con.close()


def lines(prints: dict[str, tuple[int, str]]) -> list[str]:
    return [f"{table:22s} {rows:8d} {digest}" for table, (rows, digest) in prints.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--against", type=Path, help="an earlier print of this command to compare with")
    args = parser.parse_args(argv)
    if not args.warehouse.is_file():
        print(f"fingerprint: warehouse {args.warehouse} not found", file=sys.stderr)
        return 2
    now = lines(fingerprint(args.warehouse))
    print("\n".join(now))
    if args.against is None:
        return 0
    before = [line for line in args.against.read_text().splitlines() if line.strip()]
    changed = sorted(set(before) ^ set(now))
    for line in changed:
        print(f"differs: {line}", file=sys.stderr)
    print(f"{'identical' if not changed else 'DIFFERENT'} to {args.against}", file=sys.stderr)
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
