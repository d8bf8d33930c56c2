"""Run progress: a rich progress bar in a terminal, plain log lines otherwise.

A reporter is passed to the flow (its ``reporter`` argument), which calls its ``stage`` and
``note``: ``dateline run`` passes :func:`for_terminal`'s (:class:`BarReporter` when stderr is a
terminal, else :class:`LineReporter`) and closes it when the run ends. Without one (e.g. a run
started by ``dateline serve``) the flow reports to the ``dateline`` logger (:class:`LogReporter`).
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Protocol, TextIO, runtime_checkable

log = logging.getLogger("dateline")

#: The stages of a run, in order.
STAGES = ("lock", "discover", "parse", "extract", "validate", "load", "snapshot")


@runtime_checkable  # the ingest flow's parameter schema checks its reporter argument by isinstance
class Reporter(Protocol):
    """Where a run's progress goes: one call per stage (:data:`STAGES`), notes in between."""

    def stage(self, name: str, detail: str = "") -> None: ...
    def note(self, message: str) -> None: ...
    def close(self) -> None: ...


class LogReporter:
    """Progress as log records of the ``dateline`` logger (Prefect shows them for served runs)."""

    def stage(self, name: str, detail: str = "") -> None:
        log.info("stage %s %s", name, detail)

    def note(self, message: str) -> None:
        log.warning("%s", message)

    def close(self) -> None:
        pass


class LineReporter:
    """One plain, timestamped line per stage (for logs, pipes, CI)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.started = time.monotonic()

    def _line(self, text: str) -> None:
        self.stream.write(f"dateline: [{time.monotonic() - self.started:6.1f} s] {text}\n")
        self.stream.flush()

    def stage(self, name: str, detail: str = "") -> None:
        step = STAGES.index(name) + 1 if name in STAGES else 0
        self._line(f"{step}/{len(STAGES)} {name}" + (f": {detail}" if detail else ""))

    def note(self, message: str) -> None:
        self._line(message)

    def close(self) -> None:
        pass


class BarReporter:
    """A rich progress bar over the stages of the run (terminal only)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        # stage details and notes name paths and keys ("[run] on_locked"): printed literally
        self.progress = Progress(
            TextColumn("{task.description}", style="bold", markup=False),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=Console(stderr=True, markup=False, emoji=False, highlight=False),
            transient=True,
        )
        self.task = self.progress.add_task("starting", total=len(STAGES))
        self.progress.start()

    def stage(self, name: str, detail: str = "") -> None:
        done = STAGES.index(name) if name in STAGES else 0
        text = name + (f": {detail}" if detail else "")
        self.progress.update(self.task, completed=done, description=text)

    def note(self, message: str) -> None:
        self.progress.console.print(message)

    def close(self) -> None:
        self.progress.update(self.task, completed=len(STAGES))
        self.progress.stop()


def for_terminal(stream: TextIO | None = None) -> Reporter:
    """A bar when ``stream`` (default stderr) is a terminal, plain lines otherwise."""
    stream = stream or sys.stderr
    return BarReporter() if stream.isatty() else LineReporter(stream)
