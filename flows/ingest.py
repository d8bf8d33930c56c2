"""The ``ingest`` flow: lock, discover, parse, extract, validate + load, re-extract, snapshot.

The flow is the stages in order; each stage is a Prefect task (flows/tasks.py) or a short step
here around one. What a run records and reports (its ``runs`` row, counts, summary) is the
:class:`dateline.pipeline.run.Run`'s job; the batch's frames are built by
:mod:`dateline.pipeline.frames`. The resources a run uses reach it as arguments: the
configuration, the worker pool and the progress reporter (the flow creates a pool and a logging
reporter of its own when it is given none, e.g. under ``dateline serve``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from prefect import flow
from prefect.futures import PrefectFuture

from dateline import config as config_mod
from dateline.config import Config
from dateline.pipeline import reextract as reextraction
from dateline.pipeline.commit import CommitGate
from dateline.pipeline.discover import Discovery, InputError
from dateline.pipeline.frames import Stories, build_frames, reextracted_frames, seen_again, to_write
from dateline.pipeline.run import Run, RunOptions, connected
from dateline.pipeline.summary import RunSummary, count_files
from dateline.resources.extractor import extractor_version
from dateline.resources.reference import load_reference
from dateline.runtime import isolation
from dateline.runtime.faults import stage_hook
from dateline.runtime.progress import LogReporter, Reporter
from dateline.runtime.workers import WorkerPool, resolve_workers
from dateline.warehouse import file_manifest, load, lock, lookups, reference_tables, runs, schema, snapshots
from flows.tasks import discover_task, extract_task, load_task, near_dup_task, parse_task, validate_task
from transforms import near_dup
from transforms.parse import parse_files
from transforms.route import KNOWN_SCHEMA, RETRY_REASONS, quarantine_failed, route_units

__all__ = ["ingest"]


@flow(name="ingest", log_prints=False, validate_parameters=False)
def ingest(
    input_dir: Path,
    warehouse: Path,
    default_year: int | None = None,
    max_bytes: int | None = None,
    run_id: str | None = None,
    on_locked: str | None = None,
    lock_timeout: float | None = None,
    rehash: bool = False,
    snapshot: bool | None = None,
    reextract: bool | None = None,
    lock_held: bool = False,
    config: Config | None = None,
    workers: WorkerPool | None = None,
    reporter: Reporter | None = None,
) -> RunSummary:
    """Ingest every new or changed file under ``input_dir`` into the DuckDB ``warehouse``.

    One run at a time per warehouse: the run lock is taken first (``on_locked`` 'wait' up to
    ``lock_timeout`` seconds, or 'fail'). Files whose size and mtime match the manifest are not
    read (``rehash=True`` reads all, and routes again the files with an article set aside as
    ``extract_timeout`` / ``extract_failed``). A known file that cannot be read this time keeps
    its rows and is read again next run. After a successful load a read-only snapshot is
    published next to the warehouse (``snapshot``). ``reextract`` (None: ``[run] reextract``):
    then the articles already loaded that an older extractor wrote are re-extracted, in batches
    (:func:`_reextract`). ``lock_held``: the caller holds the run lock
    already (``dateline run`` takes it before it starts Prefect, to refuse or wait at once).

    ``config``: the resolved configuration (None: read ``dateline.toml`` now); every option left
    None takes its value from it. ``workers``: the extraction worker pool (None: one of the
    configured size, closed with the run); ``reporter``: where progress goes (None: the log).
    """
    cfg = config or config_mod.load()
    options = RunOptions.resolve(
        cfg,
        default_year=default_year,
        max_bytes=max_bytes,
        rehash=rehash,
        snapshot=snapshot,
        reextract=reextract,
    )
    reporter = reporter or LogReporter()
    input_dir, warehouse = Path(input_dir), Path(warehouse)  # served runs pass strings
    run_id = run_id or lock.new_run_id()
    reporter.stage("lock", str(warehouse))
    with contextlib.ExitStack() as held:
        if not lock_held:
            wait = cfg.lock_timeout_seconds if lock_timeout is None else lock_timeout
            on_locked = on_locked or cfg.on_locked
            held.enter_context(
                lock.run_lock(warehouse, run_id, on_locked=on_locked, timeout=wait, notify=reporter.note)
            )
        pool = (
            workers if workers is not None else held.enter_context(WorkerPool(resolve_workers(cfg.workers)))
        )
        held.enter_context(pool.for_run())
        with Run(warehouse, run_id, input_dir, failures=(InputError,)) as run:
            return _stages(_Context(run, options, pool, reporter, load_reference()))


@dataclass(frozen=True)
class _Context:
    """What every stage of one run uses."""

    run: Run
    options: RunOptions
    pool: WorkerPool
    reporter: Reporter
    reference: dict[str, pl.DataFrame]

    @property
    def warehouse(self) -> Path:
        return self.run.warehouse


def _stages(ctx: _Context) -> RunSummary:
    """The run's stages after the lock: discover, parse, extract, validate + load (the landing
    folder's batch, when it has new, changed or deleted files), re-extract (``reextract``: more
    batches), snapshot."""
    manifest = _open(ctx)
    found = _discover(ctx, manifest)
    units, existing, history = _parse(ctx, found)
    _count(ctx, found, units)
    seen = seen_again(found.files, units, manifest)
    rows: dict[str, int] = {}
    metrics = None
    if to_write(units).height or found.deleted or seen.height:
        units, frames = _extract(ctx, found, units)
        dq, metrics, loaded = _load(ctx, frames, existing, history, _Manifest(seen, found.deleted))
        if loaded is None:
            return ctx.run.rejected(dq, metrics)
        stage_hook("after_commit")
        rows = loaded
    if ctx.options.reextract:
        rows, rejected = _reextract(ctx, rows)
        if rejected:
            assert ctx.run.dq is not None  # the rejected batch's checks are in
            return ctx.run.rejected(ctx.run.dq, metrics, committed=rows)
    if not rows:
        # nothing new, changed or deleted and nothing re-extracted: no rows written
        publish = ctx.options.snapshot and not snapshots.snapshot_is_current(ctx.warehouse)
        summary = ctx.run.nothing_to_do(checkpoint=publish)
        if publish:
            _snapshot(ctx)
        return summary
    summary = ctx.run.loaded(rows, metrics, checkpoint=ctx.options.snapshot)
    if ctx.options.snapshot:
        _snapshot(ctx)
    return summary


@dataclass(frozen=True)
class _Manifest:
    """What a batch changes in the file manifest besides its files' rows: files read again whose
    content had not changed (``seen``), paths found gone (``deleted``)."""

    seen: pl.DataFrame
    deleted: list[str]


def _load(
    ctx: _Context,
    frames: dict[str, pl.DataFrame],
    existing: dict[str, pl.Series],
    history: pl.DataFrame | None,
    manifest: _Manifest,
    replaced: list[str] | None = None,
    extra_dq: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, int] | None]:
    """Load one batch (in one transaction) while its checks run: (check results, metrics, rows
    written per table; None when the batch failed its checks and was rolled back). ``replaced``:
    the loaded articles a re-extraction batch replaces; ``extra_dq``: results of its own to add."""
    gate = CommitGate()
    loading = load_task.submit(
        ctx.warehouse,
        ctx.run.run_id,
        frames,
        _checks_passed(ctx, gate),
        manifest.seen,
        manifest.deleted,
        replaced or [],
    )
    return _validate_while_loading(ctx, frames, existing, history, gate, loading, extra_dq)


def _open(ctx: _Context) -> pl.DataFrame:
    """Prepare the warehouse (schema, reference tables, runs left 'running' by a process that
    died), record the run and return the file manifest."""
    snapshots.clean_stale_snapshots(ctx.warehouse)
    with connected(ctx.warehouse) as con:
        schema.init_schema(con)
        reference_tables.load_reference(con, ctx.reference)
        interrupted = runs.recover_interrupted_runs(con)
        ctx.run.start(con)
        manifest = file_manifest.manifest(con)
    if interrupted:
        ctx.reporter.note(f"earlier run(s) {', '.join(interrupted)} had been interrupted; marked failed")
    stage_hook("after_start_run")
    return manifest


def _discover(ctx: _Context, manifest: pl.DataFrame) -> Discovery:
    """The files to read (new or changed by size and mtime, or all with ``rehash``), those not
    read and those gone. An input folder that cannot be listed fails the run (InputError)."""
    ctx.reporter.stage("discover", str(ctx.run.input_dir))
    found = discover_task(Path(ctx.run.input_dir), manifest, ctx.options.max_bytes, ctx.options.rehash)
    if found.files.height >= ctx.options.min_articles:
        # many new or changed files: the extraction workers load their models while the run
        # parses (dateline/runtime/workers.py); small batches and reruns never start them
        ctx.pool.start()
    stage_hook("after_discover")
    return found


def _parse(ctx: _Context, found: Discovery) -> tuple[pl.DataFrame, dict[str, pl.Series], pl.DataFrame | None]:
    """Parse and route the files read: (units; keys the warehouse holds; dq_runs of earlier runs,
    for the checks against them)."""
    files = found.files
    ctx.reporter.stage(
        "parse", f"{files.height} file(s) to read, {found.skipped.height} unchanged by size+mtime"
    )
    if not files.height:
        return route_units(parse_files(files), pl.DataFrame(schema=KNOWN_SCHEMA)), {}, None
    with connected(ctx.warehouse) as con:
        known = file_manifest.known_units(con)
        existing = lookups.existing_keys(con)
        history = runs.dq_history(con, ctx.run.run_id)
    # --rehash also retries what extraction set aside for a reason a retry may not repeat
    units = parse_task(files, known, ctx.options.limits, RETRY_REASONS if ctx.options.rehash else frozenset())
    stage_hook("after_parse")
    return units, existing, history


def _count(ctx: _Context, found: Discovery, units: pl.DataFrame) -> None:
    """Count the run's files from its routed units (again once extraction set articles aside)."""
    ctx.run.count(
        count_files(units, read=found.files.height, skipped=found.skipped.height, deleted=len(found.deleted))
    )


def _extract(
    ctx: _Context, found: Discovery, units: pl.DataFrame
) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """Extract the new or changed articles and find their near-duplicate stories; the articles
    extraction set aside are quarantined (with their in-batch copies). Returns the units so
    routed and the batch's frames."""
    articles = units.filter(pl.col("route") == "article")
    ctx.reporter.stage("extract", f"{articles.height} new or changed article(s)")
    options = ctx.options
    extracted = _extract_articles(ctx, articles)
    stage_hook("after_extract")
    stories = None
    if extracted.get("articles") is not None and extracted["articles"].height:
        # near-duplicate stories (part of the extract stage for the progress display)
        paths = to_write(units).get_column("source_path").unique().sort().to_list()
        threshold, num_perm = options.near_duplicate_threshold, options.near_duplicate_num_perm
        stories = near_dup_task(ctx.warehouse, extracted["articles"], paths, threshold, num_perm)
    failed = extracted.pop(isolation.FAILED_KEY)
    if failed.height:
        units = quarantine_failed(units, failed)
        _count(ctx, found, units)
    return units, build_frames(units, extracted, ctx.run.run_id, stories)


def _extract_articles(ctx: _Context, articles: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The extraction task over ``articles`` with the run's reference data, pool and limits."""
    options = ctx.options
    return extract_task(
        articles,
        ctx.reference,
        ctx.run.today,
        options.default_year,
        ctx.pool,
        options.min_articles,
        options.article_timeout,
        ctx.reporter,
    )


def _checks_passed(ctx: _Context, gate: CommitGate) -> Callable[[], pl.DataFrame]:
    """What the load calls just before its commit: waits at ``gate`` for the checks' results
    (BatchRejected when they failed or the run was stopped); the published snapshot is out of
    date from then on."""

    def checks_passed() -> pl.DataFrame:
        dq = gate.wait()
        if ctx.options.snapshot:
            snapshots.mark_snapshot_stale(ctx.warehouse)
        return dq

    return checks_passed


def _validate_while_loading(
    ctx: _Context,
    frames: dict[str, pl.DataFrame],
    existing: dict[str, pl.Series],
    history: pl.DataFrame | None,
    gate: CommitGate,
    loading: PrefectFuture[dict[str, int] | None],
    extra_dq: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, int] | None]:
    """Run the batch's checks while the load writes it, then open or close the commit's gate:
    (check results, metrics, rows written per table; None when the batch failed its checks and
    was rolled back). The commit writes the check results of all the run's batches so far
    (``extra_dq`` added to this one's)."""
    n_rows = sum(f.height for f in frames.values())
    ctx.reporter.stage("validate", f"{n_rows} row(s)")
    try:
        stage_hook("validating")  # (the load is writing the batch meanwhile)
        dq, metrics = validate_task(frames, ctx.reference, existing, history, ctx.run.run_id, ctx.run.today)
        if extra_dq is not None:
            dq = pl.concat([dq, extra_dq], how="vertical_relaxed")
        if ctx.run.checked(dq) == "fail":  # the load rolls back
            gate.close(load.BatchRejected("the batch failed its checks"))
            loading.wait()  # rolled back (an error of the load itself no longer matters)
            return dq, metrics, None
        ctx.reporter.stage("load", f"{n_rows} row(s)")
        gate.open(dq if ctx.run.dq is None else ctx.run.dq)  # with the results of the run's earlier batches
        rows = loading.result()
    except Exception:  # the checks (or the load itself) raised: the load rolls back if it can
        gate.close(load.BatchRejected("the batch's checks raised"))
        loading.wait()
        raise
    except BaseException:
        # the run was stopped (an interrupt) while the checks or the load ran: the load rolls
        # back unless it is committing already; then its batch is in (the caller asks the
        # warehouse, runs.batch_committed). The wait here is bounded, but the flow's task runner
        # then waits for the load thread on its way out (ThreadPoolTaskRunner.__exit__ shuts its
        # executor down with wait=True): what bounds an interrupted `dateline run` is its stop
        # deadline (dateline.runtime.interrupts), not this timeout.
        rolled_back = gate.close(load.BatchRejected("the run was stopped before the commit"))
        loading.wait(timeout=2 if rolled_back else 5)
        raise
    if rows is None:  # pragma: no cover - only a rejected batch returns None
        raise RuntimeError("the load of a batch that passed its checks was rolled back")
    return dq, metrics, rows


def _reextract(ctx: _Context, rows: dict[str, int]) -> tuple[dict[str, int], bool]:
    """Re-extract the loaded articles an older extractor wrote (``--reextract``), batch after batch.

    A batch is the next ``[run] parallel_min_articles`` such articles (by story, so that copies
    of a story go together) rebuilt from the ``articles`` table alone
    (:func:`dateline.pipeline.reextract.as_units`: no landing file is read), extracted, checked and
    loaded like a landing batch: one transaction, all or nothing, the articles' old rows replaced
    (:func:`dateline.warehouse.load.load_batch`, ``replaced``). A committed batch's articles are
    this run's, so the next batch (or a later run, after a crash) does not pick them again. An
    article whose extraction raises keeps its old rows and is reported (the run's summary and a
    warning in ``dq_results``); it is not tried again in this run.

    Returns the rows written by the run (``rows``: before re-extraction) and whether a batch
    failed its critical checks (rolled back; re-extraction stops there).
    """
    version = extractor_version()
    set_aside: list[str] = []
    with connected(ctx.warehouse) as con:
        left = lookups.count_older_extractor_articles(con, version)
    while left > len(set_aside):
        with connected(ctx.warehouse) as con:
            articles = lookups.older_extractor_articles(con, version, ctx.options.reextract_batch, set_aside)
            existing = lookups.existing_keys(con)
            history = runs.dq_history(con, ctx.run.run_id)
        if articles.height == 0:
            break
        detail = (
            f"re-extracting {articles.height} of {left - len(set_aside)} article(s) an older extractor wrote"
        )
        ctx.reporter.stage("extract", detail)
        written, failed = _reextract_batch(ctx, articles, existing, history)
        set_aside += failed
        if written is None:
            return rows, True
        rows = {table: rows.get(table, 0) + written.get(table, 0) for table in {**rows, **written}}
        rows["dq_results"] = written.get("dq_results", 0)  # each commit rewrites the run's results
        left -= articles.height - len(failed)
    return rows, False


def _reextract_batch(
    ctx: _Context, articles: pl.DataFrame, existing: dict[str, pl.Series], history: pl.DataFrame | None
) -> tuple[dict[str, int] | None, list[str]]:
    """Re-extract and load one batch of loaded ``articles`` rows: (rows written per table, None when
    its checks failed and it was rolled back; the ids of the articles whose extraction was set aside)."""
    units = reextraction.as_units(articles)
    if units.height >= ctx.options.min_articles:
        ctx.pool.start()  # the workers of the batch before exited with its extraction
    options = ctx.options
    extracted = _extract_articles(ctx, units)
    failed = extracted.pop(isolation.FAILED_KEY)
    signatures = near_dup.signature_frame(
        extracted["articles"], options.near_duplicate_threshold, options.near_duplicate_num_perm
    )
    with connected(ctx.warehouse) as con:
        # the loaded reports of the batch's stories (their copies outside the batch), for its
        # reports to join
        reports = lookups.story_reports(
            con, reextraction.story_ids(articles), [], articles.get_column("article_id").to_list()
        )
    frames = reextracted_frames(
        extracted, ctx.run.run_id, Stories(reextraction.stories_of(articles), signatures, reports)
    )
    done = frames["articles"].get_column("article_id").to_list()
    set_aside = reextraction.set_aside_result(failed, articles, ctx.run.run_id)
    _, _, written = _load(ctx, frames, existing, history, _Manifest(_NO_FILES, []), done, set_aside)
    if written is not None:
        ctx.run.reextracted(len(done), reextraction.failure_lines(failed, articles))
    return written, failed.get_column("article_id").to_list()


#: No file read again (a re-extraction batch changes no manifest row).
_NO_FILES = pl.DataFrame(
    schema={"source_path": pl.String, "size_bytes": pl.Int64, "mtime": pl.Datetime("us", "UTC")}
)


def _snapshot(ctx: _Context) -> None:
    """Publish the read-only snapshot of the warehouse (queries fall back to it during a load)."""
    ctx.reporter.stage("snapshot", str(snapshots.snapshot_path(ctx.warehouse)))
    stage_hook("before_snapshot")
    snapshots.publish_snapshot(ctx.warehouse)
