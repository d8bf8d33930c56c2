"""The snapshot of a warehouse: after a successful run, a read-only copy (``<stem>.snapshot.duckdb``)
is written to a temporary file and renamed over the old one, so a reader always sees a whole
snapshot; a marker says when a load has committed since. :func:`open_for_reading` opens the live
warehouse for an analyst, or falls back to the snapshot while a run holds the live file.

Light imports only (duckdb is imported when a connection is opened): the CLI uses these paths
before it imports the heavy libraries.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dateline.config import Config
from dateline.errors import WarehouseError
from dateline.runtime.faults import crash_requested, crashpoint

if TYPE_CHECKING:
    import duckdb


def snapshot_path(warehouse: Path) -> Path:
    """The snapshot's file: ``<stem>.snapshot<suffix>`` beside the warehouse."""
    w = Path(warehouse)
    return w.with_name(f"{w.stem}.snapshot{w.suffix or '.duckdb'}")


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
    """Say (before a load) that the snapshot will be older than the warehouse."""
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


def open_for_reading(
    warehouse: Path, wait_seconds: float = Config.query_wait_seconds, use_snapshot: bool = Config.snapshot
) -> tuple[duckdb.DuckDBPyConnection, str]:
    """A read-only, sandboxed connection for analysts, and a sentence saying what it reads.

    The connection reads the warehouse (or its snapshot) and nothing else
    (:data:`dateline.warehouse.sandbox.SANDBOX_CONFIG`: no other file, URL, database or extension, settings
    locked). The live warehouse is tried first, retrying for ``wait_seconds`` while a run holds it; then
    the last published snapshot (if ``use_snapshot`` and it exists). Never a lock error while a
    snapshot exists; without one, :class:`WarehouseError` says the warehouse is busy.
    """
    import duckdb

    from dateline.warehouse import connection

    warehouse = Path(warehouse)
    snap = snapshot_path(warehouse)
    if not warehouse.exists():
        if use_snapshot and snap.exists():
            return (
                connection.connect(snap, read_only=True, sandbox=True),
                f"snapshot {snap} (the live warehouse is missing)",
            )
        raise WarehouseError(f"warehouse {warehouse} does not exist yet: run 'dateline run' first")
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    waited = False
    while True:
        try:
            con = connection.open_duckdb(warehouse, read_only=True, sandbox=True)
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
        con = connection.connect(snap, read_only=True, sandbox=True)
        return con, (
            f"snapshot {snap} published {published:%Y-%m-%d %H:%M:%S %Z} ({age:.0f} s ago): the live "
            f"warehouse is busy with a run ({wait_seconds:g} s wait)"
        )
    raise WarehouseError(
        f"warehouse {warehouse} is busy with a run and no snapshot has been published yet; "
        f"retry in a moment (waited {wait_seconds:g} s)"
    )
