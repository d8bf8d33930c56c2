"""The seed article's facts, asserted by SQL against a warehouse the `ingest` flow wrote.

The flow runs once (module fixture) over a copy of the bundled samples in seeds/articles.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.paths import SAMPLES

SEED = "000_a012fc040dd23e81.txt"


@pytest.fixture(scope="module")
def db(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    from flows.ingest import ingest

    root = tmp_path_factory.mktemp("seedrun")
    inp = root / "articles"
    shutil.copytree(SAMPLES, inp)
    wh = root / "dateline.duckdb"
    summary = ingest(inp, wh)
    assert summary.status == "success", summary
    con = duckdb.connect(str(wh), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def seed_id(db: duckdb.DuckDBPyConnection) -> str:
    row = db.execute("SELECT article_id FROM articles WHERE source_path LIKE ?", [f"%{SEED}"]).fetchone()
    assert row, "seed article not loaded"
    return row[0]


def events(
    db: duckdb.DuckDBPyConnection, article_id: str, where: str, params: list | None = None
) -> list[dict]:
    sql = f"""
        SELECT e.*, s.canonical_name AS src, s.country_iso3 AS src_country,
               t.canonical_name AS tgt, t.country_iso3 AS tgt_country
        FROM events e
        LEFT JOIN entities s ON s.entity_id = e.source_entity_id
        LEFT JOIN entities t ON t.entity_id = e.target_entity_id
        WHERE e.article_id = ? AND {where}
    """
    cur = db.execute(sql, [article_id, *(params or [])])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def test_article_metadata(db: duckdb.DuckDBPyConnection, seed_id: str) -> None:
    title, outlet, url, pub, prec, src, body, lang = db.execute(
        """SELECT title, outlet, original_url, published_date, date_precision, date_source, body, language
           FROM articles WHERE article_id = ?""",
        [seed_id],
    ).fetchone()
    assert title.startswith("South Korea's Chosun Ilbo: South Korea Cannot Meet")
    assert outlet == "Chosun Ilbo"
    assert url == "https://www.toutiao.com/article/1837228329013440/"
    assert pub == date(2025, 7, 10) and prec == "day"
    assert "2024" in src and "Lee Jae-myung" in src  # how the year was inferred
    assert body.startswith("The communication channels") and body.endswith("even more difficult.")
    assert "Original:" not in body and "Statement:" not in body
    assert lang == "en"


def test_kim_meets_rubio(db: duckdb.DuckDBPyConnection, seed_id: str) -> None:
    rows = events(db, seed_id, "e.event_type = 'CONSULT' AND t.canonical_name LIKE '%Rubio'")
    assert len(rows) == 1
    e = rows[0]
    assert e["src"] == "Kim Seong-ro" and e["src_country"] == "KOR"
    assert e["tgt_country"] == "USA"
    assert e["event_date"] == date(2025, 6, 6) and e["polarity"] == "asserted" and e["status"] == "occurred"
    role = db.execute(
        "SELECT role_title FROM entity_mentions WHERE article_id = ? AND entity_id = ?",
        [seed_id, e["target_entity_id"]],
    ).fetchone()[0]
    assert role == "Secretary of State"


def test_kim_fails_to_meet_becerra(db: duckdb.DuckDBPyConnection, seed_id: str) -> None:
    rows = events(db, seed_id, "e.event_type = 'CONSULT' AND t.canonical_name = 'Becerra'")
    assert len(rows) == 1
    e = rows[0]
    assert e["src"] == "Kim Seong-ro" and e["tgt_country"] == "USA"
    assert e["polarity"] == "negated"
    role, conflict = db.execute(
        "SELECT role_title, role_conflict FROM entity_mentions WHERE article_id = ? AND entity_id = ?",
        [seed_id, e["target_entity_id"]],
    ).fetchone()
    assert role == "Treasury Secretary"
    assert conflict and "Xavier Becerra" in conflict  # the actors table disagrees: flagged, not merged


def test_lee_han_kyu_meets_rattner_twice(db: duckdb.DuckDBPyConnection, seed_id: str) -> None:
    rows = events(db, seed_id, "e.event_type = 'CONSULT' AND s.canonical_name = 'Lee Han-kyu'")
    assert len(rows) == 1
    e = rows[0]
    assert e["src_country"] == "KOR" and e["tgt"] == "Rattner" and e["tgt_country"] == "USA"
    assert e["event_count"] == 2
    roles = dict(
        db.execute(
            """SELECT en.canonical_name, m.role_title FROM entity_mentions m JOIN entities en USING (entity_id)
               WHERE m.article_id = ? AND en.canonical_name IN ('Lee Han-kyu', 'Rattner')""",
            [seed_id],
        ).fetchall()
    )
    assert roles["Rattner"] == "Commerce Secretary"
    assert "Trade" in roles["Lee Han-kyu"] and roles["Lee Han-kyu"].startswith("Minister")


def test_phone_call_lee_trump(db: duckdb.DuckDBPyConnection, seed_id: str) -> None:
    rows = events(db, seed_id, "e.mode = 'phone'")
    assert len(rows) == 1
    e = rows[0]
    assert e["src"] == "Lee Jae-myung" and e["src_country"] == "KOR"
    assert e["tgt"] == "Donald Trump" and e["tgt_country"] == "USA"
    assert e["polarity"] == "asserted" and e["status"] == "occurred"
    q = db.execute(
        "SELECT value, unit FROM quantities WHERE article_id = ? AND quantity_text = '20-minute'", [seed_id]
    ).fetchone()
    assert q == (20.0, "minute")


def test_g7_summit_cancelled_and_hearing_postponed(db: duckdb.DuckDBPyConnection, seed_id: str) -> None:
    summit = events(db, seed_id, "e.trigger_text LIKE '%summit%'")
    assert len(summit) == 1 and summit[0]["status"] == "cancelled"
    hearing = events(db, seed_id, "e.trigger_text LIKE '%hearing%'")
    assert len(hearing) == 1
    assert hearing[0]["status"] == "postponed" and hearing[0]["event_date"] == date(2025, 7, 17)


def test_usa_request_and_tariff_against_kor(db: duckdb.DuckDBPyConnection, seed_id: str) -> None:
    req = events(db, seed_id, "e.event_type = 'REQUEST'")
    assert [(e["source_entity_id"], e["target_entity_id"]) for e in req] == [("USA", "KOR")]
    tariff = events(db, seed_id, "e.trigger_text LIKE '%tariff%'")
    assert len(tariff) == 1
    t = tariff[0]
    assert (t["source_entity_id"], t["target_entity_id"]) == ("USA", "KOR")
    assert t["status"] == "planned" and t["event_date"] == date(2025, 8, 1)
    assert t["source_note"].startswith("inferred:")  # the actor is not in the sentence: say so


def test_trade_surplus_quantity(db: duckdb.DuckDBPyConnection, seed_id: str) -> None:
    rows = db.execute(
        "SELECT value, currency, reference_period, metric FROM quantities WHERE article_id = ? AND currency IS NOT NULL",
        [seed_id],
    ).fetchall()
    assert rows == [(55_600_000_000.0, "USD", "2024", "trade surplus")]


def test_seed_entities(db: duckdb.DuckDBPyConnection, seed_id: str) -> None:
    ents = {
        r[0]: (r[1], r[2])
        for r in db.execute(
            """SELECT DISTINCT en.canonical_name, en.entity_type, en.country_iso3
               FROM entity_mentions m JOIN entities en USING (entity_id) WHERE m.article_id = ?""",
            [seed_id],
        ).fetchall()
    }
    people = {
        "Kim Seong-ro": "KOR",
        "Marco Rubio": "USA",
        "Becerra": "USA",
        "Lee Han-kyu": "KOR",
        "Rattner": "USA",
        "Lee Jae-myung": "KOR",
        "Donald Trump": "USA",
        "Jo Hyeon-dong": "KOR",
        "Kim Jong-in": "KOR",
        "Lee Yeon-joo": "KOR",
    }
    for name, country in people.items():
        assert ents.get(name) == ("PERSON", country), name
    assert ents["South Korea"] == ("GPE", "KOR")
    assert ents["United States"] == ("GPE", "USA")
    assert ents["Japan"] == ("GPE", "JPN")
    assert ents["Hudson Institute"][0] == "ORG"
    # the trade ministry, written two ways, is one entity
    ministry = db.execute(
        """SELECT entity_id, count(*) FROM entity_mentions
           WHERE article_id = ? AND mention_text LIKE 'Minist% Trade%' GROUP BY entity_id""",
        [seed_id],
    ).fetchall()
    assert len(ministry) == 1 and ministry[0][1] == 2
    outlet = db.execute(
        """SELECT en.canonical_name, en.entity_type, en.country_iso3 FROM articles a
           JOIN entities en ON en.entity_id = a.outlet_entity_id WHERE a.article_id = ?""",
        [seed_id],
    ).fetchone()
    assert outlet == ("Chosun Ilbo", "ORG", "KOR")


def test_offsets_and_evidence(db: duckdb.DuckDBPyConnection, seed_id: str) -> None:
    bad = db.execute(
        """SELECT count(*) FROM events e JOIN articles a USING (article_id)
           WHERE substr(a.body, e.start_char + 1, e.end_char - e.start_char) <> e.evidence_text"""
    ).fetchone()[0]
    assert bad == 0
    bad = db.execute(
        """SELECT count(*) FROM entity_mentions m JOIN articles a USING (article_id)
           WHERE substr(a.body, m.start_char + 1, m.end_char - m.start_char) <> m.mention_text"""
    ).fetchone()[0]
    assert bad == 0


def test_event_mentions(db: duckdb.DuckDBPyConnection, seed_id: str) -> None:
    # every event has its reports; counts and the representative agree with them
    bad = db.execute(
        """SELECT count(*) FROM events e
           WHERE e.mention_count <> (SELECT count(*) FROM event_mentions m WHERE m.event_id = e.event_id)
              OR e.article_count <> (SELECT count(DISTINCT article_id) FROM event_mentions m
                                     WHERE m.event_id = e.event_id)
              OR NOT EXISTS (SELECT 1 FROM event_mentions m WHERE m.event_id = e.event_id
                             AND m.article_id = e.article_id AND m.start_char = e.start_char
                             AND m.evidence_text = e.evidence_text)"""
    ).fetchone()[0]
    assert bad == 0
    assert (
        db.execute(
            "SELECT count(*) FROM event_mentions WHERE event_id NOT IN (SELECT event_id FROM events)"
        ).fetchone()[0]
        == 0
    )
    bad = db.execute(
        """SELECT count(*) FROM event_mentions m JOIN articles a USING (article_id)
           WHERE substr(a.body, m.start_char + 1, m.end_char - m.start_char) <> m.evidence_text"""
    ).fetchone()[0]
    assert bad == 0
    # the seed's "met twice" report, as the article tells it
    told = db.execute(
        """SELECT m.event_count, m.trigger_text FROM event_mentions m JOIN events e USING (event_id)
           JOIN entities s ON s.entity_id = e.source_entity_id
           WHERE m.article_id = ? AND e.event_type = 'CONSULT' AND s.canonical_name = 'Lee Han-kyu'""",
        [seed_id],
    ).fetchall()
    assert len(told) == 1 and told[0][0] == 2


def test_every_sample_loaded(db: duckdb.DuckDBPyConnection) -> None:
    paths = {Path(p).name for (p,) in db.execute("SELECT source_path FROM files").fetchall()}
    assert paths == {p.name for p in SAMPLES.iterdir() if not p.name.startswith(".")}
    assert db.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM runs WHERE status = 'success'").fetchone()[0] == 1


def test_a_sample_of_event_mentions_is_random_repeatable_and_judgeable(db: duckdb.DuckDBPyConnection) -> None:
    from dateline.evaluation.sample import sample_event_mentions

    total = db.execute("SELECT count(*) FROM event_mentions").fetchone()[0]
    first = sample_event_mentions(db, 5, seed=1)
    assert first == sample_event_mentions(db, 5, seed=1)
    assert len(first) == 5 and len({r["mention_id"] for r in first}) == 5
    assert {r["mention_id"] for r in first} != {r["mention_id"] for r in sample_event_mentions(db, 5, seed=2)}
    assert len(sample_event_mentions(db, total + 10, seed=0)) == total
    for row in first:
        assert row["trigger_text"] in row["sentence"]
        assert row["event_type"] and row["polarity"] and row["status"]


def test_a_warehouse_against_itself_has_no_differences_to_judge(db: duckdb.DuckDBPyConnection) -> None:
    from dateline.evaluation.sample import sample_differences

    assert sample_differences(db, db, 10, seed=0) == []
