"""What a run reports: its summary, the counts of its files (a pure function over the routed units)
and the messages it records.

:func:`count_files` is the one place that says what "seen", "new or changed", "unchanged",
"duplicate", "quarantined", "kept" and "deleted" mean; the ``runs`` row, the summary ``dateline
run`` prints and the served run's line all take their numbers from it (through
:class:`dateline.pipeline.run.Run`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import polars as pl

#: The message of a run whose batch failed its critical checks.
REJECTED_MESSAGE = "critical data-quality checks failed; nothing was loaded from this batch"

#: The message of a run that found nothing new, changed or deleted (and no kept file).
NOTHING_TO_DO_MESSAGE = "nothing to do: no new, changed or deleted files"


@dataclass
class RunSummary:
    """One run as ``dateline run`` prints it (and ``--json`` writes it): where, what was read, what
    was loaded, the data-quality verdict and the run's message."""

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
    articles_loaded: int = 0  # new articles from the landing folder
    articles_reextracted: int = 0  # loaded articles re-extracted by this run's extractor (--reextract)
    reextract_failed: list[tuple[str, str]] = field(default_factory=list)  # (article, why): rows kept
    rows: dict[str, int] = field(default_factory=dict)
    dq_verdict: str | None = None  # schemas.tables.DQ_VERDICTS; None: the run stopped before its checks
    dq_failed: list[str] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (path, why it could not be read)
    message: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class FileCounts:
    """The files of one run by what became of them (the ``runs`` counters), and the units set
    aside: quarantined (path with its record, "reason: detail") and kept (path, "reason: detail")."""

    files_seen: int = 0
    files_new: int = 0
    files_unchanged: int = 0
    files_duplicate: int = 0
    files_quarantined: int = 0
    files_kept: int = 0
    files_deleted: int = 0
    quarantined: tuple[tuple[str, str], ...] = ()
    kept: tuple[tuple[str, str], ...] = ()

    def counters(self) -> dict[str, int]:
        """The ``runs`` columns of these counts (``files_*``)."""
        return {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name.startswith("files_")
        }


def count_files(units: pl.DataFrame, *, read: int, skipped: int, deleted: int) -> FileCounts:
    """Count a run's files from its routed ``units`` (:func:`transforms.route.route_units`).

    ``read``: files read this run; ``skipped``: files not read because the manifest holds them
    with the same size and mtime; ``deleted``: manifest files gone from the input folder. A file
    is unchanged when every unit read from it is routed ``unchanged`` (or it was skipped); new
    or changed when it was seen and is neither unchanged nor kept (a known file that could not be
    read this time). Duplicates count units; quarantined and kept count files.
    """
    routes = units.group_by("source_path").agg(pl.col("route").unique())
    unchanged_read = routes.filter(pl.col("route").list.eval(pl.element() == "unchanged").list.all()).height
    quarantine = units.filter(pl.col("route") == "quarantine")
    kept = units.filter(pl.col("route") == "kept")
    seen = read + skipped
    unchanged = unchanged_read + skipped
    n_kept = kept["source_path"].n_unique()
    return FileCounts(
        files_seen=seen,
        files_new=seen - unchanged - n_kept,
        files_unchanged=unchanged,
        files_duplicate=units.filter(pl.col("route") == "duplicate").height,
        files_quarantined=quarantine["source_path"].n_unique(),
        files_kept=n_kept,
        files_deleted=deleted,
        quarantined=tuple(
            (path + (f" (record {record})" if record is not None else ""), f"{reason}: {detail}")
            for path, record, reason, detail in quarantine.select(
                "source_path", "source_record", "quarantine_reason", "quarantine_detail"
            ).iter_rows()
        ),
        kept=tuple(
            (path, f"{reason}: {detail}")
            for path, reason, detail in kept.select(
                "source_path", "quarantine_reason", "quarantine_detail"
            ).iter_rows()
        ),
    )


def failed_check_lines(failed: pl.DataFrame) -> list[str]:
    """One line per failed check (:func:`dateline.quality.validate.failures`): severity, table,
    check and how many rows it found."""
    return [
        f"{r['severity']}: {r['table_name']}.{r['check_name']} ({r['unexpected_count']} rows)"
        for r in failed.iter_rows(named=True)
    ]


def kept_message(n_kept: int) -> str:
    """What the run says about the known files it could not read (empty if none)."""
    if not n_kept:
        return ""
    return (
        f"{n_kept} known file(s) could not be read this time: their rows are kept; "
        "they are read again next run"
    )


def deleted_message(n_deleted: int) -> str:
    """What the run says about the files gone since the last run (empty if none)."""
    if not n_deleted:
        return ""
    return f"{n_deleted} file(s) deleted since the last run: recorded in files.deleted_at, their rows kept"


def reextracted_message(summary: RunSummary) -> str:
    """What the run says about re-extraction (empty if it re-extracted nothing and set nothing aside)."""
    said = []
    if summary.articles_reextracted:
        said.append(f"{summary.articles_reextracted} loaded article(s) re-extracted by this run's extractor")
    if summary.reextract_failed:
        said.append(
            f"{len(summary.reextract_failed)} article(s) could not be re-extracted: their rows are kept "
            "(dq_results articles.reextraction_set_aside; a later --reextract tries them again)"
        )
    return "; ".join(said)


def reextraction_rejected_message(summary: RunSummary) -> str:
    """The message of a run whose re-extraction batch failed its critical checks after earlier
    batches were committed."""
    done = reextracted_message(summary) or "no article re-extracted before it"
    return (
        "critical data-quality checks failed on a re-extraction batch; it was rolled back, its "
        f"articles keep their rows; the batches before it are loaded ({done})"
    )


def loaded_message(counts: FileCounts, summary: RunSummary | None = None) -> str:
    """The message of a run that loaded its batches: deleted and kept files and re-extraction
    (``summary``) (empty if none)."""
    parts = (
        deleted_message(counts.files_deleted),
        kept_message(counts.files_kept),
        reextracted_message(summary) if summary is not None else "",
    )
    return "; ".join(m for m in parts if m)
