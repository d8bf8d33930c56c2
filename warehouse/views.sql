-- Analyst views over the Dateline warehouse. Created by dateline.warehouse.schema.init_schema after the
-- tables (schemas/tables.py); every statement is idempotent (CREATE OR REPLACE VIEW).

-- Events with who did what to whom, in words: entity names, types and countries, the CAMEO
-- label, how many reports and articles tell it, and the article of its representative report
-- (the earliest; every report is in v_event_mentions).
CREATE OR REPLACE VIEW v_events AS
SELECT
    ev.event_id,
    ev.event_date,
    ev.date_precision AS event_date_precision,
    ev.event_type,
    ev.mode,
    ev.context,
    ev.cameo_code,
    tx.cameo_label,
    ev.quad_class,
    ev.goldstein,
    ev.polarity,
    ev.status,
    ev.event_count,
    ev.mention_count,
    ev.article_count,
    ev.source_entity_id,
    src.canonical_name AS source_name,
    src.entity_type AS source_type,
    src.country_iso3 AS source_country_iso3,
    src_c.name AS source_country,
    ev.source_note,
    ev.target_entity_id,
    tgt.canonical_name AS target_name,
    tgt.entity_type AS target_type,
    tgt.country_iso3 AS target_country_iso3,
    tgt_c.name AS target_country,
    ev.target_note,
    ev.trigger_text,
    ev.evidence_text,
    ev.article_id,
    ev.sentence_idx,
    ev.start_char,
    ev.end_char,
    a.title AS article_title,
    a.outlet AS article_outlet,
    a.published_date AS article_published_date,
    a.source_path AS article_source_path,
    ev.run_id
FROM events ev
LEFT JOIN articles a ON a.article_id = ev.article_id
LEFT JOIN entities src ON src.entity_id = ev.source_entity_id
LEFT JOIN countries src_c ON src_c.iso3 = src.country_iso3
LEFT JOIN entities tgt ON tgt.entity_id = ev.target_entity_id
LEFT JOIN countries tgt_c ON tgt_c.iso3 = tgt.country_iso3
LEFT JOIN event_taxonomy tx ON tx.cameo_code = ev.cameo_code;

-- Every report of an event: its event (type, actors in words), what this report says (date as
-- told, polarity, status, mode, event_count), and where (article, sentence, offsets, evidence).
CREATE OR REPLACE VIEW v_event_mentions AS
SELECT
    m.mention_id,
    m.event_id,
    ev.event_type,
    ev.cameo_code,
    ev.source_entity_id,
    src.canonical_name AS source_name,
    ev.target_entity_id,
    tgt.canonical_name AS target_name,
    ev.mention_count AS event_mention_count,
    ev.article_count AS event_article_count,
    m.event_date,
    m.date_precision AS event_date_precision,
    m.date_source,
    m.polarity,
    m.status,
    m.mode,
    m.event_count,
    m.source_note,
    m.target_note,
    m.trigger_text,
    m.evidence_text,
    m.article_id,
    m.sentence_idx,
    m.start_char,
    m.end_char,
    a.title AS article_title,
    a.outlet AS article_outlet,
    a.published_date AS article_published_date,
    a.source_path AS article_source_path,
    m.mention_id = first_value(m.mention_id) OVER (
        PARTITION BY m.event_id
        ORDER BY a.published_date NULLS LAST, m.article_id, m.start_char, m.trigger_start NULLS LAST, m.mention_id
    ) AS is_representative,
    m.run_id
FROM event_mentions m
LEFT JOIN events ev ON ev.event_id = m.event_id
LEFT JOIN articles a ON a.article_id = m.article_id
LEFT JOIN entities src ON src.entity_id = ev.source_entity_id
LEFT JOIN entities tgt ON tgt.entity_id = ev.target_entity_id;

-- Every mention with the canonical entity it was resolved to.
CREATE OR REPLACE VIEW v_entity_mentions AS
SELECT
    m.mention_id,
    m.mention_text,
    m.entity_id,
    e.canonical_name,
    e.entity_type,
    e.country_iso3,
    c.name AS country,
    e.country_source,
    e.sector,
    e.actor_id,
    m.role_title,
    m.resolution,
    m.article_id,
    m.sentence_idx,
    m.start_char,
    m.end_char,
    a.title AS article_title,
    a.published_date AS article_published_date,
    m.run_id
FROM entity_mentions m
LEFT JOIN entities e ON e.entity_id = m.entity_id
LEFT JOIN countries c ON c.iso3 = e.country_iso3
LEFT JOIN articles a ON a.article_id = m.article_id;

-- Entities with how often they are named and how many events they take part in.
CREATE OR REPLACE VIEW v_entities AS
SELECT
    e.entity_id,
    e.canonical_name,
    e.entity_type,
    e.country_iso3,
    c.name AS country,
    e.sector,
    e.actor_id,
    coalesce(m.mentions, 0) AS mentions,
    coalesce(m.articles, 0) AS articles,
    coalesce(s.events_as_source, 0) AS events_as_source,
    coalesce(t.events_as_target, 0) AS events_as_target
FROM entities e
LEFT JOIN countries c ON c.iso3 = e.country_iso3
LEFT JOIN (
    SELECT entity_id, count(*) AS mentions, count(DISTINCT article_id) AS articles
    FROM entity_mentions GROUP BY entity_id
) m ON m.entity_id = e.entity_id
LEFT JOIN (
    SELECT source_entity_id AS entity_id, count(*) AS events_as_source FROM events GROUP BY 1
) s ON s.entity_id = e.entity_id
LEFT JOIN (
    SELECT target_entity_id AS entity_id, count(*) AS events_as_target FROM events GROUP BY 1
) t ON t.entity_id = e.entity_id;

-- Articles with what was extracted from them.
CREATE OR REPLACE VIEW v_articles AS
SELECT
    a.article_id,
    a.title,
    a.outlet,
    a.published_date,
    a.date_precision,
    a.language,
    a.source_path,
    a.source_record,
    a.format,
    length(a.body) AS body_chars,
    (SELECT count(*) FROM sentences s WHERE s.article_id = a.article_id) AS sentences,
    (SELECT count(*) FROM entity_mentions m WHERE m.article_id = a.article_id) AS mentions,
    -- distinct events the article reports (an event may be told in several articles)
    (SELECT count(DISTINCT v.event_id) FROM event_mentions v WHERE v.article_id = a.article_id) AS events,
    (SELECT count(*) FROM quantities q WHERE q.article_id = a.article_id) AS quantities,
    (SELECT count(*) FROM duplicates d WHERE d.article_id = a.article_id) AS duplicate_inputs,
    f.deleted_at IS NOT NULL AS source_deleted,  -- the input file is gone; the rows are kept
    f.deleted_at AS source_deleted_at,
    -- syndication: the story's first article (NULL: this one), and the story itself
    a.near_duplicate_of,
    coalesce(a.near_duplicate_of, a.article_id) AS story_id,
    a.run_id
FROM articles a
LEFT JOIN files f ON f.source_path = a.source_path;

-- Runs with their duration and data-quality failures.
CREATE OR REPLACE VIEW v_runs AS
SELECT
    r.run_id,
    r.status,
    r.started_at,
    r.finished_at,
    date_diff('millisecond', r.started_at, r.finished_at) / 1000.0 AS duration_s,
    r.input_dir,
    r.files_seen,
    r.files_new,
    r.files_unchanged,
    r.files_duplicate,
    r.files_quarantined,
    r.files_kept,
    r.files_deleted,
    r.articles_loaded,
    r.rows_written,
    r.dq_verdict,
    coalesce(q.checks, 0) AS dq_checks,
    coalesce(q.critical_failed, 0) AS dq_critical_failed,
    coalesce(q.warnings_failed, 0) AS dq_warnings_failed,
    q.failed_checks AS dq_failed_checks,
    r.message
FROM runs r
LEFT JOIN (
    SELECT
        run_id,
        count(*) AS checks,
        count(*) FILTER (WHERE NOT success AND severity = 'critical') AS critical_failed,
        count(*) FILTER (WHERE NOT success AND severity = 'warning') AS warnings_failed,
        string_agg(table_name || '.' || check_name, ', ' ORDER BY severity, table_name, check_name)
            FILTER (WHERE NOT success) AS failed_checks
    FROM dq_results
    GROUP BY run_id
) q ON q.run_id = r.run_id;

-- Failed data-quality checks, newest run first, with a few offending rows.
CREATE OR REPLACE VIEW v_dq_failures AS
SELECT
    d.run_id,
    r.started_at,
    d.severity,
    d.table_name,
    d.check_name,
    d.column_name,
    d.expectation,
    d.observed_value,
    d.element_count,
    d.unexpected_count,
    d.unexpected_examples
FROM dq_results d
LEFT JOIN runs r ON r.run_id = d.run_id
WHERE NOT d.success
ORDER BY r.started_at DESC NULLS LAST, d.severity, d.table_name, d.check_name;

-- Where every input file ended up.
CREATE OR REPLACE VIEW v_files AS
SELECT
    f.source_path,
    f.outcome,
    f.format,
    f.encoding,
    f.size_bytes,
    f.mtime,
    f.content_sha256,
    (SELECT count(*) FROM articles a WHERE a.source_path = f.source_path) AS articles,
    (SELECT count(*) FROM duplicates d WHERE d.source_path = f.source_path) AS duplicates,
    (SELECT count(*) FROM quarantine q WHERE q.source_path = f.source_path) AS quarantined,
    f.first_run_id,
    f.run_id AS last_run_id,
    f.deleted_at IS NOT NULL AS source_deleted,
    f.deleted_at
FROM files f;
