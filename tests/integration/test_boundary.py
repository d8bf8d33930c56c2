"""The input folder as a boundary (issue #11), through the ``ingest`` flow in process: every
boundary case is recorded once and reruns are idempotent; an input folder that cannot be listed
fails the run and says why. Folders that cannot be listed are simulated as in
tests/unit/test_boundary.py (by replacing ``dateline.pipeline.discover._scandir``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dateline.pipeline.discover import (
    InputError,
)
from tests.conftest import SENTINEL
from tests.unit.test_boundary import ARTICLE, finishes, gz, refuse_listing

# --- through the flow and the CLI ---------------------------------------------------------------


def warehouse_text(wh: Path) -> Iterator[str]:
    """Every text value of every table of the warehouse."""
    con = duckdb.connect(str(wh), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        for table in tables:
            cols = con.execute(f'SELECT * FROM "{table}" LIMIT 0').description
            for name, *_rest in cols:
                for (value,) in con.execute(f'SELECT CAST("{name}" AS VARCHAR) FROM "{table}"').fetchall():
                    if value is not None:
                        yield value
    finally:
        con.close()


def quarantine_of(wh: Path) -> dict[str, tuple[str, str]]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        rows = con.execute("SELECT source_path, reason, detail FROM quarantine").fetchall()
    finally:
        con.close()
    return {Path(p).name: (r, d) for p, r, d in rows}


def test_flow_records_every_boundary_case_once_and_reruns_idempotently(
    prefect_harness: None, layout: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.ingest import ingest

    root, outside = layout
    (root / "locked").mkdir()
    (root / "locked" / "kept.txt").write_bytes(ARTICLE)
    (root / "story.txt.gz").write_bytes(gz(ARTICLE.replace(b"\n\n", b"\n\nGzipped. ", 1)))
    wh = root.parent / "w.duckdb"
    first = ingest(root, wh, snapshot=False, max_bytes=300_000)
    assert first.status == "success" and first.articles_loaded == 2

    (root / "sub").mkdir()
    (root / "sub" / "pw.txt").symlink_to(outside / "secret.txt")
    os.mkfifo(root / "pipe")
    (root / "big.txt").write_bytes(b"x" * 300_002)
    refuse_listing(monkeypatch, root / "locked")  # its kept.txt is known: not to be marked deleted
    second = finishes(lambda: ingest(root, wh, snapshot=False, max_bytes=300_000), 300)
    assert second.status == "success", second.message
    assert second.files_deleted == 0 and second.files_quarantined == 4
    q = quarantine_of(wh)
    assert q == {
        "pw.txt": (
            "outside_input",
            f"symlink to {(outside / 'secret.txt').resolve()}, outside the input folder",
        ),
        "pipe": ("not_a_regular_file", "named pipe (FIFO)"),
        "locked": ("unreadable", "cannot list folder: Permission denied"),
        "big.txt": ("oversized", "300002 bytes > max 300000"),
    }
    assert sorted(d for _, d in second.quarantined) == sorted(f"{r}: {d}" for r, d in q.values())
    con = duckdb.connect(str(wh), read_only=True)
    try:
        files = dict(
            con.execute("SELECT source_path, outcome FROM files WHERE deleted_at IS NULL").fetchall()
        )
    finally:
        con.close()
    assert {Path(p).name: o for p, o in files.items()} == {
        "kept.txt": "article",
        "story.txt.gz": "article",
        "pw.txt": "quarantine",
        "pipe": "quarantine",
        "locked": "quarantine",
        "big.txt": "quarantine",
    }
    assert not any(SENTINEL.decode() in text for text in warehouse_text(wh))

    third = ingest(root, wh, snapshot=False, max_bytes=300_000)
    assert third.status == "success" and third.files_deleted == 0
    assert third.message == "nothing to do: no new, changed or deleted files"
    assert quarantine_of(wh) == q


def test_flow_on_an_input_folder_that_cannot_be_listed_fails_the_run_and_says_why(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.ingest import ingest

    inp = tmp_path / "in"
    inp.mkdir()
    wh = tmp_path / "w.duckdb"
    refuse_listing(monkeypatch, inp)
    with pytest.raises(InputError, match="cannot list input folder"):
        ingest(inp, wh, snapshot=False)
    con = duckdb.connect(str(wh), read_only=True)
    try:
        runs = con.execute("SELECT status, message FROM runs").fetchall()
        files = con.execute("SELECT count(*) FROM files").fetchone()[0]
    finally:
        con.close()
    assert runs == [("failed", f"cannot list input folder {inp.resolve()}: Permission denied")]
    assert files == 0  # nothing taken for deleted
