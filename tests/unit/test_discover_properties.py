"""Property-based tests of discovery at the input boundary (hypothesis, fixed seed).

Random trees of regular files, nested folders, folders that cannot be listed, file and folder
symlinks leading inside and outside the input folder (to a sibling folder holding a sentinel
file), through '..' and through chains of links, dangling links, FIFOs and gzip files (valid,
corrupt or truncated, bomb-like against a small ``max_bytes``). For every tree:

* every path in it ends in exactly one row of discovery -- read, or recorded with a reason -- except
  the paths under a folder that cannot be listed, which that folder's one row stands for;
* nothing outside the input folder is ever opened or listed (every opened file descriptor is
  checked through /proc/self/fd to be a regular file inside it), and the sentinel's content is
  in no ``raw``;
* ``parse_files`` + ``route_units`` give every unit exactly one route, and a file discovery did
  not read is quarantined with discovery's reason and a detail that does not repeat it;
* an incremental rerun over the same tree takes nothing for deleted.

Folders that cannot be listed are simulated by refusing the listing call (the tests run as root).
"""

from __future__ import annotations

import gzip
import os
import stat
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dateline.pipeline.discover as discover_module
from dateline.pipeline.discover import GZIP_MAGIC, discover, discover_incremental
from schemas.tables import QUARANTINE_REASONS
from transforms.parse import parse_files
from transforms.route import KNOWN_SCHEMA, ROUTES, route_units

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd (Linux)")

EXAMPLES = 60
MAX_BYTES = 2048
SENTINEL = b"SENTINEL-outside-the-input-folder-7f3a"
BOMB = gzip.compress(bytes(1 << 20), mtime=0)  # 1 MB of zeros in ~1 KB: under MAX_BYTES on disk
TEXTS = (
    b"Title\n\nSEOUL, July 10 (Yonhap) - Officials met on Monday to discuss trade.\n",
    b'{"title": "T", "body": "The ministers met in Geneva on Monday."}',
    b'{"body": "one"}\n{"body": "two"}\n',
    b"",
)

KINDS = (
    "file",
    "dir",
    "unlistable_dir",
    "gz_ok",
    "gz_corrupt",
    "gz_bomb",
    "fifo",
    "link_in",
    "link_in_dotdot",
    "link_chain",
    "link_dir_in",
    "link_out",
    "link_out_dotdot",
    "link_dir_out",
    "link_via_dir_out",
    "dangling",
)


@dataclass
class Tree:
    """The ops that build one tree: (kind, path relative to the input folder, payload)."""

    ops: list[tuple[str, str, Any]] = field(default_factory=list)


@st.composite
def trees(draw: st.DrawFn) -> Tree:
    tree = Tree()
    dirs = [""]
    files: list[str] = []
    links: list[str] = []
    out_dir_links: list[str] = []
    for i in range(draw(st.integers(1, 14))):
        kind = draw(st.sampled_from(KINDS))
        parent = draw(st.sampled_from(dirs))
        rel = f"{parent}/n{i}".lstrip("/")
        payload: Any = None
        if kind in ("dir", "unlistable_dir"):
            dirs.append(rel)
        elif kind == "file":
            rel += draw(st.sampled_from((".txt", ".json", ".jsonl", "")))
            payload = draw(st.one_of(st.sampled_from(TEXTS), st.binary(max_size=200)))
            files.append(rel)
        elif kind == "gz_ok":
            rel += draw(st.sampled_from((".txt.gz", ".jsonl.gz", ".GZ")))
            payload = draw(st.sampled_from(TEXTS))
            files.append(rel)
        elif kind == "gz_corrupt":
            rel += ".txt.gz"
            good = gzip.compress(draw(st.sampled_from(TEXTS)), mtime=0)
            if draw(st.booleans()):  # random bytes, or a valid stream cut short
                payload = draw(st.binary(max_size=64))
            else:
                payload = good[: draw(st.integers(0, len(good) - 1))]
            files.append(rel)
        elif kind == "gz_bomb":
            rel += ".txt.gz"
            files.append(rel)
        elif kind in ("link_in", "link_in_dotdot"):
            payload = draw(st.sampled_from(files)) if files else f"missing{i}"
            links.append(rel)
        elif kind == "link_chain":
            payload = draw(st.sampled_from(links)) if links else f"missing{i}"
            links.append(rel)
        elif kind == "link_dir_in":
            payload = draw(st.sampled_from(dirs))
        elif kind == "link_dir_out":
            out_dir_links.append(rel)
            links.append(rel)
        elif kind == "link_via_dir_out":
            payload = draw(st.sampled_from(out_dir_links)) if out_dir_links else None
            links.append(rel)
        elif kind in ("link_out", "link_out_dotdot"):
            links.append(rel)
        tree.ops.append((kind, rel, payload))
    return tree


def build(tree: Tree, root: Path, outside: Path) -> tuple[set[Path], dict[str, bytes]]:
    """Make ``tree`` under ``root``; (the folders that cannot be listed, path -> bytes written)."""
    unlistable: set[Path] = set()
    written: dict[str, bytes] = {}
    for kind, rel, payload in tree.ops:
        path = root / rel
        up = "../" * rel.count("/")  # from the link's folder back to root
        if kind in ("dir", "unlistable_dir"):
            path.mkdir()
            if kind == "unlistable_dir":
                unlistable.add(path)
        elif kind == "file":
            written[rel] = payload
        elif kind == "gz_ok":
            written[rel] = gzip.compress(payload, mtime=0)
        elif kind == "gz_corrupt":
            written[rel] = payload
        elif kind == "gz_bomb":
            written[rel] = BOMB
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "link_in":
            path.symlink_to(root / payload)
        elif kind == "link_in_dotdot":
            path.symlink_to(f"{up}../{root.name}/{payload}")
        elif kind == "link_chain":
            path.symlink_to(f"{up}{payload}")
        elif kind == "link_dir_in":
            path.symlink_to(root / payload)
        elif kind == "link_out":
            path.symlink_to(outside / "secret.txt")
        elif kind == "link_out_dotdot":
            path.symlink_to(f"{up}../{outside.name}/secret.txt")
        elif kind == "link_dir_out":
            path.symlink_to(outside)
        elif kind == "link_via_dir_out":
            path.symlink_to(f"{up}{payload}/secret.txt" if payload else outside / "secret.txt")
        if rel in written:
            path.write_bytes(written[rel])
    return unlistable, written


def expected_paths(root: Path, unlistable: set[Path]) -> set[str]:
    """Every path of the tree that must get its own row: all but listable folders and what lies
    under a folder that cannot be listed (that folder's row stands for it)."""
    out: set[str] = set()

    def walk(folder: Path) -> None:
        for entry in os.scandir(folder):
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False) and path not in unlistable:
                walk(path)
            else:
                out.add(path.as_posix())

    walk(root)
    return out


def expected_reason(path: Path, root: Path, unlistable: set[Path], written: dict[Path, bytes]) -> str | None:
    """The quarantine reason discovery must give ``path`` (None: read), from the tree itself."""
    if path in unlistable:
        return "unreadable"
    real = Path(os.path.realpath(path))
    if not real.is_relative_to(root):
        return "outside_input"
    if not real.exists() or not stat.S_ISREG(real.stat().st_mode):
        return "not_a_regular_file"
    data = written[real]
    if real.name.lower().endswith(".gz") or data.startswith(GZIP_MAGIC):
        try:
            content = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            return "malformed"
        return "oversized" if len(content) > MAX_BYTES else None
    return None


def check(tree: Tree) -> None:
    with tempfile.TemporaryDirectory() as base:
        root, outside = Path(base).resolve() / "in", Path(base).resolve() / "outside"
        root.mkdir()
        outside.mkdir()
        (outside / "secret.txt").write_bytes(SENTINEL)
        unlistable, written = build(tree, root, outside)

        opened: list[tuple[str, int]] = []
        listed: list[str] = []
        real_open, real_scandir = discover_module._open_no_links, discover_module._scandir

        def open_recorded(path: Path) -> int:
            fd = real_open(path)
            opened.append((os.readlink(f"/proc/self/fd/{fd}"), os.fstat(fd).st_mode))
            return fd

        def scandir_refusing(path: Path) -> Any:
            listed.append(os.path.realpath(path))
            if Path(path) in unlistable:
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        with mock.patch.object(discover_module, "_open_no_links", open_recorded):
            # every folder listable: the manifest of an earlier run that saw every file
            manifest = discover(root, max_bytes=MAX_BYTES).select(
                "source_path",
                "size_bytes",
                "mtime",
                pl.col("raw").is_not_null().cast(pl.String).alias("content_sha256"),
                pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("deleted_at"),
            )
            with mock.patch.object(discover_module, "_scandir", scandir_refusing):
                files = discover(root, max_bytes=MAX_BYTES)
                again = discover_incremental(root, manifest, max_bytes=MAX_BYTES)

        # nothing outside the input folder is opened or listed, and only regular files are opened
        for target, mode in opened:
            assert Path(target).is_relative_to(root) and stat.S_ISREG(mode), target
        assert all(Path(folder).is_relative_to(root) for folder in listed), listed
        assert all(SENTINEL not in raw for raw in files["raw"].drop_nulls())

        # every path ends in exactly one row, with the reason the tree calls for
        paths = files["source_path"].to_list()
        assert len(paths) == len(set(paths))
        assert set(paths) == expected_paths(root, unlistable)
        by_real = {root / rel: data for rel, data in written.items()}
        for path, raw, error in files.select("source_path", "raw", "read_error").iter_rows():
            want = expected_reason(Path(path), root, unlistable, by_real)
            got = None if error is None else error.split(": ", 1)[0]
            assert got == want, (path, error)
            assert (raw is None) == (error is not None)

        # parse + route: one route per unit; unread files keep discovery's reason, detail apart
        units = route_units(parse_files(files), pl.DataFrame(schema=KNOWN_SCHEMA))
        assert set(units["source_path"]) == set(paths)
        assert units["route"].null_count() == 0 and set(units["route"]) <= set(ROUTES)
        quarantined = units.filter(pl.col("route") == "quarantine")
        assert set(quarantined["quarantine_reason"]) <= set(QUARANTINE_REASONS)
        assert units.filter(pl.col("route") != "quarantine")["quarantine_reason"].null_count() == (
            units.height - quarantined.height
        )
        errors = dict(files.select("source_path", "read_error").iter_rows())
        for path, reason, detail in quarantined.select(
            "source_path", "quarantine_reason", "quarantine_detail"
        ).iter_rows():
            assert detail and not detail.startswith(f"{reason}:"), (path, reason, detail)
            if errors[path] is not None:
                assert errors[path] == f"{reason}: {detail}"

        # a rerun over the same tree: nothing taken for deleted (not even the files hidden in a
        # folder that cannot be listed now), every path seen again
        assert again.deleted == []
        assert set(again.files["source_path"]) | set(again.skipped["source_path"]) == set(paths)


def test_every_path_ends_in_exactly_one_place_and_nothing_outside_is_opened() -> None:
    runs: list[int] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(tree=trees())
    def run(tree: Tree) -> None:
        runs.append(len(tree.ops))
        check(tree)

    run()
    print(f"hypothesis: {len(runs)} examples run, {sum(runs)} paths made")
    assert len(runs) >= EXAMPLES
