"""Run bookkeeping in one place: a run's ``runs`` row, its counts and its summary.

A :class:`Run` is a context manager around one run. :meth:`Run.start` records the row
(``running``); the run counts its files (:meth:`Run.count`, from
:func:`dateline.pipeline.summary.count_files`) and its checks (:meth:`Run.checked`); exactly one
of :meth:`Run.nothing_to_do`, :meth:`Run.rejected` and :meth:`Run.loaded` closes the row and
returns the summary. Leaving the block with one of the run's expected ``failures`` (e.g. an input
folder that cannot be listed) closes the row ``failed`` with the error's text. Any other error,
or an interrupt, leaves the row ``running`` on purpose: only a later look at the warehouse can say
whether the batch was committed (``dateline run`` does so at once for a signal,
:func:`dateline.warehouse.runs.close_stopped_run`; otherwise the next run,
:func:`dateline.warehouse.runs.recover_interrupted_runs`).

Used by the ``ingest`` flow (flows/ingest.py) and by the planted-defects acceptance run
(dateline/evaluation/planted_defects.py) alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from dateline.pipeline.summary import (
    NOTHING_TO_DO_MESSAGE,
    REJECTED_MESSAGE,
    FileCounts,
    RunSummary,
    failed_check_lines,
    kept_message,
    loaded_message,
    reextraction_rejected_message,
)
from dateline.resources.extractor import extractor_version
from dateline.warehouse import connection, runs
from schemas.tables import NO_NEW_DATA
from transforms.parse import ParseLimits

if TYPE_CHECKING:
    import duckdb
    import polars as pl

    from dateline.config import Config


@dataclass(frozen=True)
class RunOptions:
    """What one run does, resolved once from the :class:`~dateline.config.Config` and the caller's
    overrides (None: the configured value)."""

    default_year: int | None
    max_bytes: int
    rehash: bool
    snapshot: bool  # publish a read-only snapshot after a successful run
    min_articles: int  # [run] parallel_min_articles: the batch size that uses the worker processes
    limits: ParseLimits
    article_timeout: float
    near_duplicate_threshold: float
    near_duplicate_num_perm: int
    reextract: bool = False  # also re-extract the articles an older extractor wrote
    reextract_batch: int = 200  # articles per re-extraction batch ([run] parallel_min_articles)

    @classmethod
    def resolve(
        cls,
        config: Config,
        *,
        default_year: int | None = None,
        max_bytes: int | None = None,
        rehash: bool = False,
        snapshot: bool | None = None,
        reextract: bool | None = None,
    ) -> RunOptions:
        """The options of a run: the caller's overrides, else the configured values. A
        re-extraction batch has ``[run] parallel_min_articles`` articles: the smallest batch
        extracted by the worker processes, and small enough that one batch's frames and checks
        stay a fraction of a large landing batch's."""
        return cls(
            default_year=config.default_year if default_year is None else default_year,
            max_bytes=config.max_bytes if max_bytes is None else max_bytes,
            rehash=rehash,
            snapshot=config.snapshot if snapshot is None else snapshot,
            min_articles=config.parallel_min_articles,
            limits=ParseLimits(config.max_json_depth, config.max_records_per_file, config.max_article_chars),
            article_timeout=config.article_timeout_seconds,
            near_duplicate_threshold=config.near_duplicate_threshold,
            near_duplicate_num_perm=config.near_duplicate_num_perm,
            reextract=config.reextract if reextract is None else reextract,
            reextract_batch=config.parallel_min_articles,
        )


@contextmanager
def connected(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable connection to ``warehouse`` for the block, closed after it."""
    con = connection.connect(warehouse)
    try:
        yield con
    finally:
        con.close()


class Run:
    """One run's ``runs`` row, counts and summary (see the module's docstring).

    ``failures``: the exception types that end the run as failed with their message when they
    leave the block after :meth:`start` (the flow: the input folder cannot be listed).
    """

    def __init__(
        self,
        warehouse: Path,
        run_id: str,
        input_dir: Path | str,
        *,
        failures: tuple[type[Exception], ...] = (),
    ) -> None:
        self.warehouse = Path(warehouse)
        self.input_dir = str(input_dir)
        self.summary = RunSummary(run_id, "running", self.input_dir, str(warehouse))
        self.counts = FileCounts()
        self.started = datetime.now(UTC)
        self.failures = failures
        self.dq: pl.DataFrame | None = None  # the check results of the run's batches, merged
        self._recorded = False  # the runs row exists
        self._finished = False  # ... and is closed

    @property
    def run_id(self) -> str:
        return self.summary.run_id

    @property
    def today(self) -> date:
        """The run's date (UTC): what "today" means to its extraction and checks."""
        return self.started.date()

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._recorded and not self._finished and isinstance(exc, self.failures):
            with connected(self.warehouse) as con:
                self._finish(con, "failed", {}, str(exc))

    def start(self, con: duckdb.DuckDBPyConnection) -> None:
        """Record the run as ``running`` (on ``con``: the caller's connection that prepared the
        warehouse, so that the schema exists and earlier runs are closed first)."""
        runs.start_run(con, self.run_id, self.input_dir, extractor_version())
        self._recorded = True

    def count(self, counts: FileCounts) -> None:
        """The run's file counts and its quarantined and kept units (again after extraction set
        articles aside)."""
        self.counts = counts
        for name, value in counts.counters().items():
            setattr(self.summary, name, value)
        self.summary.quarantined = list(counts.quarantined)
        self.summary.kept = list(counts.kept)

    def checked(self, dq: pl.DataFrame) -> str:
        """Record a batch's check results (``dq_results`` rows) and return its verdict. The run's
        results (:attr:`dq`, what its load commits), verdict and failed-check lines are those of
        all its batches so far (a run that re-extracts loads several)."""
        from dateline.quality.validate import failures, merge_results, verdict

        self.dq = merge_results(self.dq, dq)
        self.summary.dq_verdict = verdict(self.dq)
        self.summary.dq_failed = failed_check_lines(failures(self.dq))
        return verdict(dq)

    def reextracted(self, articles: int, failed: list[tuple[str, str]]) -> None:
        """Count a re-extraction batch: ``articles`` re-extracted and committed; ``failed``: the
        articles whose re-extraction was set aside, (article, "reason: detail"); they keep their rows."""
        self.summary.articles_reextracted += articles
        self.summary.reextract_failed.extend(failed)

    def nothing_to_do(self, *, checkpoint: bool) -> RunSummary:
        """Close a run that found nothing new, changed or deleted: success, verdict
        ``no_new_data`` (nothing was checked), no rows. ``checkpoint``: fold the WAL into the
        file first (a snapshot is published next)."""
        kept = kept_message(self.counts.files_kept)
        self.summary.status = "success"
        self.summary.dq_verdict = NO_NEW_DATA
        self.summary.message = kept or NOTHING_TO_DO_MESSAGE
        with connected(self.warehouse) as con:
            nothing = {"articles_loaded": 0, "rows_written": 0}
            self._finish(con, "success", {**self.counts.counters(), **nothing}, kept or None)
            if checkpoint:
                connection.checkpoint(con)
        return self._summary()

    def rejected(
        self, dq: pl.DataFrame, metrics: pl.DataFrame | None, *, committed: dict[str, int] | None = None
    ) -> RunSummary:
        """Close a run whose batch failed its critical checks (the load rolled it back): its
        check results (``dq``: of all its batches) and metrics (None: a re-extraction batch's, not
        recorded) are recorded, outside the batch. ``committed``: rows the run's earlier batches
        loaded (a re-extraction batch was rejected after them): they stay loaded, and say so."""
        self.summary.status = "failed"
        self.summary.message = REJECTED_MESSAGE
        counters = self.counts.counters()
        if committed:
            self.summary.rows = committed
            self.summary.articles_loaded = committed.get("articles", 0) - self.summary.articles_reextracted
            self.summary.message = reextraction_rejected_message(self.summary)
            counters |= {
                "articles_loaded": self.summary.articles_loaded,
                "rows_written": sum(committed.values()),
            }
        with connected(self.warehouse) as con:
            runs.write_dq_results(con, self.run_id, dq)
            if metrics is not None:
                runs.write_dq_runs(con, self.run_id, metrics)
            self._finish(con, "failed", counters, self.summary.message)
        return self._summary()

    def loaded(self, rows: dict[str, int], metrics: pl.DataFrame | None, *, checkpoint: bool) -> RunSummary:
        """Close a run whose batches were committed: ``rows`` written per table (by all its
        batches), the landing batch's check metrics (``dq_runs``, the history later runs compare
        with; None: the run loaded re-extraction batches only). ``checkpoint``: as above.

        ``articles_loaded`` counts the landing folder's new articles (the rows of ``articles``
        less the re-extracted ones); the check results of all its batches were committed with
        its last batch."""
        self.summary.rows = rows
        self.summary.articles_loaded = rows.get("articles", 0) - self.summary.articles_reextracted
        self.summary.status = "success"
        self.summary.message = loaded_message(self.counts, self.summary)
        written = {"articles_loaded": self.summary.articles_loaded, "rows_written": sum(rows.values())}
        with connected(self.warehouse) as con:
            if metrics is not None:
                runs.write_dq_runs(con, self.run_id, metrics)
            self._finish(con, "success", {**self.counts.counters(), **written}, self.summary.message or None)
            if checkpoint:
                connection.checkpoint(con)
        return self._summary()

    def _finish(
        self, con: duckdb.DuckDBPyConnection, status: str, counters: dict[str, int], message: str | None
    ) -> None:
        """Close the row: ``status``, ``counters`` (``runs`` columns), the verdict and ``message``."""
        runs.finish_run(con, self.run_id, status, counters, self.summary.dq_verdict, message)
        self._finished = True

    def _summary(self) -> RunSummary:
        self.summary.seconds = (datetime.now(UTC) - self.started).total_seconds()
        return self.summary
