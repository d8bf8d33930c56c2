"""Safe concurrency and crash recovery around the DuckDB warehouse.

* :func:`run_lock` - an OS file lock (``fcntl.flock``) on ``<warehouse>.lock``: one run at a
  time per warehouse. A second run waits for it (up to a timeout) or fails at once with a clear
  message, as configured. The kernel drops the lock when its holder dies, even by SIGKILL.
* :func:`publish_snapshot` - after a successful run, a read-only copy of the warehouse
  (``<stem>.snapshot.duckdb``) is written to a temporary file and renamed over the old one, so a
  reader always sees a whole snapshot; ``dateline query`` falls back to it while a run holds the
  live file.
* :func:`dateline.runtime.faults.crashpoint` - a test hook: ``DATELINE_CRASH_AT=<stage>`` makes the process SIGKILL itself
  when it reaches that stage, so tests can kill a real run at precise points.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

# light imports only: ``dateline run`` takes the lock before it imports duckdb, polars or prefect
from dateline.errors import WarehouseError
from dateline.runtime.faults import CRASH_STAGES, crash_requested, crashpoint

if TYPE_CHECKING:
    import duckdb

#: ``dateline run`` waiting for another run says how long it has waited, this often (seconds).
WAIT_REMINDER_SECONDS = 30.0


class RunLocked(WarehouseError):
    """Another run holds the warehouse's run lock."""


def lock_path(warehouse: Path) -> Path:
    return Path(warehouse).with_name(Path(warehouse).name + ".lock")


def snapshot_path(warehouse: Path) -> Path:
    w = Path(warehouse)
    return w.with_name(f"{w.stem}.snapshot{w.suffix or '.duckdb'}")


def new_run_id() -> str:
    """A new run's id: its start time (UTC) and 6 random hex digits, e.g. ``20261130T140501Z-3f2a9c``."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


@dataclass(frozen=True)
class Holder:
    """Who holds a run lock: what its holder wrote in the lock file (None where unknown)."""

    run_id: str | None
    pid: int | None
    since: str | None

    def __str__(self) -> str:
        if self.run_id is None and self.pid is None:
            return "another process (it has not said which run yet)"
        return f"run {self.run_id or '?'} (pid {self.pid or '?'}, since {self.since or '?'})"


def _holder(path: Path) -> Holder:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict):
        info = {}
    pid = info.get("pid")
    return Holder(info.get("run_id"), pid if isinstance(pid, int) else None, info.get("since"))


def current_holder(warehouse: Path) -> Holder | None:
    """The holder of ``warehouse``'s run lock right now, or None when no process holds it."""
    if not is_locked(warehouse):
        return None
    return _holder(lock_path(warehouse))


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return False
        raise


def is_locked(warehouse: Path) -> bool:
    """True when a run holds the lock of ``warehouse`` right now."""
    path = lock_path(warehouse)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        if _try_lock(fd):
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        return True
    finally:
        os.close(fd)


@contextmanager
def run_lock(
    warehouse: Path,
    run_id: str,
    on_locked: str = "wait",
    timeout: float = 900.0,
    poll: float = 0.2,
    notify: Callable[[str], None] | None = None,
    remind_every: float | None = None,
) -> Iterator[float]:
    """Hold the run lock of ``warehouse`` for the block; yields the seconds spent waiting.

    ``on_locked='fail'`` raises :class:`RunLocked` at once when another run holds it, naming
    that run; ``'wait'`` waits up to ``timeout`` seconds, then raises :class:`RunLocked`.
    While waiting, ``notify(message)`` is called once when the wait starts, and every
    ``remind_every`` seconds with how long it has waited (if given).

    The lock belongs to the open file: one process cannot take it twice (a second open of the
    file conflicts with the first), so a caller that holds it runs the flow with ``lock_held``.
    """
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    started = time.monotonic()
    try:
        if not _try_lock(fd):
            holder = _holder(path)
            if on_locked == "fail":
                raise RunLocked(
                    f"warehouse {warehouse} is busy: {holder} holds its run lock; "
                    "not waiting (on_locked = 'fail')"
                )
            if notify is not None:
                notify(
                    f"warehouse {warehouse} is busy: waiting for {holder} to finish "
                    f"(up to {timeout:.0f} s)..."
                )
            reminded = started
            while not _try_lock(fd):
                now = time.monotonic()
                if now - started >= timeout:
                    raise RunLocked(
                        f"warehouse {warehouse} is still busy after waiting {timeout:.0f} s: "
                        f"{_holder(path)} holds its run lock {path}"
                    )
                if notify is not None and remind_every is not None and now - reminded >= remind_every:
                    reminded = now
                    notify(f"still waiting for {_holder(path)}: {now - started:.0f} s so far")
                time.sleep(poll)
        waited = time.monotonic() - started
        info = {
            "pid": os.getpid(),
            "run_id": run_id,
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            yield waited
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def publish_snapshot(warehouse: Path) -> Path:
    """Copy the (closed, checkpointed) warehouse to its snapshot path atomically; return that path.

    Call it while holding the run lock and with no open connection: the copy goes to a temporary
    file in the same folder, is fsynced, then renamed over the old snapshot.
    """
    src = Path(warehouse)
    dst = snapshot_path(src)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    try:
        with src.open("rb") as fin, tmp.open("wb") as fout:
            if crash_requested("snapshot_mid_copy"):
                fout.write(fin.read(max(src.stat().st_size // 2, 1)))
                fout.flush()
                crashpoint("snapshot_mid_copy")
            shutil.copyfileobj(fin, fout, length=1 << 20)
            fout.flush()
            os.fsync(fout.fileno())
        os.replace(tmp, dst)
        stale_marker(src).unlink(missing_ok=True)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WarehouseError(f"publishing the snapshot {dst} failed: {exc}") from exc
    except BaseException:  # stopped (an interrupt): the old snapshot stays, no half copy is left
        tmp.unlink(missing_ok=True)
        raise
    return dst


def stale_marker(warehouse: Path) -> Path:
    """Exists from just before a load until its snapshot is published (a crash in between leaves it)."""
    snap = snapshot_path(warehouse)
    return snap.with_name(snap.name + ".stale")


def mark_snapshot_stale(warehouse: Path) -> None:
    stale_marker(warehouse).touch()


def snapshot_is_current(warehouse: Path) -> bool:
    """A snapshot exists and no load has committed since it was published."""
    return snapshot_path(warehouse).exists() and not stale_marker(warehouse).exists()


def clean_stale_snapshots(warehouse: Path) -> None:
    """Remove temporary snapshot files left by a run that died while copying."""
    dst = snapshot_path(warehouse)
    for tmp in dst.parent.glob(f".{dst.name}.*.tmp"):
        try:
            pid = int(tmp.name.split(".")[-2])
        except ValueError:
            continue
        if pid != os.getpid():
            tmp.unlink(missing_ok=True)


__all__ = [
    "CRASH_STAGES",
    "Holder",
    "RunLocked",
    "clean_stale_snapshots",
    "crashpoint",
    "current_holder",
    "is_locked",
    "lock_path",
    "mark_snapshot_stale",
    "new_run_id",
    "open_for_reading",
    "publish_snapshot",
    "run_lock",
    "snapshot_is_current",
    "snapshot_path",
]


def open_for_reading(
    warehouse: Path, wait_seconds: float = 3.0, use_snapshot: bool = True
) -> tuple[duckdb.DuckDBPyConnection, str]:
    """A read-only, sandboxed connection for analysts, and a sentence saying what it reads.

    The connection reads the warehouse (or its snapshot) and nothing else
    (:data:`dateline.warehouse.store.SANDBOX_CONFIG`: no other file, URL, database or extension, settings
    locked). The live warehouse is tried first, retrying for ``wait_seconds`` while a run holds it; then
    the last published snapshot (if ``use_snapshot`` and it exists). Never a lock error while a
    snapshot exists; without one, :class:`WarehouseError` says the warehouse is busy.
    """
    import duckdb

    from dateline.warehouse import store as wh

    warehouse = Path(warehouse)
    snap = snapshot_path(warehouse)
    if not warehouse.exists():
        if use_snapshot and snap.exists():
            return (
                wh.connect(snap, read_only=True, sandbox=True),
                f"snapshot {snap} (the live warehouse is missing)",
            )
        raise WarehouseError(f"warehouse {warehouse} does not exist yet: run 'dateline run' first")
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    waited = False
    while True:
        try:
            con = wh.open_duckdb(warehouse, read_only=True, sandbox=True)
            note = "live warehouse" + (" (waited for a run's write to finish)" if waited else "")
            return con, f"{note} {warehouse}"
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise WarehouseError(f"cannot open warehouse {warehouse}: {exc}") from exc
            if time.monotonic() >= deadline:
                break
            waited = True
            time.sleep(0.1)
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open warehouse {warehouse}: {exc}") from exc
    if use_snapshot and snap.exists():
        published = datetime.fromtimestamp(snap.stat().st_mtime, tz=UTC).astimezone()
        age = time.time() - snap.stat().st_mtime
        con = wh.connect(snap, read_only=True, sandbox=True)
        return con, (
            f"snapshot {snap} published {published:%Y-%m-%d %H:%M:%S %Z} ({age:.0f} s ago): the live "
            f"warehouse is busy with a run ({wait_seconds:g} s wait)"
        )
    raise WarehouseError(
        f"warehouse {warehouse} is busy with a run and no snapshot has been published yet; "
        f"retry in a moment (waited {wait_seconds:g} s)"
    )
