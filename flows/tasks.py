"""The ``ingest`` flow's Prefect tasks: thin wrappers over the application's functions.

Tasks work on whole batches (never one task per article). Their inputs are DataFrames, so
caching is off (``NO_CACHE``): hashing frames would cost more than the work.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl
from prefect import task
from prefect.cache_policies import NO_CACHE

from dateline.pipeline.discover import Discovery, discover_incremental
from dateline.pipeline.frames import Stories
from dateline.pipeline.run import connected
from dateline.quality.validate import validate_run
from dateline.resources.event_classifier import load_event_classifier
from dateline.resources.ner_model import load_ner
from dateline.resources.parser_model import load_parser
from dateline.runtime import isolation
from dateline.runtime.progress import Reporter
from dateline.runtime.workers import WorkerPool
from dateline.warehouse import load, lookups
from transforms import near_dup
from transforms.parse import ParseLimits, parse_files
from transforms.route import route_units


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
    pool: WorkerPool,
    min_articles: int,
    timeout: float,
    reporter: Reporter,
) -> dict[str, pl.DataFrame]:
    """Extraction frames of the batch, plus ``isolation.FAILED_KEY``: the articles whose extraction
    raised or took longer than ``timeout`` seconds (``[limits] article_timeout_seconds``), set aside
    one by one (dateline/runtime/isolation.py) while the others are extracted. A batch of at least
    ``min_articles`` is extracted by the ``pool``'s worker processes; a worker that dies sends the
    batch back to the run's own process, guarded the same way."""

    def in_process(batch: pl.DataFrame) -> dict[str, pl.DataFrame]:
        # the statistical NER, the parser and the event classifier (committed models, loaded once per process); skipped for an
        # empty batch
        return isolation.extract_articles(
            batch,
            reference,
            today=today,
            default_year=default_year,
            timeout=timeout,
            nlp=load_ner() if batch.height else None,
            parser=load_parser() if batch.height else None,
            classifier=load_event_classifier() if batch.height else None,
            note=reporter.note,
        )

    return pool.extract(
        articles,
        reference,
        today=today,
        default_year=default_year,
        min_articles=min_articles,
        in_process=in_process,
        note=reporter.note,
        timeout=timeout,
    )


@task(name="near_duplicates", cache_policy=NO_CACHE)
def near_dup_task(
    warehouse: Path, articles: pl.DataFrame, paths: list[str], threshold: float, num_perm: int
) -> Stories:
    """Stories of the batch's ``articles``: near-duplicates within the batch and of loaded
    articles (found with a join on the warehouse's LSH buckets; ``paths`` are the batch's files,
    whose loaded articles it replaces), and the loaded reports of those stories."""
    signed = near_dup.signature_frame(articles, threshold, num_perm)
    with connected(warehouse) as con:
        known = lookups.near_duplicate_candidates(
            con, signed, near_dup.signature_params(threshold, num_perm), paths
        )
        placed = articles.select("article_id", "source_path", "source_record").join(signed, on="article_id")
        stories = near_dup.assign_stories(placed, known, threshold)
        reports = lookups.story_reports(con, stories.get_column("near_duplicate_of"), paths)
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
    replaced: list[str] | None = None,
) -> dict[str, int] | None:
    """Load the batch in one transaction; ``dq()`` (called before the commit) waits for the
    batch's checks: their results, or BatchRejected -> rolled back, None returned. ``replaced``:
    the loaded articles a re-extraction batch replaces (see load_batch)."""
    try:
        with connected(warehouse) as con:
            return load.load_batch(
                con, run_id, frames, dq, seen=seen, deleted=deleted, replaced=replaced or ()
            )
    except load.BatchRejected:
        return None
