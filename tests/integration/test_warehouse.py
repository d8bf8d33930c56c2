"""DuckDB warehouse: schema, reference load, runs, and the transactional, idempotent batch load."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dateline.errors import WarehouseError
from dateline.warehouse import connection, file_manifest, load, lookups, reference_tables, runs, schema
from schemas.tables import ALL_TABLES, DQ_RESULTS, FACT_TABLES
from tests.unit.test_validate import make_batch

CONTENT_TABLES = list(FACT_TABLES)


def dq_frame(n: int = 3, failed: int = 0) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "table_name": ["articles"] * n,
            "expectation": ["expect_column_values_to_not_be_null"] * n,
            "column_name": [f"c{i}" for i in range(n)],
            "check_name": [f"check_{i}" for i in range(n)],
            "severity": ["critical"] * n,
            "success": [i >= failed for i in range(n)],
            "element_count": [10] * n,
            "unexpected_count": [1 if i < failed else 0 for i in range(n)],
            "unexpected_examples": ["[]"] * n,
        }
    )


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    c = connection.connect(tmp_path / "wh" / "dateline.duckdb")
    schema.init_schema(c)
    yield c
    c.close()


def snapshot(con: duckdb.DuckDBPyConnection, drop_run_ids: bool = False) -> dict[str, list[tuple]]:
    """Sorted content of every fact table (optionally without the run columns)."""
    out = {}
    for t in CONTENT_TABLES:
        cols = [c for c in t.column_names if not (drop_run_ids and c in ("run_id", "first_run_id"))]
        out[t.name] = sorted(con.execute(f"SELECT {', '.join(cols)} FROM {t.name}").fetchall(), key=repr)
    return out


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return schema.table_counts(con)


def test_init_schema_is_idempotent(con: duckdb.DuckDBPyConnection) -> None:
    schema.init_schema(con)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {t.name for t in ALL_TABLES} | {"_meta", "v_events", "v_entity_mentions", "v_runs"} <= tables
    for view in (
        "v_events",
        "v_event_mentions",
        "v_entity_mentions",
        "v_entities",
        "v_articles",
        "v_runs",
        "v_dq_failures",
        "v_files",
    ):
        con.execute(f"SELECT * FROM {view}").fetchall()


def test_load_reference_only_when_changed(con: duckdb.DuckDBPyConnection) -> None:
    ref = {
        "countries": pl.DataFrame(
            {
                "iso3": ["KOR", "PRK"],
                "iso2": ["KR", "KP"],
                "iso_numeric": ["410", "408"],
                "name": ["Korea", "DPRK"],
            }
        ),
        "agents": pl.DataFrame({"x": [1]}),  # a lookup, not a warehouse table: ignored
    }
    assert reference_tables.load_reference(con, ref) == {"countries": 2}
    assert reference_tables.load_reference(con, ref) == {}
    ref["countries"] = ref["countries"].head(1)
    assert reference_tables.load_reference(con, ref) == {"countries": 1}
    assert con.execute("SELECT iso3 FROM countries").fetchall() == [("KOR",)]


def test_load_batch_is_idempotent(con: duckdb.DuckDBPyConnection) -> None:
    batch = make_batch(4)
    written = load.load_batch(con, "r1", batch, dq_frame())
    assert written["articles"] == 4 and written["sentences"] == batch["sentences"].height
    assert written["dq_results"] == 3
    first, first_counts = snapshot(con), counts(con)
    again = load.load_batch(con, "r1", batch, dq_frame())
    assert again == {**written, "entities": 0}  # entities already there: insert-or-ignore
    assert snapshot(con) == first and counts(con) == first_counts
    # another run loading the same batch: same rows, only the run ids differ
    load.load_batch(con, "r2", batch, dq_frame())
    assert snapshot(con, drop_run_ids=True) == snapshot_without_runs(first)
    assert counts(con)["dq_results"] == 6
    assert {r[0] for r in con.execute("SELECT first_run_id FROM files").fetchall()} == {"r1"}
    assert {r[0] for r in con.execute("SELECT run_id FROM files").fetchall()} == {"r2"}


def snapshot_without_runs(snap: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    out = {}
    for t in CONTENT_TABLES:
        keep = [i for i, c in enumerate(t.column_names) if c not in ("run_id", "first_run_id")]
        out[t.name] = sorted((tuple(row[i] for i in keep) for row in snap[t.name]), key=repr)
    return out


def test_changed_file_replaces_its_rows(con: duckdb.DuckDBPyConnection) -> None:
    load.load_batch(con, "r1", make_batch(3), dq_frame())
    before = con.execute("SELECT article_id, source_path FROM articles ORDER BY source_path").fetchall()
    old_id = before[0][0]
    # the file in/00000.txt changed: a batch holding only that path, with new content
    changed = make_batch(1, salt="v2")
    new_id = changed["articles"]["article_id"][0]
    assert new_id != old_id
    load.load_batch(con, "r2", changed, dq_frame())
    after = dict(con.execute("SELECT source_path, article_id FROM articles").fetchall())
    assert after["in/00000.txt"] == new_id
    assert after["in/00001.txt"] == before[1][0] and after["in/00002.txt"] == before[2][0]
    for table in ("sentences", "entity_mentions", "events", "quantities"):
        n_old = con.execute(f"SELECT count(*) FROM {table} WHERE article_id = ?", [old_id]).fetchall()[0][0]
        n_new = con.execute(f"SELECT count(*) FROM {table} WHERE article_id = ?", [new_id]).fetchall()[0][0]
        assert n_old == 0 and n_new > 0, table
    assert counts(con)["articles"] == 3


def test_changed_file_that_became_quarantined(con: duckdb.DuckDBPyConnection) -> None:
    load.load_batch(con, "r1", make_batch(2), dq_frame())
    bad = {
        "files": pl.DataFrame({"source_path": ["in/00001.txt"], "outcome": ["quarantine"]}),
        "quarantine": pl.DataFrame(
            {"source_path": ["in/00001.txt"], "reason": ["binary"], "detail": ["NUL bytes"]}
        ),
    }
    load.load_batch(con, "r2", bad, dq_frame())
    assert con.execute("SELECT source_path FROM articles").fetchall() == [("in/00000.txt",)]
    units = file_manifest.known_units(con)
    assert units.filter(pl.col("place") == "quarantine")["source_path"].to_list() == ["in/00001.txt"]
    assert units.schema["source_record"] == pl.Int64


def test_failure_mid_load_rolls_back_everything(con: duckdb.DuckDBPyConnection) -> None:
    load.load_batch(con, "r1", make_batch(3), dq_frame())
    before, before_counts = snapshot(con), counts(con)
    changed = make_batch(2, salt="v2")  # would delete and replace two articles...
    bad_dq = pl.concat([dq_frame(), dq_frame().head(1)])  # ...but dq_results (loaded last) repeats a key
    with pytest.raises(WarehouseError, match="rolled back"):
        load.load_batch(con, "r2", changed, bad_dq)
    assert snapshot(con) == before
    assert counts(con) == before_counts
    # the connection is usable afterwards
    load.load_batch(con, "r2", changed, dq_frame())
    assert counts(con)["articles"] == 3


def test_rehome_article_duplicated_by_another_path(con: duckdb.DuckDBPyConnection) -> None:
    batch = make_batch(1, prefix="a/")
    art = batch["articles"].row(0, named=True)
    batch["duplicates"] = pl.DataFrame(
        {
            "source_path": ["b/copy.txt"],
            "content_sha256": [art["content_sha256"]],
            "article_id": [art["article_id"]],
        }
    )
    batch["files"] = pl.concat(
        [batch["files"], pl.DataFrame({"source_path": ["b/copy.txt"], "outcome": ["duplicate"]})],
        how="diagonal_relaxed",
    )
    load.load_batch(con, "r1", batch, dq_frame())
    n_sent = counts(con)["sentences"]
    # a/00000.txt changes: its new content is another article; b/copy.txt still holds the old one
    changed = make_batch(1, prefix="a/", salt="v2")
    load.load_batch(con, "r2", changed, dq_frame())
    rows = dict(con.execute("SELECT article_id, source_path FROM articles").fetchall())
    assert rows[art["article_id"]] == "b/copy.txt"  # re-homed, extracted rows kept
    assert rows[changed["articles"]["article_id"][0]] == "a/00000.txt"
    assert counts(con)["duplicates"] == 0
    assert con.execute("SELECT outcome FROM files WHERE source_path = 'b/copy.txt'").fetchall() == [
        ("article",)
    ]
    kept = con.execute("SELECT count(*) FROM sentences WHERE article_id = ?", [art["article_id"]]).fetchall()[
        0
    ][0]
    assert kept == n_sent
    # loading the same change again changes nothing
    snap = snapshot(con)
    load.load_batch(con, "r2", changed, dq_frame())
    assert snapshot(con) == snap


def test_rehome_to_a_duplicate_of_the_same_batch(con: duckdb.DuckDBPyConnection) -> None:
    batch = make_batch(1, prefix="j/")
    art = batch["articles"].row(0, named=True)
    load.load_batch(con, "r1", batch, dq_frame())
    # the file was rewritten: its article is now only a duplicate found at another path of the batch
    moved = {
        "files": pl.DataFrame(
            {"source_path": ["j/00000.txt", "j/new.txt"], "outcome": ["quarantine", "duplicate"]}
        ),
        "quarantine": pl.DataFrame(
            {"source_path": ["j/00000.txt"], "reason": ["empty"], "detail": ["0 bytes"]}
        ),
        "duplicates": pl.DataFrame(
            {
                "source_path": ["j/new.txt"],
                "content_sha256": [art["content_sha256"]],
                "article_id": [art["article_id"]],
            }
        ),
    }
    load.load_batch(con, "r2", moved, dq_frame())
    assert con.execute("SELECT article_id, source_path FROM articles").fetchall() == [
        (art["article_id"], "j/new.txt")
    ]
    assert counts(con)["duplicates"] == 0 and counts(con)["sentences"] > 0
    outcomes = dict(con.execute("SELECT source_path, outcome FROM files").fetchall())
    assert outcomes == {"j/00000.txt": "quarantine", "j/new.txt": "article"}


def test_entities_shared_and_orphans_removed(con: duckdb.DuckDBPyConnection) -> None:
    batch = make_batch(2)
    batch["entities"] = pl.concat(
        [
            batch["entities"],
            pl.DataFrame({"entity_id": ["e_lonely"], "canonical_name": ["X"], "entity_type": ["ORG"]}),
        ],
        how="diagonal_relaxed",
    )
    load.load_batch(con, "r1", batch, dq_frame())
    ids = {r[0] for r in con.execute("SELECT entity_id FROM entities").fetchall()}
    assert ids == {"e_kor", "e_prk", "e_usa"}  # e_lonely is referenced by nothing
    # a later batch renaming an existing entity does not overwrite it (insert-or-ignore)
    other = make_batch(1, prefix="other/", salt="o")
    other["entities"] = other["entities"].with_columns(pl.lit("Renamed").alias("canonical_name"))
    written = load.load_batch(con, "r2", other, dq_frame())
    assert written["entities"] == 0
    assert con.execute("SELECT count(*) FROM entities WHERE canonical_name = 'Renamed'").fetchall()[0][0] == 0
    keys = lookups.existing_keys(con)
    assert set(keys["entities"].to_list()) == ids and keys["articles"].len() == 3


def test_runs_and_dq_results(con: duckdb.DuckDBPyConnection) -> None:
    runs.start_run(con, "r1", "seeds/articles")
    with pytest.raises(WarehouseError, match="already exists"):
        runs.start_run(con, "r1", "seeds/articles")
    assert runs.write_dq_results(con, "r1", dq_frame(4, failed=2)) == 4
    assert runs.write_dq_results(con, "r1", dq_frame(3, failed=1)) == 3  # replaces
    runs.finish_run(
        con, "r1", "failed", {"files_seen": 5, "rows_written": 0}, "fail", "critical checks failed"
    )
    row = con.execute(
        "SELECT status, files_seen, dq_verdict, dq_checks, dq_critical_failed, duration_s >= 0 FROM v_runs"
    ).fetchall()[0]
    assert row == ("failed", 5, "fail", 3, 1, True)
    assert con.execute("SELECT count(*) FROM v_dq_failures").fetchall()[0][0] == 1
    with pytest.raises(ValueError, match="unknown run counters"):
        runs.finish_run(con, "r1", "success", {"files_sen": 1}, "pass", None)
    with pytest.raises(WarehouseError, match="not started"):
        runs.finish_run(con, "nope", "success", {}, "pass", None)


def test_views_join_names(con: duckdb.DuckDBPyConnection) -> None:
    reference_tables.load_reference(
        con,
        {
            "countries": pl.DataFrame(
                {
                    "iso3": ["KOR", "PRK"],
                    "iso2": ["KR", "KP"],
                    "iso_numeric": ["410", "408"],
                    "name": ["South Korea", "North Korea"],
                }
            )
        },
    )
    load.load_batch(con, "r1", make_batch(1), dq_frame())
    ev = con.execute(
        "SELECT source_name, source_country, target_name, article_title FROM v_events LIMIT 1"
    ).fetchall()[0]
    assert ev == ("North Korea", "North Korea", "South Korea", "Title 0")
    m = con.execute("SELECT count(*), count(canonical_name) FROM v_entity_mentions").fetchall()[0]
    assert m[0] == m[1] > 0


def test_locked_warehouse_names_the_process(tmp_path: Path) -> None:
    path = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, time
                con = duckdb.connect({str(path)!r})
                print("ready", flush=True)
                sys.stdin.readline()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(
            WarehouseError,
            match=rf"warehouse .*locked.duckdb is locked by another process \(pid {holder.pid}\)",
        ):
            connection.connect(path)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_read_only_missing_warehouse(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="does not exist"):
        connection.connect(tmp_path / "missing.duckdb", read_only=True)


def test_dq_results_table_matches_schema(con: duckdb.DuckDBPyConnection) -> None:
    cols = [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'dq_results' ORDER BY ordinal_position"
        ).fetchall()
    ]
    assert cols == DQ_RESULTS.column_names
