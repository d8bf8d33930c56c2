"""Syndicated news through the checks and the warehouse: the reports of the copies of a story are one
event and the placeholder check counts stories, not copies (issue #11: it failed such batches);
an older warehouse gets the near-duplicate column and table; a syndicated batch loads through the
flow and a later batch's copies join its story; unrelated BBC stories (shared data) stay apart.
"""

from __future__ import annotations

import shutil
from datetime import date
from itertools import combinations
from pathlib import Path

import duckdb
import polars as pl

from dateline.quality.validate import validate_batch
from dateline.warehouse import schema
from schemas.tables import ARTICLES, Table
from tests.unit.test_event_mentions import MEETING, report, reports_frame
from tests.unit.test_syndication import NO_STORY, SEED, copy_of, signed
from tests.unit.test_validate import TODAY, make_batch, make_reference
from transforms import near_dup
from transforms.event_mentions import group_event_mentions


def write_copies(folder: Path, ks: range) -> None:
    text = SEED.read_text(encoding="utf-8")
    for k in ks:
        (folder / f"copy_{k:02d}.txt").write_text(copy_of(text, k), encoding="utf-8")


def test_unrelated_bbc_stories_are_never_one_story(shared: Path) -> None:
    """300 BBC articles: every pair put in one story is a real near-duplicate (the BBC carries a
    few updated versions of one story), and every pair that nearly equals is found."""
    files = sorted((shared / "corpus" / "bbc" / "tech").glob("*.txt"))[:300]
    bodies = [f.read_text(encoding="latin-1") for f in files]
    unique = list(dict.fromkeys(bodies))  # exact copies are duplicates, routed earlier
    batch = signed(unique)
    stories = near_dup.assign_stories(batch, NO_STORY, 0.8)
    shingles = [set(s) for s in near_dup.shingle_lists(pl.Series(unique))]

    def jaccard(i: int, j: int) -> float:
        return len(shingles[i] & shingles[j]) / len(shingles[i] | shingles[j])

    story = [
        int(s if s is not None else a, 16)
        for a, s in stories.select("article_id", "near_duplicate_of").iter_rows()
    ]
    clustered = {(i, j) for i, j in combinations(range(len(unique)), 2) if story[i] == story[j]}
    assert clustered, "the BBC tech section has near-duplicate stories"
    assert all(jaccard(i, j) >= 0.7 for i, j in clustered), "unrelated stories were put together"
    close = {(i, j) for i, j in combinations(range(len(unique)), 2) if jaccard(i, j) >= 0.9}
    assert close <= clustered


# --- the event key and the placeholder check ------------------------------------------------------


def test_reports_of_one_story_are_one_event_without_a_date() -> None:
    a, b, c, x = "a" * 16, "b" * 16, "c" * 16, "x" * 16
    undated = {"event_date": None, "date_precision": None}
    twice = f"{MEETING} {MEETING}"
    second = twice.rindex("Kim")
    rows = [report(aid, twice, **undated) for aid in (a, b, c, x)]
    # the second telling of the meeting in each article: another report of that article
    for aid in (a, b, c, x):
        r = report(aid, twice, **undated, start_char=second, trigger_start=twice.rindex("met"))
        r["end_char"] = r["start_char"] + len(MEETING) - 1
        r["evidence_text"] = twice[r["start_char"] : r["end_char"]]
        r["trigger_end"] = r["trigger_start"] + 3
        r["event_id"] = f"{aid[:8]}-second"
        rows.append(r)
    articles = pl.DataFrame(
        {
            "article_id": [a, b, c, x],
            "published_date": [date(2025, 6, 8)] * 4,
            "near_duplicate_of": [None, a, a, None],  # b and c copy a; x is another story
        }
    )
    events, mentions = group_event_mentions(reports_frame(rows), articles)
    # story a: two events (first and second telling), each told by a, b and c; x: its own two
    assert sorted(events["article_count"].to_list()) == [1, 1, 3, 3]
    first_of_a = mentions.filter(pl.col("article_id") == a).sort("start_char")["mention_id"].to_list()
    assert sorted(events.filter(pl.col("article_count") == 3)["event_id"].to_list()) == sorted(first_of_a)
    # without stories, nothing merges (unknown stays unknown)
    alone, _ = group_event_mentions(reports_frame(rows), articles.drop("near_duplicate_of"))
    assert alone.height == len(rows)
    # a copy in a later batch joins the loaded event of its story
    loaded = mentions.filter(pl.col("article_id").is_in([a, b])).join(
        events.select("event_id", "event_type", "cameo_code", "source_entity_id", "target_entity_id"),
        on="event_id",
    )
    loaded = loaded.with_columns(
        pl.lit(a).alias("story_id"), pl.lit(date(2025, 6, 8)).alias("article_published_date")
    )
    d = "d" * 16
    later = [report(d, twice, **undated)]
    new_events, new_mentions = group_event_mentions(
        reports_frame(later),
        pl.DataFrame({"article_id": [d], "published_date": [None], "near_duplicate_of": [a]}),
        loaded,
    )
    assert new_mentions["event_id"].to_list() == [first_of_a[0]]
    assert new_events["event_id"].to_list() == [first_of_a[0]]


def _placeholder(batch: dict[str, pl.DataFrame], copies_of_one_story: bool) -> dict:
    """The not_placeholder results when 12 articles tell the same evidence, type and actors."""
    ev = batch["events"]
    first = ev.group_by("article_id", maintain_order=True).first().select("event_id")
    batch["events"] = ev.with_columns(
        pl.when(pl.col("event_id").is_in(first["event_id"].implode()))
        .then(pl.lit("Talks  were held."))
        .otherwise("evidence_text")
        .alias("evidence_text")
    )
    if copies_of_one_story:
        ids = batch["articles"]["article_id"]
        batch["articles"] = batch["articles"].with_columns(
            pl.when(pl.col("article_id") == ids[0])
            .then(None)
            .otherwise(pl.lit(ids[0]))
            .alias("near_duplicate_of")
        )
    results = validate_batch(batch, make_reference(), today=TODAY)
    row = results.filter((pl.col("table_name") == "events") & (pl.col("check_name") == "not_placeholder"))
    return row.row(0, named=True)


def test_placeholder_counts_stories_not_copies() -> None:
    """The same evidence in 12 unrelated articles is a placeholder (critical); in 12 copies of
    one story it is syndication, and passes."""
    unrelated = _placeholder(make_batch(n_articles=12, sentences_per=2, events_per=2), False)
    assert not unrelated["success"] and unrelated["severity"] == "critical"
    copies = _placeholder(make_batch(n_articles=12, sentences_per=2, events_per=2), True)
    assert copies["success"], copies


def test_old_warehouse_gets_the_new_column_and_table(tmp_path: Path) -> None:
    old = Table(
        "articles",
        ARTICLES.doc,
        tuple(c for c in ARTICLES.columns if c.name != "near_duplicate_of"),
        ARTICLES.primary_key,
    )
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    try:
        con.execute(old.ddl())
        schema.init_schema(con)
        cols = {r[0] for r in con.execute("DESCRIBE articles").fetchall()}
        assert "near_duplicate_of" in cols
        assert con.execute("SELECT count(*) FROM article_signatures").fetchone() == (0,)
    finally:
        con.close()


# --- the flow -----------------------------------------------------------------------------------


def _query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_syndicated_batch_loads_and_later_copies_join_it(prefect_harness: None, tmp_path: Path) -> None:
    """Twelve outlets' copies of one story (the issue's failure: its sentences in >= 10 articles)."""
    from flows.ingest import ingest

    inp, store = tmp_path / "in", tmp_path / "w.duckdb"
    inp.mkdir()
    shutil.copy(SEED, inp / "a_original.txt")
    write_copies(inp, range(1, 12))
    first = ingest(inp, store)
    assert first.status == "success", first.dq_failed
    assert not [f for f in first.dq_failed if "not_placeholder" in f]
    rows = dict(_query(store, "SELECT source_path, near_duplicate_of FROM articles"))
    original = _query(store, "SELECT article_id FROM articles WHERE source_path LIKE '%a_original.txt'")[0][0]
    assert len(rows) == 12
    assert {Path(p).name: s for p, s in rows.items()} == {
        "a_original.txt": None,
        **{f"copy_{k:02d}.txt": original for k in range(1, 12)},
    }
    # the original's reports are each one event told by all twelve (the dropped sentence: by 8)
    told = _query(
        store,
        f"SELECT e.article_count FROM events e JOIN event_mentions m USING (event_id) "
        f"WHERE m.article_id = '{original}'",
    )
    counts = sorted(c for (c,) in told)
    assert counts and set(counts) <= {8, 12} and 12 in counts, counts
    n_events = _query(store, "SELECT count(*) FROM events")[0][0]
    n_signatures = _query(store, "SELECT count(*) FROM article_signatures")[0][0]
    assert n_signatures == 12

    # a later batch: three more outlets, found against the warehouse
    write_copies(inp, range(12, 15))
    second = ingest(inp, store)
    assert second.status == "success" and second.articles_loaded == 3, second
    later = _query(
        store,
        "SELECT DISTINCT near_duplicate_of FROM articles "
        "WHERE regexp_matches(source_path, 'copy_1[234]\\.txt$')",
    )
    assert later == [(original,)]
    assert _query(store, "SELECT count(*) FROM events")[0][0] == n_events  # no new event
    assert _query(store, "SELECT max(article_count) FROM events")[0][0] == 15

    # a copy's file changes: its article is replaced, signatures follow the articles
    changed = inp / "copy_05.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nCorrected.\n", encoding="utf-8")
    third = ingest(inp, store)
    assert third.status == "success" and third.articles_loaded == 1
    assert (
        _query(
            store,
            "SELECT count(*) FROM articles a JOIN article_signatures s USING (article_id)",
        )[0][0]
        == _query(store, "SELECT count(*) FROM article_signatures")[0][0]
        == 15
    )
    assert _query(store, "SELECT near_duplicate_of FROM articles WHERE source_path LIKE '%copy_05.txt'") == [
        (original,)
    ]
    assert _query(store, "SELECT max(article_count) FROM events")[0][0] == 15
    # a rerun changes nothing
    assert ingest(inp, store).message.startswith("nothing to do")
