"""Decide where each parsed unit goes: a new article, a duplicate, quarantine, or nothing to do.

:func:`route_units` compares the units of this batch with what the warehouse already holds
(``known``: one row per recorded article / duplicate / quarantine unit).
"""

from __future__ import annotations

import polars as pl

__all__ = ["KNOWN_SCHEMA", "ROUTES", "quarantine_failed", "route_units"]

ROUTES = ("article", "duplicate", "quarantine", "unchanged")

KNOWN_SCHEMA = pl.Schema(
    {
        "source_path": pl.String,
        "source_record": pl.Int64,
        "content_sha256": pl.String,
        "article_id": pl.String,
        "place": pl.String,  # 'article' | 'duplicate' | 'quarantine'
    }
)

_KEY = ["source_path", "source_record"]


def route_units(units: pl.DataFrame, known: pl.DataFrame) -> pl.DataFrame:
    """Add ``route``, ``article_id`` and ``replaces`` to ``units`` (order and other columns kept).

    * ``unchanged``: (source_path, source_record, content_sha256) is already recorded, in any
      place, and so is every other unit of its file, with no recorded unit of the file missing
      (a changed file is routed again as a whole); ``article_id`` is the recorded one (NULL for a
      recorded quarantine unit).
    * ``quarantine``: the unit has a ``quarantine_reason``; ``article_id`` NULL.
    * ``duplicate``: a good unit whose content equals an article already in the warehouse, or an
      earlier good unit of this batch (first by source_path, source_record wins); ``article_id`` is
      the article it duplicates.
    * ``article``: any other good unit; ``article_id`` = content_sha256[:16].

    ``replaces`` is true when the unit's path+record was recorded before with other content (a
    changed file): the loader deletes the old rows first. An article recorded at a path+record
    that this batch replaces is not used as the original of a duplicate, since it is going away.
    """
    known = known.select([pl.col(c).cast(t) for c, t in KNOWN_SCHEMA.items()])
    df = units.with_row_index("_order")

    # unchanged: same path, record and content already recorded
    same = known.select(*_KEY, "content_sha256", _known_id="article_id").unique(
        subset=[*_KEY, "content_sha256"], keep="first", maintain_order=True
    )
    df = df.join(
        same.with_columns(_unchanged=pl.lit(True)),
        on=[*_KEY, "content_sha256"],
        how="left",
        nulls_equal=True,
        maintain_order="left",
    ).with_columns(pl.col("_unchanged").fill_null(False))
    # ... and a file is unchanged only as a whole: each of its units recorded with the same
    # content, none of its recorded units missing. The loader replaces a changed file's rows as
    # a whole, so every unit of a changed file is routed again (one left 'unchanged' there, e.g.
    # the other lines of a JSON Lines file with one line edited, would be deleted, not reloaded).
    recorded = known.unique(_KEY).group_by("source_path").agg(pl.len().alias("_n_known"))
    df = df.join(recorded, on="source_path", how="left", maintain_order="left").with_columns(
        _unchanged=pl.col("_unchanged").all().over("source_path")
        & (pl.len().over("source_path") == pl.col("_n_known").fill_null(0))
    )

    # replaces: path+record recorded before, but not with this content
    seen_keys = known.select(_KEY).unique().with_columns(_seen=pl.lit(True))
    df = df.join(seen_keys, on=_KEY, how="left", nulls_equal=True, maintain_order="left").with_columns(
        replaces=pl.col("_seen").fill_null(False) & ~pl.col("_unchanged")
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
        .drop("_order", "_unchanged", "_n_known", "_known_id", "_seen", "_original_id", "_first")
    )


def quarantine_failed(units: pl.DataFrame, failed: pl.DataFrame) -> pl.DataFrame:
    """Move the units of articles whose extraction failed from route 'article' to 'quarantine'.

    ``failed``: article_id, reason, detail (flows/isolation.py). A unit routed as a duplicate of a
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
