"""The `ingest` flow end to end on bad input, reruns and changed files (one Prefect harness per session)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from dateline.pipeline import discover as discover_mod
from tests.paths import FIXTURES, SAMPLES

DATA_TABLES = (
    "articles",
    "sentences",
    "entities",
    "entity_mentions",
    "events",
    "event_mentions",
    "quantities",
    "duplicates",
    "quarantine",
)


def counts(wh: Path) -> dict[str, int]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in DATA_TABLES}
    finally:
        con.close()


def places(wh: Path) -> dict[tuple[str, int | None], list[str]]:
    """(file name, record) -> the places it was recorded in."""
    con = duckdb.connect(str(wh), read_only=True)
    out: dict[tuple[str, int | None], list[str]] = {}
    try:
        for table in ("articles", "duplicates", "quarantine"):
            for path, rec in con.execute(f"SELECT source_path, source_record FROM {table}").fetchall():
                out.setdefault((Path(path).name, rec), []).append(table)
    finally:
        con.close()
    return out


def test_bad_input_every_file_lands_once(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.ingest import ingest

    inp = tmp_path / "in"
    shutil.copytree(FIXTURES / "bad", inp)
    (inp / "vanishing.txt").write_text("Title\n\nThis file disappears between listing and reading.\n")
    real_read = discover_mod._read

    def flaky_read(path: Path, max_bytes: int) -> bytes:
        if path.name == "vanishing.txt":
            path.unlink()
        return real_read(path, max_bytes)

    monkeypatch.setattr(discover_mod, "_read", flaky_read)
    wh = tmp_path / "w.duckdb"
    summary = ingest(inp, wh)
    assert summary.status == "success"

    where = places(wh)
    assert all(len(v) == 1 for v in where.values()), where  # exactly one place per unit
    names = {p.name for p in (FIXTURES / "bad").iterdir()} | {"vanishing.txt"}
    assert {name for name, _ in where} == names  # nothing lost
    assert where[("binary.bin", None)] == ["quarantine"]
    assert where[("empty.txt", None)] == ["quarantine"]
    assert where[("malformed.json", None)] == ["quarantine"]
    assert where[("vanishing.txt", None)] == ["quarantine"]
    assert where[("latin1.txt", None)] == ["articles"]
    assert where[("zz_copy_of_original.txt", None)] == ["duplicates"]
    assert where[("mixed.jsonl", 1)] == ["articles"] and where[("mixed.jsonl", 3)] == ["articles"]
    assert where[("mixed.jsonl", 2)] == ["quarantine"]

    con = duckdb.connect(str(wh), read_only=True)
    enc = con.execute("SELECT encoding FROM articles WHERE source_path LIKE '%latin1.txt'").fetchone()[0]
    reasons = dict(
        con.execute("SELECT regexp_extract(source_path, '[^/]+$'), reason FROM quarantine").fetchall()
    )
    con.close()
    assert enc in ("latin-1", "cp1252")
    assert reasons["binary.bin"] == "binary" and reasons["empty.txt"] == "empty"
    assert reasons["vanishing.txt"] == "unreadable"
    assert any("vanishing.txt" in p for p, _ in summary.quarantined)  # the run says what it quarantined


def test_rerun_is_idempotent_and_changed_file_replaces(prefect_harness: None, tmp_path: Path) -> None:
    from flows.ingest import ingest

    inp = tmp_path / "in"
    shutil.copytree(SAMPLES, inp)
    wh = tmp_path / "w.duckdb"
    first = ingest(inp, wh)
    before = counts(wh)
    second = ingest(inp, wh)
    assert second.files_unchanged == first.files_seen and second.files_new == 0
    assert counts(wh) == before

    target = inp / "004_gulf_energy_dialogue.txt"
    target.write_text(
        target.read_text() + "\nOman's foreign minister met Iran's foreign minister on Monday.\n"
    )
    third = ingest(inp, wh)
    assert third.files_new == 1
    after = counts(wh)
    assert after["articles"] == before["articles"]  # replaced, not added
    con = duckdb.connect(str(wh), read_only=True)
    n = con.execute("SELECT count(*) FROM articles WHERE source_path = ?", [str(target)]).fetchone()[0]
    body = con.execute("SELECT body FROM articles WHERE source_path = ?", [str(target)]).fetchone()[0]
    orphans = con.execute(
        "SELECT count(*) FROM sentences s LEFT JOIN articles a USING (article_id) WHERE a.article_id IS NULL"
    ).fetchone()[0]
    con.close()
    assert n == 1 and body.endswith("on Monday.")
    assert orphans == 0

    (inp / "copy.txt").write_bytes(target.read_bytes())
    fourth = ingest(inp, wh)
    assert fourth.files_duplicate == 1 and counts(wh)["duplicates"] == before["duplicates"] + 1


def test_failed_or_raising_checks_leave_the_facts_unloaded(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The load runs while the checks run; it is committed only if they pass (flows/ingest.py)."""
    import polars as pl

    import flows.tasks as ingest_mod
    from flows.ingest import ingest

    inp = tmp_path / "in"
    shutil.copytree(SAMPLES, inp)
    wh = tmp_path / "w.duckdb"
    real_validate = ingest_mod.validate_run

    def failing(*args, **kwargs):
        dq, metrics = real_validate(*args, **kwargs)
        return dq.with_columns(pl.lit(False).alias("success"), pl.lit("critical").alias("severity")), metrics

    monkeypatch.setattr(ingest_mod, "validate_run", failing)
    failed = ingest(inp, wh)
    assert failed.status == "failed" and "nothing was loaded" in failed.message
    assert counts(wh) == dict.fromkeys(DATA_TABLES, 0)
    con = duckdb.connect(str(wh), read_only=True)
    try:
        # the failed checks are recorded, outside the rolled-back batch; the manifest is not
        assert con.execute("SELECT count(*) FROM dq_results WHERE run_id = ?", [failed.run_id]).fetchone()[0]
        assert con.execute("SELECT count(*) FROM files").fetchone()[0] == 0
    finally:
        con.close()

    def raising(*args, **kwargs):
        raise ValueError("a transform bug")

    monkeypatch.setattr(ingest_mod, "validate_run", raising)
    with pytest.raises(ValueError, match="a transform bug"):
        ingest(inp, wh)
    assert counts(wh) == dict.fromkeys(DATA_TABLES, 0)

    monkeypatch.setattr(ingest_mod, "validate_run", real_validate)
    ok = ingest(inp, wh)
    assert ok.status == "success" and counts(wh)["articles"] == ok.articles_loaded > 0


def _rows(wh: Path) -> dict[str, list[tuple]]:
    """Every row of the article tables (run ids left out: a later run may recompute an event)."""
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return {
            "articles": sorted(
                con.execute("SELECT article_id, source_path, source_record, body FROM articles").fetchall()
            ),
            "sentences": sorted(
                con.execute("SELECT article_id, sentence_idx, text FROM sentences").fetchall()
            ),
            "events": sorted(con.execute("SELECT event_id, mention_count FROM events").fetchall()),
            "event_mentions": sorted(
                con.execute("SELECT event_id, article_id FROM event_mentions").fetchall()
            ),
            "entity_mentions": sorted(
                con.execute("SELECT article_id, entity_id, start_char FROM entity_mentions").fetchall()
            ),
        }
    finally:
        con.close()


def _files(wh: Path) -> dict[str, tuple]:
    """files table: name -> (outcome, mtime, deleted or not)."""
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return {
            Path(p).name: (o, m, d is not None)
            for p, o, m, d in con.execute(
                "SELECT source_path, outcome, mtime, deleted_at FROM files"
            ).fetchall()
        }
    finally:
        con.close()


def test_a_known_file_that_cannot_be_read_keeps_its_rows(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Permission denied, or vanished between listing and reading: the article stays loaded, the
    run says so, the manifest is not refreshed, and the next run reads the file again."""
    import errno
    import os

    from flows.ingest import ingest

    seeds = SAMPLES
    inp = tmp_path / "in"
    inp.mkdir()
    names = ("000_a012fc040dd23e81.txt", "003_mercosur_summit.html", "004_gulf_energy_dialogue.txt")
    for name in names:
        shutil.copy(seeds / name, inp / name)
    locked, gone, fine = (inp / n for n in names)
    wh = tmp_path / "w.duckdb"
    first = ingest(inp, wh, snapshot=False)
    assert first.status == "success" and first.articles_loaded == 3
    loaded, files_before = _rows(wh), _files(wh)
    assert len(loaded["articles"]) == 3 and loaded["events"]

    # both files touched (so they are read), then one cannot be opened and one vanishes
    for path in (locked, gone):
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    real_read = discover_mod._read
    read: list[str] = []

    def failing_read(path: Path, max_bytes: int):
        read.append(path.name)
        if path.name == locked.name:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        if path.name == gone.name:
            path.unlink()
        return real_read(path, max_bytes)

    monkeypatch.setattr(discover_mod, "_read", failing_read)
    second = ingest(inp, wh, snapshot=False)
    assert second.status == "success"
    assert sorted(read) == sorted([locked.name, gone.name])  # the untouched file is not read
    assert second.files_kept == 2 and second.files_quarantined == 0 and second.files_new == 0
    assert dict(second.kept) == {
        str(locked): "unreadable: Permission denied",
        str(gone): "unreadable: vanished: file disappeared between listing and reading",
    }
    assert "2 known file(s) could not be read this time: their rows are kept" in second.message
    assert _rows(wh) == loaded  # nothing deleted
    assert counts(wh)["quarantine"] == 0
    assert _files(wh) == files_before  # outcome and manifest mtime as they were
    con = duckdb.connect(str(wh), read_only=True)
    try:
        message, kept, new = con.execute(
            "SELECT message, files_kept, files_new FROM runs WHERE run_id = ?", [second.run_id]
        ).fetchone()
    finally:
        con.close()
    assert "could not be read this time" in message
    assert (kept, new) == (2, 0)  # the runs table accounts for every file seen

    # readable again: the locked file is read again (its mtime differs from the manifest's) and
    # is unchanged; the vanished one is gone for good: marked deleted, its rows kept
    monkeypatch.setattr(discover_mod, "_read", real_read)
    third = ingest(inp, wh, snapshot=False)
    assert third.status == "success", third.message
    assert third.files_kept == 0 and third.files_deleted == 1 and third.files_unchanged == 2
    assert _rows(wh) == loaded
    after = _files(wh)
    assert after[locked.name][0] == "article" and after[locked.name][1] > files_before[locked.name][1]
    assert after[gone.name] == (*files_before[gone.name][:2], True)
    assert after[fine.name] == files_before[fine.name]
