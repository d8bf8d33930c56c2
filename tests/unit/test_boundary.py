"""The input folder is a boundary (issue #11): symlinks leading outside, special files, folders that
cannot be listed, files swapped after the listing, and gzip inputs (bombs, corrupt, truncated).

The tests run as root, whom permission bits do not stop (and the interpreter lives under /root,
so a subprocess as an unprivileged user cannot start it): folders that cannot be listed are
simulated by replacing ``dateline.pipeline.discover._scandir``, the listing call.
"""

from __future__ import annotations

import gzip
import os
import shutil
import socket
import sys
import threading
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import dateline.pipeline.discover as discover_module
from dateline.pipeline.discover import (
    InputError,
    check_input_folder,
    discover,
    discover_incremental,
    list_files,
    read_listed,
)
from tests.conftest import SENTINEL
from tests.paths import SAMPLES
from transforms.parse import parse_files
from transforms.route import KNOWN_SCHEMA, route_units

EMPTY_KNOWN = pl.DataFrame(schema=KNOWN_SCHEMA)
ARTICLE = (SAMPLES / sorted(p.name for p in SAMPLES.iterdir())[0]).read_bytes()


def by_name(df: pl.DataFrame, root: Path) -> dict[str, dict]:
    """discover()'s rows by path relative to ``root``."""
    return {Path(r["source_path"]).relative_to(root).as_posix(): r for r in df.iter_rows(named=True)}


def refuse_listing(monkeypatch: pytest.MonkeyPatch, *folders: Path, exc: OSError | None = None) -> None:
    """Make ``_scandir`` fail on ``folders`` (PermissionError unless ``exc`` is given)."""
    real = discover_module._scandir
    denied = {f.resolve() for f in folders}

    def scandir(path: Path) -> Any:  # os.scandir's iterator
        if Path(path).resolve() in denied:
            raise exc or PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(discover_module, "_scandir", scandir)


def finishes(fn: Callable[[], object], seconds: float = 10) -> object:
    """``fn()``'s result, failing the test (instead of hanging it) if it takes longer."""
    box: list[object] = []
    t = threading.Thread(target=lambda: box.append(fn()), daemon=True)
    t.start()
    t.join(seconds)
    assert box, f"did not finish within {seconds} s (blocked on a FIFO?)"
    return box[0]


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def bomb(n_bytes: int) -> bytes:
    """A gzip stream of ``n_bytes`` zero bytes, built without holding them in memory."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    parts = [comp.compress(chunk) for _ in range(n_bytes >> 20)]
    return b"".join([*parts, comp.flush()])


# --- symlinks ----------------------------------------------------------------------------------


def test_symlinks_leading_outside_are_recorded_never_read(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    (root / "sub").mkdir()
    (root / "sub" / "pw.txt").symlink_to(outside / "secret.txt")  # the user's /etc/passwd case
    (root / "dotdot.txt").symlink_to("../outside/secret.txt")  # relative, through '..'
    (root / "hop.txt").symlink_to("sub/pw.txt")  # a chain: inside, then outside
    (root / "folder").symlink_to(outside / "nested")  # a folder link leading outside
    (root / "ok.txt").write_bytes(ARTICLE)
    df = discover(root)
    got = by_name(df, root.resolve())
    assert set(got) == {"sub/pw.txt", "dotdot.txt", "hop.txt", "folder", "ok.txt"}
    for name in ("sub/pw.txt", "dotdot.txt", "hop.txt", "folder"):
        assert got[name]["raw"] is None, name
        assert got[name]["read_error"].startswith("outside_input: symlink to "), name
    secret = (outside / "secret.txt").resolve().as_posix()
    assert got["sub/pw.txt"]["read_error"] == f"outside_input: symlink to {secret}, outside the input folder"
    assert got["dotdot.txt"]["read_error"] == (
        f"outside_input: symlink to ../outside/secret.txt, which resolves to {secret}, outside the input folder"
    )
    assert got["hop.txt"]["read_error"].startswith("outside_input: symlink to sub/pw.txt, which resolves to ")
    assert all(SENTINEL not in (r or b"") for r in df["raw"])
    assert got["ok.txt"]["raw"] == ARTICLE


def test_symlink_to_a_file_inside_is_read_under_its_own_path(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    (root / "a").mkdir()
    (root / "a" / "story.txt").write_bytes(ARTICLE)
    (root / "link.txt").symlink_to("a/story.txt")
    (root / "via_dotdot.txt").symlink_to("../in/a/story.txt")  # leaves and re-enters: still inside
    (root / "alias").symlink_to("a")  # a folder link inside: not followed
    got = by_name(discover(root), root.resolve())
    assert set(got) == {"a/story.txt", "link.txt", "via_dotdot.txt", "alias"}
    assert got["link.txt"]["raw"] == got["via_dotdot.txt"]["raw"] == ARTICLE
    assert got["link.txt"]["size_bytes"] == len(ARTICLE)
    assert got["alias"]["raw"] is None
    assert got["alias"]["read_error"].startswith("not_a_regular_file: symlink to a folder (a), not followed")
    # the link's content is the target's: a duplicate, not a second article
    units = route_units(parse_files(discover(root)), EMPTY_KNOWN)
    routes = dict(zip([Path(p).name for p in units["source_path"]], units["route"], strict=True))
    assert routes == {
        "story.txt": "article",
        "link.txt": "duplicate",
        "via_dotdot.txt": "duplicate",
        "alias": "quarantine",
    }


# --- special files -----------------------------------------------------------------------------


def test_special_files_are_recorded_never_opened(
    layout: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = layout
    os.mkfifo(root / "pipe.txt")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock.txt"))
    (root / "dangling.txt").symlink_to("missing.txt")
    (root / "loop.txt").symlink_to("loop.txt")
    (root / "to_pipe.txt").symlink_to("pipe.txt")
    opened: list[Path] = []
    real_read = discover_module._read

    def recording_read(path: Path, max_bytes: int) -> discover_module.Read:
        opened.append(path)
        return real_read(path, max_bytes)

    monkeypatch.setattr(discover_module, "_read", recording_read)
    try:
        got = by_name(finishes(lambda: discover(root)), root.resolve())
    finally:
        sock.close()
    assert opened == []
    errors = {name: row["read_error"] for name, row in got.items()}
    assert errors == {
        "pipe.txt": "not_a_regular_file: named pipe (FIFO)",
        "sock.txt": "not_a_regular_file: socket",
        "dangling.txt": "not_a_regular_file: dangling symlink to missing.txt",
        "loop.txt": "not_a_regular_file: symlink to loop.txt cannot be resolved: Too many levels of symbolic links",
        "to_pipe.txt": "not_a_regular_file: symlink to a named pipe (FIFO) (pipe.txt)",
    }
    assert all(row["size_bytes"] is not None and row["mtime"] is not None for row in got.values())


def test_fifo_swapped_in_after_listing_is_refused_without_blocking(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(ARTICLE)
    [item] = list_files(tmp_path)
    (tmp_path / "a.txt").unlink()
    os.mkfifo(tmp_path / "a.txt")  # no writer: a blocking open would wait forever
    raw, _size, error = finishes(lambda: read_listed(item, 10_000))
    assert raw is None
    assert error == "not_a_regular_file: named pipe (FIFO) when opened (it was a regular file when listed)"


def test_file_or_folder_swapped_for_a_symlink_after_listing_does_not_escape(
    layout: tuple[Path, Path],
) -> None:
    root, outside = layout
    (root / "a.txt").write_bytes(ARTICLE)
    (root / "nested").mkdir()
    (root / "nested" / "more.txt").write_bytes(ARTICLE)
    file_item, folder_item = list_files(root)
    (root / "a.txt").unlink()
    (root / "a.txt").symlink_to(outside / "secret.txt")
    shutil.rmtree(root / "nested")
    (root / "nested").symlink_to(outside / "nested")  # holds a more.txt too
    raw, _, error = read_listed(file_item, 10_000)
    assert raw is None and error == "unreadable: became a symbolic link after it was listed (not followed)"
    raw, _, error = read_listed(folder_item, 10_000)
    assert raw is None
    assert error == "unreadable: a folder on its path was replaced after it was listed (not followed)"


# --- folders that cannot be listed ------------------------------------------------------------------


def test_unlistable_subfolder_is_one_unit_and_its_files_are_not_deleted(
    layout: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = layout
    (root / "locked").mkdir()
    (root / "locked" / "x.txt").write_bytes(ARTICLE)
    (root / "gone.txt").write_bytes(b"will be deleted")
    (root / "ok.txt").write_bytes(b"stays")
    first = discover_incremental(root, None)
    manifest = first.files.select(
        "source_path",
        "size_bytes",
        "mtime",
        pl.lit("sha").alias("content_sha256"),
        pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("deleted_at"),
    )
    (root / "gone.txt").unlink()
    refuse_listing(monkeypatch, root / "locked")
    found = discover_incremental(root, manifest)
    locked = (root / "locked").resolve().as_posix()
    assert found.deleted == [(root / "gone.txt").resolve().as_posix()]  # not locked/x.txt
    row = found.files.row(0, named=True)
    assert found.files.height == 1 and row["source_path"] == locked
    assert row["raw"] is None and row["read_error"] == "unreadable: cannot list folder: Permission denied"
    [unit] = parse_files(found.files).iter_rows(named=True)
    assert (unit["quarantine_reason"], unit["quarantine_detail"]) == (
        "unreadable",
        "cannot list folder: Permission denied",
    )


def test_folder_vanishing_while_walking_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.txt").write_text("x")
    refuse_listing(monkeypatch, tmp_path / "sub", exc=FileNotFoundError(2, "No such file or directory"))
    [item] = list_files(tmp_path)
    assert item.folder and item.error == "unreadable: cannot list folder: No such file or directory"


def test_unlistable_input_folder_raises_input_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_listing(monkeypatch, tmp_path)
    for call in (
        lambda: discover(tmp_path),
        lambda: discover_incremental(tmp_path, None),
        lambda: list_files(tmp_path),
    ):
        with pytest.raises(InputError, match=r"^cannot list input folder .*: Permission denied$"):
            call()


def test_cli_run_on_an_unlistable_input_folder_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from dateline.cli.main import main

    inp = tmp_path / "in"
    inp.mkdir()
    inp.chmod(0)  # what a user would see (root ignores it: the listing call is refused below)
    refuse_listing(monkeypatch, inp)
    monkeypatch.setattr(
        sys, "argv", ["dateline", "run", "--input", str(inp), "--warehouse", str(tmp_path / "w.duckdb")]
    )
    with pytest.raises(SystemExit) as exit_info:
        main()
    inp.chmod(0o755)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.splitlines() == [f"dateline: error: cannot list input folder {inp}: Permission denied"]
    assert not (tmp_path / "w.duckdb").exists()  # refused before anything was started


# --- gzip --------------------------------------------------------------------------------------


def test_gzip_inputs_are_read_decompressed(tmp_path: Path) -> None:
    feed = b'{"title": "One", "body": "First story body."}\n{"title": "Two", "body": "Second story body."}\n'
    (tmp_path / "story.txt.gz").write_bytes(gz(ARTICLE))
    (tmp_path / "feed.jsonl.gz").write_bytes(gz(feed))
    (tmp_path / "STORY2.TXT.GZ").write_bytes(gz(ARTICLE + b"\nMore.\n"))
    (tmp_path / "no_suffix.txt").write_bytes(gz(b"Gzip without the suffix\n\nIs still gzip."))  # magic bytes
    df = discover(tmp_path)
    got = by_name(df, tmp_path)
    assert got["story.txt.gz"]["raw"] == ARTICLE
    assert got["story.txt.gz"]["size_bytes"] == (tmp_path / "story.txt.gz").stat().st_size  # on disk
    assert got["feed.jsonl.gz"]["raw"] == feed
    assert got["no_suffix.txt"]["raw"].startswith(b"Gzip without")
    units = parse_files(df)
    feed_units = units.filter(pl.col("source_path").str.ends_with("feed.jsonl.gz"))
    assert feed_units["format"].to_list() == ["jsonl", "jsonl"]  # sniffed from 'feed.jsonl'
    assert feed_units["source_record"].to_list() == [1, 2]
    assert units["quarantine_reason"].null_count() == units.height


def test_corrupt_and_truncated_gzip_are_malformed(tmp_path: Path) -> None:
    good = gz(ARTICLE)
    (tmp_path / "truncated.txt.gz").write_bytes(good[: len(good) // 2])
    (tmp_path / "not_gzip.txt.gz").write_bytes(b"plain text in a .gz name")
    (tmp_path / "bad_crc.txt.gz").write_bytes(good[:-8] + bytes(8))
    (tmp_path / "garbage.txt.gz").write_bytes(b"\x1f\x8b" + bytes(range(256)) * 4)
    units = parse_files(discover(tmp_path))
    got = {
        Path(p).name: (r, d)
        for p, r, d in units.select("source_path", "quarantine_reason", "quarantine_detail").iter_rows()
    }
    assert got["truncated.txt.gz"] == (
        "malformed",
        "corrupt gzip: truncated (the data ends before the end-of-stream marker)",
    )
    assert got["not_gzip.txt.gz"] == (
        "malformed",
        "corrupt gzip: not gzip data (the file does not start with 1f 8b)",
    )
    assert got["bad_crc.txt.gz"][0] == "malformed" and got["bad_crc.txt.gz"][1].startswith(
        "corrupt gzip: CRC check failed"
    )
    assert got["garbage.txt.gz"][0] == "malformed" and got["garbage.txt.gz"][1].startswith("corrupt gzip: ")


def test_gzip_bomb_is_oversized_without_being_inflated(tmp_path: Path) -> None:
    data = bomb(64 << 20)  # 64 MB of zeros in ~64 KB
    (tmp_path / "bomb.txt.gz").write_bytes(data)
    tracemalloc.start()
    try:
        df = discover(tmp_path, max_bytes=1_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    row = df.row(0, named=True)
    assert row["raw"] is None and row["size_bytes"] == len(data)
    assert row["read_error"] == (
        f"oversized: decompresses to more than 1000000 bytes (max 1000000; {len(data)} bytes compressed)"
    )
    assert peak < 8 << 20, f"peak {peak} bytes: the bomb was inflated"


def test_oversized_detail_does_not_repeat_the_reason(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_bytes(b"x" * 302)
    [unit] = parse_files(discover(tmp_path, max_bytes=300)).iter_rows(named=True)
    assert (unit["quarantine_reason"], unit["quarantine_detail"]) == ("oversized", "302 bytes > max 300")


def test_an_oversized_file_that_grew_is_quarantined_again_with_its_new_size(tmp_path: Path) -> None:
    """A unit that was not read has no content hash: it is 'unchanged' only with the same detail
    (before, NULL = NULL made a grown oversized file 'unchanged', its old size kept)."""
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 302)
    first = parse_files(discover(tmp_path, max_bytes=300))
    known = first.select(
        "source_path",
        "source_record",
        "content_sha256",
        article_id=pl.lit(None, pl.String),
        place=pl.lit("quarantine"),
        reason="quarantine_reason",
        detail="quarantine_detail",
    )
    same = route_units(parse_files(discover(tmp_path, max_bytes=300)), known).row(0, named=True)
    assert same["route"] == "unchanged"
    big.write_bytes(b"x" * 703)
    grown = route_units(parse_files(discover(tmp_path, max_bytes=300)), known).row(0, named=True)
    assert (grown["route"], grown["quarantine_detail"], grown["replaces"]) == (
        "quarantine",
        "703 bytes > max 300",
        True,
    )


def test_check_input_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_input_folder(tmp_path) == tmp_path.resolve()
    with pytest.raises(InputError, match="does not exist"):
        check_input_folder(tmp_path / "nope")
    refuse_listing(monkeypatch, tmp_path)
    with pytest.raises(InputError, match="cannot list input folder"):
        check_input_folder(tmp_path)
