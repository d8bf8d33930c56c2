"""`dateline query`, `status` and `report` read the warehouse and nothing else (issue #11).

Their DuckDB connection is opened with :data:`dateline.warehouse.sandbox.SANDBOX_CONFIG`: SQL that would
write or read a file, a URL or another database, install or load an extension, or change a
setting is refused with one line and exit 2; every view and the README's example SQL still run,
and ``--out`` still exports results in every format.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dateline.warehouse import connection, sandbox, schema, snapshots
from tests.conftest import dateline_env
from tests.paths import REPO, SAMPLES
from tests.unit.test_cli import dateline

SECRET = "sandbox-secret-3f9a"


@pytest.fixture(scope="module")
def loaded(prefect_server: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse (and its snapshot) loaded by a real run over the sample articles."""
    path = tmp_path_factory.mktemp("sandbox") / "w.duckdb"
    p = subprocess.run(
        [sys.executable, "-m", "dateline", "run", "--input", str(SAMPLES), "--warehouse", str(path)],
        env=dateline_env(prefect_server),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    return path


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the warehouse's with files a query must not read."""
    (tmp_path / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    (tmp_path / "data.csv").write_text(f"a,b\n1,{SECRET}\n", encoding="utf-8")
    (tmp_path / "data.json").write_text(json.dumps([{"a": SECRET}]), encoding="utf-8")
    pl.DataFrame({"a": [SECRET]}).write_parquet(tmp_path / "data.parquet")
    con = duckdb.connect(str(tmp_path / "other.duckdb"))
    con.execute(f"CREATE TABLE t AS SELECT '{SECRET}' AS a")
    con.close()
    return tmp_path


OUTSIDE_WAREHOUSE = [
    "COPY (SELECT 1 AS x) TO '{d}/written.csv'",
    "COPY articles TO '{d}/written.parquet' (FORMAT parquet)",
    "EXPORT DATABASE '{d}/written'",
    "SELECT * FROM read_text('{d}/secret.txt')",
    "SELECT * FROM read_blob('{d}/secret.txt')",
    "SELECT * FROM read_csv('{d}/data.csv')",
    "SELECT * FROM '{d}/data.csv'",
    "SELECT * FROM read_parquet('{d}/data.parquet')",
    "SELECT * FROM read_json('{d}/data.json')",
    "SELECT * FROM glob('{d}/*')",
    # a URL: with external access off DuckDB refuses before resolving the host (.invalid never resolves)
    "SELECT * FROM read_csv('https://example.invalid/data.csv')",
    "ATTACH '{d}/other.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "COPY (SELECT 1 AS x) TO '{w}'",  # the warehouse's own file
]
EXTENSIONS = ["SELECT * FROM iceberg_scan('{d}/t')"]
SETTINGS = [
    "SET enable_external_access = true",
    "RESET enable_external_access",
    "SET lock_configuration = false",
    "SET allowed_directories = ['/']",
    "PRAGMA enable_profiling",
]


@pytest.mark.parametrize("template", OUTSIDE_WAREHOUSE + SETTINGS + EXTENSIONS)
def test_query_refuses_what_reaches_outside_the_warehouse(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    loaded: Path,
    outside: Path,
    template: str,
) -> None:
    before = sorted(p.name for p in outside.iterdir())
    sql = template.format(d=outside, w=loaded)
    code, out, err = dateline(monkeypatch, capsys, "query", sql, "-w", str(loaded))
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dateline: error: query refused: "), err
    if template in SETTINGS:
        assert "setting" in lines[0]
    elif template in EXTENSIONS:
        assert "extension" in lines[0] and "INSTALL" not in lines[0]
    else:
        assert "outside the warehouse" in lines[0] and "--out" in lines[0]
    assert out == "" and SECRET not in err and "Traceback" not in err
    assert sorted(p.name for p in outside.iterdir()) == before  # nothing written


def test_a_refused_query_is_one_line_from_the_command(loaded: Path, tmp_path: Path) -> None:
    """The real command: exit 2, one line on stderr, no traceback, no file."""
    target = tmp_path / "copied.csv"
    p = subprocess.run(
        [sys.executable, "-m", "dateline", "query", f"COPY articles TO '{target}'", "-w", str(loaded)],
        env=dateline_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [f"dateline: error: {sandbox.REFUSED_OUTSIDE}"]
    assert p.stdout == "" and not target.exists()


def _views(path: Path) -> dict[str, int]:
    """Every view of the warehouse and its row count, read without the sandbox."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [
            r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
        ]
        return {n: con.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in sorted(names)}
    finally:
        con.close()


def test_every_view_runs_in_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], loaded: Path
) -> None:
    views = _views(loaded)
    declared = set(re.findall(r"CREATE OR REPLACE VIEW (\w+)", schema.VIEWS_SQL.read_text(encoding="utf-8")))
    assert declared and declared <= set(views)
    assert views["v_events"] > 0 and views["v_entity_mentions"] > 0  # real rows go through the views
    for name, rows in views.items():
        code, out, err = dateline(
            monkeypatch, capsys, "query", f"SELECT * FROM {name}", "-w", str(loaded), "-f", "json"
        )
        assert code == 0, (name, err)
        assert len(json.loads(out)) == rows, name


def _readme_sql() -> list[str]:
    """The statements of the README's "Example SQL" section, without their comment lines (an
    argument starting with ``--`` would be taken for an option)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("## Example SQL", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    code = "\n".join(line for line in block.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in code.split(";") if s.strip()]


def test_readme_example_sql_runs_in_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], loaded: Path
) -> None:
    statements = _readme_sql()
    assert len(statements) >= 8
    for sql in statements:
        code, _, err = dateline(monkeypatch, capsys, "query", sql, "-w", str(loaded), "-f", "csv")
        assert code == 0, (sql, err)


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_out_exports_every_format(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    loaded: Path,
    tmp_path: Path,
    fmt: str,
) -> None:
    sql = "SELECT event_id, event_date, cameo_code, goldstein, source_name FROM v_events ORDER BY event_id"
    con = duckdb.connect(str(loaded), read_only=True)
    expected = con.sql(sql).pl()
    con.close()
    target = tmp_path / "export" / f"events.{fmt}"
    code, _, err = dateline(
        monkeypatch, capsys, "query", sql, "-w", str(loaded), "-f", fmt, "--out", str(target)
    )
    assert code == 0, err
    assert f"{expected.height} row(s) written to {target}" in err
    got = {"csv": pl.read_csv, "json": pl.read_json, "parquet": pl.read_parquet}[fmt](target)
    assert got.columns == expected.columns and got.height == expected.height > 0
    assert got["event_id"].to_list() == expected["event_id"].to_list()


def _sandboxed(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    names = ", ".join(f"'{k}'" for k in sandbox.SANDBOX_CONFIG)
    return dict(con.execute(f"SELECT name, value FROM duckdb_settings() WHERE name IN ({names})").fetchall())


def test_status_and_report_read_through_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, loaded: Path, tmp_path: Path
) -> None:
    expected = {k: str(v).lower() for k, v in sandbox.SANDBOX_CONFIG.items()}
    # dateline status / query: the live warehouse, and the snapshot when the live one is missing
    con, source = snapshots.open_for_reading(loaded, 0.0)
    try:
        assert "live warehouse" in source and _sandboxed(con) == expected
    finally:
        con.close()
    lone = tmp_path / "lone"
    lone.mkdir()
    snap = snapshots.snapshot_path(lone / loaded.name)
    snap.write_bytes(snapshots.snapshot_path(loaded).read_bytes())
    con, source = snapshots.open_for_reading(lone / loaded.name, 0.0)
    try:
        assert "snapshot" in source and _sandboxed(con) == expected
        with pytest.raises(duckdb.PermissionException):
            con.sql(f"COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'")
    finally:
        con.close()
    # dateline report: its reads go through a sandboxed connection too
    from dateline.report import html as report

    seen: list[dict[str, object]] = []
    original = report.load_run_data

    def spy(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> report.RunData:
        seen.append(_sandboxed(con))
        return original(con, run_id)

    monkeypatch.setattr(report, "load_run_data", spy)
    paths = report.write_report(loaded, out_dir=tmp_path / "report")
    assert paths.run_html.exists() and seen == [expected]


def test_queries_spill_to_a_private_folder_not_next_to_the_warehouse(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], loaded: Path
) -> None:
    """DuckDB lets a query read and write in its temp directory even with external access off;
    the default one is ``<warehouse>.tmp/``, shared with every other process. A sandboxed
    connection spills to a private folder of its own process instead."""
    shared_spill = Path(f"{loaded}.tmp")
    shared_spill.mkdir(exist_ok=True)
    target = shared_spill / "written.csv"
    code, out, err = dateline(
        monkeypatch, capsys, "query", f"COPY (SELECT 1 AS x) TO '{target}'", "-w", str(loaded)
    )
    assert code == 2 and err.strip().startswith("dateline: error: query refused: "), (out, err)
    assert not target.exists()
    con = connection.open_duckdb(loaded, read_only=True, sandbox=True)
    try:
        spill = Path(con.execute("SELECT current_setting('temp_directory')").fetchone()[0])
    finally:
        con.close()
    assert spill != shared_spill and spill.is_dir() and (spill.stat().st_mode & 0o777) == 0o700
