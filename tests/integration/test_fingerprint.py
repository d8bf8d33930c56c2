"""The table fingerprint (dateline.evaluation.fingerprint) ignores what differs between two runs of
the same code (run ids, timestamps) and sees any change of content."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dateline.evaluation.fingerprint import fingerprint, lines, main


def _warehouse(path: Path, run_id: str, started: str, body: str) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE TABLE runs (run_id VARCHAR, started_at TIMESTAMPTZ, status VARCHAR)")
        con.execute("CREATE TABLE articles (article_id VARCHAR, body VARCHAR, run_id VARCHAR)")
        con.execute("INSERT INTO runs VALUES (?, ?, 'success')", [run_id, started])
        con.execute("INSERT INTO articles VALUES ('a2', 'second', ?), ('a1', ?, ?)", [run_id, body, run_id])
    finally:
        con.close()
    return path


def test_same_content_other_run_ids_and_times_print_the_same(tmp_path: Path) -> None:
    first = _warehouse(tmp_path / "a.duckdb", "20260101T000000Z-aaaa", "2026-01-01 00:00:00+00", "first")
    second = _warehouse(tmp_path / "b.duckdb", "20261130T120000Z-bbbb", "2026-11-30 12:00:00+00", "first")
    assert lines(fingerprint(first)) == lines(fingerprint(second))
    assert fingerprint(first)["articles"][0] == 2


def test_a_changed_value_changes_the_hash_and_fails_the_comparison(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _warehouse(tmp_path / "a.duckdb", "r1", "2026-01-01 00:00:00+00", "first")
    after = _warehouse(tmp_path / "b.duckdb", "r2", "2026-01-02 00:00:00+00", "First")
    assert fingerprint(before)["articles"] != fingerprint(after)["articles"]
    assert fingerprint(before)["runs"] == fingerprint(after)["runs"]
    printed = tmp_path / "before.txt"
    printed.write_text("\n".join(lines(fingerprint(before))) + "\n")
    assert main([str(before), "--against", str(printed)]) == 0
    assert main([str(after), "--against", str(printed)]) == 1
    assert "DIFFERENT" in capsys.readouterr().err
