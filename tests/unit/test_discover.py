"""dateline.pipeline.discover: listing, reading, and the ways a file can fail to be read."""

from __future__ import annotations

import os
from datetime import UTC
from pathlib import Path

import polars as pl
import pytest

import dateline.pipeline.discover as discover_module
from dateline.pipeline.discover import DISCOVER_SCHEMA, InputError, discover, list_files, read_listed


def _tree(root: Path) -> None:
    (root / "b").mkdir()
    (root / "a.txt").write_text("Title\n\nBody text.\n")
    (root / "b" / "c.json").write_text('{"title": "t", "body": "b"}')
    (root / "b" / "nested").mkdir()
    (root / "b" / "nested" / "d.html").write_text("<p>Hello</p>")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "secret.txt").write_text("not an article")
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / "b" / "Thumbs.db").write_bytes(b"\x00")
    (root / "b" / "draft.txt~").write_text("editor backup")


def test_lists_recursively_sorted_and_skips_hidden(tmp_path: Path) -> None:
    _tree(tmp_path)
    df = discover(tmp_path)
    assert df.schema == DISCOVER_SCHEMA
    names = [Path(p).relative_to(tmp_path.resolve()).as_posix() for p in df["source_path"]]
    assert names == ["a.txt", "b/c.json", "b/nested/d.html"]
    assert all(Path(p).is_absolute() for p in df["source_path"])
    row = df.row(0, named=True)
    assert row["raw"] == b"Title\n\nBody text.\n"
    assert row["size_bytes"] == len(row["raw"])
    assert row["read_error"] is None
    assert row["mtime"].tzinfo is not None and row["mtime"].utcoffset() == UTC.utcoffset(None)


def test_empty_folder_gives_empty_frame(tmp_path: Path) -> None:
    df = discover(tmp_path)
    assert df.height == 0
    assert df.schema == DISCOVER_SCHEMA


def test_missing_or_not_a_folder_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        discover(tmp_path / "nope")
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        discover(f)


def test_oversized_file_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_bytes(b"x" * 100)
    (tmp_path / "small.txt").write_bytes(b"x" * 10)
    df = discover(tmp_path, max_bytes=50)
    big = df.filter(pl.col("source_path").str.ends_with("big.txt")).row(0, named=True)
    assert big["raw"] is None
    assert big["size_bytes"] == 100
    assert big["read_error"] == "oversized: 100 bytes > max 50"
    small = df.filter(pl.col("source_path").str.ends_with("small.txt")).row(0, named=True)
    assert small["raw"] == b"x" * 10 and small["read_error"] is None


def test_file_vanishing_between_listing_and_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "stays.txt").write_text("Title\n\nBody.")
    (tmp_path / "goes.txt").write_text("Title\n\nBody.")
    real_read = discover_module._read

    def read_after_delete(path: Path, max_bytes: int) -> discover_module.Read:
        if path.name == "goes.txt":
            path.unlink()
        return real_read(path, max_bytes)

    monkeypatch.setattr(discover_module, "_read", read_after_delete)
    df = discover(tmp_path)
    assert df.height == 2
    goes = df.filter(pl.col("source_path").str.ends_with("goes.txt")).row(0, named=True)
    assert goes["raw"] is None
    assert goes["read_error"] == "unreadable: vanished: file disappeared between listing and reading"
    stays = df.filter(pl.col("source_path").str.ends_with("stays.txt")).row(0, named=True)
    assert stays["read_error"] is None


def test_two_step_listing_then_reading(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("hello")
    [item] = list_files(tmp_path)
    f.unlink()
    raw, size, error = read_listed(item, 1000)
    assert raw is None and size == 5 and error is not None and error.startswith("unreadable: vanished:")


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "locked.txt").write_text("x")

    def deny(path: Path, max_bytes: int) -> discover_module.Read:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(discover_module, "_read", deny)
    row = discover(tmp_path).row(0, named=True)
    assert row["raw"] is None
    assert row["read_error"] == "unreadable: Permission denied"


def test_count_to_read_follows_the_incremental_rule(tmp_path: Path) -> None:
    from dateline.pipeline.discover import count_to_read, discover_incremental

    _tree(tmp_path)
    first = discover_incremental(tmp_path, None)
    assert count_to_read(tmp_path, None) == first.files.height == 3
    # the manifest after loading them: nothing to read; one changed and one new file: two
    manifest = first.files.select(
        "source_path",
        "size_bytes",
        "mtime",
        pl.lit("sha").alias("content_sha256"),
        pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("deleted_at"),
    )
    assert count_to_read(tmp_path, manifest) == discover_incremental(tmp_path, manifest).files.height == 0
    (tmp_path / "a.txt").write_text("Title\n\nA longer body text.\n")
    (tmp_path / "e.txt").write_text("New\n\nArticle.\n")
    assert count_to_read(tmp_path, manifest) == discover_incremental(tmp_path, manifest).files.height == 2
    assert count_to_read(tmp_path, manifest, rehash=True) == 4
    with pytest.raises(InputError):
        count_to_read(tmp_path / "missing", None)


def test_a_name_that_is_not_utf8_is_read_under_an_escaped_path(tmp_path: Path) -> None:
    """A file named in another encoding (Latin-1 bytes), and a link to such a name outside the
    folder, do not stop discovery: their source_path / read_error spell the bytes as \\xNN, the
    file is read by its real name, and a rerun finds it unchanged and not deleted."""
    from dateline.pipeline.discover import discover_incremental

    root = tmp_path / "in"
    root.mkdir()
    raw_root = bytes(root)
    with open(raw_root + b"/caf\xe9.txt", "wb") as fh:
        fh.write(b"Title\n\nBody text of an article with a Latin-1 name.\n")
    os.symlink(b"/nowhere/\xff.txt", raw_root + b"/link\xff.txt")
    first = discover_incremental(root, None)
    rows = {r["source_path"]: r for r in first.files.iter_rows(named=True)}
    assert set(rows) == {f"{root}/caf\\xe9.txt", f"{root}/link\\xff.txt"}
    assert rows[f"{root}/caf\\xe9.txt"]["raw"].startswith(b"Title")
    assert rows[f"{root}/link\\xff.txt"]["read_error"].startswith(
        "outside_input: symlink to /nowhere/\\xff.txt"
    )
    manifest = first.files.select(
        "source_path",
        "size_bytes",
        "mtime",
        pl.lit("sha").alias("content_sha256"),
        pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("deleted_at"),
    )
    again = discover_incremental(root, manifest)
    assert again.deleted == []
    assert again.skipped.get_column("source_path").to_list() == [f"{root}/caf\\xe9.txt"]
