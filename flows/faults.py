"""Crash points for the kill-and-recover tests (no dependencies, importable from anywhere).

``DATELINE_CRASH_AT=<stage>`` makes the process SIGKILL itself when it reaches ``stage``: a real,
unclean death (no ``finally``, no rollback, no flush), at a precise point of the run.
"""

from __future__ import annotations

import os
import signal

#: Stages named by :func:`crashpoint`, in the order a run reaches them.
CRASH_STAGES = (
    "after_start_run",
    "after_discover",
    "after_extract",
    "load_after_delete",
    "load_before_commit",
    "after_commit",
    "snapshot_mid_copy",
)


def crash_requested(stage: str) -> bool:
    return os.environ.get("DATELINE_CRASH_AT") == stage


def crashpoint(stage: str) -> None:
    """SIGKILL this process if ``$DATELINE_CRASH_AT`` names ``stage``."""
    if crash_requested(stage):
        os.kill(os.getpid(), signal.SIGKILL)
