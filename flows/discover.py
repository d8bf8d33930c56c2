"""Find input files and read their bytes.

:func:`discover` works in two steps so that each can fail on its own: first it lists the
folder (path, size, mtime from ``stat``), then it reads each listed file through the
module-level :func:`_read` hook. A file that disappears, becomes unreadable or grows past the
size limit between the two steps is recorded with a ``read_error`` instead of raising; tests
simulate that by deleting a file between the steps or by monkeypatching ``_read``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

DEFAULT_MAX_BYTES = 5_000_000

# Names that are never articles: OS / editor litter. Hidden names (leading dot) are skipped too.
IGNORED_NAMES = frozenset({"Thumbs.db", "desktop.ini", "Icon\r", "__MACOSX"})

DISCOVER_SCHEMA = pl.Schema(
    {
        "source_path": pl.String,
        "size_bytes": pl.Int64,
        "mtime": pl.Datetime("us", "UTC"),
        "raw": pl.Binary,
        "read_error": pl.String,
    }
)


class InputError(Exception):
    """The input folder is missing or is not a folder."""


@dataclass(frozen=True)
class Listed:
    """One file found while listing: its path and what ``stat`` said (None if it vanished)."""

    path: Path
    size_bytes: int | None
    mtime: datetime | None
    error: str | None = None


def _ignored(name: str) -> bool:
    return name.startswith(".") or name in IGNORED_NAMES or name.endswith("~")


def _describe(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "vanished: file disappeared between listing and reading"
    text = exc.strerror or str(exc) or type(exc).__name__
    return f"unreadable: {text}"


def list_files(input_dir: Path) -> list[Listed]:
    """List the regular files under ``input_dir`` recursively, sorted by path.

    Hidden files and folders, OS litter and symlinked folders are skipped.
    """
    out: list[Listed] = []

    def walk(folder: Path) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return  # a sub-folder that vanished or cannot be listed holds nothing we can read
        for entry in entries:
            if _ignored(entry.name):
                continue
            path = Path(entry.path)
            try:
                if entry.is_dir(follow_symlinks=False):
                    walk(path)
                    continue
                if not entry.is_file(follow_symlinks=True):
                    continue  # sockets, fifos, dangling links
                st = entry.stat(follow_symlinks=True)
            except OSError as exc:
                out.append(Listed(path, None, None, _describe(exc)))
                continue
            out.append(Listed(path, st.st_size, datetime.fromtimestamp(st.st_mtime, tz=UTC)))

    walk(input_dir)
    out.sort(key=lambda item: item.path.as_posix())
    return out


def _read(path: Path, max_bytes: int) -> bytes:
    """Read at most ``max_bytes + 1`` bytes (so growth past the limit is noticed)."""
    with path.open("rb") as fh:
        return fh.read(max_bytes + 1)


def read_listed(item: Listed, max_bytes: int) -> tuple[bytes | None, str | None]:
    """Read one listed file: ``(raw, None)`` or ``(None, read_error)``; never raises OSError."""
    if item.error is not None:
        return None, item.error
    if item.size_bytes is not None and item.size_bytes > max_bytes:
        return None, f"oversized: {item.size_bytes} bytes > max {max_bytes}"
    try:
        raw = _read(item.path, max_bytes)
    except OSError as exc:
        return None, _describe(exc)
    if len(raw) > max_bytes:
        return None, f"oversized: more than {max_bytes} bytes when read > max {max_bytes}"
    return raw, None


def _checked_root(input_dir: Path | str) -> Path:
    """The input folder, resolved; InputError if it does not exist or is not a folder."""
    input_dir = Path(input_dir)
    if not input_dir.exists():
        raise InputError(f"input folder does not exist: {input_dir}")
    if not input_dir.is_dir():
        raise InputError(f"input path is not a folder: {input_dir}")
    return input_dir.resolve()


def discover(input_dir: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> pl.DataFrame:
    """One row per input file: source_path, size_bytes, mtime, raw, read_error.

    ``raw`` is NULL when the file is oversized, unreadable or vanished; ``read_error`` then
    says which ('vanished: ...', 'unreadable: <errno text>', 'oversized: N bytes > max M').
    Raises :class:`InputError` if ``input_dir`` does not exist or is not a directory.
    """
    root = _checked_root(input_dir)

    rows: dict[str, list] = {name: [] for name in DISCOVER_SCHEMA.names()}
    for item in list_files(root):
        raw, error = read_listed(item, max_bytes)
        rows["source_path"].append(item.path.as_posix())
        rows["size_bytes"].append(len(raw) if raw is not None else item.size_bytes)
        rows["mtime"].append(item.mtime)
        rows["raw"].append(raw)
        rows["read_error"].append(error)
    return pl.DataFrame(rows, schema=DISCOVER_SCHEMA)


@dataclass(frozen=True)
class Discovery:
    """What an incremental run has to do with the input folder.

    ``files``: the files to read (discover()'s columns); ``skipped``: files the manifest
    already holds with the same size and mtime, not read (source_path, size_bytes, mtime);
    ``deleted``: manifest paths under the folder that are gone (and not yet marked deleted).
    """

    files: pl.DataFrame
    skipped: pl.DataFrame
    deleted: list[str]


SKIPPED_SCHEMA = pl.Schema(
    {"source_path": pl.String, "size_bytes": pl.Int64, "mtime": pl.Datetime("us", "UTC")}
)


def _known(manifest: pl.DataFrame | None) -> tuple[dict[str, tuple[int | None, datetime | None]], set[str]]:
    """From the manifest: (path -> (size, mtime) of the live files with a content hash, live paths)."""
    known: dict[str, tuple[int | None, datetime | None]] = {}
    live_known: set[str] = set()
    if manifest is not None and manifest.height:
        for path, size, mtime, sha, deleted_at in manifest.select(
            "source_path", "size_bytes", "mtime", "content_sha256", "deleted_at"
        ).iter_rows():
            if deleted_at is None:
                live_known.add(path)
                if sha is not None:
                    known[path] = (size, mtime)
    return known, live_known


def _unchanged(item: Listed, path: str, known: dict[str, tuple[int | None, datetime | None]]) -> bool:
    """The manifest holds the file with the same size and mtime: it is not read again."""
    return item.error is None and path in known and known[path] == (item.size_bytes, item.mtime)


def count_to_read(input_dir: Path, manifest: pl.DataFrame | None, *, rehash: bool = False) -> int:
    """How many files :func:`discover_incremental` would read (it lists and stats, reads nothing)."""
    root = _checked_root(input_dir)
    known, _live = _known(manifest)
    return sum(1 for item in list_files(root) if rehash or not _unchanged(item, item.path.as_posix(), known))


def discover_incremental(
    input_dir: Path,
    manifest: pl.DataFrame | None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    rehash: bool = False,
) -> Discovery:
    """Like :func:`discover`, but files whose size and mtime equal the manifest's are not read.

    ``manifest`` has the ``files`` table's source_path, size_bytes, mtime, content_sha256 and
    deleted_at. A file is skipped when the manifest holds it, not deleted, with a content hash,
    the same size and the same mtime (to the microsecond); ``rehash=True`` reads every file.
    """
    root = _checked_root(input_dir)
    known, live_known = _known(manifest)
    listed = list_files(root)
    rows: dict[str, list] = {name: [] for name in DISCOVER_SCHEMA.names()}
    skipped: dict[str, list] = {name: [] for name in SKIPPED_SCHEMA.names()}
    present: set[str] = set()
    for item in listed:
        path = item.path.as_posix()
        present.add(path)
        if not rehash and _unchanged(item, path, known):
            skipped["source_path"].append(path)
            skipped["size_bytes"].append(item.size_bytes)
            skipped["mtime"].append(item.mtime)
            continue
        raw, error = read_listed(item, max_bytes)
        rows["source_path"].append(path)
        rows["size_bytes"].append(len(raw) if raw is not None else item.size_bytes)
        rows["mtime"].append(item.mtime)
        rows["raw"].append(raw)
        rows["read_error"].append(error)
    prefix = root.as_posix().rstrip("/") + "/"
    deleted = sorted(p for p in live_known if p.startswith(prefix) and p not in present)
    return Discovery(
        pl.DataFrame(rows, schema=DISCOVER_SCHEMA),
        pl.DataFrame(skipped, schema=SKIPPED_SCHEMA),
        deleted,
    )
