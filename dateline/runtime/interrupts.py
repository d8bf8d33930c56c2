"""Ctrl-C and SIGTERM for ``dateline run``: stop within seconds, clean up, say what was loaded.

``dateline run`` creates one :class:`RunStop` and installs its handlers (:meth:`RunStop.handling`)
first thing. It knows the stage the run is at (the command sets its own stages -- start-up, API
boot, workers start, lock wait -- and the flow's stages reach it through the reporter the command
passes to the flow, which it wraps, :meth:`RunStop.tracking`). On the first SIGINT or SIGTERM:

* the handler records the signal and the stage, and raises :class:`Interrupted` in the main
  thread: a ``BaseException``, so that no ``except Exception`` of the code it interrupts (the
  per-article isolation of extraction, a task engine) takes it for an error of its own. The
  ``finally`` blocks on the way out roll the batch back (the load commits only through a gate
  the flow closes, :mod:`dateline.pipeline.commit`), stop the workers and release the run lock;
* a watcher thread sees the signal too, at once (Python writes every handled signal's number to
  a wakeup file descriptor, even while the main thread is inside a long C call where no Python
  handler can run) and starts a deadline: if the process is still alive :data:`DEADLINE` seconds
  later, the watcher kills its child processes, prints the one line and exits. So the command
  stops in time even when the main thread cannot be interrupted;
* the command then marks the run ``failed`` ("interrupted by SIGINT during extract"), stops its
  workers and its temporary Prefect API server, prints one line and ends the process with 130
  (SIGINT) or 143 (SIGTERM) through :meth:`RunStop.exit`, without the interpreter's exit handlers:
  what they would do (Prefect flushing logs and events to the server) is moot for a run that was
  stopped, and talking to a server that is gone produced the connection-error tracebacks.

The handlers must be Python's own at the C level: polars, when imported, puts its SIGINT handler
in front with ``SA_RESTART``, and then a Ctrl-C no longer wakes a main thread that waits (for the
load's result, say) -- the kernel restarts the wait. The run installs its handlers again after its
imports and at each stage (:meth:`RunStop.claim`).

A second signal while this happens is counted and otherwise ignored: the clean-up is bounded by
the deadline anyway. Prefect's own SIGTERM handler, active while its flow engine runs, raises its
``TerminationSignal`` instead of :class:`Interrupted`; the watcher has recorded the signal all the
same, and the command goes by that record, not by the exception's type.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from dateline.runtime.progress import Reporter

#: The signals that stop a run.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

#: Seconds from the signal to the exit, at most: the clean-up's budget (the issue promises 10).
DEADLINE = 8.0

#: Messages of Prefect's engines about a run ended by a BaseException: within ``dateline run``
#: that is an interrupt, which the command reports itself in one line.
PREFECT_CRASH_TEXTS = ("Crash detected", "in state Crashed", "interrupted by base exception")


def exit_code(signum: int) -> int:
    """The shell's convention: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM)."""
    return 128 + signum


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


class Interrupted(BaseException):
    """Raised in the main thread by :class:`RunStop`'s handler on SIGINT / SIGTERM."""

    def __init__(self, signum: int, stage: str) -> None:
        super().__init__(f"interrupted by {signal_name(signum)} during {stage}")
        self.signum = signum
        self.stage = stage


class _QuietAfterStop(logging.Filter):
    """Drops Prefect's crash reports (see :data:`PREFECT_CRASH_TEXTS`), and every record once the
    run was stopped: nothing Prefect says then is news to the user."""

    def __init__(self, stop: RunStop) -> None:
        super().__init__()
        self.stop = stop

    def filter(self, record: logging.LogRecord) -> bool:
        if self.stop.signum is not None:
            return False
        return not any(text in record.getMessage() for text in PREFECT_CRASH_TEXTS)


class _Tracking:
    """A progress reporter that records each stage on its :class:`RunStop`, and says nothing
    more once the run was stopped (the command's one line is the last word)."""

    def __init__(self, stop: RunStop, reporter: Reporter) -> None:
        self.stop = stop
        self.reporter = reporter

    def stage(self, name: str, detail: str = "") -> None:
        self.stop.stage = name
        self.stop.claim()
        if self.stop.signum is None:
            self.reporter.stage(name, detail)

    def note(self, message: str) -> None:
        if self.stop.signum is None:
            self.reporter.note(message)

    def close(self) -> None:
        self.reporter.close()


class RunStop:
    """The stage a run is at, the signal that stopped it (if any) and the exit that follows.

    ``stage`` is a plain attribute the run sets as it goes (its reporter does it for the flow's
    stages). ``signum`` and ``stopped_at`` are set once, by whichever of the handler and the
    watcher sees the first signal.
    """

    def __init__(self, stage: str = "start-up") -> None:
        self.stage = stage
        self.signum: int | None = None
        self.stopped_at = ""  # the stage when the signal came
        self.signals = 0  # how many stop signals came (the handler's count)
        self._record = threading.Lock()
        self._exiting = threading.Lock()  # held by whoever ends the process
        self._raised = False
        self._deadline_line: Callable[[], str] = lambda: "the clean-up did not finish in time"
        self._deadline_stdout: Callable[[str, int], str] | None = None

    # -- recording ------------------------------------------------------------------------------

    def _recorded(self, signum: int) -> bool:
        """Record ``signum`` as the stop signal if it is the first; True if it was."""
        with self._record:
            if self.signum is not None:
                return False
            self.signum, self.stopped_at = signum, self.stage
        return True

    def message(self) -> str:
        """``interrupted by SIGINT during extract`` (the ``runs.message`` of a stopped run)."""
        assert self.signum is not None
        return f"interrupted by {signal_name(self.signum)} during {self.stopped_at}"

    def check(self) -> None:
        """Raise :class:`Interrupted` if a stop signal came (for code after a place that may
        have swallowed it: Prefect's flow engine ignores a BaseException raised once the flow
        function has returned)."""
        if self.signum is not None:
            self._raised = True
            raise Interrupted(self.signum, self.stopped_at)

    def cleaning_up(self) -> None:
        """The run is handling its stop: further signals are counted, never raised (whichever
        handler raised first, this object's or Prefect's SIGTERM bridge)."""
        self._raised = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signals += 1
        if self._recorded(signum):
            self._start_deadline()
        if self._raised:  # a second signal while cleaning up: the clean-up goes on (bounded)
            return
        self._raised = True
        raise Interrupted(signum, self.stopped_at)

    # -- the deadline ---------------------------------------------------------------------------

    def on_deadline(self, line: Callable[[], str], stdout: Callable[[str, int], str] | None = None) -> None:
        """What the deadline's one line says (called if the clean-up overruns), and what it writes
        on stdout before it, if anything: ``stdout(text, exit_code)``, ``text`` the line without
        its ``dateline:`` (``run --json``'s object)."""
        self._deadline_line = line
        self._deadline_stdout = stdout

    def _start_deadline(self) -> None:
        timer = threading.Timer(DEADLINE, self._overdue)
        timer.name, timer.daemon = "dateline-stop-deadline", True
        timer.start()

    def _overdue(self) -> None:
        """The clean-up overran: kill the children, say so, exit (from the timer thread)."""
        if not self._exiting.acquire(blocking=False):
            return  # the main thread is exiting already
        kill_children(signal.SIGKILL)
        try:
            line = self._deadline_line()
        except Exception:  # the line must not stop the exit
            line = "the clean-up did not finish in time"
        text, code = f"{self.message()}: {line}", exit_code(self.signum or signal.SIGINT)
        if self._deadline_stdout is not None:
            with contextlib.suppress(Exception):  # nor must this
                out = (self._deadline_stdout(text, code).replace("\n", " ") + "\n").encode()
                os.write(1, out)  # not sys.stdout: its lock may be held by the stuck thread
        _write_line(f"dateline: {text}")
        os._exit(code)

    def _watch(self, fd: int) -> None:
        """Read the signal numbers Python writes to the wakeup fd: see the first stop signal at
        once, even while the main thread sits in a long C call (its handler runs only after)."""
        while True:
            try:
                data = os.read(fd, 64)
            except OSError:
                return
            if not data:
                return
            for signum in data:
                if signum in STOP_SIGNALS and self._recorded(signum):
                    self._start_deadline()

    # -- installing -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def handling(self) -> Iterator[RunStop]:
        """Handle SIGINT and SIGTERM for the block (main thread only); the previous handlers are
        restored after it."""
        previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        old_wakeup = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        for s in STOP_SIGNALS:
            signal.signal(s, self._handle)
        watcher = threading.Thread(
            target=self._watch, args=(read_fd,), name="dateline-stop-watcher", daemon=True
        )
        watcher.start()
        try:
            yield self
        finally:
            signal.set_wakeup_fd(old_wakeup)
            for s, h in previous.items():
                signal.signal(s, h if h is not None else signal.SIG_DFL)
            os.close(write_fd)  # the watcher reads EOF and ends
            watcher.join(timeout=1)
            os.close(read_fd)

    @contextlib.contextmanager
    def quiet_prefect(self) -> Iterator[None]:
        """For the block (enter it once prefect is imported: that configures its logging): no
        Prefect crash report (a crash is this command's interrupt, said in its own line), and
        nothing at all from Prefect once the run was stopped."""
        quiet = _QuietAfterStop(self)
        handlers = _prefect_handlers()
        for h in handlers:
            h.addFilter(quiet)
        try:
            yield
        finally:
            for h in handlers:
                h.removeFilter(quiet)

    def claim(self) -> None:
        """Install this object's handlers again (main thread only; a no-op elsewhere).

        A library may put its own C-level SIGINT handler in front of Python's when it is
        imported (polars does, with ``SA_RESTART``, chaining to Python's): the handler still runs,
        but only once the main thread returns to Python by itself -- a wait for a lock is
        restarted by the kernel instead of interrupted. The run calls this after its imports,
        and at each stage."""
        if threading.current_thread() is not threading.main_thread():
            return
        for s in STOP_SIGNALS:
            if s == signal.SIGTERM and signal.getsignal(s) != self._handle:  # bound methods: ==
                continue  # Prefect's flow engine has its own while it runs: leave it
            signal.signal(s, self._handle)

    def tracking(self, reporter: Reporter) -> Reporter:
        """``reporter``, recording each stage the flow reports on this object."""
        return _Tracking(self, reporter)

    # -- the end --------------------------------------------------------------------------------

    def exit(self, line: str, stdout: str | None = None) -> NoReturn:
        """Print ``stdout`` (if given) on stdout, ``dateline: <line>`` on stderr and end the
        process with the signal's exit code, without the interpreter's exit handlers (see the
        module's docstring). Never returns. Once here, the deadline prints nothing more."""
        assert self.signum is not None
        self._exiting.acquire()  # if the deadline's thread has it, it ends the process
        if stdout is not None:
            with contextlib.suppress(Exception):
                sys.stdout.write(stdout + "\n")
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        _release_semaphores()
        _write_line(f"dateline: {line}")
        os._exit(exit_code(self.signum))


def _release_semaphores() -> None:
    """Unlink the named semaphores of the worker pool's queues, as multiprocessing does at a normal
    exit: without it, its resource tracker process warns of "leaked semaphore objects" on stderr
    after this one ended. (Its queues' finalizers of priority >= 0: closing, unlinking; not the
    joins of their feeder threads.)"""
    if "multiprocessing.util" not in sys.modules:
        return
    from multiprocessing import util

    with contextlib.suppress(Exception):
        util._run_finalizers(0)  # type: ignore[attr-defined]


def _write_line(text: str) -> None:
    """One line on stderr, written directly (no stream lock another thread could hold)."""
    data = (text.replace("\n", " ") + "\n").encode("utf-8", "replace")
    with contextlib.suppress(OSError):
        os.write(2, data)


def _prefect_handlers() -> list[logging.Handler]:
    """The handlers Prefect's records reach: the root logger's (its console handler) and those
    of the ``prefect`` loggers configured so far (its API log handler)."""
    handlers = list(logging.getLogger().handlers)
    for name in ("prefect", "prefect.flow_runs", "prefect.task_runs", "prefect._internal"):
        handlers.extend(logging.getLogger(name).handlers)
    return list(dict.fromkeys(handlers))


def processes() -> list[tuple[int, int, int]]:
    """(pid, parent pid, process group) of every process on the machine (Linux ``/proc``)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:  # it ended while we looked
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) >= 3:
            found.append((int(entry.name), int(fields[1]), int(fields[2])))
    return found


def kill_children(sig: int = signal.SIGTERM) -> list[int]:
    """Send ``sig`` to every child process of this one, to the whole process group of a child
    that leads its own (the temporary Prefect API server); returns their pids."""
    me = os.getpid()
    killed = []
    for pid, ppid, pgrp in processes():
        if ppid != me:
            continue
        with contextlib.suppress(OSError):
            if pgrp == pid:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
            killed.append(pid)
    return killed
