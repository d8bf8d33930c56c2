"""The run lock of a warehouse: an OS file lock (``fcntl.flock``) on ``<warehouse>.lock``, one run
at a time per warehouse. A second run waits for it (up to a timeout) or fails at once with a clear
message, as configured; the lock file says who holds it. The kernel drops the lock when its holder
dies, even by SIGKILL. Also a new run's id, which the lock file names.

Light imports only: ``dateline run`` takes the lock before it imports duckdb, polars or prefect.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dateline.config import Config
from dateline.errors import WarehouseError

#: ``dateline run`` waiting for another run says how long it has waited, this often (seconds).
WAIT_REMINDER_SECONDS = 30.0


class RunLocked(WarehouseError):
    """Another run holds the warehouse's run lock."""


def lock_path(warehouse: Path) -> Path:
    """The run lock's file: ``<warehouse>.lock`` beside the warehouse."""
    return Path(warehouse).with_name(Path(warehouse).name + ".lock")


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
    """What the holder of the lock file ``path`` wrote there (unknown fields None)."""
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
    """Take the lock of the open file ``fd`` without waiting; False when another holds it."""
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
    on_locked: str = Config.on_locked,
    timeout: float = Config.lock_timeout_seconds,
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
