"""The transactional batch load: a run's rows replace what the warehouse held for the paths it
read, in ONE transaction (rolled back on any error, or when the batch's checks reject it), with
articles re-homed to a duplicate that outlives their path, events recomputed from their mentions
(:mod:`dateline.warehouse.events`), unreferenced entities removed and the ``files`` manifest
brought up to date."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

import duckdb
import polars as pl

from dateline.runtime.faults import stage_hook
from dateline.warehouse import sql
from dateline.warehouse.events import refresh_events
from dateline.warehouse.runs import dq_frame
from schemas.tables import (
    ARTICLE_SIGNATURES,
    ARTICLES,
    DQ_RESULTS,
    DUPLICATES,
    ENTITIES,
    ENTITY_MENTIONS,
    EVENT_MENTIONS,
    EVENTS,
    FACT_TABLES,
    FILES,
    QUANTITIES,
    QUARANTINE,
    SENTENCES,
    Table,
)

log = logging.getLogger(__name__)

#: Tables whose rows belong to an article (deleted / re-homed with it). ``events`` is not one:
#: an event goes when its last mention goes (:func:`dateline.warehouse.events.refresh_events`).
ARTICLE_CHILD_TABLES: tuple[Table, ...] = (
    SENTENCES,
    ENTITY_MENTIONS,
    EVENT_MENTIONS,
    QUANTITIES,
    ARTICLE_SIGNATURES,
)

#: Insert order of a batch; dq_results last.
LOAD_ORDER: tuple[Table, ...] = (*FACT_TABLES, DQ_RESULTS)


class BatchRejected(Exception):
    """Raised by a deferred ``dq_results`` of :func:`load_batch`: the batch failed its checks and
    is rolled back."""


_REHOME_SQL = """
WITH gone AS (
    -- articles the warehouse holds for the batch's paths that the batch does not load again
    SELECT a.article_id FROM articles a
    WHERE a.source_path IN (SELECT source_path FROM _dl_paths)
      AND a.article_id NOT IN (SELECT article_id FROM _dl_batch_articles)
),
candidates AS (
    -- duplicate rows that would outlive them: other paths' rows in the warehouse, or the batch's
    SELECT d.source_path, d.source_record, d.content_sha256, d.article_id, 'warehouse' AS origin
    FROM duplicates d
    WHERE d.source_path NOT IN (SELECT source_path FROM _dl_paths)
    UNION ALL
    SELECT d.source_path, d.source_record, d.content_sha256, d.article_id, 'batch'
    FROM _dl_batch_duplicates d
)
SELECT c.article_id, c.source_path, c.source_record, c.content_sha256, c.origin
FROM candidates c JOIN gone g USING (article_id)
QUALIFY row_number() OVER (
    PARTITION BY c.article_id ORDER BY c.source_path, c.source_record NULLS FIRST
) = 1
"""


def load_batch(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    frames: Mapping[str, pl.DataFrame],
    dq_results: pl.DataFrame | Callable[[], pl.DataFrame],
    *,
    seen: pl.DataFrame | None = None,
    deleted: Sequence[str] = (),
    replaced: Sequence[str] = (),
) -> dict[str, int]:
    """Load one batch in ONE transaction (rolled back, and the error re-raised, on any failure).

    ``dq_results`` may be a callable: it is called once every other row of the batch is written,
    before the commit, and blocks until the batch's checks are done (the load then runs while
    they run); it returns their results, or raises (e.g. :class:`BatchRejected`) to roll the
    batch back.

    For every ``source_path`` in ``frames['files']`` the rows the warehouse held for it are
    replaced: its articles with their sentences / mentions / events / quantities, and its
    duplicate and quarantine rows; so are the articles ``replaced`` names, whatever their path (a
    re-extraction: no ``files`` rows, so no duplicate, quarantine or manifest row). An article about to be deleted that another path still
    duplicates is re-homed instead: that duplicate's path becomes the article's source_path (its
    extracted rows are kept), the duplicate row is dropped and that path's ``files.outcome`` is
    recomputed. Then the batch's rows are inserted
    (``run_id`` set to ``run_id``), ``files`` is upserted (``first_run_id`` kept), entities are
    inserted unless present and entities no mention or event references are deleted, and the
    run's dq_results replace any earlier ones of the same run.

    Events are shared across articles: a batch event the warehouse already holds (same
    ``event_id``) is not inserted again. Every event that lost a mention (its article replaced)
    or is in the batch is then recomputed from the warehouse's ``event_mentions``
    (:func:`dateline.warehouse.events.refresh_events`): deleted when no mention is left, else its
    counts and its representative report's columns updated (``run_id`` = this run).

    ``frames['article_signatures']`` (near-duplicate signatures, :mod:`transforms.near_dup`) are
    inserted for the batch's articles; like the other article child tables they are deleted
    with their article, so the table always holds one row per loaded article made since
    signatures exist (not counted in the returned rows).

    In the same transaction the manifest is brought up to date: ``seen`` (source_path,
    size_bytes, mtime) are files read again whose content had not changed (new size/mtime, no
    longer deleted), ``deleted`` are paths found gone (``files.deleted_at`` set; their rows stay).

    Returns rows written per table (entities: newly inserted; files: upserted; events: the
    batch's events, inserted or recomputed). Loading the same batch again leaves the same contents.
    """
    batch = _batch_frames(frames, run_id)
    replaced_ids = pl.DataFrame({"article_id": list(replaced)}, schema={"article_id": pl.String})
    with (
        sql.transaction(con, f"loading run {run_id}"),
        sql.registered(con, "_dl_paths", batch[FILES.name].select("source_path").unique()),
        sql.registered(con, "_dl_batch_articles", batch[ARTICLES.name].select("article_id")),
        sql.registered(con, "_dl_batch_duplicates", batch[DUPLICATES.name]),
        sql.registered(con, "_dl_batch_event_ids", batch[EVENTS.name].select("event_id")),
        sql.registered(con, "_dl_replaced", replaced_ids),
    ):
        rehome = _clear_paths(con, batch)
        written = _insert_batch(con, batch)
        _insert_signatures(con, frames.get(ARTICLE_SIGNATURES.name), batch[ARTICLES.name])
        if rehome.height:
            _refresh_outcomes(con, rehome.select("source_path").unique())
        dropped = refresh_events(con, run_id)
        removed = _delete_unreferenced_entities(con)
        _update_manifest(con, run_id, seen, deleted)
        # every row of the batch is written (but its checks'): the last point before the commit
        # (a deferred dq_results decides whether it happens)
        stage_hook("load_before_commit")
        written[DQ_RESULTS.name] = _replace_dq_results(con, run_id, dq_results)
    log.info(
        "run %s loaded %s; %d article(s) re-homed, %d event(s) left without a mention removed, "
        "%d unreferenced entit(y/ies) removed",
        run_id,
        written,
        rehome.height,
        dropped,
        removed,
    )
    return written


def _with_run_id(table: Table, frame: pl.DataFrame | None, run_id: str) -> pl.DataFrame:
    """``frame`` (empty when None) conformed to ``table`` with ``run_id`` set, and its
    ``first_run_id`` (if the table has one) filled with ``run_id`` where unknown."""
    frame = table.empty() if frame is None else frame
    frame = frame.with_columns(pl.lit(run_id, dtype=pl.String).alias("run_id"))
    if "first_run_id" in table.column_names:
        first = pl.col("first_run_id") if "first_run_id" in frame.columns else pl.lit(None, pl.String)
        frame = frame.with_columns(first.cast(pl.String).fill_null(run_id).alias("first_run_id"))
    return table.conform(frame)


def _batch_frames(frames: Mapping[str, pl.DataFrame], run_id: str) -> dict[str, pl.DataFrame]:
    """The batch's frame of every table of :data:`LOAD_ORDER` but dq_results, conformed, with
    ``run_id`` set; entities once each (the first of an entity_id kept)."""
    batch = {t.name: _with_run_id(t, frames.get(t.name), run_id) for t in LOAD_ORDER if t is not DQ_RESULTS}
    batch[ENTITIES.name] = batch[ENTITIES.name].unique("entity_id", keep="first", maintain_order=True)
    return batch


def _clear_paths(con: duckdb.DuckDBPyConnection, batch: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Make room for the batch: delete what the warehouse holds for its paths (and the articles it
    replaces, view ``_dl_replaced``), except the articles a duplicate outlives, which are re-homed
    to that duplicate's path. A batch duplicate used so
    is dropped from ``batch`` (it is the article's row now). Returns the re-homed articles."""
    rehome = sql.fetch_frame(con, _REHOME_SQL)
    sql.fetch_all(con, "CREATE OR REPLACE TEMP TABLE _dl_touched_events (event_id VARCHAR)")
    _delete_paths(con, rehome.get_column("article_id"))
    stage_hook("load_after_delete")
    if rehome.height:
        _rehome(con, rehome)
        used = rehome.filter(pl.col("origin") == "batch").select("source_path", "content_sha256")
        batch[DUPLICATES.name] = batch[DUPLICATES.name].join(
            used, on=["source_path", "content_sha256"], how="anti"
        )
    return rehome


def _insert_batch(con: duckdb.DuckDBPyConnection, batch: Mapping[str, pl.DataFrame]) -> dict[str, int]:
    """Insert the batch's rows of every table but dq_results, in :data:`LOAD_ORDER`; return the
    rows written per table (entities: newly inserted; files: upserted; events: the batch's)."""
    written: dict[str, int] = {}
    for table in LOAD_ORDER:
        if table is DQ_RESULTS:
            continue  # last, by load_batch: they may still be being computed
        frame = batch[table.name]
        if table is ENTITIES:
            written[table.name] = sql.insert(con, table, frame, "ON CONFLICT DO NOTHING")
        elif table is EVENTS:
            # an event the warehouse already holds is recomputed from its mentions afterwards
            sql.insert(con, table, frame, "ON CONFLICT DO NOTHING")
            written[table.name] = frame.height
        elif table is FILES:
            updates = ", ".join(
                f"{c} = excluded.{c}" for c in table.column_names if c not in ("source_path", "first_run_id")
            )
            conflict = f"ON CONFLICT (source_path) DO UPDATE SET {updates}"
            written[table.name] = sql.insert(con, table, frame, conflict)
        else:
            written[table.name] = sql.insert(con, table, frame)
    return written


def _delete_unreferenced_entities(con: duckdb.DuckDBPyConnection) -> int:
    """Delete the entities no mention, event or article references; return how many."""
    orphans = sql.fetch_all(
        con,
        """
        DELETE FROM entities e
        WHERE NOT EXISTS (SELECT 1 FROM entity_mentions m WHERE m.entity_id = e.entity_id)
          AND NOT EXISTS (SELECT 1 FROM events v WHERE v.source_entity_id = e.entity_id)
          AND NOT EXISTS (SELECT 1 FROM events v WHERE v.target_entity_id = e.entity_id)
          AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.outlet_entity_id = e.entity_id)
        """,
    )
    return int(orphans[0][0]) if orphans else 0


def _replace_dq_results(
    con: duckdb.DuckDBPyConnection, run_id: str, dq_results: pl.DataFrame | Callable[[], pl.DataFrame]
) -> int:
    """Replace the run's dq_results with the batch's (waiting for a deferred ``dq_results``,
    which may raise to roll the batch back); return the rows written."""
    frame = dq_frame(run_id, dq_results() if callable(dq_results) else dq_results)
    sql.fetch_all(con, "DELETE FROM dq_results WHERE run_id = ?", [run_id])
    return sql.insert(con, DQ_RESULTS, frame)


def _insert_signatures(
    con: duckdb.DuckDBPyConnection, signatures: pl.DataFrame | None, articles: pl.DataFrame
) -> None:
    """Insert the near-duplicate signatures of the batch's articles (an article's signature goes
    with it: ``ARTICLE_CHILD_TABLES``; one already held is kept)."""
    if signatures is None or signatures.height == 0:
        return
    mine = signatures.join(articles.select("article_id"), on="article_id", how="semi")
    sql.insert(con, ARTICLE_SIGNATURES, mine, "ON CONFLICT DO NOTHING")


def _update_manifest(
    con: duckdb.DuckDBPyConnection, run_id: str, seen: pl.DataFrame | None, deleted: Sequence[str]
) -> None:
    """Bring ``files`` up to date: the paths ``seen`` again unchanged get their new size and mtime
    (and are no longer deleted); the ``deleted`` paths get ``deleted_at`` (their rows stay)."""
    if seen is not None and seen.height:
        frame = seen.select("source_path", "size_bytes", "mtime").cast(
            {"size_bytes": pl.Int64, "mtime": pl.Datetime("us", "UTC")}
        )
        with sql.registered(con, "_dl_seen", frame):
            sql.fetch_all(
                con,
                """
                UPDATE files f SET size_bytes = s.size_bytes, mtime = s.mtime, deleted_at = NULL
                FROM _dl_seen s WHERE f.source_path = s.source_path
                """,
            )
    if deleted:
        with sql.registered(
            con,
            "_dl_deleted",
            pl.DataFrame({"source_path": list(deleted)}, schema={"source_path": pl.String}),
        ):
            sql.fetch_all(
                con,
                """
                UPDATE files f SET deleted_at = now(), run_id = ?
                FROM _dl_deleted d WHERE f.source_path = d.source_path AND f.deleted_at IS NULL
                """,
                [run_id],
            )


def _rehome(con: duckdb.DuckDBPyConnection, rehome: pl.DataFrame) -> None:
    """Move articles to the path of a duplicate that outlives their own path."""
    with sql.registered(con, "_dl_rehome", rehome):
        sql.fetch_all(
            con,
            """
            UPDATE articles a SET source_path = r.source_path, source_record = r.source_record
            FROM _dl_rehome r WHERE a.article_id = r.article_id
            """,
        )
        sql.fetch_all(
            con,
            """
            DELETE FROM duplicates d USING _dl_rehome r
            WHERE r.origin = 'warehouse' AND d.source_path = r.source_path
              AND d.content_sha256 = r.content_sha256
            """,
        )
    for row in rehome.iter_rows(named=True):
        log.info(
            "article %s re-homed to %s (record %s), its duplicate",
            row["article_id"],
            row["source_path"],
            row["source_record"],
        )


def _refresh_outcomes(con: duckdb.DuckDBPyConnection, paths: pl.DataFrame) -> None:
    """Recompute ``files.outcome`` of ``paths`` from what the warehouse now holds for them."""
    with sql.registered(con, "_dl_outcome_paths", paths):
        sql.fetch_all(
            con,
            """
            UPDATE files f SET outcome = CASE
                WHEN (n.articles > 0)::INT + (n.duplicates > 0)::INT + (n.quarantined > 0)::INT > 1 THEN 'mixed'
                WHEN n.articles > 0 THEN 'article'
                WHEN n.duplicates > 0 THEN 'duplicate'
                WHEN n.quarantined > 0 THEN 'quarantine'
                ELSE f.outcome END
            FROM (
                SELECT p.source_path,
                    (SELECT count(*) FROM articles a WHERE a.source_path = p.source_path) AS articles,
                    (SELECT count(*) FROM duplicates d WHERE d.source_path = p.source_path) AS duplicates,
                    (SELECT count(*) FROM quarantine q WHERE q.source_path = p.source_path) AS quarantined
                FROM _dl_outcome_paths p
            ) n
            WHERE f.source_path = n.source_path
            """,
        )


def _delete_paths(con: duckdb.DuckDBPyConnection, keep: pl.Series) -> None:
    """Delete what the warehouse holds for the batch's paths, except the articles in ``keep``, and
    the articles of view ``_dl_replaced`` (whatever their path).

    Articles go with their child rows; duplicate and quarantine rows of the paths go too. The
    events their mentions told are noted in temp table ``_dl_touched_events``, to be recomputed
    by :func:`dateline.warehouse.events.refresh_events`.
    """
    with sql.registered(con, "_dl_keep", keep.to_frame("article_id")):
        sql.fetch_all(
            con,
            """
            CREATE OR REPLACE TEMP TABLE _dl_gone AS
            SELECT article_id FROM articles
            WHERE source_path IN (SELECT source_path FROM _dl_paths)
              AND article_id NOT IN (SELECT article_id FROM _dl_keep)
            UNION
            SELECT article_id FROM _dl_replaced
            """,
        )
    try:
        # events told by the articles about to go: recomputed (or removed) after the inserts
        sql.fetch_all(
            con,
            """
            INSERT INTO _dl_touched_events
            SELECT DISTINCT event_id FROM event_mentions
            WHERE article_id IN (SELECT article_id FROM _dl_gone)
            """,
        )
        for table in ARTICLE_CHILD_TABLES:
            sql.fetch_all(
                con, f"DELETE FROM {table.name} WHERE article_id IN (SELECT article_id FROM _dl_gone)"
            )
        sql.fetch_all(con, "DELETE FROM articles WHERE article_id IN (SELECT article_id FROM _dl_gone)")
        for table in (DUPLICATES, QUARANTINE):
            sql.fetch_all(
                con, f"DELETE FROM {table.name} WHERE source_path IN (SELECT source_path FROM _dl_paths)"
            )
    finally:
        sql.fetch_all(con, "DROP TABLE IF EXISTS _dl_gone")
