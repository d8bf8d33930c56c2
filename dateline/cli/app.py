"""The ``dateline`` command line: run, serve, query, status (and the commands of other modules).

Expected failures (bad input folder, locked warehouse, bad reference data, bad SQL) print one
readable line and exit non-zero, without a traceback: 1 = the run failed, 2 = bad usage/input.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table as RichTable
from rich.text import Text

from dateline import settings
from dateline.runtime.faults import stage_hook

if TYPE_CHECKING:
    from dateline.runtime.interrupts import RunStop
    from flows.ingest import RunSummary

settings.configure()

# Help is printed as written (rich_markup_mode=None): with rich markup, "[paths] input" in a help
# text lost its "[paths]". -h is --help, for every command (subcommands inherit the setting).
HELP_SETTINGS = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(
    name="dateline",
    help="Dateline: news articles -> events and entities in DuckDB, checked by data-quality rules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=HELP_SETTINGS,
)
# Every message is printed literally: no markup ("[run] max_bytes" keeps its section), no emoji
# codes, no highlighting; a style is applied explicitly where wanted (rich.text.Text).
console = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)


def _version(value: bool) -> None:
    """``--version``: the installed package's version, then exit."""
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("dateline")
        except PackageNotFoundError:  # a checkout run without installing it
            number = "unknown (not installed)"
        console.print(f"dateline {number}")
        raise typer.Exit()


@app.callback()
def _common(
    _show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version of dateline and exit."
        ),
    ] = False,
) -> None:
    """Checks shared by every command: an unknown DATELINE_* environment variable is an error
    (the one a command reads would otherwise be ignored without a word)."""
    from dateline import config

    config.check_environment()


class UsageError(Exception):
    """Bad input or configuration: exit code 2."""


class RunFailed(Exception):
    """The run ran but failed: exit code 1."""


WarehouseOpt = Annotated[
    Path | None,
    typer.Option(
        "--warehouse", "-w", help="DuckDB file (default: $DATELINE_WAREHOUSE or warehouse/dateline.duckdb)."
    ),
]


class _FailedRunPrinted(RunFailed):
    """A run that failed after its summary was printed (exit code 1)."""


def run_json(summary: object) -> dict[str, object]:
    """``dateline run --json``'s object: every field of the run's summary
    (:class:`flows.ingest.RunSummary`), ``rows_written`` (the sum of ``rows``) and ``exit_code``
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
            if isinstance(exc, _loaded(UsageError, _USAGE_ERRORS)):
                raise  # bad configuration or reference data: exit 2, like UsageError above
            if isinstance(exc, SystemExit):
                code = exc.code if isinstance(exc.code, int) else 1
                message = f"stopped with exit code {code}"  # its own line is on stderr
            else:
                code = 130 if isinstance(exc, KeyboardInterrupt) else 1
                message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if not isinstance(exc, _FailedRunPrinted):
                warehouse = settings.warehouse_path(kwargs.get("warehouse"))  # type: ignore[arg-type]
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
    started = _Started(as_json=as_json, input_dir=input_dir)
    with stop.handling(), contextlib.ExitStack() as held:
        try:
            _run(
                stop,
                started,
                held,
                input_dir,
                warehouse,
                default_year,
                max_bytes,
                on_locked,
                lock_timeout,
                rehash,
                as_json,
            )
        except BaseException:
            if stop.signum is None:
                raise
            stop.cleaning_up()
            # still holding the run lock (held): no other run starts before this one is marked
            _stopped(stop, started)


@dataclass
class _Started:
    """What ``dateline run`` has started so far: what an interrupt has to stop or to mark."""

    warehouse: Path | None = None
    run_id: str | None = None
    waiting_for: str | None = None  # the holder of the run lock, while waiting for it
    api: Any = None  # dateline.runtime.prefect_api.TemporaryApi (imported late)
    flow: bool = False  # the ingest flow was called: the run may have a runs row
    summary: Any = None  # flows.ingest.RunSummary: the flow returned
    as_json: bool = False  # --json: the stopped run's object is printed on stdout too
    input_dir: Path | None = None


def _run(
    stop: RunStop,
    started: _Started,
    held: contextlib.ExitStack,
    input_dir: Path | None,
    warehouse: Path | None,
    default_year: int | None,
    max_bytes: int | None,
    on_locked: str | None,
    lock_timeout: float | None,
    rehash: bool,
    as_json: bool,
) -> None:
    """The body of :func:`run`; ``stop`` (dateline.runtime.interrupts.RunStop) knows its stage, ``started``
    what it started, ``held`` holds the run lock until :func:`run` returns."""
    from dateline import config
    from dateline.pipeline.discover import InputError, check_input_folder
    from dateline.warehouse import lock

    stop.claim()  # polars (imported by dateline.pipeline.discover) put its SIGINT handler before this command's
    cfg = config.load()
    input_dir = started.input_dir = input_dir or cfg.input
    try:  # missing, not a folder, or cannot be listed: one line, exit 2, before Prefect starts
        check_input_folder(input_dir)
    except InputError as e:
        raise UsageError(str(e)) from None
    if on_locked is not None and on_locked not in config.ON_LOCKED:
        raise UsageError(f"--on-locked must be wait or fail, not {on_locked!r}")
    path = settings.warehouse_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    # known here: after a failure, the warehouse says whether its batch committed
    run_id = started.run_id = lock.new_run_id()
    started.warehouse = path

    def waiting(message: str) -> None:
        started.waiting_for = str(lock.current_holder(path) or "another run")
        err.print(f"dateline: {message}", markup=False)

    # the run lock, before Prefect and the heavy libraries: 'fail' refuses at once, 'wait' says
    # so; held (not taken again by the flow) until the command ends
    stop.stage = "lock wait"
    held.enter_context(
        lock.run_lock(
            path,
            run_id,
            on_locked=on_locked or cfg.on_locked,
            timeout=cfg.lock_timeout_seconds if lock_timeout is None else lock_timeout,
            notify=waiting,
            remind_every=lock.WAIT_REMINDER_SECONDS,
        )
    )
    started.waiting_for = None
    # start-up in parallel: Prefect's API server boots while this process imports its libraries
    stop.stage = "start-up"
    from dateline.runtime import prefect_api
    from dateline.runtime import workers as parallel
    from dateline.runtime.prefect_server import ServeError

    api = started.api = prefect_api.start_early()
    early = parallel.prestart_early(
        lambda: _files_to_read(input_dir, path, rehash),
        workers=parallel.resolve_workers(cfg.workers),
        min_articles=cfg.parallel_min_articles,
        after=api.booted if api is not None else None,
    )
    stage_hook("start_up")
    from dateline.runtime import progress
    from dateline.warehouse import connection
    from flows.ingest import ingest

    stop.claim()  # in case a library imported above put its own handler first
    stop.stage = "API boot"
    stage_hook("api_boot")
    if api is not None:
        try:
            api.wait_ready(
                timeout=float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", 180))
            )
        except ServeError as exc:
            parallel.shutdown()
            raise RunFailed(str(exc)) from None

    stop.stage = "workers start"
    stage_hook("workers_start")
    early.join(timeout=30)  # its read-only look at the warehouse is over before the flow writes
    started.flow = True
    with (
        progress.use(stop.tracking(progress.for_terminal())),
        _no_heartbeats(api is not None),
        _quiet_prefect_errors(_is_out_of_space, connection.NO_SPACE_TEXTS),
        stop.quiet_prefect(),
    ):
        try:
            summary = ingest(
                input_dir.resolve(),
                path.resolve(),
                default_year=default_year if default_year is not None else cfg.default_year,
                max_bytes=max_bytes if max_bytes is not None else cfg.max_bytes,
                run_id=run_id,
                on_locked=on_locked,
                lock_timeout=lock_timeout,
                rehash=rehash,
                lock_held=True,
            )
        except InputError as e:
            raise UsageError(str(e)) from None
        except Exception as e:
            if not _is_out_of_space(e) or stop.signum is not None:
                raise
            raise RunFailed(_disk_full_message(path, run_id, e)) from None
        finally:
            # the API server stays up until exit (atexit): Prefect flushes its logs and events then
            parallel.shutdown()
    started.summary = summary
    stop.stage = "summary"
    stage_hook("after_run")
    stop.check()  # Prefect's engine drops a BaseException raised once the flow function returned
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
    if "dateline.runtime.workers" in sys.modules:
        from dateline.runtime import workers as parallel

        parallel.close()
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
    if s.message:
        console.print(s.message)


QUERY_FORMATS = ("table", "csv", "json", "parquet")


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL to run (read-only).")],
    warehouse: WarehouseOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | csv | json | parquet")] = "table",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the result to this file (required for parquet).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows to show in table format.")] = 200,
    wait: Annotated[
        float | None,
        typer.Option(
            help="Seconds to wait for a running load before reading the snapshot ([query] wait_seconds)."
        ),
    ] = None,
) -> None:
    """Run a read-only SQL query; during a load, wait briefly or read the last published snapshot.

    Says on stderr which it read: the live warehouse or the snapshot (and how old it is). The
    SQL reads the warehouse and nothing else: COPY TO, reading files or URLs, ATTACH,
    INSTALL/LOAD and SET are refused (exit 2); --out writes the result (from Python, not SQL).
    """
    import duckdb

    from dateline import config
    from dateline.warehouse import sandbox, snapshots

    cfg = config.load()
    path = settings.warehouse_path(warehouse)
    if fmt not in QUERY_FORMATS:
        raise UsageError(f"--format must be one of {', '.join(QUERY_FORMATS)}, not {fmt!r}")
    if fmt == "parquet" and out is None:
        raise UsageError("--format parquet needs --out FILE")
    if fmt == "table" and out is not None:
        raise UsageError("--out needs --format csv, json or parquet")
    if not path.exists() and not snapshots.snapshot_path(path).exists():
        raise UsageError(f"warehouse {path} does not exist yet: run 'dateline run' first")
    con, source = snapshots.open_for_reading(
        path, cfg.query_wait_seconds if wait is None else wait, use_snapshot=cfg.snapshot
    )
    try:
        try:
            rel = con.sql(sql)
            df = rel.pl() if rel is not None else None
        except duckdb.Error as e:
            refused = sandbox.sandbox_refusal(e)
            raise UsageError(refused or f"query failed: {str(e).splitlines()[0]}") from None
    finally:
        con.close()
    err.print(f"dateline: read from the {source}")
    if df is None:
        raise UsageError("the SQL returned no result set (only SELECT-like statements are supported)")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        {"csv": df.write_csv, "json": df.write_json, "parquet": df.write_parquet}[fmt](out)
        err.print(f"dateline: {df.height} row(s) written to {out}")
    elif fmt == "csv":
        sys.stdout.write(df.write_csv())
    elif fmt == "json":
        sys.stdout.write(df.write_json() + "\n")
    else:
        t = RichTable(*df.columns)
        for row in df.head(limit).iter_rows():
            t.add_row(*["" if v is None else str(v) for v in row])
        _print_table(t)
        if df.height > limit:
            console.print(f"({df.height} rows, {limit} shown)")


@app.command()
def status(
    warehouse: WarehouseOpt = None,
    last: Annotated[int, typer.Option("--last", "-n", help="How many runs to show.")] = 10,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | json")] = "table",
) -> None:
    """The last runs: when, how long, files and rows, data-quality verdict; and any run in progress."""
    import json

    from dateline.report.html import verdict_label
    from dateline.warehouse import lock, snapshots

    if fmt not in ("table", "json"):
        raise UsageError(f"--format must be table or json, not {fmt!r}")
    if last < 1:
        raise UsageError("--last must be at least 1")
    path = settings.warehouse_path(warehouse)
    if not path.exists() and not snapshots.snapshot_path(path).exists():
        raise UsageError(f"warehouse {path} does not exist yet: run 'dateline run' first")
    holder_before = lock.current_holder(path)
    con, source = snapshots.open_for_reading(path, 1.0)
    try:
        runs = con.sql(
            """
            SELECT run_id, status, started_at, finished_at,
                   round(epoch(finished_at) - epoch(started_at), 1) AS seconds,
                   files_seen, files_new, files_unchanged, files_duplicate, files_quarantined,
                   articles_loaded, rows_written, dq_verdict, message
            FROM runs ORDER BY started_at DESC LIMIT ?
            """,
            params=[last],
        ).pl()
    finally:
        con.close()
    holder = lock.current_holder(path)
    busy = holder is not None
    runs = _interrupted_runs_shown(runs, {h.run_id for h in (holder_before, holder) if h is not None})
    snap = snapshots.snapshot_path(path)
    if fmt == "json":
        doc = {
            "warehouse": str(path),
            "read_from": source,
            "run_in_progress": busy,
            "snapshot": str(snap) if snap.exists() else None,
            "runs": json.loads(runs.write_json()),
        }
        sys.stdout.write(json.dumps(doc, default=str) + "\n")
        return
    console.print(f"warehouse  {path}  (read from the {source})")
    if busy:
        console.print(Text.assemble(("a run is in progress", "bold"), f": {holder}"))
    now = datetime.now(UTC)
    if snap.exists():
        published = datetime.fromtimestamp(snap.stat().st_mtime, tz=UTC)
        console.print(f"snapshot   {snap}  published {_when(published, now)}")
    if runs.height == 0:
        console.print("no runs yet")
        return
    # the run id is what `report --run` takes: never cut short (no_wrap), and first to be read
    t = RichTable(box=None, pad_edge=False, collapse_padding=True)
    t.add_column("run", no_wrap=True)
    for header in ("started", "status", "secs", "files s/n/u/d/q", "articles", "rows", "DQ"):
        t.add_column(header)
    for r in runs.iter_rows(named=True):
        started = _when(r["started_at"], now) if r["started_at"] else ""
        files = "/".join(
            "" if r[k] is None else str(r[k])
            for k in ("files_seen", "files_new", "files_unchanged", "files_duplicate", "files_quarantined")
        )
        t.add_row(
            r["run_id"],
            started,
            r["status"],
            "" if r["seconds"] is None else f"{r['seconds']:.1f}",
            files,
            "" if r["articles_loaded"] is None else str(r["articles_loaded"]),
            "" if r["rows_written"] is None else str(r["rows_written"]),
            verdict_label(r),
        )
    _print_table(t)
    for r in runs.iter_rows(named=True):
        if r["status"] != "success" and r["message"]:
            console.print(f"{r['run_id']}: {r['message']}")


def _print_table(table: RichTable) -> None:
    """``table`` on stdout: fitted to the terminal on a terminal; at its full width when stdout
    is a pipe or a file (rich would cut it to 80 columns, wrapping long cells a word a line)."""
    if console.is_terminal:
        console.print(table)
        return
    wide = Measurement.get(console, console.options.update_width(sys.maxsize), table).maximum
    # print() caps its width at the console's: a console of the table's own width instead
    full = Console(file=console.file, width=max(wide, 1), highlight=False, markup=False, emoji=False)
    full.print(table)


def _when(moment: datetime, now: datetime) -> str:
    """A time for people: local time with its zone, and how long ago, e.g.
    ``2026-11-30 10:51:02 UTC (3 min ago)``."""
    local = moment.astimezone()
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} ({_ago((now - moment).total_seconds())})"


def _ago(seconds: float) -> str:
    """``seconds`` as a rounded age: ``12 s ago``, ``3 min ago``, ``5 h ago``, ``2 days ago``."""
    seconds = max(seconds, 0.0)
    for limit, unit, size in ((90, "s", 1), (90 * 60, "min", 60), (36 * 3600, "h", 3600)):
        if seconds < limit:
            return f"{seconds / size:.0f} {unit} ago"
    return f"{seconds / 86400:.0f} days ago"


#: ``status`` of a run whose row says ``running`` while no process runs it (see below).
INTERRUPTED = "interrupted"
INTERRUPTED_MESSAGE = (
    "interrupted: its process stopped without closing the run (killed?); nothing of its batch "
    "was loaded unless it had committed (the next run marks it failed)"
)


def _interrupted_runs_shown(runs: Any, running: set[str | None]) -> Any:
    """``runs`` with the status of every ``running`` row whose run does not hold the run lock
    (``running``: the run ids of the lock's holders, read before and after the rows) shown as
    ``interrupted``, and a message saying what that means. Read-only: the next run marks such a
    row failed in the warehouse; until then no reader should call a dead run running."""
    import polars as pl

    dead = (pl.col("status") == "running") & ~pl.col("run_id").is_in([r for r in running if r])
    return runs.with_columns(
        pl.when(dead).then(pl.lit(INTERRUPTED)).otherwise(pl.col("status")).alias("status"),
        pl.when(dead)
        .then(pl.coalesce(pl.col("message"), pl.lit(INTERRUPTED_MESSAGE)))
        .otherwise(pl.col("message"))
        .alias("message"),
    )


@app.command()
def serve(
    cron: Annotated[
        str | None, typer.Option(help='Cron schedule, e.g. "*/15 * * * *" (default: [serve] cron).')
    ] = None,
    input_dir: Annotated[
        Path | None, typer.Option("--input", "-i", help="Folder of article files (default: [paths] input).")
    ] = None,
    warehouse: WarehouseOpt = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port of the local Prefect server if one is started (0 = any free port)."),
    ] = None,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Run the deployment once, then exit with the run's exit code (0 success, 1 failed).",
        ),
    ] = False,
) -> None:
    """Serve the `ingest` deployment on a cron schedule (needs a Prefect server: $PREFECT_API_URL,
    else a local one is started and its UI address printed). Ctrl-C stops everything.

    Each run prints a summary line here and writes its data-quality report (reports/ next to
    the warehouse), as `make run` does."""
    from dateline import config
    from dateline.runtime.prefect_server import ServeError
    from flows import deploy as serve_mod

    cfg = config.load()
    input_dir = input_dir or cfg.input
    if not input_dir.is_dir():
        raise UsageError(f"input folder {input_dir} does not exist or is not a folder")
    if cron is not None:
        where = "--cron"
    else:
        var = config.env_name("serve", "cron")
        where = f"${var}" if var in os.environ else f"[serve] cron of {cfg.source}"
        cron = cfg.serve_cron
    _check_cron(cron, where)
    path = settings.warehouse_path(warehouse)
    try:
        code = serve_mod.serve(
            input_dir.resolve(),
            path.resolve(),
            cron,
            deployment=cfg.serve_deployment,
            host=cfg.serve_host,
            port=cfg.serve_port if port is None else port,
            prefect_home=cfg.serve_prefect_home,
            default_year=cfg.default_year,
            max_bytes=cfg.max_bytes,
            echo=lambda line: console.print(line, markup=False),
            once=once,
        )
    except ServeError as e:
        raise RunFailed(str(e)) from None
    if code:
        raise SystemExit(code)


CRON_EXAMPLE = '"*/15 * * * *" (every 15 minutes) or "0 6 * * 1-5" (06:00 on weekdays)'


def _check_cron(cron: str, where: str) -> None:
    """:class:`UsageError` in one line, with an example, if Prefect would refuse ``cron``
    (its own check, so that the schedule serve() then creates is accepted); ``where`` names
    the option or key it came from. Prefect's error is a multi-line pydantic report."""
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=cron)
    except ValueError:
        raise UsageError(
            f"invalid cron expression {cron!r} ({where}): a schedule is five fields (minute hour "
            f"day-of-month month day-of-week), e.g. {CRON_EXAMPLE}"
        ) from None


@app.command("train-ner")
def train_ner_cmd(
    train: Annotated[Path, typer.Option("--train", help="CoNLL-2003 training file (e.g. eng.train).")],
    dev: Annotated[Path, typer.Option("--dev", help="CoNLL-2003 dev file for model selection (eng.testa).")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the best model to.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    config: Annotated[
        Path | None, typer.Option(help="spaCy training config (default: seeds/models/ner_config.cfg).")
    ] = None,
    max_steps: Annotated[int | None, typer.Option(help="Override training.max_steps.")] = None,
) -> None:
    """Train the NER model (spaCy tok2vec + ner) on CoNLL-2003 and write the best one to --out."""
    import json

    from dateline.evaluation.train_ner import DEFAULT_CONFIG, train_ner

    cfg = config or DEFAULT_CONFIG
    for label, path in (("--train", train), ("--dev", dev)):
        if not path.is_file():
            raise UsageError(settings.missing_shared(f"{label} file", path))
    if not cfg.is_file():
        raise UsageError(f"--config file {cfg} does not exist")
    facts = train_ner(train, dev, out, seed=seed, config=cfg, max_steps=max_steps)
    sys.stdout.write(json.dumps(facts) + "\n")


eval_app = typer.Typer(
    help="Measure extraction against gold data.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings=HELP_SETTINGS,
)
app.add_typer(eval_app, name="eval")


@eval_app.command("ner")
def eval_ner_cmd(
    conll: Annotated[Path, typer.Option("--conll", help="CoNLL-2003 file (4 columns, IOB1 or IOB2).")],
    model: Annotated[
        Path | None, typer.Option(help="spaCy NER model folder (default: seeds/models/ner_conll).")
    ] = None,
) -> None:
    """Score the pipeline's NER on a CoNLL file; the last stdout line is the JSON result."""
    import json

    from dateline.evaluation.ner import evaluate_ner
    from dateline.resources.ner_model import NerModelMissing

    if not conll.is_file():
        raise UsageError(settings.missing_shared("--conll file", conll))
    try:
        result = evaluate_ner(conll, model)
    except NerModelMissing as e:
        raise UsageError(str(e)) from None
    except ValueError as e:
        raise UsageError(f"{conll}: {e}") from None
    sys.stdout.write(json.dumps(result) + "\n")


@eval_app.command("ner-speed")
def eval_ner_speed_cmd(
    corpus: Annotated[Path, typer.Option("--corpus", help="Folder of article text files (any depth).")],
    model: Annotated[Path | None, typer.Option(help="spaCy NER model folder.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many files.")] = 0,
    n_process: Annotated[int, typer.Option(help="Processes for nlp.pipe.")] = 1,
    batch_size: Annotated[int, typer.Option(help="Batch size for nlp.pipe.")] = 64,
) -> None:
    """Time the NER alone on article texts; the last stdout line is JSON (articles/s, tokens/s)."""
    import json

    from dateline.evaluation.ner import ner_speed

    if not corpus.is_dir():
        raise UsageError(settings.missing_shared("--corpus folder", corpus))
    result = ner_speed(corpus, model, limit=limit, n_process=n_process, batch_size=batch_size)
    sys.stdout.write(json.dumps(result) + "\n")


@eval_app.command("events")
def eval_events_cmd(
    plover: Annotated[Path, typer.Option("--plover", help="PLOVER gold records (JSON array).")],
) -> None:
    """Score event coding against PLOVER gold records; the last stdout line is the JSON result."""
    import json

    from dateline.evaluation.events import EvalDataError, evaluate_events, read_plover
    from dateline.resources.reference import load_reference

    if not plover.is_file():
        raise UsageError(settings.missing_shared("--plover file", plover))
    try:
        records = read_plover(plover)
    except EvalDataError as e:
        raise UsageError(str(e)) from None
    from dateline.resources.ner_model import load_ner

    result = evaluate_events(records, load_reference(), load_ner())
    sys.stdout.write(json.dumps(result) + "\n")


@app.command()
def report(
    run_id: Annotated[
        str | None, typer.Option("--run", help="Run to report (default: the latest run).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder for the HTML files (default: reports/ next to the warehouse)."
        ),
    ] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Write the self-contained HTML data-quality report of a run, and the index over all runs."""
    from dateline.report.data import ReportError
    from dateline.report.html import write_report

    path = settings.warehouse_path(warehouse)
    if not path.exists():
        raise UsageError(f"warehouse {path} does not exist yet: run 'dateline run' first")
    try:
        paths = write_report(path, run_id=run_id, out_dir=out)
    except ReportError as e:
        raise UsageError(str(e)) from None
    console.print(f"data-quality report of run {paths.run_id}: {paths.run_html}")
    console.print(f"all runs: {paths.index_html}")


def main() -> None:
    """Entry point: run the typer app and turn expected failures into one line and an exit code.

    The error classes of other modules are looked up when an error is raised, not imported here:
    importing their modules (duckdb, polars) would cost every command ~1 s before it starts, and
    an exception of a class can only exist once its module was imported.
    """
    try:
        code = app(standalone_mode=False)
    except _loaded(UsageError, _USAGE_ERRORS) as e:
        err.print(f"dateline: error: {e}")
        raise SystemExit(2) from None
    except _loaded(RunFailed, _RUN_ERRORS) as e:
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


#: Errors of bad input or configuration (exit 2) and of a failed run (exit 1), by module and name.
_USAGE_ERRORS = (
    ("dateline.config", "ConfigError"),
    ("dateline.resources.ner_model", "NerModelMissing"),
    ("dateline.resources.reference", "ReferenceDataError"),
)
_RUN_ERRORS = (("dateline.errors", "WarehouseError"),)


def _loaded(own: type[BaseException], names: tuple[tuple[str, str], ...]) -> tuple[type[BaseException], ...]:
    """``own`` and the exception classes of ``names`` whose modules are imported (see :func:`main`)."""
    found = (getattr(sys.modules.get(module), name, None) for module, name in names)
    return (own, *(c for c in found if isinstance(c, type) and issubclass(c, BaseException)))


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


if __name__ == "__main__":
    entry()
