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


def pausepoint(stage: str) -> None:
    """Pause if ``$DATELINE_PAUSE_AT`` names ``stage`` (to make runs overlap in tests).

    ``<stage>:<seconds>`` sleeps; ``<stage>:@<file>`` waits until ``file`` exists (at most 300 s).
    """
    import time

    name, _, arg = os.environ.get("DATELINE_PAUSE_AT", "").partition(":")
    if name != stage or not arg:
        return
    if arg.startswith("@"):
        deadline = time.monotonic() + 300
        while not os.path.exists(arg[1:]) and time.monotonic() < deadline:
            time.sleep(0.1)
    else:
        time.sleep(float(arg))


def stage_hook(stage: str) -> None:
    """A named point of a run: pause and/or crash there if the environment asks for it."""
    pausepoint(stage)
    crashpoint(stage)
