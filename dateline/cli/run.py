"""``dateline run``: one run of the ingest flow from the command line (lock, API, workers, summary)."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.table import Table as RichTable
from rich.text import Text

from dateline import config
from dateline.environment import OFFLINE_DEFAULTS
from dateline.runtime.faults import stage_hook

if TYPE_CHECKING:
    from dateline.config import Config
    from dateline.pipeline.summary import RunSummary
    from dateline.runtime.interrupts import RunStop
    from dateline.runtime.prefect_api import TemporaryApi
from dateline.cli.common import (
    USAGE_ERRORS,
    RunFailed,
    UsageError,
    WarehouseOpt,
    app,
    console,
    err,
    loaded_errors,
)


class _FailedRunPrinted(RunFailed):
    """A run that failed after its summary was printed (exit code 1)."""


def run_json(summary: object) -> dict[str, object]:
    """``dateline run --json``'s object: every field of the run's summary
    (:class:`dateline.pipeline.summary.RunSummary`), ``rows_written`` (the sum of ``rows``) and ``exit_code``
    (0 success, 1 failed)."""
    import dataclasses

    doc: dict[str, object] = dataclasses.asdict(summary)  # type: ignore[call-overload]
    doc["rows_written"] = sum(getattr(summary, "rows", {}).values())
    doc["exit_code"] = 0 if getattr(summary, "status", None) == "success" else 1
    return doc


def _json_on_failure(command: Callable[..., None]) -> Callable[..., None]:
    """With ``--json``, a run that stops with an error before its summary (a refused lock, an
    interrupt, a full disk) still prints one JSON object: ``run_id`` (null: not known here),
    ``status`` 'failed', ``input_dir``, ``warehouse``, ``message`` (the error's first line, also
    printed to stderr as without ``--json``) and ``exit_code``. Made without importing the
    pipeline (seconds of start-up). Bad usage (exit 2) prints none: no run started."""
    import functools

    @functools.wraps(command)
    def wrapper(**kwargs: object) -> None:
        try:
            command(**kwargs)
        except (UsageError, typer.Exit, typer.Abort):
            raise
        except BaseException as exc:
            if not kwargs.get("as_json") or (isinstance(exc, SystemExit) and not exc.code):
                raise
            if isinstance(exc, loaded_errors(UsageError, USAGE_ERRORS)):
                raise  # bad configuration or reference data: exit 2, like UsageError above
            if isinstance(exc, SystemExit):
                code = exc.code if isinstance(exc.code, int) else 1
                message = f"stopped with exit code {code}"  # its own line is on stderr
            else:
                code = 130 if isinstance(exc, KeyboardInterrupt) else 1
                message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if not isinstance(exc, _FailedRunPrinted):
                warehouse = config.warehouse_path(kwargs.get("warehouse"))  # type: ignore[arg-type]
                sys.stdout.write(
                    _stopped_json(None, kwargs.get("input_dir"), warehouse, message, code) + "\n"
                )
            raise

    return wrapper


@app.command()
@_json_on_failure
def run(
    input_dir: Annotated[
        Path | None, typer.Option("--input", "-i", help="Folder of article files (default: [paths] input).")
    ] = None,
    warehouse: WarehouseOpt = None,
    default_year: Annotated[
        int | None, typer.Option(help="Year for datelines without one when the text gives no evidence.")
    ] = None,
    max_bytes: Annotated[
        int | None, typer.Option(help="Files larger than this are quarantined (default: [run] max_bytes).")
    ] = None,
    on_locked: Annotated[
        str | None,
        typer.Option(
            help="Another run holds the warehouse: 'wait' for it or 'fail' (default: [run] on_locked)."
        ),
    ] = None,
    lock_timeout: Annotated[
        float | None,
        typer.Option(help="Seconds to wait for another run (default: [run] lock_timeout_seconds)."),
    ] = None,
    rehash: Annotated[
        bool,
        typer.Option(
            "--rehash",
            help="Read and hash every file, even if size and mtime are unchanged, and retry the "
            "articles quarantined extract_timeout or extract_failed.",
        ),
    ] = False,
    reextract: Annotated[
        bool | None,
        typer.Option(
            "--reextract/--no-reextract",
            help="Also re-extract the loaded articles an older extractor wrote (from the text the "
            "warehouse holds), in batches of [run] parallel_min_articles (default: [run] reextract).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the run summary as one JSON object on stdout (progress stays on stderr).",
        ),
    ] = False,
) -> None:
    """Ingest every new or changed file under --input into the warehouse.

    Ctrl-C (SIGINT) or SIGTERM stops the run within seconds at any stage: the batch is rolled
    back unless it was committed, the run is marked failed, one line says what was loaded, and
    the exit code is 130 (SIGINT) or 143 (SIGTERM).
    """
    from dateline.runtime import interrupts

    stop = interrupts.RunStop()
    args = _RunArgs(
        input_dir, warehouse, default_year, max_bytes, on_locked, lock_timeout, rehash, reextract, as_json
    )
    started = _Started(as_json=as_json, input_dir=input_dir)
    with stop.handling(), contextlib.ExitStack() as held:
        try:
            _run(stop, started, held, args)
        except BaseException:
            if stop.signum is None:
                raise
            stop.cleaning_up()
            # still holding the run lock (held): no other run starts before this one is marked
            _stopped(stop, started)


@dataclass(frozen=True)
class _RunArgs:
    """The options of ``dateline run`` as given (None: the configured value)."""

    input_dir: Path | None
    warehouse: Path | None
    default_year: int | None
    max_bytes: int | None
    on_locked: str | None
    lock_timeout: float | None
    rehash: bool
    reextract: bool | None  # None: [run] reextract
    as_json: bool


@dataclass
class _Started:
    """What ``dateline run`` has started so far: what an interrupt has to stop or to mark."""

    warehouse: Path | None = None
    run_id: str | None = None
    waiting_for: str | None = None  # the holder of the run lock, while waiting for it
    api: Any = None  # dateline.runtime.prefect_api.TemporaryApi (imported late)
    flow: bool = False  # the ingest flow was called: the run may have a runs row
    summary: Any = None  # dateline.pipeline.summary.RunSummary: the flow returned
    pool: Any = None  # dateline.runtime.workers.WorkerPool (imported late), once created
    as_json: bool = False  # --json: the stopped run's object is printed on stdout too
    input_dir: Path | None = None


def _run(stop: RunStop, started: _Started, held: contextlib.ExitStack, args: _RunArgs) -> None:
    """The body of :func:`run`; ``stop`` (dateline.runtime.interrupts.RunStop) knows its stage, ``started``
    what it started, ``held`` holds the run lock and the worker pool until :func:`run` returns.
    The configuration is resolved here, once, and passed to the flow."""
    from dateline import config

    stop.claim()
    cfg = config.load()
    _check_args(cfg, started, args)
    stop.claim()  # _check_args imported polars (dateline.pipeline.discover), which put its SIGINT handler first
    _take_run_lock(stop, started, held, cfg, args)
    # start-up in parallel: Prefect's API server boots while this process imports its libraries
    stop.stage = "start-up"
    from dateline.runtime import prefect_api
    from dateline.runtime.workers import WorkerPool, resolve_workers

    pool = started.pool = held.enter_context(WorkerPool(resolve_workers(cfg.workers)))
    api = started.api = prefect_api.start_early()
    early = pool.start_early(
        lambda: _files_to_read(_input_dir(started), _warehouse(started), args.rehash),
        min_articles=cfg.parallel_min_articles,
        after=api.booted if api is not None else None,
    )
    stage_hook("start_up")
    from flows.ingest import ingest

    stop.claim()  # in case a library imported above put its own handler first
    stop.stage = "API boot"
    stage_hook("api_boot")
    _wait_for_api(api)
    stop.stage = "workers start"
    # its read-only look at the warehouse must be over before the flow writes: no time limit (a
    # host busy with other runs once took longer than 30 s); a signal still interrupts the wait
    while early.is_alive():
        early.join(timeout=1.0)
    stage_hook("workers_start")  # after the join: the workers the early start spawned exist here
    started.flow = True
    summary = started.summary = _call_flow(ingest, stop, started, cfg, args)
    stop.stage = "summary"
    stage_hook("after_run")
    stop.check()  # Prefect's engine drops a BaseException raised once the flow function returned
    _print_result(summary, args.as_json)


def _input_dir(started: _Started) -> Path:
    assert started.input_dir is not None  # set by _check_args
    return started.input_dir


def _warehouse(started: _Started) -> Path:
    assert started.warehouse is not None  # set by _check_args
    return started.warehouse


def _check_args(cfg: Config, started: _Started, args: _RunArgs) -> None:
    """Resolve the input folder and the warehouse (into ``started``) and check the options: bad
    usage is one line and exit 2, before Prefect starts."""
    from dateline import config
    from dateline.pipeline.discover import InputError, check_input_folder

    input_dir = started.input_dir = args.input_dir or cfg.input
    try:  # missing, not a folder, or cannot be listed
        check_input_folder(input_dir)
    except InputError as e:
        raise UsageError(str(e)) from None
    if args.on_locked is not None and args.on_locked not in config.ON_LOCKED:
        raise UsageError(f"--on-locked must be wait or fail, not {args.on_locked!r}")
    path = started.warehouse = config.warehouse_path(args.warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)


def _take_run_lock(
    stop: RunStop, started: _Started, held: contextlib.ExitStack, cfg: Config, args: _RunArgs
) -> None:
    """Take the run lock before Prefect and the heavy libraries: 'fail' refuses at once, 'wait'
    says so; held (not taken again by the flow) until the command ends. The run's id is known
    from here: after a failure, the warehouse says whether its batch committed."""
    from dateline.warehouse import lock

    path = _warehouse(started)
    run_id = started.run_id = lock.new_run_id()

    def waiting(message: str) -> None:
        started.waiting_for = str(lock.current_holder(path) or "another run")
        err.print(f"dateline: {message}", markup=False)

    stop.stage = "lock wait"
    held.enter_context(
        lock.run_lock(
            path,
            run_id,
            on_locked=args.on_locked or cfg.on_locked,
            timeout=cfg.lock_timeout_seconds if args.lock_timeout is None else args.lock_timeout,
            notify=waiting,
            remind_every=lock.WAIT_REMINDER_SECONDS,
        )
    )
    started.waiting_for = None


def _wait_for_api(api: TemporaryApi | None) -> None:
    """Wait until the temporary Prefect API server (if this run started one) answers."""
    from dateline.runtime.prefect_server import ServeError

    if api is None:
        return
    try:
        startup = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
        api.wait_ready(timeout=float(os.environ.get(startup, OFFLINE_DEFAULTS[startup])))
    except ServeError as exc:
        raise RunFailed(str(exc)) from None


def _call_flow(
    ingest: Callable[..., RunSummary], stop: RunStop, started: _Started, cfg: Config, args: _RunArgs
) -> RunSummary:
    """Run the ``ingest`` flow with this command's configuration, worker pool and progress
    reporter (a bar or plain lines, tracked by ``stop``); a full disk is one line (exit 1)."""
    from dateline.pipeline.discover import InputError
    from dateline.runtime import progress
    from dateline.warehouse import connection

    path, run_id, pool = _warehouse(started), started.run_id, started.pool
    with (
        contextlib.closing(stop.tracking(progress.for_terminal())) as reporter,
        _no_heartbeats(started.api is not None),
        _quiet_prefect_errors(_is_out_of_space, connection.NO_SPACE_TEXTS),
        stop.quiet_prefect(),
    ):
        try:
            return ingest(
                _input_dir(started).resolve(),
                path.resolve(),
                default_year=args.default_year,
                max_bytes=args.max_bytes,
                run_id=run_id,
                rehash=args.rehash,
                reextract=args.reextract,
                lock_held=True,
                config=cfg,
                workers=pool,
                reporter=reporter,
            )
        except InputError as e:
            raise UsageError(str(e)) from None
        except Exception as e:
            if not _is_out_of_space(e) or stop.signum is not None:
                raise
            raise RunFailed(_disk_full_message(path, str(run_id), e)) from None
        finally:
            # the API server stays up until exit (atexit): Prefect flushes its logs and events then
            pool.shutdown()


def _print_result(summary: RunSummary, as_json: bool) -> None:
    """The run's summary (a table, or one JSON object with ``--json``); exit 1 if it failed."""
    if as_json:
        import json

        sys.stdout.write(json.dumps(run_json(summary)) + "\n")
    else:
        _print_summary(summary)
    if summary.status != "success":
        raise _FailedRunPrinted(summary.message or "run failed")


def _stopped(stop: RunStop, started: _Started) -> NoReturn:
    """After SIGINT / SIGTERM (``stop``, a dateline.runtime.interrupts.RunStop, has the signal and the stage):
    stop the workers, mark the run failed, stop the temporary API server, print one line saying
    what was and was not loaded, and end the process with 130 / 143. Never returns."""
    stop.on_deadline(
        lambda: (
            "the clean-up did not finish in time; whether this batch was loaded is unknown "
            "('dateline status' shows the runs)"
            if started.flow
            else "nothing was loaded"
        ),
        # run --json prints its object when the deadline ends the process too
        stdout=(lambda text, code: _signalled_json(started, text, code)) if started.as_json else None,
    )
    if started.pool is not None:
        started.pool.close()
    outcome = _stopped_outcome(stop.message(), started)
    if started.api is not None:
        started.api.stop(timeout=2.0)
    if started.waiting_for is not None:
        sig = stop.message().split(" during ")[0]
        line = f"{sig} while waiting for {started.waiting_for} to finish: nothing was run"
    else:
        line = f"{stop.message()}: {outcome}"
    doc = None
    if started.as_json:  # the process ends in stop.exit, past run's --json handling
        assert stop.signum is not None
        doc = _signalled_json(started, line, 128 + stop.signum)
    stop.exit(line, stdout=doc)  # printed once: by this or by the deadline's exit


def _signalled_json(started: _Started, line: str, code: int) -> str:
    """``run --json``'s object for a run stopped by a signal (its id once the flow was called)."""
    run_id = started.run_id if started.flow else None
    return _stopped_json(run_id, started.input_dir, started.warehouse, line, code)


def _stopped_json(run_id: str | None, input_dir: object, warehouse: object, message: str, code: int) -> str:
    """``run --json``'s object for a run that stopped before its summary (an error, a signal):
    the run's id (null if it had none yet), status 'failed', where, what its line says, and the
    exit code."""
    import json

    where = {"input_dir": input_dir, "warehouse": warehouse}
    doc = {
        "run_id": run_id,
        "status": "failed",
        **{k: None if v is None else str(v) for k, v in where.items()},
        "message": message,
        "exit_code": code,
    }
    return json.dumps(doc)


def _stopped_outcome(why: str, started: _Started) -> str:
    """What an interrupted run loaded: its runs row is marked failed with ``why`` (if it has one)."""
    if started.summary is not None:
        s = started.summary
        if s.rows:
            loaded = "its batch was loaded"
        elif s.status != "success":  # e.g. a batch that failed its critical checks: rolled back
            loaded = "nothing of its batch was loaded"
        else:
            loaded = "it had nothing to load"
        return f"the run had finished ({s.status}; {loaded})"
    path, run_id = started.warehouse, started.run_id
    if not started.flow or path is None or run_id is None or not path.exists():
        return "nothing was loaded"
    from dateline.warehouse import connection, runs

    try:
        con = connection.connect(path)
        try:
            committed = runs.close_stopped_run(con, run_id, why)
        finally:
            con.close()
    except Exception as exc:  # the line is still worth printing without the answer
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"whether this batch was loaded is unknown (run {run_id} could not be marked failed: {first})"
    if committed is None:
        return "nothing was loaded (the run had not started loading)"
    if committed:
        return f"the batch had been committed and is loaded; run {run_id} is marked failed"
    return f"nothing of this batch was loaded (rolled back); run {run_id} is marked failed"


def _is_out_of_space(exc: BaseException) -> bool:
    from dateline.warehouse import connection

    return connection.out_of_space(exc) is not None


def _disk_full_message(warehouse: Path, run_id: str, exc: BaseException) -> str:
    """One line for a run stopped by a full disk: where, how much is free, what could not be
    written, and whether the batch got in (asked of the warehouse: its commit is all or nothing).

    Nothing of an uncommitted batch is in the warehouse (DuckDB rolls the transaction back, and
    the WAL and snapshot are left as they were); the run's ``runs`` row, if it was written, is
    closed as interrupted by the next run.
    """
    import shutil

    from dateline.warehouse import connection, runs

    folder = Path(warehouse).resolve().parent
    try:
        free = f"{shutil.disk_usage(folder).free / 1024:,.0f} KB free"
    except OSError:
        free = "free space unknown"
    cause = connection.out_of_space(exc) or exc
    said = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
    committed: bool | None = False  # no warehouse file yet: nothing can have been loaded
    if Path(warehouse).exists():
        try:
            con = connection.connect(warehouse, read_only=True, sandbox=True)
            try:
                committed = runs.batch_committed(con, run_id)
            finally:
                con.close()
        except Exception:  # the line is still worth printing without the answer
            committed = None
    if committed is None:
        outcome = "whether this batch was loaded is unknown ('dateline status' shows the runs)"
    elif committed:
        outcome = (
            "the batch was loaded, but the run could not be closed or its snapshot published; "
            "free some space and run again to finish"
        )
    else:
        outcome = "nothing was loaded from this batch; free some space and run again"
    return f"the warehouse's disk is full ({folder}: {free}; {said}): {outcome}"


class _DropErrors(logging.Filter):
    """Drops the records of an error the command reports itself: those whose exception
    ``expected`` accepts, and error records whose text has one of ``texts`` (Prefect's
    "Finished in state Failed(...)" of a task carries the exception's text, not the exception)."""

    def __init__(self, expected: Callable[[BaseException], bool], texts: tuple[str, ...]) -> None:
        super().__init__()
        self.expected = expected
        self.texts = texts

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and self.expected(exc):
            return False
        return not (record.levelno >= logging.ERROR and any(t in record.getMessage() for t in self.texts))


@contextlib.contextmanager
def _quiet_prefect_errors(
    expected: Callable[[BaseException], bool], texts: tuple[str, ...]
) -> Iterator[None]:
    """No "Encountered exception during execution" record (with its traceback) nor "Finished in
    state Failed" from Prefect's flow and task runs for an error the command says in one line."""
    loggers = [logging.getLogger(name) for name in ("prefect.flow_runs", "prefect.task_runs")]
    quiet = _DropErrors(expected, texts)
    for logger in loggers:
        logger.addFilter(quiet)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(quiet)


def _files_to_read(input_dir: Path, warehouse: Path, rehash: bool) -> int:
    """How many files under ``input_dir`` a run would read (the flow's discovery rule, without
    reading them), for starting the extraction workers early. Called while holding the run lock
    (no other run writes the warehouse meanwhile)."""
    from dateline.pipeline.discover import count_to_read
    from dateline.warehouse import connection, file_manifest

    manifest = None
    if warehouse.exists():
        con = connection.connect(warehouse, read_only=True)
        try:
            manifest = file_manifest.manifest(con)
        finally:
            con.close()
    return count_to_read(input_dir, manifest, rehash=rehash)


@contextlib.contextmanager
def _no_heartbeats(active: bool) -> Iterator[None]:
    """No flow-run heartbeats while ``active``: for a run against its own temporary API server.

    Prefect sends a heartbeat every 180 s so that a server can tell a crashed run; a server that
    lives and dies with this one command never looks, and stopping the heartbeat thread at the
    end of the flow waits up to a second (it sleeps in 1 s steps)."""
    if not active:
        yield
        return
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def _print_summary(s: RunSummary) -> None:
    console.print(Text.assemble((f"run {s.run_id}", "bold"), f"  {s.status}  ({s.seconds:.1f} s)"))
    console.print(f"input      {s.input_dir}\nwarehouse  {s.warehouse}")
    console.print(
        f"files      seen {s.files_seen} / new or changed {s.files_new} / unchanged {s.files_unchanged} / "
        f"duplicate {s.files_duplicate} / quarantined {s.files_quarantined} / "
        f"deleted {getattr(s, 'files_deleted', 0)}"
        + (f" / could not be read, rows kept {s.files_kept}" if getattr(s, "files_kept", 0) else "")
    )
    if s.rows:
        t = RichTable("table", "rows written", box=None)
        for name, n in sorted(s.rows.items()):
            t.add_row(name, str(n))
        console.print(t)
    else:
        console.print("rows       none written")
    for path, why in s.quarantined[:10]:
        console.print(f"quarantined  {path}: {why}")
    if len(s.quarantined) > 10:
        console.print(f"... and {len(s.quarantined) - 10} more (see the quarantine table)")
    kept = getattr(s, "kept", [])
    for path, why in kept[:10]:
        console.print(f"kept         {path}: {why} (its rows are kept; read again next run)")
    if len(kept) > 10:
        console.print(f"... and {len(kept) - 10} more kept")
    console.print(f"data quality  {s.dq_verdict}")
    for line in s.dq_failed[:10]:
        console.print(f"  {line}")
    if len(s.dq_failed) > 10:
        console.print(f"  ... and {len(s.dq_failed) - 10} more (see v_dq_failures)")
    _print_reextraction(s)
    if s.message:
        console.print(s.message)


def _print_reextraction(s: RunSummary) -> None:
    """The summary's re-extraction lines (none when the run re-extracted nothing and set nothing aside)."""
    failed = getattr(s, "reextract_failed", [])
    if not (getattr(s, "articles_reextracted", 0) or failed):
        return
    console.print(
        f"re-extracted  {s.articles_reextracted} loaded article(s) an older extractor wrote"
        + (f"; {len(failed)} could not be (their rows are kept)" if failed else "")
    )
    for article, why in failed[:10]:
        console.print(f"not re-extracted  {article}: {why} (its rows are kept)")
    if len(failed) > 10:
        console.print(f"... and {len(failed) - 10} more (see dq_results articles.reextraction_set_aside)")
