"""DuckDB warehouse I/O: schema, reference data, run audit and the transactional batch load.

Every table comes from :data:`schemas.tables.ALL_TABLES` (``Table.ddl()``); analyst views from
``warehouse/views.sql``. Frames are handed to DuckDB by registering their Arrow form (no copy)
and inserted with ``INSERT INTO t (...) SELECT ... FROM <registered frame>``.

DuckDB 2.x note: ``execute()`` streams a query's rows and the connection refuses other work until
they are read, so every statement here is fetched to its end (:func:`_exec`, :func:`_frame`).
"""

from __future__ import annotations

import atexit
import errno
import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from dateline.config import REPO_ROOT
from dateline.errors import WarehouseError  # defined there: the run lock needs it without duckdb
from dateline.runtime.faults import stage_hook
from schemas.tables import (
    ALL_TABLES,
    ARTICLE_SIGNATURES,
    ARTICLES,
    DQ_RESULTS,
    DQ_RUNS,
    DUPLICATES,
    ENTITIES,
    ENTITY_MENTIONS,
    EVENT_MENTIONS,
    EVENTS,
    FACT_TABLES,
    FILES,
    NO_NEW_DATA,
    QUANTITIES,
    QUARANTINE,
    REFERENCE_TABLES,
    RUN_STATUSES,
    RUNS,
    SENTENCES,
    Table,
)
from transforms.event_mentions import (
    EVENT_LEVEL_COLUMNS,
    KEY_COLUMNS,
    REPORT_COLUMNS,
    REPRESENTATIVE_ORDER,
    STORY_REPORT_SCHEMA,
)
from transforms.near_dup import SIGNATURE_SCHEMA, bucket_rows

log = logging.getLogger(__name__)

VIEWS_SQL = REPO_ROOT / "warehouse" / "views.sql"

#: Tables whose rows belong to an article (deleted / re-homed with it). ``events`` is not one:
#: an event goes when its last mention goes (:func:`_refresh_events`).
ARTICLE_CHILD_TABLES: tuple[Table, ...] = (
    SENTENCES,
    ENTITY_MENTIONS,
    EVENT_MENTIONS,
    QUANTITIES,
    ARTICLE_SIGNATURES,
)

#: Columns of ``events`` recomputed from its representative mention (see transforms.event_mentions).
EVENT_REPORT_COLUMNS: tuple[str, ...] = REPORT_COLUMNS

#: Insert order of a batch; dq_results last.
LOAD_ORDER: tuple[Table, ...] = (*FACT_TABLES, DQ_RESULTS)

#: Counters ``finish_run`` accepts (the integer columns of ``runs``).
RUN_COUNTERS: tuple[str, ...] = tuple(
    c.name for c in RUNS.columns if c.dtype == pl.Int64 and c.name != "run_id"
)

META_DDL = """CREATE TABLE IF NOT EXISTS _meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);"""


#: How long a writer retries opening a warehouse that a reader holds (queries are short).
WRITE_WAIT_SECONDS = 30.0


class BatchRejected(Exception):
    """Raised by a deferred ``dq_results`` of :func:`load_batch`: the batch failed its checks and
    is rolled back."""


# --- connection & schema ------------------------------------------------------------------------


def _lock_holder(message: str) -> str | None:
    match = re.search(r"\(PID (\d+)\)", message)
    return match.group(1) if match else None


#: DuckDB settings of a connection that runs an analyst's SQL (``dateline query``, ``status``,
#: ``report``): it reads the warehouse file it was opened on (and DuckDB's own WAL and spill
#: files next to it) and nothing else. No file, URL or other database can be read or written
#: (COPY TO/FROM, read_csv/read_text/read_parquet/glob..., ATTACH, EXPORT DATABASE), no extension
#: can be installed or loaded, and ``lock_configuration`` makes every setting, these included,
#: unchangeable by SET/RESET/PRAGMA. Given at connect time, so they hold from the first statement.
SANDBOX_CONFIG: dict[str, bool] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}

#: Says why :func:`sandbox_refusal` refused a query that reads or writes outside the warehouse.
REFUSED_OUTSIDE = (
    "query refused: it reads or writes outside the warehouse (COPY TO, read_* of files, ATTACH, "
    "INSTALL/LOAD and URLs are not allowed; use --out to export results)"
)
#: ... and one that tries to change a setting.
REFUSED_SETTINGS = (
    "query refused: it changes a DuckDB setting (SET, RESET and setting PRAGMAs are not allowed: "
    "the settings of a query's connection are locked)"
)
#: ... and one that calls a function of an extension (which queries cannot install or load).
REFUSED_EXTENSION = (
    "query refused: it uses a function of a DuckDB extension that is not loaded, and queries cannot "
    "install or load extensions"
)


def connect(path: Path, read_only: bool = False, sandbox: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating it and its directory when writable) the warehouse at ``path``.

    ``sandbox=True`` (read-only only) opens it with :data:`SANDBOX_CONFIG`: for running SQL
    that someone typed. Raises :class:`WarehouseError` when another process holds the file's
    lock, when a read-only warehouse does not exist, or when the file is not a DuckDB database.
    """
    path = Path(path)
    if sandbox and not read_only:
        raise ValueError("a sandboxed connection is read-only")
    if read_only and not path.exists():
        raise WarehouseError(f"warehouse {path} does not exist (nothing has been loaded yet?)")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + (0.0 if read_only else WRITE_WAIT_SECONDS)
    while True:
        try:
            return open_duckdb(path, read_only=read_only, sandbox=sandbox)
        except duckdb.IOException as exc:
            # a reader (``dateline query``) holds the file for a moment: retry until the deadline
            if "lock" in str(exc).lower() and time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            _raise_open_error(path, exc)
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open warehouse {path}: {exc}") from exc


_spill_dir: str | None = None


def _private_spill_dir() -> str:
    """This process's own folder for DuckDB's spill files (mode 0700, removed at exit).

    With external access off DuckDB still lets a query read and write inside its temp directory;
    by default that is ``<warehouse>.tmp/`` next to the warehouse, where other processes spill
    too. A sandboxed connection spills here instead: large queries still spill, and nothing a
    query writes there outlives it or reaches anything else. One folder per process, because
    DuckDB requires every connection of a process to one file to have the same configuration.
    """
    global _spill_dir
    if _spill_dir is None:
        _spill_dir = tempfile.mkdtemp(prefix="dateline-query-")
        atexit.register(shutil.rmtree, _spill_dir, ignore_errors=True)
    return _spill_dir


def open_duckdb(path: Path, read_only: bool = True, sandbox: bool = False) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect`` of ``path``, with :data:`SANDBOX_CONFIG` and a private spill folder when
    ``sandbox`` (no retry, no error translation: :func:`connect` and
    :func:`dateline.warehouse.locking.open_for_reading` do those)."""
    config: dict[str, Any] = {}
    if sandbox:
        config = {**SANDBOX_CONFIG, "temp_directory": _private_spill_dir()}
    return duckdb.connect(str(path), read_only=read_only, config=config)


def sandbox_refusal(exc: duckdb.Error) -> str | None:
    """The one-line refusal when ``exc`` is the sandbox (:data:`SANDBOX_CONFIG`) stopping a
    query, else None (an ordinary SQL error)."""
    message = str(exc)
    if isinstance(exc, duckdb.PermissionException):
        # "Cannot access file ... file system operations are disabled by configuration",
        # "Loading external extensions is disabled through configuration"
        return REFUSED_OUTSIDE
    if isinstance(exc, duckdb.InvalidInputException) and "configuration has been locked" in message:
        return REFUSED_SETTINGS
    if isinstance(exc, duckdb.BinderException) and "belongs to an attached database" in message:
        return REFUSED_OUTSIDE  # COPY ... TO the warehouse's own file
    if isinstance(exc, duckdb.CatalogException) and re.search(r"but it exists in the \w+ extension", message):
        return REFUSED_EXTENSION  # DuckDB would suggest INSTALL, which the sandbox refuses
    return None


#: ``errno`` values of a write refused for lack of space (a full disk, an exhausted quota).
_NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
NO_SPACE_TEXTS: tuple[str, ...] = tuple(os.strerror(e) for e in sorted(_NO_SPACE_ERRNOS))


def out_of_space(exc: BaseException) -> BaseException | None:
    """The error in ``exc``'s chain (``__cause__``/``__context__``) that says a write found no
    space, else None.

    DuckDB reports its own failed writes (database file, WAL, checkpoint) as ``IOException`` /
    ``TransactionException`` whose text carries the OS message ("No space left on device");
    Python's writes (the snapshot copy) raise ``OSError`` with ``errno`` ENOSPC.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _NO_SPACE_ERRNOS:
            return current
        if isinstance(current, duckdb.Error) and any(t in str(current) for t in NO_SPACE_TEXTS):
            return current
        current = current.__cause__ or current.__context__
    return None


def batch_committed(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    """True when run ``run_id``'s batch was committed: the load writes the run's dq_results in
    its transaction (the test :func:`recover_interrupted_runs` uses too)."""
    return bool(_scalar(con, "SELECT EXISTS (SELECT 1 FROM dq_results WHERE run_id = ?)", [run_id]))


def _raise_open_error(path: Path, exc: duckdb.IOException) -> None:
    message = str(exc)
    pid = _lock_holder(message)
    if pid is not None or "lock" in message.lower():
        holder = f"pid {pid}" if pid else "unknown pid"
        raise WarehouseError(
            f"warehouse {path} is locked by another process ({holder}); wait for it to finish "
            f"or stop it, then retry. DuckDB said: {message}"
        ) from exc
    raise WarehouseError(f"cannot open warehouse {path}: {message}") from exc


def _exec(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
    """Run ``sql`` to its end and return its rows."""
    return con.execute(sql, params).fetchall()


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
    frame: pl.DataFrame = con.sql(sql, params=params).pl()
    return frame


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> Any:
    rows = _exec(con, sql, params)
    return rows[0][0] if rows else None


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection, what: str) -> Iterator[None]:
    """BEGIN ... COMMIT; ROLLBACK and re-raise on any error (DuckDB errors as WarehouseError)."""
    _exec(con, "BEGIN TRANSACTION")
    try:
        yield
        _exec(con, "COMMIT")
    except BaseException as exc:
        try:
            _exec(con, "ROLLBACK")
        except duckdb.Error:  # the transaction may already be aborted
            log.debug("rollback after failed %s raised", what, exc_info=True)
        if isinstance(exc, duckdb.Error):
            raise WarehouseError(f"{what} failed and was rolled back: {exc}") from exc
        raise


def init_schema(con: duckdb.DuckDBPyConnection, views_sql: Path = VIEWS_SQL) -> None:
    """Create every table (``Table.ddl()``), ``_meta`` and the views of ``views_sql``. Idempotent."""
    for table in ALL_TABLES:
        _exec(con, table.ddl())
        if table is EVENTS:
            _migrate_events(con)
        _add_missing_columns(con, table)
    _exec(con, META_DDL)
    _migrate_no_new_data(con)
    try:
        sql = Path(views_sql).read_text(encoding="utf-8")
    except OSError as exc:
        raise WarehouseError(f"cannot read the warehouse views {views_sql}: {exc}") from exc
    try:
        _exec(con, sql)
    except duckdb.Error as exc:
        raise WarehouseError(f"creating the views of {views_sql} failed: {exc}") from exc


def _migrate_no_new_data(con: duckdb.DuckDBPyConnection) -> None:
    """Migrate runs closed by an older version with nothing to check: their verdict said 'pass'
    although no check ran; it is ``schemas.tables.NO_NEW_DATA``, as a new run records it."""
    _exec(
        con,
        "UPDATE runs r SET dq_verdict = ? WHERE r.status = 'success' AND r.dq_verdict = 'pass' "
        "AND NOT EXISTS (SELECT 1 FROM dq_results d WHERE d.run_id = r.run_id)",
        [NO_NEW_DATA],
    )


def _add_missing_columns(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Migrate a warehouse made by an older version: add the table's new (nullable) columns."""
    have = {
        r[0]
        for r in _exec(
            con,
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema()",
            [table.name],
        )
    }
    for c in table.columns:
        if c.name not in have and c.nullable:
            _exec(con, f"ALTER TABLE {table.name} ADD COLUMN {c.name} {c.sql}")
            log.info("warehouse migrated: %s.%s added", table.name, c.name)


def _migrate_events(con: duckdb.DuckDBPyConnection) -> None:
    """Migrate ``events`` of a warehouse made before ``event_mentions``: one row per report then.

    Each old row becomes a mention (``mention_id`` = its old ``event_id``) of the event its key
    names -- the same key hash as :func:`transforms.event_mentions.event_key_id`, or the old id
    when the key is not fully known -- and ``events`` is rebuilt from them: one row per event,
    with its representative report and counts. Runs once (when ``events`` lacks
    ``mention_count``), in one transaction.
    """
    have = {
        r[0]
        for r in _exec(
            con,
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'events' "
            "AND table_schema = current_schema()",
        )
    }
    if "mention_count" in have:
        return
    _exec(con, EVENT_MENTIONS.ddl())
    known = " AND ".join(f"{c} IS NOT NULL" for c in KEY_COLUMNS) + " AND date_precision = 'day'"
    key = ", ".join(f"strftime({c}, '%Y-%m-%d')" if c == "event_date" else c for c in KEY_COLUMNS)
    report = [c for c in EVENT_MENTIONS.column_names if c in have and c not in ("mention_id", "event_id")]
    level = [c for c in EVENT_LEVEL_COLUMNS if c in have]
    order = _representative_order_sql()
    with _transaction(con, "migrating events to events + event_mentions"):
        _exec(con, "ALTER TABLE events ADD COLUMN mention_count BIGINT DEFAULT 1")
        _exec(con, "ALTER TABLE events ADD COLUMN article_count BIGINT DEFAULT 1")
        _exec(con, "CREATE OR REPLACE TEMP TABLE _mig_events AS SELECT * FROM events")
        _exec(
            con,
            f"""
            INSERT INTO event_mentions (mention_id, event_id, {", ".join(report)})
            SELECT event_id,
                CASE WHEN {known} THEN substr(sha256(concat_ws('|', 'event', {key})), 1, 16)
                     ELSE event_id END,
                {", ".join(report)}
            FROM _mig_events ON CONFLICT DO NOTHING
            """,
        )
        _exec(con, "DELETE FROM events")
        rows = _exec(
            con,
            f"""
            INSERT INTO events (event_id, {", ".join(report)}, {", ".join(level)}, mention_count, article_count)
            SELECT m.event_id, {", ".join("m." + c for c in report)}, {", ".join("o." + c for c in level)},
                count(*) OVER (PARTITION BY m.event_id),
                (SELECT count(DISTINCT x.article_id) FROM event_mentions x WHERE x.event_id = m.event_id)
            FROM event_mentions m
            JOIN _mig_events o ON o.event_id = m.mention_id
            LEFT JOIN articles a ON a.article_id = m.article_id
            QUALIFY row_number() OVER (PARTITION BY m.event_id ORDER BY {order}) = 1
            """,
        )
        _exec(con, "DROP TABLE IF EXISTS _mig_events")
    log.info(
        "warehouse migrated: events split into %s event(s) and their event_mentions",
        rows[0][0] if rows else 0,
    )


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Write the WAL into the database file (before it is copied as a snapshot)."""
    _exec(con, "FORCE CHECKPOINT")


# --- frames in and out ------------------------------------------------------------------------------


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> Iterator[str]:
    """Register ``frame`` (its Arrow data, not a copy) as view ``name`` for the block."""
    con.register(name, frame.to_arrow())
    try:
        yield name
    finally:
        con.unregister(name)


def _insert(con: duckdb.DuckDBPyConnection, table: Table, frame: pl.DataFrame, conflict: str = "") -> int:
    """INSERT the conformed ``frame`` into ``table``; return the rows written."""
    if frame.height == 0:
        return 0
    cols = ", ".join(table.column_names)
    with _registered(con, f"_dl_batch_{table.name}", table.conform(frame)) as view:
        rows = _exec(con, f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {view} {conflict}")
    return int(rows[0][0]) if rows else 0


def _with_run_id(table: Table, frame: pl.DataFrame | None, run_id: str) -> pl.DataFrame:
    frame = table.empty() if frame is None else frame
    frame = frame.with_columns(pl.lit(run_id, dtype=pl.String).alias("run_id"))
    if "first_run_id" in table.column_names:
        first = pl.col("first_run_id") if "first_run_id" in frame.columns else pl.lit(None, pl.String)
        frame = frame.with_columns(first.cast(pl.String).fill_null(run_id).alias("first_run_id"))
    return table.conform(frame)


def _frame_hash(table: Table, frame: pl.DataFrame) -> str:
    conformed = table.conform(frame)
    digest = hashlib.sha256(repr(conformed.schema).encode())
    digest.update(conformed.write_csv().encode())
    return digest.hexdigest()


def load_reference(con: duckdb.DuckDBPyConnection, reference: Mapping[str, pl.DataFrame]) -> dict[str, int]:
    """Replace the content of the given reference tables whose content changed, in one transaction.

    A table's content hash is kept in ``_meta`` (``reference_sha256:<table>``); an unchanged table
    is left alone. Entries of ``reference`` that are not warehouse reference tables (lookups such
    as ``agents``) are ignored. Returns the rows loaded per replaced table.
    """
    known = {t.name: t for t in REFERENCE_TABLES}
    loaded: dict[str, int] = {}
    with _transaction(con, "loading the reference tables"):
        for name, frame in reference.items():
            table = known.get(name)
            if table is None:
                continue
            digest = _frame_hash(table, frame)
            key = f"reference_sha256:{name}"
            if _scalar(con, "SELECT value FROM _meta WHERE key = ?", [key]) == digest:
                continue
            _exec(con, f"DELETE FROM {name}")
            loaded[name] = _insert(con, table, frame)
            _exec(
                con,
                "INSERT INTO _meta (key, value, updated_at) VALUES (?, ?, now()) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                [key, digest],
            )
            log.info("reference table %s replaced: %d rows", name, loaded[name])
    return loaded


def known_units(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every input unit the warehouse holds and where it is.

    Columns source_path, source_record, content_sha256, article_id, place
    ('article' | 'duplicate' | 'quarantine'; quarantine rows have no article_id), reason and
    detail (a quarantine row's reason and detail, NULL for the others).
    """
    return _frame(
        con,
        """
        SELECT source_path, source_record, content_sha256, article_id, 'article' AS place,
            NULL AS reason, NULL AS detail
        FROM articles
        UNION ALL
        SELECT source_path, source_record, content_sha256, article_id, 'duplicate', NULL, NULL
        FROM duplicates
        UNION ALL
        SELECT source_path, source_record, content_sha256, NULL, 'quarantine', reason, detail
        FROM quarantine
        ORDER BY source_path, source_record NULLS FIRST, place
        """,
    ).cast({"source_record": pl.Int64, "article_id": pl.String, "reason": pl.String, "detail": pl.String})


MANIFEST_SCHEMA = pl.Schema(
    {
        "source_path": pl.String(),
        "size_bytes": pl.Int64(),
        "mtime": pl.Datetime("us", "UTC"),
        "content_sha256": pl.String(),
        "deleted_at": pl.Datetime("us", "UTC"),
    }
)


def manifest(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The ``files`` manifest: source_path, size_bytes, mtime, content_sha256, deleted_at."""
    df = _frame(con, f"SELECT {', '.join(MANIFEST_SCHEMA.names())} FROM files ORDER BY source_path")
    return df.cast(MANIFEST_SCHEMA)


def recover_interrupted_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Close runs left 'running' by a process that died (call it while holding the run lock).

    Their batch was never committed (the load is one transaction), so the warehouse holds nothing
    of them; they are marked failed with a message saying so and when it was found. Their
    ``finished_at`` stays unknown (NULL): the time a later run found them is not when they stopped.
    Returns their run ids.
    """
    rows = _exec(
        con,
        """
        UPDATE runs r SET status = 'failed',
            message = CASE
                WHEN EXISTS (SELECT 1 FROM dq_results d WHERE d.run_id = r.run_id)
                THEN 'interrupted after its batch was committed, before the run was closed'
                ELSE 'interrupted: the process stopped before its batch was committed; nothing of '
                    || 'it was loaded (the next run redid the work)' END
                || ' (marked failed by a later run at '
                || strftime(now() AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') || ' UTC)'
        WHERE r.status = 'running' RETURNING r.run_id
        """,
    )
    return [r[0] for r in rows]


def close_stopped_run(con: duckdb.DuckDBPyConnection, run_id: str, why: str) -> bool | None:
    """Mark run ``run_id``, stopped by a signal, ``failed`` with message ``why`` (plus whether its
    batch had been committed) at once, rather than at the next run. Returns whether its batch
    was committed; None when the run never got a ``runs`` row (nothing of it is anywhere)."""
    if not _scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'runs'"):
        return None
    if not _scalar(con, "SELECT count(*) FROM runs WHERE run_id = ?", [run_id]):
        return None
    committed = batch_committed(con, run_id)
    said = "its batch had been committed" if committed else "nothing of its batch was loaded"
    _exec(
        con,
        "UPDATE runs SET status = 'failed', finished_at = coalesce(finished_at, now()), message = ? "
        "WHERE run_id = ?",
        [f"{why}: {said}", run_id],
    )
    return committed


def existing_keys(con: duckdb.DuckDBPyConnection) -> dict[str, pl.Series]:
    """Keys foreign keys may reference, by table: ``articles`` (article_id), ``entities``
    (entity_id), ``events`` (event_id)."""
    return {
        "articles": _frame(con, "SELECT article_id FROM articles").get_column("article_id"),
        "entities": _frame(con, "SELECT entity_id FROM entities").get_column("entity_id"),
        "events": _frame(con, "SELECT event_id FROM events").get_column("event_id"),
    }


_STORY_OF = "coalesce(a.near_duplicate_of, a.article_id)"

_CANDIDATES_SQL = f"""
WITH wanted AS (SELECT DISTINCT band, bucket FROM _nd_buckets),
banded AS (
    SELECT article_id, unnest(range(len(buckets))) AS band, unnest(buckets) AS bucket
    FROM article_signatures WHERE params = ?
),
hit AS (
    SELECT DISTINCT s.article_id FROM banded s
    JOIN wanted w ON s.band = w.band AND s.bucket = w.bucket
),
candidates AS (
    SELECT a.article_id, {_STORY_OF} AS story_id
    FROM articles a JOIN hit h ON h.article_id = a.article_id
    WHERE a.source_path NOT IN (SELECT source_path FROM _nd_paths)
),
ranks AS (
    -- a story's age: the run that loaded its first article still held (run ids sort by time)
    SELECT {_STORY_OF} AS story_id, min(a.run_id) AS story_rank
    FROM articles a WHERE {_STORY_OF} IN (SELECT story_id FROM candidates)
    GROUP BY 1
)
SELECT c.article_id, c.story_id, r.story_rank, s.minhash, s.buckets
FROM candidates c
JOIN article_signatures s ON s.article_id = c.article_id
LEFT JOIN ranks r ON r.story_id = c.story_id
ORDER BY c.article_id
"""


def near_duplicate_candidates(
    con: duckdb.DuckDBPyConnection, signed: pl.DataFrame, params: str, exclude_paths: Sequence[str]
) -> pl.DataFrame:
    """Loaded articles that share an LSH bucket with an article of ``signed`` (their candidates).

    ``signed``: the batch's signature frame (:func:`transforms.near_dup.signature_frame`);
    ``params``: its signature parameters (only signatures made with them are comparable);
    ``exclude_paths``: the batch's paths, whose loaded articles it replaces. The join runs in
    DuckDB over ``article_signatures``: only the candidates' signatures are read. Returns
    article_id, story_id (its near_duplicate_of or itself), story_rank (the oldest run of its
    story), minhash, buckets.
    """
    schema = pl.Schema(
        {
            "article_id": pl.String(),
            "story_id": pl.String(),
            "story_rank": pl.String(),
            "minhash": SIGNATURE_SCHEMA["minhash"],
            "buckets": SIGNATURE_SCHEMA["buckets"],
        }
    )
    if signed.height == 0:
        return pl.DataFrame(schema=schema)
    paths = pl.DataFrame({"source_path": list(exclude_paths)}, schema={"source_path": pl.String})
    with (
        _registered(con, "_nd_buckets", bucket_rows(signed)),
        _registered(con, "_nd_paths", paths),
    ):
        return _frame(con, _CANDIDATES_SQL, [params]).cast(schema)


def story_reports(
    con: duckdb.DuckDBPyConnection, story_ids: pl.Series, exclude_paths: Sequence[str]
) -> pl.DataFrame:
    """Loaded event reports of the stories ``story_ids``, for the batch's copies to join.

    One row per mention of a loaded article of one of the stories (not at ``exclude_paths``,
    which the batch replaces), with its event's type, CAMEO code and actors:
    :data:`transforms.event_mentions.STORY_REPORT_SCHEMA`.
    """
    stories = story_ids.drop_nulls().unique().cast(pl.String).to_frame("story_id")
    if stories.height == 0:
        return pl.DataFrame(schema=STORY_REPORT_SCHEMA)
    paths = pl.DataFrame({"source_path": list(exclude_paths)}, schema={"source_path": pl.String})
    with _registered(con, "_nd_stories", stories), _registered(con, "_nd_paths", paths):
        return _frame(
            con,
            f"""
            SELECT m.mention_id, m.event_id, m.article_id, {_STORY_OF} AS story_id,
                a.published_date AS article_published_date, m.start_char, m.trigger_start,
                m.evidence_text, e.event_type, e.cameo_code, e.source_entity_id,
                e.target_entity_id, m.polarity, m.status
            FROM event_mentions m
            JOIN articles a ON a.article_id = m.article_id
            JOIN events e ON e.event_id = m.event_id
            WHERE {_STORY_OF} IN (SELECT story_id FROM _nd_stories)
              AND a.source_path NOT IN (SELECT source_path FROM _nd_paths)
            ORDER BY m.mention_id
            """,
        ).cast(STORY_REPORT_SCHEMA)


# --- runs ----------------------------------------------------------------------------------------------


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, input_dir: str | Path | None) -> None:
    """Record run ``run_id`` as running (started now)."""
    try:
        _exec(
            con,
            "INSERT INTO runs (run_id, started_at, status, input_dir) VALUES (?, now(), 'running', ?)",
            [run_id, None if input_dir is None else str(input_dir)],
        )
    except duckdb.ConstraintException as exc:
        raise WarehouseError(f"run {run_id!r} already exists in the warehouse") from exc


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    status: str,
    counts: Mapping[str, int | None],
    dq_verdict: str | None,
    message: str | None,
) -> None:
    """Close run ``run_id``: finish time, status, counters (names of ``runs`` columns), verdict."""
    if status not in RUN_STATUSES:
        raise ValueError(f"run status {status!r} is not one of {', '.join(RUN_STATUSES)}")
    unknown = sorted(set(counts) - set(RUN_COUNTERS))
    if unknown:
        raise ValueError(f"unknown run counters {', '.join(unknown)}; known: {', '.join(RUN_COUNTERS)}")
    sets = ["finished_at = now()", "status = ?", "dq_verdict = ?", "message = ?"]
    params: list[Any] = [status, dq_verdict, message]
    for name, value in counts.items():
        sets.append(f"{name} = ?")
        params.append(None if value is None else int(value))
    rows = _exec(con, f"UPDATE runs SET {', '.join(sets)} WHERE run_id = ?", [*params, run_id])
    if not rows or rows[0][0] == 0:
        raise WarehouseError(f"run {run_id!r} was not started in this warehouse")


# --- batch load -------------------------------------------------------------------------------------


def _dq_frame(run_id: str, dq_results: pl.DataFrame) -> pl.DataFrame:
    return DQ_RESULTS.conform(dq_results.with_columns(pl.lit(run_id, dtype=pl.String).alias("run_id")))


def write_dq_results(con: duckdb.DuckDBPyConnection, run_id: str, dq_results: pl.DataFrame) -> int:
    """Replace the data-quality results of ``run_id`` (used when a critical failure stops the load)."""
    with _transaction(con, f"writing the dq results of run {run_id}"):
        _exec(con, "DELETE FROM dq_results WHERE run_id = ?", [run_id])
        return _insert(con, DQ_RESULTS, _dq_frame(run_id, dq_results))


def write_dq_runs(con: duckdb.DuckDBPyConnection, run_id: str, metrics: pl.DataFrame) -> int:
    """Replace the ``dq_runs`` metrics (table_name, metric, value) of ``run_id``."""
    frame = DQ_RUNS.conform(metrics.with_columns(pl.lit(run_id, dtype=pl.String).alias("run_id")))
    with _transaction(con, f"writing the dq metrics of run {run_id}"):
        _exec(con, "DELETE FROM dq_runs WHERE run_id = ?", [run_id])
        return _insert(con, DQ_RUNS, frame)


def dq_history(con: duckdb.DuckDBPyConnection, before_run: str | None = None) -> pl.DataFrame:
    """``dq_runs`` rows of the successful runs (other than ``before_run``) with their ``started_at``.

    The history :func:`dateline.quality.validate.validate_run` compares a batch with (failed runs are left
    out: their batch was not loaded, and a broken batch must not become the norm).
    """
    df = _frame(
        con,
        """
        SELECT d.run_id, r.started_at, d.table_name, d.metric, d.value
        FROM dq_runs d JOIN runs r USING (run_id)
        WHERE r.status = 'success' AND d.run_id IS DISTINCT FROM ?
        ORDER BY r.started_at, d.run_id, d.table_name, d.metric
        """,
        [before_run],
    )
    return df.cast({"started_at": pl.Datetime("us", "UTC"), "value": pl.Float64})


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
) -> dict[str, int]:
    """Load one batch in ONE transaction (rolled back, and the error re-raised, on any failure).

    ``dq_results`` may be a callable: it is called once every other row of the batch is written,
    before the commit, and blocks until the batch's checks are done (the load then runs while
    they run); it returns their results, or raises (e.g. :class:`BatchRejected`) to roll the
    batch back.

    For every ``source_path`` in ``frames['files']`` the rows the warehouse held for it are
    replaced: its articles with their sentences / mentions / events / quantities, and its
    duplicate and quarantine rows. An article about to be deleted that another path still
    duplicates is re-homed instead: that duplicate's path becomes the article's source_path (its
    extracted rows are kept), the duplicate row is dropped and that path's ``files.outcome`` is
    recomputed. Then the batch's rows are inserted
    (``run_id`` set to ``run_id``), ``files`` is upserted (``first_run_id`` kept), entities are
    inserted unless present and entities no mention or event references are deleted, and the
    run's dq_results replace any earlier ones of the same run.

    Events are shared across articles: a batch event the warehouse already holds (same
    ``event_id``) is not inserted again. Every event that lost a mention (its article replaced)
    or is in the batch is then recomputed from the warehouse's ``event_mentions``
    (:func:`_refresh_events`): deleted when no mention is left, else its counts and its
    representative report's columns updated (``run_id`` = this run).

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
    batch = {t.name: _with_run_id(t, frames.get(t.name), run_id) for t in LOAD_ORDER if t is not DQ_RESULTS}
    batch[ENTITIES.name] = batch[ENTITIES.name].unique("entity_id", keep="first", maintain_order=True)
    paths = batch[FILES.name].select("source_path").unique()
    written: dict[str, int] = {}
    with (
        _transaction(con, f"loading run {run_id}"),
        _registered(con, "_dl_paths", paths),
        _registered(con, "_dl_batch_articles", batch[ARTICLES.name].select("article_id")),
        _registered(con, "_dl_batch_duplicates", batch[DUPLICATES.name]),
        _registered(con, "_dl_batch_event_ids", batch[EVENTS.name].select("event_id")),
    ):
        rehome = _frame(con, _REHOME_SQL)
        _exec(con, "CREATE OR REPLACE TEMP TABLE _dl_touched_events (event_id VARCHAR)")
        _delete_paths(con, rehome.get_column("article_id"))
        stage_hook("load_after_delete")
        if rehome.height:
            _rehome(con, rehome)
            used = rehome.filter(pl.col("origin") == "batch").select("source_path", "content_sha256")
            batch[DUPLICATES.name] = batch[DUPLICATES.name].join(
                used, on=["source_path", "content_sha256"], how="anti"
            )
        for table in LOAD_ORDER:
            if table is DQ_RESULTS:
                continue  # last, below: they may still be being computed
            frame = batch[table.name]
            if table is ENTITIES:
                written[table.name] = _insert(con, table, frame, "ON CONFLICT DO NOTHING")
            elif table is EVENTS:
                # an event the warehouse already holds is recomputed from its mentions below
                _insert(con, table, frame, "ON CONFLICT DO NOTHING")
                written[table.name] = frame.height
            elif table is FILES:
                updates = ", ".join(
                    f"{c} = excluded.{c}"
                    for c in table.column_names
                    if c not in ("source_path", "first_run_id")
                )
                conflict = f"ON CONFLICT (source_path) DO UPDATE SET {updates}"
                written[table.name] = _insert(con, table, frame, conflict)
            else:
                written[table.name] = _insert(con, table, frame)
        _insert_signatures(con, frames.get(ARTICLE_SIGNATURES.name), batch[ARTICLES.name])
        if rehome.height:
            _refresh_outcomes(con, rehome.select("source_path").unique())
        dropped = _refresh_events(con, run_id)
        orphans = _exec(
            con,
            """
            DELETE FROM entities e
            WHERE NOT EXISTS (SELECT 1 FROM entity_mentions m WHERE m.entity_id = e.entity_id)
              AND NOT EXISTS (SELECT 1 FROM events v WHERE v.source_entity_id = e.entity_id)
              AND NOT EXISTS (SELECT 1 FROM events v WHERE v.target_entity_id = e.entity_id)
              AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.outlet_entity_id = e.entity_id)
            """,
        )
        removed = int(orphans[0][0]) if orphans else 0
        _update_manifest(con, run_id, seen, deleted)
        # every row of the batch is written (but its checks'): the last point before the commit
        # (a deferred dq_results decides whether it happens)
        stage_hook("load_before_commit")
        dq_frame = _dq_frame(run_id, dq_results() if callable(dq_results) else dq_results)
        _exec(con, "DELETE FROM dq_results WHERE run_id = ?", [run_id])
        written[DQ_RESULTS.name] = _insert(con, DQ_RESULTS, dq_frame)
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


def _insert_signatures(
    con: duckdb.DuckDBPyConnection, signatures: pl.DataFrame | None, articles: pl.DataFrame
) -> None:
    """Insert the near-duplicate signatures of the batch's articles (an article's signature goes
    with it: ``ARTICLE_CHILD_TABLES``; one already held is kept)."""
    if signatures is None or signatures.height == 0:
        return
    mine = signatures.join(articles.select("article_id"), on="article_id", how="semi")
    _insert(con, ARTICLE_SIGNATURES, mine, "ON CONFLICT DO NOTHING")


def _update_manifest(
    con: duckdb.DuckDBPyConnection, run_id: str, seen: pl.DataFrame | None, deleted: Sequence[str]
) -> None:
    if seen is not None and seen.height:
        frame = seen.select("source_path", "size_bytes", "mtime").cast(
            {"size_bytes": pl.Int64, "mtime": pl.Datetime("us", "UTC")}
        )
        with _registered(con, "_dl_seen", frame):
            _exec(
                con,
                """
                UPDATE files f SET size_bytes = s.size_bytes, mtime = s.mtime, deleted_at = NULL
                FROM _dl_seen s WHERE f.source_path = s.source_path
                """,
            )
    if deleted:
        with _registered(
            con,
            "_dl_deleted",
            pl.DataFrame({"source_path": list(deleted)}, schema={"source_path": pl.String}),
        ):
            _exec(
                con,
                """
                UPDATE files f SET deleted_at = now(), run_id = ?
                FROM _dl_deleted d WHERE f.source_path = d.source_path AND f.deleted_at IS NULL
                """,
                [run_id],
            )


def _rehome(con: duckdb.DuckDBPyConnection, rehome: pl.DataFrame) -> None:
    """Move articles to the path of a duplicate that outlives their own path."""
    with _registered(con, "_dl_rehome", rehome):
        _exec(
            con,
            """
            UPDATE articles a SET source_path = r.source_path, source_record = r.source_record
            FROM _dl_rehome r WHERE a.article_id = r.article_id
            """,
        )
        _exec(
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
    with _registered(con, "_dl_outcome_paths", paths):
        _exec(
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
    """Delete what the warehouse holds for the batch's paths, except the articles in ``keep``.

    Articles go with their child rows; duplicate and quarantine rows of the paths go too. The
    events their mentions told are noted in temp table ``_dl_touched_events``, to be recomputed
    by :func:`_refresh_events`.
    """
    with _registered(con, "_dl_keep", keep.to_frame("article_id")):
        _exec(
            con,
            """
            CREATE OR REPLACE TEMP TABLE _dl_gone AS
            SELECT article_id FROM articles
            WHERE source_path IN (SELECT source_path FROM _dl_paths)
              AND article_id NOT IN (SELECT article_id FROM _dl_keep)
            """,
        )
    try:
        # events told by the articles about to go: recomputed (or removed) after the inserts
        _exec(
            con,
            """
            INSERT INTO _dl_touched_events
            SELECT DISTINCT event_id FROM event_mentions
            WHERE article_id IN (SELECT article_id FROM _dl_gone)
            """,
        )
        for table in ARTICLE_CHILD_TABLES:
            _exec(con, f"DELETE FROM {table.name} WHERE article_id IN (SELECT article_id FROM _dl_gone)")
        _exec(con, "DELETE FROM articles WHERE article_id IN (SELECT article_id FROM _dl_gone)")
        for table in (DUPLICATES, QUARANTINE):
            _exec(con, f"DELETE FROM {table.name} WHERE source_path IN (SELECT source_path FROM _dl_paths)")
    finally:
        _exec(con, "DROP TABLE IF EXISTS _dl_gone")


def _representative_order_sql() -> str:
    """ORDER BY of an event's mentions ``m`` (with their article ``a``): the first is its representative."""
    order_sql = {
        "article_published_date": "a.published_date NULLS LAST",
        "article_id": "m.article_id",
        "start_char": "m.start_char",
        "trigger_start": "m.trigger_start NULLS LAST",
        "mention_id": "m.mention_id",
    }
    return ", ".join(order_sql[c] for c in REPRESENTATIVE_ORDER)


def _refresh_events(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """Recompute the events that lost a mention or are in the batch from ``event_mentions``.

    Reads temp table ``_dl_touched_events`` and view ``_dl_batch_event_ids`` (dropping the former).
    An event with no mention left is deleted; the others get ``mention_count``,
    ``article_count`` and the columns of their representative mention (the first by the
    article's published_date, unknown last, then article_id, start_char, trigger_start,
    mention_id: :data:`transforms.event_mentions.REPRESENTATIVE_ORDER`), and ``run_id``.
    Returns the events deleted.
    """
    order = _representative_order_sql()
    sets = ", ".join(f"{c} = r.{c}" for c in EVENT_REPORT_COLUMNS)
    try:
        _exec(
            con,
            """
            CREATE OR REPLACE TEMP TABLE _dl_refresh AS
            SELECT event_id FROM _dl_touched_events UNION SELECT event_id FROM _dl_batch_event_ids
            """,
        )
        gone = _exec(
            con,
            """
            DELETE FROM events e
            WHERE e.event_id IN (SELECT event_id FROM _dl_refresh)
              AND NOT EXISTS (SELECT 1 FROM event_mentions m WHERE m.event_id = e.event_id)
            """,
        )
        _exec(
            con,
            f"""
            UPDATE events e SET {sets}, mention_count = r.mention_count,
                article_count = r.article_count, run_id = ?
            FROM (
                SELECT m.*, c.mention_count, c.article_count
                FROM event_mentions m
                LEFT JOIN articles a ON a.article_id = m.article_id
                JOIN (
                    SELECT event_id, count(*) AS mention_count, count(DISTINCT article_id) AS article_count
                    FROM event_mentions WHERE event_id IN (SELECT event_id FROM _dl_refresh)
                    GROUP BY event_id
                ) c ON c.event_id = m.event_id
                QUALIFY row_number() OVER (PARTITION BY m.event_id ORDER BY {order}) = 1
            ) r
            WHERE e.event_id = r.event_id
            """,
            [run_id],
        )
    finally:
        _exec(con, "DROP TABLE IF EXISTS _dl_refresh")
        _exec(con, "DROP TABLE IF EXISTS _dl_touched_events")
    return int(gone[0][0]) if gone else 0


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every warehouse table."""
    return {t.name: int(_scalar(con, f"SELECT count(*) FROM {t.name}")) for t in ALL_TABLES}


__all__ = [
    "NO_SPACE_TEXTS",
    "SANDBOX_CONFIG",
    "WarehouseError",
    "batch_committed",
    "checkpoint",
    "close_stopped_run",
    "connect",
    "dq_history",
    "existing_keys",
    "finish_run",
    "init_schema",
    "known_units",
    "load_batch",
    "load_reference",
    "manifest",
    "near_duplicate_candidates",
    "open_duckdb",
    "out_of_space",
    "recover_interrupted_runs",
    "sandbox_refusal",
    "start_run",
    "story_reports",
    "table_counts",
    "write_dq_results",
    "write_dq_runs",
]
