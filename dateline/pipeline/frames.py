"""The frames a batch writes: what of the routed units is written, which files read again only
refresh the manifest, and the fact-table frames of the batch (:func:`build_frames`)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from schemas.tables import FILES
from transforms.event_mentions import group_event_mentions

#: Routes of units for which nothing is deleted or written: the warehouse's rows stay as they are.
NOTHING_TO_WRITE = ("unchanged", "kept")


@dataclass
class Stories:
    """The batch's near-duplicate stories (:mod:`transforms.near_dup`)."""

    stories: pl.DataFrame  # article_id, near_duplicate_of: one row per batch article
    signatures: pl.DataFrame  # article_signatures rows of the batch's articles
    reports: pl.DataFrame  # loaded event reports of the stories the batch's copies join


def to_write(units: pl.DataFrame) -> pl.DataFrame:
    """The units whose rows the batch writes (or deletes): all but ``unchanged`` and ``kept``."""
    return units.filter(~pl.col("route").is_in(NOTHING_TO_WRITE))


def seen_again(files: pl.DataFrame, units: pl.DataFrame, manifest: pl.DataFrame) -> pl.DataFrame:
    """Files read again whose content had not changed and whose size, mtime or deletion mark
    differ from the ``manifest``'s: the load refreshes their manifest rows (source_path,
    size_bytes, mtime). A kept file (it could not be read) is not one of them: its manifest row
    stays as it was, so the next run reads it again."""
    routes = units.group_by("source_path").agg(pl.col("route").unique())
    unchanged = routes.filter(pl.col("route").list.eval(pl.element() == "unchanged").list.all())
    recorded = manifest.filter(pl.col("deleted_at").is_null()).select("source_path", "size_bytes", "mtime")
    return (
        files.join(unchanged.select("source_path"), on="source_path", how="semi")
        .select("source_path", "size_bytes", "mtime")
        .join(recorded, on=["source_path", "size_bytes", "mtime"], how="anti")
    )


def _file_outcomes(todo: pl.DataFrame, run_id: str) -> pl.DataFrame:
    """One ``files`` row per path written: its outcome (article, duplicate, quarantine, or mixed
    when its units went different ways), hash, size, mtime, format and encoding."""
    return (
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


def _with_stories(frames: dict[str, pl.DataFrame], stories: Stories | None) -> None:
    """Set ``articles.near_duplicate_of`` and add ``article_signatures`` (with ``stories``), and
    make ``events`` one row per distinct event plus ``event_mentions``, its reports."""
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
    ``stories`` (the flow's near-duplicate task) sets ``articles.near_duplicate_of``, adds the
    ``article_signatures`` rows and lets copies of one story share their events; without it
    every article is its own story.
    """
    todo = to_write(units)
    duplicates = todo.filter(pl.col("route") == "duplicate").select(
        "source_path", "source_record", "content_sha256", "article_id"
    )
    quarantine = todo.filter(pl.col("route") == "quarantine").select(
        "source_path",
        "source_record",
        "content_sha256",
        pl.col("quarantine_reason").alias("reason"),
        pl.col("quarantine_detail").alias("detail"),
    )
    frames = dict(extracted)
    _with_stories(frames, stories)
    frames["duplicates"] = duplicates
    frames["quarantine"] = quarantine
    outcomes = _file_outcomes(todo, run_id)
    frames["files"] = FILES.conform(outcomes.with_columns(pl.lit(run_id).alias("run_id")))
    return {name: df.with_columns(pl.lit(run_id).alias("run_id")) for name, df in frames.items()}


def reextracted_frames(
    extracted: dict[str, pl.DataFrame], run_id: str, stories: Stories
) -> dict[str, pl.DataFrame]:
    """Fact-table frames of a re-extraction batch (:mod:`dateline.pipeline.reextract`): the
    extraction's frames made into events and mentions like :func:`build_frames` does, with the
    articles' stories as loaded (``stories``), and no ``files``, ``duplicates`` or ``quarantine``
    rows: the load then clears no path, so the manifest, duplicates and quarantine stay as they are."""
    frames = dict(extracted)
    _with_stories(frames, stories)
    for table in ("files", "duplicates", "quarantine"):
        frames.pop(table, None)
    return {name: df.with_columns(pl.lit(run_id).alias("run_id")) for name, df in frames.items()}
