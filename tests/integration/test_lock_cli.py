"""Waiting for the run lock: a reminder every ``remind_every`` seconds says how long so far.
The lock is held here by this test process (``dateline.warehouse.lock.run_lock``), as another run would hold it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from dateline.warehouse import lock

HOLDER = "20261130T120000Z-abc123"


def test_waiting_reminds_how_long_it_has_waited(tmp_path: Path) -> None:
    """Every ``remind_every`` seconds (30 for ``dateline run``) a line says how long so far."""
    wh = tmp_path / "w.duckdb"
    notes: list[str] = []
    with lock.run_lock(wh, HOLDER):
        try:
            with lock.run_lock(
                wh, "second", "wait", timeout=1.0, poll=0.05, notify=notes.append, remind_every=0.3
            ):
                raise AssertionError("the lock was taken twice")
        except lock.RunLocked as exc:
            assert "still busy after waiting 1 s" in str(exc)
    assert notes[0].startswith(f"warehouse {wh} is busy: waiting for run {HOLDER}")
    reminders = notes[1:]
    assert 2 <= len(reminders) <= 4, notes  # at ~0.3, 0.6, 0.9 s
    pattern = re.compile(
        rf"still waiting for run {HOLDER} \(pid {os.getpid()}, since [^)]+\): (\d+) s so far"
    )
    waited = []
    for note in reminders:
        match = pattern.fullmatch(note)
        assert match, note
        waited.append(int(match[1]))
    assert waited == sorted(waited) and waited[-1] <= 1
    assert lock.WAIT_REMINDER_SECONDS == 30  # what `dateline run` uses
