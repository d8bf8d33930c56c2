"""Crash points for the kill-and-recover tests (no dependencies, importable from anywhere).

``DATELINE_CRASH_AT=<stage>`` makes the process SIGKILL itself when it reaches ``stage``: a real,
unclean death (no ``finally``, no rollback, no flush), at a precise point of the run.
``DATELINE_FAIL_ARTICLE`` / ``DATELINE_SLOW_ARTICLE`` make extraction fail or stall on marked
articles (:func:`article_faults`), for the error-isolation tests.
"""

from __future__ import annotations

import os
import re
import signal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


def crash_requested(stage: str) -> bool:
    return os.environ.get("DATELINE_CRASH_AT") == stage


def crashpoint(stage: str) -> None:
    """SIGKILL this process if ``$DATELINE_CRASH_AT`` names ``stage``."""
    if crash_requested(stage):
        os.kill(os.getpid(), signal.SIGKILL)


def pausepoint(stage: str) -> None:
    """Pause if ``$DATELINE_PAUSE_AT`` names ``stage`` (to make runs overlap in tests).

    ``<stage>:<seconds>`` sleeps; ``<stage>:@<file>`` waits until ``file`` exists (at most 300 s),
    after creating ``<file>.paused`` (a test waits for it to know the run is there).
    """
    import time

    name, _, arg = os.environ.get("DATELINE_PAUSE_AT", "").partition(":")
    if name != stage or not arg:
        return
    if arg.startswith("@"):
        with open(arg[1:] + ".paused", "w"):
            pass
        deadline = time.monotonic() + 300
        while not os.path.exists(arg[1:]) and time.monotonic() < deadline:
            time.sleep(0.1)
    else:
        time.sleep(float(arg))


def stage_hook(stage: str) -> None:
    """A named point of a run: pause and/or crash there if the environment asks for it."""
    pausepoint(stage)
    crashpoint(stage)


class InjectedFault(RuntimeError):
    """The error ``$DATELINE_FAIL_ARTICLE`` makes extraction raise (tests only)."""


# nested quantifiers over a string without the final "!": the matcher tries every way of cutting the
# run of "a"s, 2**n of them (n = 64: years), and checks for signals as it goes
_BACKTRACKING = r"(a+)+!"


def article_faults(articles: pl.DataFrame) -> None:
    """Misbehave on marked articles, as a broken or pathological extractor would (tests only).

    ``DATELINE_FAIL_ARTICLE=<marker>``: raise :class:`InjectedFault` when an article's body holds
    ``marker``. ``DATELINE_SLOW_ARTICLE=<marker>``: spin in a catastrophically backtracking
    regular expression (it never ends by itself) when one does. Read in the process that
    extracts, so that they reach spawned worker processes too.
    """
    fail, slow = os.environ.get("DATELINE_FAIL_ARTICLE"), os.environ.get("DATELINE_SLOW_ARTICLE")
    if not (fail or slow) or articles.height == 0:
        return
    bodies = articles.get_column("body").fill_null("")
    if fail and bodies.str.contains(fail, literal=True).any():
        raise InjectedFault(f"injected failure: an article contains {fail!r}")
    if slow and bodies.str.contains(slow, literal=True).any():
        re.match(_BACKTRACKING, "a" * 64)
