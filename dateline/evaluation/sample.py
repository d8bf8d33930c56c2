"""`dateline eval sample events`: a random sample of event mentions from a warehouse, for judging.

Each row is what a judge needs to decide against the codebook whether the mention is a real event with the
right type, actors, polarity and status: the article's file, the sentence, the trigger, the coded type and
CAMEO code, source and target (names and countries), polarity, status and date. The sample is drawn by
DuckDB's reservoir sampling with a fixed seed: the same warehouse, ``n`` and seed give the same rows.
"""

from __future__ import annotations

from typing import Any

import duckdb

SAMPLE_SQL = """
    SELECT a.source_path, m.mention_id, m.article_id, m.sentence_idx, s.text AS sentence, m.trigger_text,
           e.event_type, e.cameo_code, src.canonical_name AS source, src.country_iso3 AS source_country,
           tgt.canonical_name AS target, tgt.country_iso3 AS target_country, m.polarity, m.status,
           m.event_date, m.evidence_text
    FROM (SELECT * FROM event_mentions ORDER BY mention_id) m
    JOIN events e USING (event_id)
    JOIN articles a ON a.article_id = m.article_id
    LEFT JOIN sentences s ON s.article_id = m.article_id AND s.sentence_idx = m.sentence_idx
    LEFT JOIN entities src ON src.entity_id = e.source_entity_id
    LEFT JOIN entities tgt ON tgt.entity_id = e.target_entity_id
    USING SAMPLE reservoir({n} ROWS) REPEATABLE ({seed})
"""


def sample_event_mentions(con: duckdb.DuckDBPyConnection, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` event mentions drawn at random (all of them when there are fewer), ordered by mention id."""
    cursor = con.execute(SAMPLE_SQL.format(n=int(n), seed=int(seed)))
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return sorted(rows, key=lambda r: r["mention_id"])
