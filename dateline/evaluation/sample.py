"""`dateline eval sample events|entities`: a random sample of event or entity mentions from a warehouse, for
judging; `dateline eval entities`: how many entity mentions have a country and a full name.

Each row is what a judge needs to decide against the codebook whether the mention is a real event with the
right type, actors, polarity and status: the article's file, the sentence, the trigger, the coded type and
CAMEO code, source and target (names and countries), polarity, status and date. The sample is drawn by
DuckDB's reservoir sampling with a fixed seed: the same warehouse, ``n`` and seed give the same rows.
``--against`` draws a paired sample instead (:func:`sample_differences`): mentions only one of two warehouses
built from the same files has, to compare two versions of the coder like with like.
"""

from __future__ import annotations

import random
from typing import Any

import duckdb

MENTIONS_SQL = """
    SELECT a.source_path, m.mention_id, m.article_id, m.sentence_idx, m.trigger_start, m.trigger_end,
           s.text AS sentence, m.trigger_text,
           e.event_type, e.cameo_code, src.canonical_name AS source, src.country_iso3 AS source_country,
           tgt.canonical_name AS target, tgt.country_iso3 AS target_country, m.polarity, m.status,
           m.event_date, m.evidence_text
    FROM (SELECT * FROM event_mentions ORDER BY mention_id) m
    JOIN events e USING (event_id)
    JOIN articles a ON a.article_id = m.article_id
    LEFT JOIN sentences s ON s.article_id = m.article_id AND s.sentence_idx = m.sentence_idx
    LEFT JOIN entities src ON src.entity_id = e.source_entity_id
    LEFT JOIN entities tgt ON tgt.entity_id = e.target_entity_id
"""
SAMPLE_SQL = MENTIONS_SQL + "    USING SAMPLE reservoir({n} ROWS) REPEATABLE ({seed})\n"

ENTITY_SAMPLE_SQL = """
    SELECT a.source_path, m.mention_id, m.article_id, m.sentence_idx, m.start_char, m.end_char,
           s.text AS sentence, m.mention_text, m.role_title, m.resolution, e.canonical_name, e.entity_type,
           e.country_iso3, e.country_source, e.sector
    FROM (SELECT * FROM entity_mentions ORDER BY mention_id) m
    JOIN entities e USING (entity_id)
    JOIN articles a ON a.article_id = m.article_id
    LEFT JOIN sentences s ON s.article_id = m.article_id AND s.sentence_idx = m.sentence_idx
    USING SAMPLE reservoir({n} ROWS) REPEATABLE ({seed})
"""

# per entity type: mentions, the share whose entity has a country (or is an international organisation:
# sector IGO), and for people the share whose entity has a full name (two words or more)
COVERAGE_SQL = """
    SELECT e.entity_type, count(*) AS mentions,
           round(avg(CASE WHEN e.country_iso3 IS NOT NULL OR e.sector = 'IGO' THEN 1 ELSE 0 END), 4)
               AS with_country,
           round(avg(CASE WHEN e.entity_type = 'PERSON'
                          THEN CASE WHEN len(string_split(trim(e.canonical_name), ' ')) > 1 THEN 1 ELSE 0 END
                     END), 4) AS full_name
    FROM entity_mentions m JOIN entities e USING (entity_id)
    JOIN articles a ON a.article_id = m.article_id
    WHERE a.source_path LIKE ?
    GROUP BY e.entity_type ORDER BY mentions DESC, e.entity_type
"""


def sample_entity_mentions(con: duckdb.DuckDBPyConnection, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` entity mentions drawn at random, with their sentence and the entity they resolve to."""
    rows = _dicts(con.execute(ENTITY_SAMPLE_SQL.format(n=int(n), seed=int(seed))))
    return sorted(rows, key=lambda r: r["mention_id"])


def entity_coverage(con: duckdb.DuckDBPyConnection, path_like: str = "%") -> list[dict[str, Any]]:
    """Country and full-name coverage of entity mentions per entity type, over the articles whose
    source path is LIKE ``path_like``."""
    return _dicts(con.execute(COVERAGE_SQL, [path_like]))


# a mention is "the same" in two warehouses when it is the same trigger of the same file coded with the same type
Key = tuple[str, int, int, str]


def sample_event_mentions(con: duckdb.DuckDBPyConnection, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` event mentions drawn at random (all of them when there are fewer), ordered by mention id."""
    rows = _dicts(con.execute(SAMPLE_SQL.format(n=int(n), seed=int(seed))))
    return sorted(rows, key=lambda r: r["mention_id"])


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _rows(con: duckdb.DuckDBPyConnection) -> dict[Key, dict[str, Any]]:
    rows = _dicts(con.execute(MENTIONS_SQL))
    return {(r["source_path"], r["trigger_start"], r["trigger_end"], r["event_type"]): r for r in rows}


def differences(
    mine: dict[Key, dict[str, Any]], theirs: dict[Key, dict[str, Any]], n: int, seed: int
) -> list[dict[str, Any]]:
    """Up to ``n`` rows found only in ``mine`` and up to ``n`` found only in ``theirs``, drawn at random and
    shuffled together (``seed``), each with ``only_in``: ``warehouse`` or ``against``."""
    rng = random.Random(seed)
    out = []
    for side, a, b in (("warehouse", mine, theirs), ("against", theirs, mine)):
        only = sorted(set(a) - set(b))
        out += [{"only_in": side, **a[k]} for k in rng.sample(only, min(n, len(only)))]
    rng.shuffle(out)
    return out


def sample_differences(
    con: duckdb.DuckDBPyConnection, against: duckdb.DuckDBPyConnection, n: int, seed: int
) -> list[dict[str, Any]]:
    """A paired sample: up to ``n`` event mentions only ``con``'s warehouse has and up to ``n`` only
    ``against``'s has (the same BBC files run by two versions of the coder), shuffled. Judged blind to
    ``only_in``, they compare the two coders' precision on what they do not share (README, "Measuring quality")."""
    return differences(_rows(con), _rows(against), n, seed)
