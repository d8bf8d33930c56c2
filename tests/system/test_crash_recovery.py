"""Kill a real `dateline run` with SIGKILL at several points; the next run recovers completely.

Every killed run must leave the warehouse exactly as it was before its batch (for the points
before the commit), and the run after it must end with tables equal - row for row, ignoring run
ids - to those of an uninterrupted run. Runs are subprocesses on one shared Prefect server.
"""

from __future__ import annotations

import hashlib
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.conftest import dateline_env
from tests.paths import FIXTURES, SAMPLES

#: Tables compared (content, not run ids: those differ between any two runs).
COMPARED = (
    "articles",
    "sentences",
    "entities",
    "entity_mentions",
    "events",
    "event_mentions",
    "quantities",
    "duplicates",
    "quarantine",
    "files",
)
IGNORED_COLUMNS = {"run_id", "first_run_id"}

#: (stage, whether the batch was committed before the kill)
KILL_POINTS = (
    ("load_after_delete", False),
    ("load_before_commit", False),
    ("after_commit", True),
    ("snapshot_mid_copy", True),
)


def table_hashes(wh: Path) -> dict[str, tuple[int, str]]:
    """Per table: row count and sha256 of its rows (run-id columns left out), sorted."""
    con = duckdb.connect(str(wh), read_only=True)
    try:
        out = {}
        for table in COMPARED:
            cols = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                    "ORDER BY ordinal_position",
                    [table],
                ).fetchall()
                if r[0] not in IGNORED_COLUMNS
            ]
            # when a deletion was noticed differs between runs; that it was, must not
            exprs = [f"{c} IS NOT NULL AS {c}" if c == "deleted_at" else c for c in cols]
            rows = con.execute(f"SELECT {', '.join(exprs)} FROM {table}").fetchall()
            lines = sorted(repr(r) for r in rows)
            out[table] = (len(rows), hashlib.sha256("\n".join(lines).encode()).hexdigest())
        return out
    finally:
        con.close()


def run(inp: Path, wh: Path, api_url: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dateline", "run", "--input", str(inp), "--warehouse", str(wh)],
        env=dateline_env(api_url, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(p: subprocess.Popen, timeout: float = 600) -> tuple[int, str]:
    out, _ = p.communicate(timeout=timeout)
    return p.returncode, out


def test_sigkill_at_any_point_then_recover(prefect_server: str, tmp_path: Path) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    first = sorted(SAMPLES.iterdir())
    for f in first[:-1]:
        shutil.copy2(f, inp / f.name)
    base = tmp_path / "base"
    base.mkdir()
    wh0 = base / "w.duckdb"

    # batch 1 (uninterrupted) - the state every crash scenario starts from
    rc, out = finish(run(inp, wh0, prefect_server))
    assert rc == 0, out
    before = table_hashes(wh0)
    assert before["articles"][0] > 0

    # batch 2: a new file, a changed file, a deleted file, some bad input
    shutil.copy2(first[-1], inp / first[-1].name)
    changed = inp / first[0].name
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\nThe talks resumed on Monday.\n", encoding="utf-8"
    )
    (inp / first[1].name).unlink()
    for name in ("mixed.jsonl", "binary.bin", "zz_copy_of_original.txt", "original.txt"):
        shutil.copy2(FIXTURES / "bad" / name, inp / name)

    scenarios = {}
    for stage, _ in KILL_POINTS:
        d = tmp_path / stage
        d.mkdir()
        for f in base.iterdir():
            shutil.copy2(f, d / f.name)
        scenarios[stage] = d / "w.duckdb"
    reference = base / "w.duckdb"  # the uninterrupted batch 2 runs here

    # the killed runs (and the uninterrupted reference) run side by side
    procs = {stage: run(inp, wh, prefect_server, DATELINE_CRASH_AT=stage) for stage, wh in scenarios.items()}
    ref_rc, ref_out = finish(run(inp, reference, prefect_server))
    assert ref_rc == 0, ref_out
    expected = table_hashes(reference)
    assert expected != before
    for stage, committed in KILL_POINTS:
        rc, out = finish(procs[stage])
        assert rc == -signal.SIGKILL, f"{stage}: expected SIGKILL, got {rc}\n{out}"
        after_kill = table_hashes(scenarios[stage])
        if committed:
            assert after_kill == expected, stage
        else:
            assert after_kill == before, f"{stage}: the killed batch left changes behind"

    # the next run completes the work: same tables as the uninterrupted run
    procs = {stage: run(inp, wh, prefect_server) for stage, wh in scenarios.items()}
    for stage, committed in KILL_POINTS:
        rc, out = finish(procs[stage])
        assert rc == 0, f"{stage}: recovery run failed\n{out}"
        assert table_hashes(scenarios[stage]) == expected, stage
        con = duckdb.connect(str(scenarios[stage]), read_only=True)
        try:
            statuses = con.execute("SELECT status, message FROM runs ORDER BY started_at").fetchall()
        finally:
            con.close()
        if stage == "snapshot_mid_copy":  # the run had been closed before its snapshot was copied
            assert [s for s, _ in statuses] == ["success"] * 3, (stage, statuses)
        else:
            assert [s for s, _ in statuses] == ["success", "failed", "success"], (stage, statuses)
            assert statuses[1][1].startswith("interrupted"), statuses
            assert ("after its batch was committed" in statuses[1][1]) == committed, statuses
        # the published snapshot is the recovered warehouse, not a half-copied or stale one
        snap = scenarios[stage].with_name("w.snapshot.duckdb")
        assert table_hashes(snap) == expected, f"{stage}: snapshot differs"
        assert not list(snap.parent.glob(".w.snapshot.duckdb.*.tmp"))
