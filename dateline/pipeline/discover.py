"""Find input files and read their bytes, without ever leaving the input folder.

:func:`discover` works in two steps so that each can fail on its own: first it lists the
folder (path, size, mtime from ``lstat``), then it reads each listed file through the
module-level :func:`_read` hook. A file that disappears, becomes unreadable or grows past the
size limit between the two steps is recorded with a ``read_error`` instead of raising; tests
simulate that by deleting a file between the steps or by monkeypatching ``_read`` (and
``_scandir``, the listing call, for folders that cannot be listed).

The input folder is a boundary:

* a symlink (to a file or a folder, directly, through ``..`` or through a chain of links) whose
  real location is outside the input folder is never opened: ``outside_input``;
* a symlink to a regular file inside the input folder is read under the link's own path (its
  content then is a duplicate of the target's); a symlink to a folder is not followed (its files
  are read under their own path, and a link to an ancestor would loop): ``not_a_regular_file``;
* FIFOs, sockets, devices and dangling links are never opened: ``not_a_regular_file``;
* a sub-folder that cannot be listed is one ``unreadable`` row (its folder path), and the
  manifest's files under it are not taken for deleted; an input folder that cannot be listed
  raises :class:`InputError`;
* a file is opened component by component with ``O_NOFOLLOW`` from ``/`` along its resolved
  path, then ``fstat``-checked to be a regular file before a byte is read: a file swapped for a
  symlink or a FIFO after the listing is refused, never followed, never waited on.

Gzip files (``.gz`` suffix or the 1f 8b magic bytes) are read as their decompressed content,
streamed and cut at ``max_bytes + 1`` decompressed bytes, so a gzip bomb is ``oversized``
without being inflated in memory; a corrupt or truncated one is ``malformed``. ``size_bytes``
is always the size of the file on disk (compressed for gzip): the manifest compares it with
``stat`` to skip unchanged files.

``read_error`` is ``'<reason>: <detail>'``, the reason being one of the quarantine reasons
(``unreadable``, ``oversized``, ``outside_input``, ``not_a_regular_file``, ``malformed``);
:func:`transforms.parse.parse_files` splits it into the quarantine reason and detail.
"""

from __future__ import annotations

import errno
import gzip
import os
import stat
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import polars as pl

from dateline.config import Config

# Names that are never articles: OS / editor litter. Hidden names (leading dot) are skipped too.
IGNORED_NAMES = frozenset({"Thumbs.db", "desktop.ini", "Icon\r", "__MACOSX"})

DISCOVER_SCHEMA = pl.Schema(
    {
        "source_path": pl.String(),
        "size_bytes": pl.Int64(),
        "mtime": pl.Datetime("us", "UTC"),
        "raw": pl.Binary(),
        "read_error": pl.String(),
    }
)

GZIP_MAGIC = b"\x1f\x8b"

# The listing call (a hook: tests replace it to simulate a folder that cannot be listed, since
# they run as root, whom permission bits do not stop).
_scandir = os.scandir

# Folders on the way to a file: opened without following a symlink (O_PATH where the OS has it,
# so a folder with search but no read permission can still be passed through).
_DIR_FLAGS = getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# The file itself: never through a symlink; O_NONBLOCK so that a FIFO swapped in after the
# listing does not block the open (fstat then refuses it).
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class InputError(Exception):
    """The input folder is missing, is not a folder, or cannot be listed."""


class Refused(Exception):
    """A file that is not read, for a quarantine ``reason``; ``str()`` is the ``read_error``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Listed:
    """One path found while listing and what ``lstat`` said (size/mtime None if that failed).

    ``error`` is set when the path is not to be read (a special file, a link leading outside,
    a folder that could not be listed, ...). ``real`` is set for a symlink to a regular file
    inside the input folder: the resolved file that is read in its place. ``folder`` marks a
    folder that could not be listed.
    """

    path: Path
    size_bytes: int | None
    mtime: datetime | None
    error: str | None = None
    real: Path | None = None
    folder: bool = False

    @property
    def source_path(self) -> str:
        """The path as the warehouse records it (:func:`as_text`)."""
        return as_text(self.path.as_posix())


@dataclass(frozen=True)
class Read:
    """What :func:`_read` got: the content (decompressed for gzip), at most ``max_bytes + 1``
    bytes; the file's size on disk (``fstat`` of the opened file); whether it was gzip."""

    data: bytes
    disk_bytes: int
    gzipped: bool = False


def as_text(os_text: str) -> str:
    """``os_text`` (a path or a message naming one) as text that can be stored: the bytes of a
    name that is not UTF-8 (which Python keeps as lone surrogates) are written ``\\xNN``.

    Such names are common in archives made on other systems; kept raw, one of them would make
    the batch's frame impossible to build. The file itself is still opened by its real name.
    """
    return os_text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _ignored(name: str) -> bool:
    return name.startswith(".") or name in IGNORED_NAMES or name.endswith("~")


def _os_text(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _describe(exc: OSError) -> str:
    """The ``read_error`` of a file that could not be opened or read."""
    if isinstance(exc, FileNotFoundError):
        return "unreadable: vanished: file disappeared between listing and reading"
    if exc.errno == errno.ELOOP:
        return "unreadable: became a symbolic link after it was listed (not followed)"
    if exc.errno == errno.ENOTDIR:
        return "unreadable: a folder on its path was replaced after it was listed (not followed)"
    return f"unreadable: {_os_text(exc)}"


def _mtime(st: os.stat_result) -> datetime:
    return datetime.fromtimestamp(st.st_mtime, tz=UTC)


def _kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISLNK(mode):
        return "symbolic link"
    return f"special file (mode {stat.filemode(mode)})"


def _inside(real: Path, root: Path) -> bool:
    return real == root or real.is_relative_to(root)


def _link(path: Path, lst: os.stat_result, root: Path) -> Listed:
    """A symlink found while listing: read in place of its target only if that is a regular
    file inside ``root``; otherwise recorded (``outside_input`` / ``not_a_regular_file``)."""
    size, mtime = lst.st_size, _mtime(lst)
    try:
        target = os.readlink(path)
    except OSError as exc:
        return Listed(path, size, mtime, f"unreadable: cannot read symlink: {_os_text(exc)}")
    real = Path(os.path.realpath(path))
    if not _inside(real, root):
        resolved = "" if target == real.as_posix() else f", which resolves to {real}"
        return Listed(
            path, size, mtime, f"outside_input: symlink to {target}{resolved}, outside the input folder"
        )
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return Listed(path, size, mtime, f"not_a_regular_file: dangling symlink to {target}")
    except OSError as exc:
        return Listed(
            path, size, mtime, f"not_a_regular_file: symlink to {target} cannot be resolved: {_os_text(exc)}"
        )
    if stat.S_ISDIR(st.st_mode):
        return Listed(
            path,
            size,
            mtime,
            f"not_a_regular_file: symlink to a folder ({target}), not followed: "
            "the files inside the input folder are read under their own path",
        )
    if not stat.S_ISREG(st.st_mode):
        return Listed(path, size, mtime, f"not_a_regular_file: symlink to a {_kind(st.st_mode)} ({target})")
    return Listed(path, st.st_size, _mtime(st), real=real)


def list_files(input_dir: Path) -> list[Listed]:
    """List every path under ``input_dir`` recursively, sorted by path.

    Regular files are listed to be read; symlinks, special files and sub-folders that cannot be
    listed are listed with their ``error`` (see the module docstring). Hidden names and OS litter
    are skipped. Raises :class:`InputError` if ``input_dir`` itself cannot be listed.
    """
    root = Path(os.path.realpath(input_dir))
    out: list[Listed] = []

    def walk(folder: Path, st: os.stat_result | None) -> None:
        try:
            with _scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if st is None:
                raise InputError(f"cannot list input folder {folder}: {_os_text(exc)}") from exc
            # its files are neither read nor taken for deleted (discover_incremental)
            out.append(
                Listed(
                    folder,
                    st.st_size,
                    _mtime(st),
                    f"unreadable: cannot list folder: {_os_text(exc)}",
                    folder=True,
                )
            )
            return
        for entry in entries:
            if _ignored(entry.name):
                continue
            path = Path(entry.path)
            try:
                lst = entry.stat(follow_symlinks=False)
            except OSError as exc:
                out.append(Listed(path, None, None, _describe(exc)))
                continue
            mode = lst.st_mode
            if stat.S_ISDIR(mode):
                walk(path, lst)
            elif stat.S_ISLNK(mode):
                out.append(_link(path, lst, root))
            elif stat.S_ISREG(mode):
                out.append(Listed(path, lst.st_size, _mtime(lst)))
            else:
                out.append(Listed(path, lst.st_size, _mtime(lst), f"not_a_regular_file: {_kind(mode)}"))

    walk(root, None)
    out.sort(key=lambda item: item.source_path)
    return out


def _open_no_links(path: Path) -> int:
    """Open the absolute, resolved ``path`` for reading without following any symlink.

    Each folder on the way is opened relative to the previous one with ``O_NOFOLLOW``, so a
    folder or the file replaced by a symlink after the listing makes the open fail (ENOTDIR /
    ELOOP) instead of leading anywhere else. Returns the file descriptor.
    """
    parts = path.parts
    fd = os.open(parts[0], _DIR_FLAGS)
    try:
        for name in parts[1:-1]:
            nxt = os.open(name, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = nxt
        return os.open(parts[-1], _FILE_FLAGS, dir_fd=fd)
    finally:
        os.close(fd)


def _is_gzip_name(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def _gunzip(fh: BinaryIO, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` decompressed bytes of the gzip stream ``fh`` (streamed: a bomb
    is never inflated past that); :class:`Refused` 'malformed' if it is corrupt or truncated."""
    try:
        with gzip.GzipFile(fileobj=fh, mode="rb") as gz:
            return gz.read(max_bytes + 1)
    except EOFError:
        raise Refused(
            "malformed", "corrupt gzip: truncated (the data ends before the end-of-stream marker)"
        ) from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise Refused("malformed", f"corrupt gzip: {exc}") from None


def _read(path: Path, max_bytes: int) -> Read:
    """Read at most ``max_bytes + 1`` bytes of content (so growth past the limit is noticed).

    ``path`` is resolved and inside the input folder; it is opened without following symlinks
    and must be a regular file once open (:class:`Refused` 'not_a_regular_file' otherwise).
    Gzip content is decompressed. Raises OSError when the file cannot be opened or read.
    """
    fd = _open_no_links(path)
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(
                "not_a_regular_file", f"{_kind(st.st_mode)} when opened (it was a regular file when listed)"
            )
        head = fh.read(len(GZIP_MAGIC))
        if head == GZIP_MAGIC:
            fh.seek(0)
            return Read(_gunzip(fh, max_bytes), st.st_size, gzipped=True)
        if _is_gzip_name(path) and head:  # an empty file is 'empty', whatever its name
            raise Refused("malformed", "corrupt gzip: not gzip data (the file does not start with 1f 8b)")
        return Read(head + fh.read(max_bytes + 1 - len(head)), st.st_size)


def read_listed(item: Listed, max_bytes: int) -> tuple[bytes | None, int | None, str | None]:
    """Read one listed file: ``(raw, size_bytes, None)`` or ``(None, size_bytes, read_error)``.

    Never raises OSError. ``size_bytes`` is the size on disk (compressed for gzip); ``max_bytes``
    caps both that size and the content (decompressed for gzip).
    """
    if item.error is not None:
        return None, item.size_bytes, item.error
    if item.size_bytes is not None and item.size_bytes > max_bytes:
        return None, item.size_bytes, f"oversized: {item.size_bytes} bytes > max {max_bytes}"
    try:
        got = _read(item.real or item.path, max_bytes)
    except Refused as exc:
        return None, item.size_bytes, str(exc)
    except OSError as exc:
        return None, item.size_bytes, _describe(exc)
    if len(got.data) > max_bytes:
        if got.gzipped:
            detail = (
                f"decompresses to more than {max_bytes} bytes (max {max_bytes}; "
                f"{got.disk_bytes} bytes compressed)"
            )
        else:
            detail = f"more than {max_bytes} bytes when read (max {max_bytes})"
        return None, got.disk_bytes, f"oversized: {detail}"
    return got.data, got.disk_bytes, None


def check_input_folder(input_dir: Path | str) -> Path:
    """The input folder, resolved; :class:`InputError` if it does not exist, is not a folder or
    cannot be listed (one readable line: the CLI prints it and exits 2)."""
    input_dir = Path(input_dir)
    if not input_dir.exists():
        raise InputError(f"input folder does not exist: {input_dir}")
    if not input_dir.is_dir():
        raise InputError(f"input path is not a folder: {input_dir}")
    root = input_dir.resolve()
    try:
        with _scandir(root):
            pass
    except OSError as exc:
        raise InputError(f"cannot list input folder {input_dir}: {_os_text(exc)}") from None
    return root


def _read_all(items: list[Listed], max_bytes: int) -> pl.DataFrame:
    """discover()'s frame: each listed path read (or its error recorded), in the given order."""
    rows = []
    for item in items:
        raw, size, error = read_listed(item, max_bytes)
        rows.append((item.source_path, size, item.mtime, raw, None if error is None else as_text(error)))
    return pl.DataFrame(rows, schema=DISCOVER_SCHEMA, orient="row")


def discover(input_dir: Path, *, max_bytes: int = Config.max_bytes) -> pl.DataFrame:
    """One row per listed path: source_path, size_bytes, mtime, raw, read_error.

    ``raw`` is the content (decompressed for gzip) or NULL with a ``read_error``
    ('<reason>: <detail>', see the module docstring); ``size_bytes`` is the size on disk. A file
    larger than ``max_bytes`` is not read (the flow passes ``[run] max_bytes``; the default is
    that key's default). Raises :class:`InputError` if ``input_dir`` does not exist, is not a
    folder or cannot be listed.
    """
    return _read_all(list_files(check_input_folder(input_dir)), max_bytes)


@dataclass(frozen=True)
class Discovery:
    """What an incremental run has to do with the input folder.

    ``files``: the files to read (discover()'s columns); ``skipped``: files the manifest
    already holds with the same size and mtime, not read (source_path, size_bytes, mtime);
    ``deleted``: manifest paths under the folder that are gone (and not yet marked deleted);
    paths under a sub-folder that could not be listed are not taken for gone.
    """

    files: pl.DataFrame
    skipped: pl.DataFrame
    deleted: list[str]


SKIPPED_SCHEMA = pl.Schema(
    {"source_path": pl.String(), "size_bytes": pl.Int64(), "mtime": pl.Datetime("us", "UTC")}
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
    root = check_input_folder(input_dir)
    known, _live = _known(manifest)
    return sum(1 for item in list_files(root) if rehash or not _unchanged(item, item.source_path, known))


def discover_incremental(
    input_dir: Path,
    manifest: pl.DataFrame | None,
    *,
    max_bytes: int = Config.max_bytes,
    rehash: bool = False,
) -> Discovery:
    """Like :func:`discover`, but files whose size and mtime equal the manifest's are not read.

    ``manifest`` has the ``files`` table's source_path, size_bytes, mtime, content_sha256 and
    deleted_at. A file is skipped when the manifest holds it, not deleted, with a content hash,
    the same size and the same mtime (to the microsecond); ``rehash=True`` reads every file.
    """
    root = check_input_folder(input_dir)
    known, live_known = _known(manifest)
    listed = list_files(root)
    to_read: list[Listed] = []
    skipped: list[tuple[str, int | None, datetime | None]] = []
    for item in listed:
        path = item.source_path
        if not rehash and _unchanged(item, path, known):
            skipped.append((path, item.size_bytes, item.mtime))
        else:
            to_read.append(item)
    present = {item.source_path for item in listed}
    # the files under a folder that could not be listed are unknown this time, not gone
    unlisted = tuple(item.source_path.rstrip("/") + "/" for item in listed if item.folder)
    prefix = as_text(root.as_posix()).rstrip("/") + "/"
    deleted = sorted(
        p for p in live_known if p.startswith(prefix) and p not in present and not p.startswith(unlisted)
    )
    return Discovery(
        _read_all(to_read, max_bytes),
        pl.DataFrame(skipped, schema=SKIPPED_SCHEMA, orient="row"),
        deleted,
    )
