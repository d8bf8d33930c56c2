"""The ``ingest`` flow: discover -> parse -> extract -> validate -> load, one Prefect task per stage.

Tasks work on whole batches (never one task per article). Their inputs are DataFrames, so
caching is off (``NO_CACHE``): hashing frames would cost more than the work.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from dateline import config as config_mod
from dateline.pipeline.discover import Discovery, InputError, discover_incremental
from dateline.quality.validate import failures, validate_run, verdict
from dateline.resources.ner_model import load_ner
from dateline.resources.reference import load_reference
from dateline.runtime import isolation, progress
from dateline.runtime import workers as parallel
from dateline.runtime.faults import stage_hook
from dateline.warehouse import (
    connection,
    file_manifest,
    load,
    lock,
    lookups,
    reference_tables,
    runs,
    schema,
    snapshots,
)
from schemas.tables import FILES, NO_NEW_DATA
from transforms import near_dup
from transforms.event_mentions import group_event_mentions
from transforms.parse import ParseLimits, parse_files
from transforms.route import KNOWN_SCHEMA, RETRY_REASONS, quarantine_failed, route_units

#: Routes of units for which nothing is deleted or written: the warehouse's rows stay as they are.
NOTHING_TO_WRITE = ("unchanged", "kept")


@dataclass
class RunSummary:
    run_id: str
    status: str
    input_dir: str
    warehouse: str
    files_seen: int = 0
    files_new: int = 0
    files_unchanged: int = 0
    files_duplicate: int = 0
    files_quarantined: int = 0
    files_deleted: int = 0
    files_kept: int = 0  # known files that could not be read this run: their rows are kept
    articles_loaded: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    dq_verdict: str | None = None  # schemas.tables.DQ_VERDICTS; None: the run stopped before its checks
    dq_failed: list[str] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (path, why it could not be read)
    message: str = ""
    seconds: float = 0.0


#: A new run's id (defined with the run lock, which ``dateline run`` takes before importing this).
new_run_id = lock.new_run_id


class _CommitGate:
    """Whether the load, on its own thread, may commit the batch: once its checks passed, and only
    if the run was not stopped meanwhile.

    The load asks (:meth:`wait`) last, after writing every row and just before its commit; the
    run's thread opens the gate with the checks' results or closes it (checks failed, an error, an
    interrupt). Closing wins unless the load is already committing, and says which happened.
    """

    def __init__(self) -> None:
        self._checked: Future[pl.DataFrame] = Future()
        self._lock = threading.Lock()
        self._closed = False
        self._committing = False

    def open(self, dq: pl.DataFrame) -> None:
        """The checks passed: the load commits with ``dq`` (unless closed before it asks)."""
        self._checked.set_result(dq)

    def close(self, why: Exception) -> bool:
        """No commit from now on (``why`` rolls the load back); False if too late: the load had
        already passed the gate, so its batch is committed or about to be."""
        with self._lock:
            if self._committing:
                return False
            self._closed = True
        if not self._checked.done():
            self._checked.set_exception(why)
        return True

    def wait(self) -> pl.DataFrame:
        """In the load: the checks' results once they passed; raises to roll the batch back."""
        dq = self._checked.result()  # BatchRejected when they failed
        with self._lock:
            if self._closed:
                raise load.BatchRejected("the run was stopped before the commit")
            self._committing = True
        return dq


@task(name="discover", cache_policy=NO_CACHE)
def discover_task(input_dir: Path, manifest: pl.DataFrame, max_bytes: int, rehash: bool) -> Discovery:
    return discover_incremental(input_dir, manifest, max_bytes=max_bytes, rehash=rehash)


@task(name="parse", cache_policy=NO_CACHE)
def parse_task(
    files: pl.DataFrame, known: pl.DataFrame, limits: ParseLimits, retry_reasons: frozenset[str]
) -> pl.DataFrame:
    """Parse the files read and route their units (``retry_reasons``: see route_units)."""
    return route_units(parse_files(files, limits), known, retry_reasons=retry_reasons)


@task(name="extract", cache_policy=NO_CACHE)
def extract_task(
    articles: pl.DataFrame,
    reference: dict[str, pl.DataFrame],
    today: date,
    default_year: int | None,
    workers: int,
    min_articles: int,
    timeout: float,
) -> dict[str, pl.DataFrame]:
    """Extraction frames of the batch, plus ``isolation.FAILED_KEY``: the articles whose extraction
    raised or took longer than ``timeout`` seconds (``[limits] article_timeout_seconds``), set aside
    one by one (dateline/runtime/isolation.py) while the others are extracted."""

    def in_process(batch: pl.DataFrame) -> dict[str, pl.DataFrame]:
        # the statistical NER (committed model, loaded once per process); skipped for an empty batch
        nlp = load_ner() if batch.height else None
        return isolation.extract_articles(
            batch,
            reference,
            today=today,
            default_year=default_year,
            timeout=timeout,
            nlp=nlp,
            note=progress.note,
        )

    # a large batch is extracted by worker processes, one per CPU (dateline/runtime/workers.py); a worker
    # that dies sends the batch back to in_process, guarded the same way
    return parallel.extract_batch(
        articles,
        reference,
        today=today,
        default_year=default_year,
        workers=workers,
        min_articles=min_articles,
        in_process=in_process,
        note=progress.note,
        timeout=timeout,
    )


@dataclass
class Stories:
    """The batch's near-duplicate stories (:mod:`transforms.near_dup`)."""

    stories: pl.DataFrame  # article_id, near_duplicate_of: one row per batch article
    signatures: pl.DataFrame  # article_signatures rows of the batch's articles
    reports: pl.DataFrame  # loaded event reports of the stories the batch's copies join


@task(name="near_duplicates", cache_policy=NO_CACHE)
def near_dup_task(
    warehouse: Path, articles: pl.DataFrame, paths: list[str], threshold: float, num_perm: int
) -> Stories:
    """Stories of the batch's ``articles``: near-duplicates within the batch and of loaded
    articles (found with a join on the warehouse's LSH buckets; ``paths`` are the batch's files,
    whose loaded articles it replaces), and the loaded reports of those stories."""
    signed = near_dup.signature_frame(articles, threshold, num_perm)
    con = connection.connect(warehouse)
    try:
        known = lookups.near_duplicate_candidates(
            con, signed, near_dup.signature_params(threshold, num_perm), paths
        )
        placed = articles.select("article_id", "source_path", "source_record").join(signed, on="article_id")
        stories = near_dup.assign_stories(placed, known, threshold)
        reports = lookups.story_reports(con, stories.get_column("near_duplicate_of"), paths)
    finally:
        con.close()
    return Stories(stories, signed, reports)


@task(name="validate", cache_policy=NO_CACHE)
def validate_task(
    frames: dict[str, pl.DataFrame],
    reference: dict[str, pl.DataFrame],
    existing: dict[str, pl.Series],
    history: pl.DataFrame | None,
    run_id: str,
    today: date,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(dq_results of every check, incl. those against earlier runs; the batch's dq_runs metrics)."""
    return validate_run(frames, reference, existing, history, run_id=run_id, today=today)


@task(name="load", cache_policy=NO_CACHE)
def load_task(
    warehouse: Path,
    run_id: str,
    frames: dict[str, pl.DataFrame],
    dq: Callable[[], pl.DataFrame],
    seen: pl.DataFrame,
    deleted: list[str],
) -> dict[str, int] | None:
    """Load the batch in one transaction; ``dq()`` (called before the commit) waits for the
    batch's checks: their results, or BatchRejected -> rolled back, None returned."""
    con = connection.connect(warehouse)
    try:
        return load.load_batch(con, run_id, frames, dq, seen=seen, deleted=deleted)
    except load.BatchRejected:
        return None
    finally:
        con.close()


def build_frames(
    units: pl.DataFrame,
    extracted: dict[str, pl.DataFrame],
    run_id: str,
    stories: Stories | None = None,
) -> dict[str, pl.DataFrame]:
    """Fact-table frames of one batch from the routed units and the extraction output.

    Units routed ``unchanged`` or ``kept`` write nothing (their paths are not in ``files``, so
    the loader leaves their rows alone). Articles the extraction set aside are already routed to
    ``quarantine`` in ``units`` by the flow (:func:`transforms.route.quarantine_failed`); none of
    their rows were extracted.

    The extraction's ``events`` are one row per report; here, over the whole batch (after any
    chunks of the extraction are put together), they become ``events`` (one row per distinct
    event) and ``event_mentions`` (its reports): :func:`transforms.event_mentions.group_event_mentions`.
    Both steps are whole-frame polars operations on rows extract() typed, so no single article's
    content can make them raise (unlike extraction, which runs regexes and models on the text).
    ``stories`` (:func:`near_dup_task`) sets ``articles.near_duplicate_of``, adds the
    ``article_signatures`` rows and lets copies of one story share their events; without it
    every article is its own story.
    """
    todo = units.filter(~pl.col("route").is_in(NOTHING_TO_WRITE))
    dups = todo.filter(pl.col("route") == "duplicate").select(
        "source_path", "source_record", "content_sha256", "article_id"
    )
    quarantine = todo.filter(pl.col("route") == "quarantine").select(
        "source_path",
        "source_record",
        "content_sha256",
        pl.col("quarantine_reason").alias("reason"),
        pl.col("quarantine_detail").alias("detail"),
    )
    outcome = (
        todo.group_by("source_path")
        .agg(
            pl.col("route").unique().alias("routes"),
            pl.col("file_sha256").first().alias("content_sha256"),
            pl.col("size_bytes").first(),
            pl.col("mtime").first(),
            pl.col("format").drop_nulls().first(),
            pl.col("encoding").drop_nulls().first(),
        )
        .with_columns(
            pl.when(pl.col("routes").list.len() > 1)
            .then(pl.lit("mixed"))
            .otherwise(pl.col("routes").list.first().replace({"article": "article"}))
            .alias("outcome"),
            pl.lit(run_id).alias("first_run_id"),
        )
        .drop("routes")
    )
    frames = {k: v for k, v in extracted.items()}
    if stories is not None and "articles" in frames:
        frames["articles"] = (
            frames["articles"]
            .drop("near_duplicate_of", strict=False)
            .join(stories.stories, on="article_id", how="left", maintain_order="left")
        )
        frames["article_signatures"] = stories.signatures
    if "events" in frames:
        frames["events"], frames["event_mentions"] = group_event_mentions(
            frames["events"], frames.get("articles"), stories.reports if stories is not None else None
        )
    frames["duplicates"] = dups
    frames["quarantine"] = quarantine
    frames["files"] = FILES.conform(outcome.with_columns(pl.lit(run_id).alias("run_id")))
    return {name: df.with_columns(pl.lit(run_id).alias("run_id")) for name, df in frames.items()}


def _count_set_aside(summary: RunSummary, units: pl.DataFrame) -> None:
    """The summary's duplicate, quarantine and kept counts, and its lists of quarantined and
    kept units, from the routed units."""
    summary.files_duplicate = units.filter(pl.col("route") == "duplicate").height
    q = units.filter(pl.col("route") == "quarantine")
    summary.files_quarantined = q["source_path"].n_unique()
    summary.quarantined = [
        (p + (f" (record {r})" if r is not None else ""), f"{reason}: {detail}")
        for p, r, reason, detail in q.select(
            "source_path", "source_record", "quarantine_reason", "quarantine_detail"
        ).iter_rows()
    ]
    kept = units.filter(pl.col("route") == "kept")
    summary.files_kept = kept["source_path"].n_unique()
    summary.kept = [
        (p, f"{reason}: {detail}")
        for p, reason, detail in kept.select(
            "source_path", "quarantine_reason", "quarantine_detail"
        ).iter_rows()
    ]


def _kept_message(n_kept: int) -> str:
    """What the run says about the known files it could not read (empty if none)."""
    if not n_kept:
        return ""
    return (
        f"{n_kept} known file(s) could not be read this time: their rows are kept; "
        "they are read again next run"
    )


def _deleted_message(n_deleted: int) -> str:
    """What the run says about the files gone since the last run (empty if none)."""
    if not n_deleted:
        return ""
    return f"{n_deleted} file(s) deleted since the last run: recorded in files.deleted_at, their rows kept"


@flow(name="ingest", log_prints=False, validate_parameters=False)
def ingest(
    input_dir: Path,
    warehouse: Path,
    default_year: int | None = None,
    max_bytes: int = config_mod.Config.max_bytes,
    run_id: str | None = None,
    on_locked: str | None = None,
    lock_timeout: float | None = None,
    rehash: bool = False,
    snapshot: bool | None = None,
    lock_held: bool = False,
) -> RunSummary:
    """Ingest every new or changed file under ``input_dir`` into the DuckDB ``warehouse``.

    One run at a time per warehouse: the run lock is taken first (``on_locked`` 'wait' up to
    ``lock_timeout`` seconds, or 'fail'; defaults from ``dateline.toml``). Files whose size and
    mtime match the manifest are not read (``rehash=True`` reads all, and routes again the files
    with an article set aside as ``extract_timeout`` / ``extract_failed``). A known file that
    cannot be read this time keeps its rows and is read again next run. After a successful load a
    read-only snapshot is published next to the warehouse (``snapshot``, default from config).
    ``lock_held``: the caller holds the run lock already (``dateline run`` takes it before it
    starts Prefect, to refuse or wait at once), so the flow does not take it again.
    """
    cfg = config_mod.load()
    input_dir, warehouse = Path(input_dir), Path(warehouse)  # served runs pass strings
    run_id = run_id or new_run_id()
    progress.stage("lock", str(warehouse))
    with (
        contextlib.nullcontext()
        if lock_held
        else lock.run_lock(
            warehouse,
            run_id,
            on_locked=on_locked or cfg.on_locked,
            timeout=cfg.lock_timeout_seconds if lock_timeout is None else lock_timeout,
            notify=progress.note,
        )
    ):
        try:
            return _ingest_locked(
                input_dir,
                warehouse,
                default_year,
                max_bytes,
                run_id,
                rehash,
                cfg.snapshot if snapshot is None else snapshot,
                (parallel.resolve_workers(cfg.workers), cfg.parallel_min_articles),
                (cfg.near_duplicate_threshold, cfg.near_duplicate_num_perm),
                limits=ParseLimits(cfg.max_json_depth, cfg.max_records_per_file, cfg.max_article_chars),
                article_timeout=cfg.article_timeout_seconds,
            )
        except BaseException:
            parallel.shutdown(terminate=True)  # failed or stopped: their work is of no use now
            raise
        finally:
            parallel.shutdown()  # workers never outlive their run (e.g. one that failed early)


def _ingest_locked(
    input_dir: Path,
    warehouse: Path,
    default_year: int | None,
    max_bytes: int,
    run_id: str,
    rehash: bool,
    snapshot: bool,
    parallelism: tuple[int, int],
    near_dup_params: tuple[float, int],
    limits: ParseLimits,
    article_timeout: float,
) -> RunSummary:
    started = datetime.now(UTC)
    today = started.date()
    summary = RunSummary(run_id, "running", str(input_dir), str(warehouse))
    reference = load_reference()
    snapshots.clean_stale_snapshots(warehouse)
    con = connection.connect(warehouse)
    try:
        schema.init_schema(con)
        reference_tables.load_reference(con, reference)
        interrupted = runs.recover_interrupted_runs(con)
        runs.start_run(con, run_id, str(input_dir))
        manifest = file_manifest.manifest(con)
    finally:
        con.close()
    if interrupted:
        progress.note(f"earlier run(s) {', '.join(interrupted)} had been interrupted; marked failed")
    stage_hook("after_start_run")

    progress.stage("discover", str(input_dir))
    try:
        found = discover_task(input_dir, manifest, max_bytes, rehash)
    except InputError as exc:  # the input folder cannot be listed: the run failed, and says why
        con = connection.connect(warehouse)
        try:
            runs.finish_run(con, run_id, "failed", {}, None, str(exc))
        finally:
            con.close()
        raise
    files = found.files
    workers, min_articles = parallelism  # [run] workers (resolved), parallel_min_articles
    if files.height >= min_articles:
        # many new or changed files: the extraction workers load their models while the run
        # parses (dateline/runtime/workers.py); small batches and reruns never start them
        parallel.prestart(workers)
    stage_hook("after_discover")
    progress.stage("parse", f"{files.height} file(s) to read, {found.skipped.height} unchanged by size+mtime")
    history: pl.DataFrame | None = None  # dq_runs of earlier runs, for the checks against them
    if files.height:
        con = connection.connect(warehouse)
        try:
            known = file_manifest.known_units(con)
            existing = lookups.existing_keys(con)
            history = runs.dq_history(con, run_id)
        finally:
            con.close()
        # --rehash also retries what extraction set aside for a reason a retry may not repeat
        units = parse_task(files, known, limits, RETRY_REASONS if rehash else frozenset())
        stage_hook("after_parse")
    else:
        units, existing = route_units(parse_files(files), pl.DataFrame(schema=KNOWN_SCHEMA)), {}
    summary.files_seen = files.height + found.skipped.height
    routes = units.group_by("source_path").agg(pl.col("route").unique())
    unchanged_read = routes.filter(pl.col("route").list.eval(pl.element() == "unchanged").list.all())
    summary.files_unchanged = unchanged_read.height + found.skipped.height
    summary.files_deleted = len(found.deleted)
    _count_set_aside(summary, units)
    summary.files_new = summary.files_seen - summary.files_unchanged - summary.files_kept
    # files read again whose content had not changed: their manifest size/mtime are refreshed
    # (only those whose size, mtime or deletion mark differ from the manifest's). Not a kept file
    # (it could not be read): its manifest row stays as it was, so the next run reads it again.
    recorded = manifest.filter(pl.col("deleted_at").is_null()).select("source_path", "size_bytes", "mtime")
    seen = (
        files.join(unchanged_read.select("source_path"), on="source_path", how="semi")
        .select("source_path", "size_bytes", "mtime")
        .join(recorded, on=["source_path", "size_bytes", "mtime"], how="anti")
    )
    counts = {
        "files_seen": summary.files_seen,
        "files_new": summary.files_new,
        "files_unchanged": summary.files_unchanged,
        "files_duplicate": summary.files_duplicate,
        "files_quarantined": summary.files_quarantined,
        "files_kept": summary.files_kept,
        "files_deleted": summary.files_deleted,
    }

    todo = units.filter(~pl.col("route").is_in(NOTHING_TO_WRITE))
    if todo.height == 0 and not found.deleted and seen.height == 0:
        # nothing new, changed or deleted: no extraction, no validation, no rows written
        summary.status = "success"
        summary.dq_verdict = NO_NEW_DATA  # nothing was checked: not 'pass' (see DQ_VERDICTS)
        summary.message = (
            _kept_message(summary.files_kept) or "nothing to do: no new, changed or deleted files"
        )
        con = connection.connect(warehouse)
        try:
            runs.finish_run(
                con,
                run_id,
                "success",
                {**counts, "articles_loaded": 0, "rows_written": 0},
                summary.dq_verdict,
                _kept_message(summary.files_kept) or None,
            )
            if snapshot and not snapshots.snapshot_is_current(warehouse):
                connection.checkpoint(con)
        finally:
            con.close()
        if snapshot and not snapshots.snapshot_is_current(warehouse):
            progress.stage("snapshot", str(snapshots.snapshot_path(warehouse)))
            snapshots.publish_snapshot(warehouse)
        summary.seconds = (datetime.now(UTC) - started).total_seconds()
        return summary

    new_articles = units.filter(pl.col("route") == "article")
    progress.stage("extract", f"{new_articles.height} new or changed article(s)")
    extracted = extract_task(
        new_articles, reference, today, default_year, workers, min_articles, article_timeout
    )
    stage_hook("after_extract")
    stories = None
    if extracted.get("articles") is not None and extracted["articles"].height:
        # near-duplicate stories (part of the extract stage for the progress display)
        paths = todo.get_column("source_path").unique().sort().to_list()
        stories = near_dup_task(warehouse, extracted["articles"], paths, *near_dup_params)
    failed = extracted.pop(isolation.FAILED_KEY)
    if failed.height:  # articles set aside by extraction are quarantined, with their in-batch copies
        units = quarantine_failed(units, failed)
        _count_set_aside(summary, units)
        counts.update(files_duplicate=summary.files_duplicate, files_quarantined=summary.files_quarantined)
    frames = build_frames(units, extracted, run_id, stories)
    n_rows = sum(f.height for f in frames.values())
    progress.stage("validate", f"{n_rows} row(s)")
    # The load runs while the checks run (DuckDB works on the CPU the checks leave), in one
    # transaction that is committed only once they pass: its last step waits for their results,
    # and a batch that fails them is rolled back, never seen.
    gate = _CommitGate()

    def checks_passed() -> pl.DataFrame:
        dq = gate.wait()  # BatchRejected when they failed or the run was stopped
        if snapshot:  # the commit comes next: the published snapshot is out of date from here
            snapshots.mark_snapshot_stale(warehouse)
        return dq

    loading = load_task.submit(warehouse, run_id, frames, checks_passed, seen, found.deleted)
    try:
        stage_hook("validating")  # (the load is writing the batch meanwhile)
        dq, dq_metrics = validate_task(frames, reference, existing, history, run_id, today)
        summary.dq_verdict = verdict(dq)
        failed = failures(dq)
        summary.dq_failed = [
            f"{r['severity']}: {r['table_name']}.{r['check_name']} ({r['unexpected_count']} rows)"
            for r in failed.iter_rows(named=True)
        ]
        if summary.dq_verdict == "fail":  # the load rolls back
            gate.close(load.BatchRejected("the batch failed its checks"))
            loading.wait()  # rolled back (an error of the load itself no longer matters)
        else:
            progress.stage("load", f"{n_rows} row(s)")
            gate.open(dq)
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
    if summary.dq_verdict == "fail":
        summary.status = "failed"
        summary.message = "critical data-quality checks failed; nothing was loaded from this batch"
        con = connection.connect(warehouse)
        try:
            runs.write_dq_results(con, run_id, dq)
            runs.write_dq_runs(con, run_id, dq_metrics)
            runs.finish_run(con, run_id, "failed", counts, summary.dq_verdict, summary.message)
        finally:
            con.close()
        summary.seconds = (datetime.now(UTC) - started).total_seconds()
        return summary

    if rows is None:  # pragma: no cover - only a rejected batch returns None
        raise RuntimeError("the load of a batch that passed its checks was rolled back")
    summary.rows = rows
    stage_hook("after_commit")
    summary.articles_loaded = summary.rows.get("articles", 0)
    summary.status = "success"
    summary.message = "; ".join(
        m for m in (_deleted_message(len(found.deleted)), _kept_message(summary.files_kept)) if m
    )
    con = connection.connect(warehouse)
    try:
        runs.write_dq_runs(con, run_id, dq_metrics)
        runs.finish_run(
            con,
            run_id,
            "success",
            {
                **counts,
                "articles_loaded": summary.articles_loaded,
                "rows_written": sum(summary.rows.values()),
            },
            summary.dq_verdict,
            summary.message or None,
        )
        if snapshot:
            connection.checkpoint(con)
    finally:
        con.close()
    if snapshot:
        progress.stage("snapshot", str(snapshots.snapshot_path(warehouse)))
        stage_hook("before_snapshot")
        snapshots.publish_snapshot(warehouse)
    summary.seconds = (datetime.now(UTC) - started).total_seconds()
    return summary
