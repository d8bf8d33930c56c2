"""Decide where each parsed unit goes: a new article, a duplicate, quarantine, or nothing to do.

:func:`route_units` compares the units of this batch with what the warehouse already holds
(``known``: one row per recorded article / duplicate / quarantine unit).
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

__all__ = [
    "KEEP_REASONS",
    "KNOWN_SCHEMA",
    "RETRY_REASONS",
    "ROUTES",
    "quarantine_failed",
    "route_units",
]

ROUTES = ("article", "duplicate", "quarantine", "unchanged", "kept")

KNOWN_SCHEMA = pl.Schema(
    {
        "source_path": pl.String,
        "source_record": pl.Int64,
        "content_sha256": pl.String,
        "article_id": pl.String,
        "place": pl.String,  # 'article' | 'duplicate' | 'quarantine'
        "reason": pl.String,  # the quarantine reason of a 'quarantine' row, else NULL
    }
)

#: Quarantine reasons that say something about the moment, not about the content: a file that
#: could not be opened or read this time (permission denied, an I/O error, vanished between the
#: listing and the read, a folder on its path or the file itself swapped for a symlink after the
#: listing: discovery records all of these as ``unreadable``). At a path the warehouse already
#: holds rows for, such a unit is routed ``kept``: its rows stay, and it is read again next run.
#: ``not_a_regular_file`` and ``outside_input`` are *not* among them, even when the swap happened
#: after the listing: they are what the path was seen to be (a FIFO, a link to a folder or to a
#: file outside the landing folder), so the path no longer holds an article of the landing folder;
#: like a changed file, its old rows are replaced by the quarantine row that says why.
KEEP_REASONS: frozenset[str] = frozenset({"unreadable"})

#: Quarantine reasons of extraction that a later attempt may not repeat (a timeout on a busy
#: machine, a failure the code has since been fixed for): ``dateline run --rehash`` passes them to
#: :func:`route_units` as ``retry_reasons``, so the units are routed again instead of ``unchanged``.
RETRY_REASONS: frozenset[str] = frozenset({"extract_timeout", "extract_failed"})

_KEY = ["source_path", "source_record"]


def route_units(
    units: pl.DataFrame, known: pl.DataFrame, *, retry_reasons: Collection[str] = ()
) -> pl.DataFrame:
    """Add ``route``, ``article_id`` and ``replaces`` to ``units`` (order and other columns kept).

    * ``unchanged``: (source_path, source_record, content_sha256) is already recorded, in any
      place, and so is every other unit of its file, with no recorded unit of the file missing
      (a changed file is routed again as a whole); ``article_id`` is the recorded one (NULL for a
      recorded quarantine unit). Not for a file with a unit recorded in quarantine for one of
      ``retry_reasons`` (e.g. :data:`RETRY_REASONS`): that file is routed again as a whole.
    * ``kept``: the unit could not be read this time (a reason of :data:`KEEP_REASONS`) and the
      warehouse holds rows for its path: they stay as they are (nothing is deleted or written for
      the path); ``article_id`` NULL. A new path that cannot be read is quarantined as usual.
    * ``quarantine``: the unit has a ``quarantine_reason``; ``article_id`` NULL.
    * ``duplicate``: a good unit whose content equals an article already in the warehouse, or an
      earlier good unit of this batch (first by source_path, source_record wins); ``article_id`` is
      the article it duplicates.
    * ``article``: any other good unit; ``article_id`` = content_sha256[:16].

    ``replaces`` is true when the unit's path+record was recorded before with other content (a
    changed file): the loader deletes the old rows first. An article recorded at a path+record
    that this batch replaces is not used as the original of a duplicate, since it is going away.
    """
    # optional: "reason" (a frame made before reasons were recorded), "detail" (the quarantine
    # detail of a 'quarantine' row, e.g. "302 bytes > max 300"; without it a unit that was not
    # read is taken as unchanged whatever its detail)
    for column in ("reason", "detail"):
        if column not in known.columns:
            known = known.with_columns(pl.lit(None, pl.String).alias(column))
    known = known.select(
        *[pl.col(c).cast(t) for c, t in KNOWN_SCHEMA.items()], pl.col("detail").cast(pl.String)
    )
    detail = pl.col("quarantine_detail") if "quarantine_detail" in units.columns else pl.lit(None, pl.String)
    df = units.with_row_index("_order").with_columns(
        _unread=pl.when(pl.col("content_sha256").is_null()).then(detail)
    )

    # unchanged: same path, record and content already recorded. A unit that was not read (no
    # content hash: oversized, not a regular file, ...) is unchanged only with the same detail:
    # an oversized file that grew is quarantined again with its new size, not left as it was.
    same = known.select(
        *_KEY,
        "content_sha256",
        _unread=pl.when(pl.col("content_sha256").is_null()).then(pl.col("detail")),
        _known_id="article_id",
    ).unique(subset=[*_KEY, "content_sha256", "_unread"], keep="first", maintain_order=True)
    df = (
        df.join(
            same.with_columns(_unchanged=pl.lit(True)),
            on=[*_KEY, "content_sha256", "_unread"],
            how="left",
            nulls_equal=True,
            maintain_order="left",
        )
        .with_columns(pl.col("_unchanged").fill_null(False))
        .drop("_unread")
    )
    # ... and a file is unchanged only as a whole: each of its units recorded with the same
    # content, none of its recorded units missing. The loader replaces a changed file's rows as
    # a whole, so every unit of a changed file is routed again (one left 'unchanged' there, e.g.
    # the other lines of a JSON Lines file with one line edited, would be deleted, not reloaded).
    recorded = known.unique(_KEY).group_by("source_path").agg(pl.len().alias("_n_known"))
    # A file with a unit quarantined for a reason to retry is routed again as a whole too.
    retry = (
        known.filter((pl.col("place") == "quarantine") & pl.col("reason").is_in(list(retry_reasons)))
        .select("source_path")
        .unique()
        .with_columns(_retry=pl.lit(True))
    )
    df = (
        df.join(recorded, on="source_path", how="left", maintain_order="left")
        .join(retry, on="source_path", how="left", maintain_order="left")
        .with_columns(
            _unchanged=pl.col("_unchanged").all().over("source_path")
            & (pl.len().over("source_path") == pl.col("_n_known").fill_null(0))
            & pl.col("_retry").is_null()
        )
    )

    # kept: could not be read this time, at a path the warehouse holds rows for (a file-level
    # read failure is the file's only unit, so the whole path is kept)
    kept = (
        pl.col("quarantine_reason").is_in(list(KEEP_REASONS)).fill_null(False)
        & pl.col("_n_known").is_not_null()
        & ~pl.col("_unchanged")
    )
    df = df.with_columns(_kept=kept)

    # replaces: path+record recorded before, but not with this content (and not kept)
    seen_keys = known.select(_KEY).unique().with_columns(_seen=pl.lit(True))
    df = df.join(seen_keys, on=_KEY, how="left", nulls_equal=True, maintain_order="left").with_columns(
        replaces=pl.col("_seen").fill_null(False) & ~pl.col("_unchanged") & ~pl.col("_kept")
    )

    # originals already in the warehouse, except those this batch replaces
    replaced = df.filter("replaces").select(_KEY).unique()
    known_articles = (
        known.filter(pl.col("place") == "article")
        .join(replaced, on=_KEY, how="anti", nulls_equal=True)
        .sort(_KEY, nulls_last=False)
        .unique(subset="content_sha256", keep="first", maintain_order=True)
        .select("content_sha256", _original_id="article_id")
    )
    df = df.join(known_articles, on="content_sha256", how="left", maintain_order="left")

    # first good, not-unchanged unit per content in this batch
    good = pl.col("quarantine_reason").is_null()
    candidate = good & ~pl.col("_unchanged") & pl.col("_original_id").is_null()
    firsts = (
        df.filter(candidate)
        .sort([*_KEY, "_order"], nulls_last=False)
        .unique(subset="content_sha256", keep="first", maintain_order=True)
        .select("_order", _first=pl.lit(True))
    )
    df = df.join(firsts, on="_order", how="left", maintain_order="left").with_columns(
        pl.col("_first").fill_null(False)
    )

    own_id = pl.col("content_sha256").str.slice(0, 16)
    route = (
        pl.when(pl.col("_unchanged"))
        .then(pl.lit("unchanged"))
        .when(pl.col("_kept"))
        .then(pl.lit("kept"))
        .when(~good)
        .then(pl.lit("quarantine"))
        .when(pl.col("_original_id").is_not_null() | ~pl.col("_first"))
        .then(pl.lit("duplicate"))
        .otherwise(pl.lit("article"))
    )
    article_id = (
        pl.when(pl.col("_unchanged"))
        .then(pl.col("_known_id"))
        .when(~good)
        .then(None)
        .otherwise(pl.coalesce("_original_id", own_id))
    )
    return (
        df.with_columns(route=route, article_id=article_id)
        .sort("_order")
        .drop(
            "_order",
            "_unchanged",
            "_n_known",
            "_retry",
            "_kept",
            "_known_id",
            "_seen",
            "_original_id",
            "_first",
        )
    )


def quarantine_failed(units: pl.DataFrame, failed: pl.DataFrame) -> pl.DataFrame:
    """Move the units of articles whose extraction failed from route 'article' to 'quarantine'.

    ``failed``: article_id, reason, detail (dateline/runtime/isolation.py). A unit routed as a duplicate of a
    failed article of this batch (same content) is quarantined too, with the same reason and a
    detail naming the unit that failed: its original is not loaded. Quarantined units get
    ``quarantine_reason``/``quarantine_detail`` and a NULL ``article_id``; order and other columns
    are kept, ``replaces`` too (the loader still removes a changed file's old rows).
    """
    if failed.height == 0:
        return units
    firsts = (
        units.filter(pl.col("route") == "article")
        .join(failed.select("article_id", "reason", "detail"), on="article_id", how="inner")
        .select(
            "article_id",
            _reason="reason",
            _detail="detail",
            _first=pl.format(
                "{}{}",
                "source_path",
                pl.when(pl.col("source_record").is_not_null())
                .then(pl.format(" (record {})", "source_record"))
                .otherwise(pl.lit("")),
            ),
        )
    )
    df = units.join(firsts, on="article_id", how="left", maintain_order="left")
    hit = pl.col("route").is_in(["article", "duplicate"]) & pl.col("_reason").is_not_null()
    detail = (
        pl.when(pl.col("route") == "duplicate")
        .then(pl.format("same content as {}, not extracted: {}", "_first", "_detail"))
        .otherwise(pl.col("_detail"))
    )
    return df.with_columns(
        route=pl.when(hit).then(pl.lit("quarantine")).otherwise("route"),
        quarantine_reason=pl.when(hit).then("_reason").otherwise("quarantine_reason"),
        quarantine_detail=pl.when(hit).then(detail).otherwise("quarantine_detail"),
        article_id=pl.when(hit).then(None).otherwise("article_id"),
    ).drop("_reason", "_detail", "_first")
