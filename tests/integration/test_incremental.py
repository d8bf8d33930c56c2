"""Incremental runs: unchanged files are not even read, a changed file replaces its article's
rows, a deleted file is recorded with its rows kept and marked, a touched file is re-hashed once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from dateline.pipeline import discover as discover_mod
from tests.paths import SAMPLES


def q(wh: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_incremental_reruns(prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.ingest import ingest

    inp = tmp_path / "in"
    shutil.copytree(SAMPLES, inp)
    wh = tmp_path / "w.duckdb"
    first = ingest(inp, wh, snapshot=False)
    assert first.status == "success" and first.articles_loaded > 0
    n_files = first.files_seen

    reads: list[str] = []
    real_read = discover_mod._read

    def counting_read(path: Path, max_bytes: int) -> bytes:
        reads.append(path.name)
        return real_read(path, max_bytes)

    monkeypatch.setattr(discover_mod, "_read", counting_read)

    # unchanged: nothing read, nothing written
    again = ingest(inp, wh, snapshot=False)
    assert (again.files_unchanged, again.files_new, again.rows, reads) == (n_files, 0, {}, [])

    # touched (same content, new mtime): read and hashed once, no rows, then skipped again
    victim = sorted(inp.iterdir())[0]
    st = victim.stat()
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    touched = ingest(inp, wh, snapshot=False)
    assert reads == [victim.name] and touched.files_unchanged == n_files and touched.articles_loaded == 0
    reads.clear()
    assert ingest(inp, wh, snapshot=False).rows == {} and reads == []

    # changed in place: its article's rows are replaced
    old_ids = {
        r[0] for r in q(wh, f"SELECT article_id FROM articles WHERE source_path = '{victim.as_posix()}'")
    }
    victim.write_text(
        victim.read_text(encoding="utf-8") + "\nOfficials met again on Friday.\n", encoding="utf-8"
    )
    changed = ingest(inp, wh, snapshot=False)
    assert reads == [victim.name] and changed.files_new == 1 and changed.articles_loaded >= 1
    new_ids = {
        r[0] for r in q(wh, f"SELECT article_id FROM articles WHERE source_path = '{victim.as_posix()}'")
    }
    assert new_ids and not (new_ids & old_ids)
    assert q(wh, f"SELECT count(*) FROM sentences WHERE article_id IN {(*old_ids, '')}") == [(0,)]

    # deleted: recorded in files.deleted_at, rows kept
    gone = sorted(inp.iterdir())[-1]
    kept = q(wh, f"SELECT count(*) FROM articles WHERE source_path = '{gone.as_posix()}'")[0][0]
    gone.unlink()
    deleted = ingest(inp, wh, snapshot=False)
    assert deleted.status == "success" and deleted.files_deleted == 1
    assert q(wh, f"SELECT deleted_at IS NOT NULL FROM files WHERE source_path = '{gone.as_posix()}'") == [
        (True,)
    ]
    assert q(wh, f"SELECT count(*) FROM articles WHERE source_path = '{gone.as_posix()}'")[0][0] == kept
    assert q(wh, f"SELECT source_deleted FROM v_files WHERE source_path = '{gone.as_posix()}'") == [(True,)]
    assert ingest(inp, wh, snapshot=False).files_deleted == 0  # recorded once

    # back again with the same content: no longer marked deleted, nothing reloaded
    shutil.copy2(SAMPLES / gone.name, gone)
    back = ingest(inp, wh, snapshot=False)
    assert back.articles_loaded == 0
    assert q(wh, f"SELECT deleted_at FROM files WHERE source_path = '{gone.as_posix()}'") == [(None,)]


def test_a_jsonl_file_with_one_line_edited_keeps_its_other_lines(
    prefect_harness: None, tmp_path: Path
) -> None:
    """The loader replaces a changed file's rows as a whole: its unchanged lines are loaded again
    with it, not left out (they were deleted and never reloaded)."""
    import json

    from flows.ingest import ingest

    texts = [p.read_text() for p in sorted(SAMPLES.glob("*.txt"))[:2]]
    inp, wh = tmp_path / "in", tmp_path / "w.duckdb"
    inp.mkdir()
    feed = inp / "feed.jsonl"

    def write(second: str) -> None:
        feed.write_text("".join(json.dumps({"body": t}) + "\n" for t in (texts[0], second)))

    write(texts[1])
    assert ingest(inp, wh, snapshot=False).articles_loaded == 2
    write(texts[1] + "\n\nThe ministers will meet again in March, an edited line says.\n")  # line 1 as it was
    edited = ingest(inp, wh, snapshot=False)
    assert edited.status == "success", edited.message
    sql = "SELECT source_record, contains(body, 'an edited line') FROM articles ORDER BY 1"
    assert q(wh, sql) == [(1, False), (2, True)]
    again = ingest(inp, wh, snapshot=False)
    assert again.rows == {} and again.files_new == 0
