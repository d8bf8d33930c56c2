"""The ``dateline`` entry point: registers every command group, turns expected failures into one
line and an exit code (1 = the run failed, 2 = bad usage/input), exits without the interpreter's teardown."""

from __future__ import annotations

import atexit
import os
import sys

import typer

from dateline import environment
from dateline.runtime.faults import stage_hook

# Each module registers its commands on the app when imported, in the order `dateline --help` lists them.
# isort: off
from dateline.cli import run, query, status, serve, evaluate, report  # noqa: F401

# isort: on
from dateline.cli.common import RUN_ERRORS, USAGE_ERRORS, RunFailed, UsageError, app, err, loaded_errors


def main() -> None:
    """Entry point: run the typer app and turn expected failures into one line and an exit code.

    The error classes of other modules are looked up when an error is raised, not imported here:
    importing their modules (duckdb, polars) would cost every command ~1 s before it starts, and
    an exception of a class can only exist once its module was imported.
    """
    environment.configure()  # before any command imports prefect or great_expectations
    try:
        code = app(standalone_mode=False)
    except loaded_errors(UsageError, USAGE_ERRORS) as e:
        err.print(f"dateline: error: {e}")
        raise SystemExit(2) from None
    except loaded_errors(RunFailed, RUN_ERRORS) as e:
        err.print(f"dateline: {e}")
        raise SystemExit(1) from None
    except typer.Abort:
        err.print("dateline: aborted")
        raise SystemExit(130) from None
    except SystemExit:
        raise
    except Exception as e:  # click usage errors arrive here in standalone_mode=False
        # typer >= 0.20 vendors click (typer._click): recognise its usage errors by shape
        if hasattr(e, "show") and hasattr(e, "exit_code") and "click" in type(e).__module__:
            e.show()
            raise SystemExit(2) from None
        raise
    if isinstance(code, int) and code:  # typer returns the exit code of Ctrl-C (130) in a command
        if code == 130:
            err.print("dateline: interrupted")
        raise SystemExit(code)


def entry() -> None:
    """The ``dateline`` command: :func:`main`, then exit without the interpreter's teardown.

    After a large run the process holds big frames and many modules; freeing them one by one at
    exit took ~2.5 s of a 70 s BBC run. The exit handlers (Prefect's log and event flushes, the
    temporary API server's stop, the worker pool's shutdown) still run, and every file and
    DuckDB connection is closed before this point. Unexpected exceptions keep their traceback.
    """
    try:
        main()
        code = 0
    except SystemExit as e:
        if isinstance(e.code, str):
            err.print(e.code)
            code = 1
        else:
            code = e.code or 0
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    _end_at_a_signal()
    stage_hook("exiting")
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)


def _end_at_a_signal() -> None:
    """From here on (the exit handlers: Prefect's flushes, the temporary API server's stop) a
    Ctrl-C or SIGTERM ends the process at once, with 130 / 143 and no word more: the command has
    said everything (a run's summary is printed). Without this, a Ctrl-C in a flush printed a
    KeyboardInterrupt traceback. Children die with the process (they get SIGTERM, PR_SET_PDEATHSIG)."""
    import signal

    def end(signum: int, frame: object) -> None:
        os._exit(128 + signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, end)
