"""One event, many reports, in the warehouse: batches loaded with
``dateline.warehouse.load.load_batch`` (what the flow's load task calls) and through the flow
keep the same event told by several articles as one ``events`` row with one ``event_mentions``
row per report, across runs, reruns and articles that are replaced; older warehouses migrate;
the event_id foreign key is checked against the batch and the warehouse.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dateline.quality.validate import validate_batch, verdict
from dateline.warehouse import connection, load, schema
from schemas.tables import ARTICLES, DQ_RESULTS, ENTITIES, EVENTS, FILES, SENTENCES, Table
from tests.unit.test_event_mentions import MEETING, report, reports_frame
from transforms.event_mentions import event_key_id, group_event_mentions

TODAY = date(2025, 7, 20)


# --- warehouse ---------------------------------------------------------------------------------


def _frame(table: Table, rows: list[dict]) -> pl.DataFrame:
    schema = {k: v for k, v in table.polars_schema().items() if k not in ("run_id", "first_run_id")}
    return pl.DataFrame(rows, schema=schema)


def batch(*articles: tuple[str, str, date | None, dict | None]) -> dict[str, pl.DataFrame]:
    """Frames of a batch: (path, body, published_date, report overrides or None for no event)."""
    arts, files, sents, reps = [], [], [], []
    for path, body, published, over in articles:
        sha = hashlib.sha256(body.encode()).hexdigest()
        aid = sha[:16]
        arts.append(
            {
                "article_id": aid,
                "content_sha256": sha,
                "source_path": path,
                "format": "text",
                "encoding": "utf-8",
                "size_bytes": len(body.encode()),
                "title": path,
                "body": body,
                "published_date": published,
                "date_precision": "day" if published else None,
            }
        )
        files.append(
            {"source_path": path, "content_sha256": sha, "size_bytes": len(body), "outcome": "article"}
        )
        sents.append(
            {"article_id": aid, "sentence_idx": 0, "start_char": 0, "end_char": len(body), "text": body}
        )
        if over is not None:
            reps.append(report(aid, body, **over))
    articles_frame = _frame(ARTICLES, arts)
    events, mentions = group_event_mentions(reports_frame(reps), articles_frame)
    entities = _frame(
        ENTITIES,
        [
            {"entity_id": "person:kim-seong-ro", "canonical_name": "Kim Seong-ro", "entity_type": "PERSON"},
            {"entity_id": "USA_RUBIO", "canonical_name": "Marco Rubio", "entity_type": "PERSON"},
        ],
    )
    return {
        "articles": articles_frame,
        "files": _frame(FILES, files),
        "sentences": _frame(SENTENCES, sents),
        "entities": entities,
        "events": events,
        "event_mentions": mentions,
    }


def no_dq() -> pl.DataFrame:
    return DQ_RESULTS.empty().drop("run_id")


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    c = connection.connect(tmp_path / "mentions.duckdb")
    schema.init_schema(c)
    yield c
    c.close()


def events_of(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "SELECT event_id, article_id, mention_count, article_count, run_id FROM events ORDER BY event_id"
    ).fetchall()


def mentions_of(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "SELECT m.event_id, a.source_path FROM event_mentions m JOIN articles a USING (article_id) "
        "ORDER BY a.source_path"
    ).fetchall()


def content(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    out = {}
    for t in ("events", "event_mentions"):
        cols = [r[0] for r in con.execute(f"DESCRIBE {t}").fetchall() if r[0] != "run_id"]
        out[t] = sorted(con.execute(f"SELECT {', '.join(cols)} FROM {t}").fetchall(), key=repr)
    return out


KEYED = event_key_id(
    "CONSULT", "040", "person:kim-seong-ro", "USA_RUBIO", "2025-06-06", "asserted", "occurred"
)


def test_same_event_across_runs_and_replaced_articles(con: duckdb.DuckDBPyConnection) -> None:
    first = batch(
        ("in/a.txt", f"Seoul. {MEETING}", date(2025, 6, 8), {}),
        ("in/b.txt", f"Washington. {MEETING}", date(2025, 6, 7), {}),
    )
    results = validate_batch(first, {"event_taxonomy": pl.DataFrame({"cameo_code": ["040"]})}, today=TODAY)
    assert verdict(results) == "pass", results.filter(~pl.col("success")).to_dicts()
    load.load_batch(con, "r1", first, no_dq())
    b_id = first["articles"].filter(pl.col("source_path") == "in/b.txt")["article_id"][0]
    assert events_of(con) == [(KEYED, b_id, 2, 2, "r1")]
    assert mentions_of(con) == [(KEYED, "in/a.txt"), (KEYED, "in/b.txt")]
    loaded = content(con)

    # the same batch again (a rerun): nothing changes
    load.load_batch(con, "r1", first, no_dq())
    assert content(con) == loaded and events_of(con) == [(KEYED, b_id, 2, 2, "r1")]

    # a later run: a third article reports it, published earliest -> the new representative
    third = batch(("in/c.txt", f"Tokyo. {MEETING}", date(2025, 6, 6), {}))
    c_id = third["articles"]["article_id"][0]
    assert third["events"]["event_id"].to_list() == [KEYED]
    load.load_batch(con, "r2", third, no_dq())
    assert events_of(con) == [(KEYED, c_id, 3, 3, "r2")]
    assert len(mentions_of(con)) == 3
    rep = con.execute("SELECT start_char, evidence_text FROM events").fetchone()
    assert rep == (len("Tokyo. "), MEETING[:-1])

    # in/c.txt changes: its new text no longer tells the meeting -> 2 mentions, b is representative
    load.load_batch(
        con, "r3", batch(("in/c.txt", "Tokyo. Nothing happened.", date(2025, 6, 6), None)), no_dq()
    )
    assert events_of(con) == [(KEYED, b_id, 2, 2, "r3")]
    assert [p for _, p in mentions_of(con)] == ["in/a.txt", "in/b.txt"]

    # in/b.txt became unreadable (quarantined): 1 mention left, the event survives
    gone = {
        "files": pl.DataFrame({"source_path": ["in/b.txt"], "outcome": ["quarantine"]}),
        "quarantine": pl.DataFrame(
            {"source_path": ["in/b.txt"], "reason": ["binary"], "detail": ["NUL bytes"]}
        ),
    }
    load.load_batch(con, "r4", gone, no_dq())
    a_id = first["articles"].filter(pl.col("source_path") == "in/a.txt")["article_id"][0]
    assert events_of(con) == [(KEYED, a_id, 1, 1, "r4")]

    # the last article reporting it changes too: the event is gone, and its actors with it
    load.load_batch(con, "r5", batch(("in/a.txt", "Seoul. Quiet day.", date(2025, 6, 8), None)), no_dq())
    assert events_of(con) == [] and mentions_of(con) == []
    assert con.execute("SELECT count(*) FROM entities").fetchone()[0] == 0


def test_unknown_date_is_another_event_in_the_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    load.load_batch(
        con,
        "r1",
        batch(
            ("in/a.txt", f"Seoul. {MEETING}", date(2025, 6, 8), {}),
            ("in/b.txt", f"Paris. {MEETING}", None, {"event_date": None, "date_precision": None}),
        ),
        no_dq(),
    )
    rows = con.execute(
        "SELECT event_id, mention_count, article_count FROM events ORDER BY event_id"
    ).fetchall()
    assert len(rows) == 2 and all(r[1:] == (1, 1) for r in rows)
    assert KEYED in {r[0] for r in rows}
    view = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE is_representative) FROM v_event_mentions"
    ).fetchone()
    assert view == (2, 2)


def test_fk_event_id_checked_against_batch_and_warehouse() -> None:
    b = batch(("in/a.txt", f"Seoul. {MEETING}", date(2025, 6, 8), {}))
    orphan = dict(b, events=b["events"].clear())
    ref = {"event_taxonomy": pl.DataFrame({"cameo_code": ["040"]})}
    row = validate_batch(orphan, ref, today=TODAY).filter(
        (pl.col("table_name") == "event_mentions") & (pl.col("check_name") == "fk_event_id")
    )
    assert not row["success"][0] and row["severity"][0] == "critical"
    row = validate_batch(orphan, ref, {"events": pl.Series([KEYED])}, today=TODAY).filter(
        (pl.col("table_name") == "event_mentions") & (pl.col("check_name") == "fk_event_id")
    )
    assert row["success"][0]


def test_warehouse_from_before_event_mentions_is_migrated(tmp_path: Path) -> None:
    """Old events rows (one per report) become mentions; reports of one known event merge."""
    path = tmp_path / "old.duckdb"
    old_events = Table(
        "events",
        "",
        tuple(c for c in EVENTS.columns if c.name not in ("mention_count", "article_count")),
        ("event_id",),
    )
    old = batch(
        ("in/a.txt", f"Seoul. {MEETING}", date(2025, 6, 8), {}),
        ("in/b.txt", f"Washington. {MEETING}", date(2025, 6, 7), {}),
        ("in/c.txt", f"Paris. {MEETING}", None, {"event_date": None, "date_precision": None}),
    )
    reports = reports_frame(
        [report(a["article_id"], a["body"]) for a in old["articles"].head(2).iter_rows(named=True)]
        + [
            report(
                old["articles"]["article_id"][2],
                old["articles"]["body"][2],
                event_date=None,
                date_precision=None,
            )
        ]
    ).with_columns(pl.lit("r0").alias("run_id"))
    c = duckdb.connect(str(path))
    c.execute(old_events.ddl())
    c.execute(ARTICLES.ddl())
    c.register("legacy", reports.select(old_events.column_names))
    c.execute("INSERT INTO events SELECT * FROM legacy")
    c.register(
        "arts", old["articles"].with_columns(pl.lit("r0").alias("run_id")).select(ARTICLES.column_names)
    )
    c.execute("INSERT INTO articles SELECT * FROM arts")
    c.close()
    con = connection.connect(path)
    try:
        schema.init_schema(con)
        schema.init_schema(con)  # once only
        b_id = old["articles"]["article_id"][1]
        c_report = reports["event_id"][2]
        assert events_of(con) == sorted(
            [(KEYED, b_id, 2, 2, "r0"), (c_report, old["articles"]["article_id"][2], 1, 1, "r0")]
        )
        mentions = con.execute(
            "SELECT mention_id, event_id FROM event_mentions ORDER BY mention_id"
        ).fetchall()
        assert mentions == sorted([(r, KEYED) for r in reports["event_id"][:2]] + [(c_report, c_report)])
        # the migrated events take part in later loads like any other
        load.load_batch(con, "r1", batch(("in/d.txt", f"Tokyo. {MEETING}", date(2025, 6, 9), {})), no_dq())
        assert con.execute("SELECT mention_count FROM events WHERE event_id = ?", [KEYED]).fetchone() == (3,)
    finally:
        con.close()


# --- the flow, end to end -------------------------------------------------------------------------


def test_flow_merges_the_same_meeting_across_articles(prefect_harness: None, tmp_path: Path) -> None:
    """The seed article and a later edition of it (one more sentence) tell the same events."""
    from flows.ingest import ingest
    from tests.paths import SAMPLES

    inp = tmp_path / "in"
    inp.mkdir()
    seed = (SAMPLES / "000_a012fc040dd23e81.txt").read_text(encoding="utf-8")
    (inp / "a.txt").write_text(seed, encoding="utf-8")
    lines = seed.splitlines()
    body_end = max(
        i for i, line in enumerate(lines) if line.strip() and not line.startswith(("Original:", "Statement:"))
    )
    edition = (
        "\n".join([*lines[: body_end + 1], "Officials met again on Friday.", *lines[body_end + 1 :]]) + "\n"
    )
    (inp / "b.txt").write_text(edition, encoding="utf-8")
    wh_path = tmp_path / "w.duckdb"
    assert ingest(inp, wh_path, snapshot=False).status == "success"

    def q(sql: str) -> list[tuple]:
        c = duckdb.connect(str(wh_path), read_only=True)
        try:
            return c.execute(sql).fetchall()
        finally:
            c.close()

    rubio = """SELECT e.mention_count, e.article_count, count(m.mention_id) FROM events e
               JOIN event_mentions m USING (event_id) JOIN entities t ON t.entity_id = e.target_entity_id
               WHERE e.event_type = 'CONSULT' AND t.canonical_name LIKE '%Rubio' GROUP BY ALL"""
    assert q(rubio) == [(2, 2, 2)]  # same actors, same day: one event, two reports
    rattner = """SELECT e.event_date, e.mention_count FROM events e
                 JOIN entities s ON s.entity_id = e.source_entity_id
                 WHERE e.event_type = 'CONSULT' AND s.canonical_name = 'Lee Han-kyu'"""
    # no date known, but the edition is a near-duplicate of the seed (one story): the same
    # sentence copied is one report of one event (issue #11), not two events
    assert q(rattner) == [(None, 2)]
    assert q("SELECT near_duplicate_of FROM articles WHERE source_path LIKE '%b.txt'") == q(
        "SELECT article_id FROM articles WHERE source_path LIKE '%a.txt'"
    )
    dup_keys = """SELECT count(*) FROM (SELECT event_type, cameo_code, source_entity_id, target_entity_id,
                  event_date, polarity, status FROM events WHERE source_entity_id IS NOT NULL
                  AND target_entity_id IS NOT NULL AND date_precision = 'day' GROUP BY ALL HAVING count(*) > 1)"""
    assert q(dup_keys) == [(0,)]
    before = q("SELECT * EXCLUDE (run_id) FROM events ORDER BY event_id")

    assert ingest(inp, wh_path, snapshot=False).rows == {}  # rerun: nothing written
    # b.txt is rewritten with another story: its reports go, the shared events stay with one
    shutil.copyfile(SAMPLES / "004_gulf_energy_dialogue.txt", inp / "b.txt")
    assert ingest(inp, wh_path, snapshot=False).status == "success"
    assert q(rubio) == [(1, 1, 1)]
    in_a = """SELECT count(*) FROM events e WHERE EXISTS (SELECT 1 FROM event_mentions m
              JOIN articles a USING (article_id) WHERE m.event_id = e.event_id AND a.source_path LIKE '%a.txt')"""
    # the seed's events are left: the edition (one story with the seed) told no event of its own,
    # its copies of the seed's sentences were reports of the seed's events (issue #11)
    assert q(in_a)[0][0] == len(before)
    assert q("SELECT count(*) FROM events WHERE mention_count <> 1 OR article_count <> 1") == [(0,)]
