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


def discover(input_dir: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> pl.DataFrame:
    """One row per input file: source_path, size_bytes, mtime, raw, read_error.

    ``raw`` is NULL when the file is oversized, unreadable or vanished; ``read_error`` then
    says which ('vanished: ...', 'unreadable: <errno text>', 'oversized: N bytes > max M').
    Raises :class:`InputError` if ``input_dir`` does not exist or is not a directory.
    """
    input_dir = Path(input_dir)
    if not input_dir.exists():
        raise InputError(f"input folder does not exist: {input_dir}")
    if not input_dir.is_dir():
        raise InputError(f"input path is not a folder: {input_dir}")
    root = input_dir.resolve()

    rows: dict[str, list] = {name: [] for name in DISCOVER_SCHEMA.names()}
    for item in list_files(root):
        raw, error = read_listed(item, max_bytes)
        rows["source_path"].append(item.path.as_posix())
        rows["size_bytes"].append(len(raw) if raw is not None else item.size_bytes)
        rows["mtime"].append(item.mtime)
        rows["raw"].append(raw)
        rows["read_error"].append(error)
    return pl.DataFrame(rows, schema=DISCOVER_SCHEMA)
