"""Opening the DuckDB warehouse: a writer's connection (waiting while a reader holds the file), a
sandboxed read-only one for analysts' SQL (:mod:`dateline.warehouse.sandbox`), the readable error
when it cannot be opened, the test for a write that found no space, and the checkpoint before a
snapshot is copied."""

from __future__ import annotations

import errno
import os
import re
import time
from pathlib import Path
from typing import Any

import duckdb

from dateline.errors import WarehouseError  # defined there: the run lock needs it without duckdb
from dateline.warehouse import sql
from dateline.warehouse.sandbox import sandbox_config

#: How long a writer retries opening a warehouse that a reader holds (queries are short).
WRITE_WAIT_SECONDS = 30.0

#: ``errno`` values of a write refused for lack of space (a full disk, an exhausted quota).
_NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
NO_SPACE_TEXTS: tuple[str, ...] = tuple(os.strerror(e) for e in sorted(_NO_SPACE_ERRNOS))


def connect(path: Path, read_only: bool = False, sandbox: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating it and its directory when writable) the warehouse at ``path``.

    ``sandbox=True`` (read-only only) opens it with :data:`dateline.warehouse.sandbox.SANDBOX_CONFIG`:
    for running SQL that someone typed. Raises :class:`WarehouseError` when another process holds
    the file's lock, when a read-only warehouse does not exist, or when the file is not a DuckDB
    database.
    """
    path = Path(path)
    if sandbox and not read_only:
        raise ValueError("a sandboxed connection is read-only")
    if read_only and not path.exists():
        raise WarehouseError(f"warehouse {path} does not exist (nothing has been loaded yet?)")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + (0.0 if read_only else WRITE_WAIT_SECONDS)
    while True:
        try:
            return open_duckdb(path, read_only=read_only, sandbox=sandbox)
        except duckdb.IOException as exc:
            # a reader (``dateline query``) holds the file for a moment: retry until the deadline
            if "lock" in str(exc).lower() and time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            _raise_open_error(path, exc)
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open warehouse {path}: {exc}") from exc


def open_duckdb(path: Path, read_only: bool = True, sandbox: bool = False) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect`` of ``path``, sandboxed (:func:`dateline.warehouse.sandbox.sandbox_config`:
    locked settings, the process's private spill folder) when ``sandbox`` (no retry, no error
    translation: :func:`connect` and :func:`dateline.warehouse.snapshots.open_for_reading` do those)."""
    config: dict[str, Any] = sandbox_config() if sandbox else {}
    return duckdb.connect(str(path), read_only=read_only, config=config)


def _lock_holder(message: str) -> str | None:
    """The pid DuckDB names in a lock error's ``message``, if it names one."""
    match = re.search(r"\(PID (\d+)\)", message)
    return match.group(1) if match else None


def _raise_open_error(path: Path, exc: duckdb.IOException) -> None:
    """Raise the :class:`WarehouseError` saying why ``path`` could not be opened (who holds it)."""
    message = str(exc)
    pid = _lock_holder(message)
    if pid is not None or "lock" in message.lower():
        holder = f"pid {pid}" if pid else "unknown pid"
        raise WarehouseError(
            f"warehouse {path} is locked by another process ({holder}); wait for it to finish "
            f"or stop it, then retry. DuckDB said: {message}"
        ) from exc
    raise WarehouseError(f"cannot open warehouse {path}: {message}") from exc


def out_of_space(exc: BaseException) -> BaseException | None:
    """The error in ``exc``'s chain (``__cause__``/``__context__``) that says a write found no
    space, else None.

    DuckDB reports its own failed writes (database file, WAL, checkpoint) as ``IOException`` /
    ``TransactionException`` whose text carries the OS message ("No space left on device");
    Python's writes (the snapshot copy) raise ``OSError`` with ``errno`` ENOSPC.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _NO_SPACE_ERRNOS:
            return current
        if isinstance(current, duckdb.Error) and any(t in str(current) for t in NO_SPACE_TEXTS):
            return current
        current = current.__cause__ or current.__context__
    return None


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Write the WAL into the database file (before it is copied as a snapshot)."""
    sql.fetch_all(con, "FORCE CHECKPOINT")
