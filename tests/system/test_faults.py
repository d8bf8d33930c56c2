"""Faults (issue #11): the warehouse's disk fills up before or during a run.

The disk is a real, small tmpfs mounted for the test (DuckDB's own writes - WAL, database
file, checkpoint - and the snapshot copy must really fail; a Python-level mock would never
reach them). Without the right to mount (not root, or a container without CAP_SYS_ADMIN) the
test is skipped and says why.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from dateline.warehouse import snapshots
from schemas.tables import ALL_TABLES
from tests.conftest import dateline_env
from tests.paths import SAMPLES

DISK_MB = 96  # room for the warehouse, its snapshot and the snapshot's temporary copy
LEAVE_KB = 8  # what the filler leaves free: a few pages, far less than any DuckDB write needs
FIRST = 2  # sample files of the first batch; the others are the second batch


def cli(*args: str, api_url: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dateline", *args],
        env=dateline_env(api_url, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextmanager
def small_disk(where: Path, size_mb: int) -> Iterator[Path]:
    """A tmpfs of ``size_mb`` MB mounted at ``where`` for the block (skips the test if it cannot be)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a full-disk test needs root and mount(8) to mount a small tmpfs")
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'mount failed'})")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(disk: Path, leave_kb: int = LEAVE_KB) -> Path:
    """Fill the filesystem mounted at ``disk`` with one file, leaving about ``leave_kb`` KB free."""
    assert os.path.ismount(disk), f"{disk} is not the test's mount point"
    filler = disk / "filler"
    chunk = b"\0" * (1 << 20)
    with filler.open("ab") as f:
        while (left := shutil.disk_usage(disk).free - leave_kb * 1024) > 0:
            try:
                f.write(chunk[: min(len(chunk), left)])
                f.flush()
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
    return filler


def counts(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t.name: con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0] for t in ALL_TABLES}
    finally:
        con.close()


def complaint(stderr: str) -> list[str]:
    """stderr without the progress lines (``dateline: [  1.2 s] 3/7 ...``)."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("dateline: [")]


@pytest.fixture(scope="module")
def first_batch(prefect_server: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A warehouse and its snapshot after a run over the first sample files (on the normal disk),
    and the input folder (the tests add the other sample files to it: paths are part of a file's
    identity, so every test uses this folder)."""
    root = tmp_path_factory.mktemp("first")
    inp = root / "in"
    inp.mkdir()
    for f in sorted(SAMPLES.iterdir())[:FIRST]:
        shutil.copy2(f, inp / f.name)
    p = cli("run", "--input", str(inp), "--warehouse", str(root / "w.duckdb"), api_url=prefect_server)
    out, err = p.communicate(timeout=600)
    assert p.returncode == 0, out + err
    return root / "w.duckdb", inp


@pytest.mark.parametrize("when", ["before_the_run", "during_the_run", "after_the_commit"])
def test_a_full_disk_leaves_the_warehouse_as_it_was(
    prefect_server: str, first_batch: tuple[Path, Path], tmp_path: Path, when: str
) -> None:
    loaded, inp = first_batch  # the input is on the normal disk: only the warehouse's is full
    for f in sorted(SAMPLES.iterdir())[FIRST:]:
        shutil.copy2(f, inp / f.name)
    with small_disk(tmp_path / "disk", DISK_MB) as disk:
        warehouse = disk / "w.duckdb"
        shutil.copy2(loaded, warehouse)
        shutil.copy2(snapshots.snapshot_path(loaded), snapshots.snapshot_path(warehouse))
        before = counts(warehouse)
        snapshot_before = snapshots.snapshot_path(warehouse).read_bytes()
        args = ("run", "--input", str(inp), "--warehouse", str(warehouse))
        if when == "before_the_run":
            fill(disk)
            p = cli(*args, api_url=prefect_server)
        else:
            # the run stops at a known point; the disk fills up there; the run goes on
            release = tmp_path / "release"
            stage = "after_discover" if when == "during_the_run" else "after_commit"
            p = cli(*args, api_url=prefect_server, DATELINE_PAUSE_AT=f"{stage}:@{release}")
            marker = "2/7 discover" if when == "during_the_run" else "6/7 load"
            seen = []
            while not any(marker in line for line in seen):
                line = p.stderr.readline()
                assert line, "".join(seen)
                seen.append(line)
            if when == "after_the_commit":  # the pause comes after the commit, not at the stage line
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    now = counts_or_none(warehouse)  # None while the load holds the file
                    if now is not None and now["articles"] > before["articles"]:
                        break
                    time.sleep(0.2)
            fill(disk)
            release.touch()
        out, err = p.communicate(timeout=600)
        if when != "before_the_run":
            err = "".join(seen) + err
        assert p.returncode == 1, out + err
        lines = complaint(err)
        assert len(lines) == 1, err
        assert lines[0].startswith(f"dateline: the warehouse's disk is full ({disk}: "), lines[0]
        assert "No space left on device" in lines[0]
        assert "Traceback" not in out + err

        after = counts(warehouse)  # opens fine
        if when == "after_the_commit":
            assert "the batch was loaded" in lines[0]
            assert after["articles"] > before["articles"]
        else:
            assert "nothing was loaded from this batch" in lines[0]
            # every table as before (the run may have recorded itself as running: closed next time)
            assert {k: v for k, v in after.items() if k != "runs"} == {
                k: v for k, v in before.items() if k != "runs"
            }
            assert snapshots.snapshot_path(warehouse).read_bytes() == snapshot_before
        q = cli("query", "SELECT count(*) AS n FROM articles", "-w", str(warehouse), "-f", "csv", api_url="")
        q_out, q_err = q.communicate(timeout=120)
        assert q.returncode == 0 and q_out.splitlines() == ["n", str(after["articles"])], q_err

        # space again: the next run loads the batch (or finishes the loaded one) and publishes
        (disk / "filler").unlink()
        p = cli(*args, api_url=prefect_server)
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, out + err
        final = counts(warehouse)
        assert final["articles"] > before["articles"]
        assert final["files"] == len(list(SAMPLES.iterdir()))
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            statuses = [r[0] for r in con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()]
            dup = con.execute(
                "SELECT count(*) FROM (SELECT source_path, source_record FROM articles GROUP BY ALL HAVING count(*) > 1)"
            ).fetchone()[0]
        finally:
            con.close()
        assert dup == 0
        assert "running" not in statuses and statuses[-1] == "success"
        assert snapshots.snapshot_is_current(warehouse)
        assert counts(snapshots.snapshot_path(warehouse))["articles"] == final["articles"]


def counts_or_none(path: Path) -> dict[str, int] | None:
    """:func:`counts`, or None while a writer holds the file."""
    try:
        return counts(path)
    except duckdb.IOException:
        return None
