"""One source of truth per warehouse table.

Each :class:`Table` lists its columns with the polars dtype, the DuckDB type, nullability and
(where the column is an enumeration) its allowed values. From it we derive:

* the DuckDB DDL (:meth:`Table.ddl`),
* the polars schema used to build and conform frames (:meth:`Table.polars_schema`),
* the generic part of the table's expectation suite (``schemas.expectations``): key
  uniqueness, not-null, value sets and foreign keys.

Table-specific checks (offsets inside the body, plausible dates, ...) are declared next to the
table in ``schemas.expectations``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

# --- enumerations shared by transforms, DDL and expectations --------------------------------

FORMATS = ("text", "bbc", "json", "jsonl", "html")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252")
ENTITY_TYPES = ("PERSON", "ORG", "GPE", "LOC", "MISC")
PLOVER_TYPES = (
    "AGREE",
    "CONSULT",
    "SUPPORT",
    "CONCEDE",
    "COOPERATE",
    "AID",
    "RETREAT",
    "REQUEST",
    "ACCUSE",
    "REJECT",
    "THREATEN",
    "PROTEST",
    "SANCTION",
    "MOBILIZE",
    "COERCE",
    "ASSAULT",
)
POLARITIES = ("asserted", "negated", "hedged")
STATUSES = ("occurred", "planned", "cancelled", "postponed")
DATE_PRECISIONS = ("day", "week", "month", "year")
QUARANTINE_REASONS = (
    "empty",
    "binary",
    "undecodable",
    "unreadable",
    "malformed",
    "oversized",
    "no_text",
    "outside_input",
    "not_a_regular_file",
    "too_deep",
    "too_many_records",
    "too_long",
    "extract_failed",  # extraction of the article raised (dateline/runtime/isolation.py)
    "extract_timeout",  # extraction of the article took longer than [limits] article_timeout_seconds
)
FILE_OUTCOMES = ("article", "duplicate", "quarantine", "mixed")
RUN_STATUSES = ("running", "success", "failed")
#: A run's data-quality verdict (``runs.dq_verdict``), the one value the CLI, ``status``, ``runs``
#: and the report show: the worst failed check's severity ('fail' critical, 'warn' warning) or
#: 'pass'; NO_NEW_DATA when the run had nothing new, changed or deleted to check; NULL when the
#: run stopped before its checks (see ``runs.status`` and ``runs.message``).
NO_NEW_DATA = "no new data"
DQ_VERDICTS = ("pass", "warn", "fail", NO_NEW_DATA)
SEVERITIES = ("critical", "warning")
QUAD_CLASSES = (1, 2, 3, 4)


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType | type[pl.DataType]
    sql: str
    nullable: bool = True
    values: tuple | None = None
    doc: str = ""


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = field(default_factory=tuple)
    kind: str = "fact"  # fact | reference | audit | index

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    def polars_schema(self) -> pl.Schema:
        return pl.Schema({c.name: c.dtype for c in self.columns})

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.polars_schema())

    def conform(self, df: pl.DataFrame) -> pl.DataFrame:
        """Select and cast ``df`` to this table's columns (missing nullable columns become NULL)."""
        exprs = []
        for c in self.columns:
            if c.name in df.columns:
                exprs.append(pl.col(c.name).cast(c.dtype, strict=False))
            elif c.nullable:
                exprs.append(pl.lit(None, dtype=c.dtype).alias(c.name))
            else:
                raise ValueError(f"table {self.name}: frame lacks required column {c.name!r}")
        return df.select(exprs)

    def ddl(self) -> str:
        lines = []
        for c in self.columns:
            null = "" if c.nullable else " NOT NULL"
            lines.append(f"    {c.name} {c.sql}{null}")
        # DuckDB key columns cannot be NULL: a key with a nullable column is enforced by the
        # expectation suite (compound uniqueness) instead of the DDL.
        if self.primary_key and all(not self.column(k).nullable for k in self.primary_key):
            lines.append(f"    PRIMARY KEY ({', '.join(self.primary_key)})")
        body = ",\n".join(lines)
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n{body}\n);"


def _c(
    name: str,
    dtype: pl.DataType | type[pl.DataType],
    sql: str,
    nullable: bool = True,
    values: tuple | None = None,
    doc: str = "",
) -> Column:
    return Column(name, dtype, sql, nullable, values, doc)


S, INT, F, B, D, TS = pl.String, pl.Int64, pl.Float64, pl.Boolean, pl.Date, pl.Datetime("us", "UTC")

RUN_ID = _c("run_id", S, "VARCHAR", False, doc="the run that wrote the row")


def _span_columns() -> tuple[Column, ...]:
    return (
        _c("article_id", S, "VARCHAR", False),
        _c("sentence_idx", INT, "BIGINT", False, doc="0-based sentence number in the article"),
        _c("start_char", INT, "BIGINT", False, doc="character offset into articles.body"),
        _c("end_char", INT, "BIGINT", False, doc="exclusive end offset into articles.body"),
    )


ARTICLES = Table(
    "articles",
    "One row per loaded article (a file, or one record of a JSON / JSON Lines file).",
    (
        _c("article_id", S, "VARCHAR", False, doc="first 16 hex digits of content_sha256"),
        _c("content_sha256", S, "VARCHAR", False, doc="sha256 of the article's bytes"),
        _c("source_path", S, "VARCHAR", False),
        _c(
            "source_record",
            INT,
            "BIGINT",
            doc="line / index inside a JSON(L) file; NULL for one-article files",
        ),
        _c("format", S, "VARCHAR", False, FORMATS),
        _c("encoding", S, "VARCHAR", False, ENCODINGS),
        _c("size_bytes", INT, "BIGINT", False),
        _c("title", S, "VARCHAR"),
        _c("outlet", S, "VARCHAR"),
        _c("outlet_entity_id", S, "VARCHAR", doc="entities row of the outlet, when named"),
        _c("original_url", S, "VARCHAR"),
        _c(
            "dateline",
            S,
            "VARCHAR",
            doc="the dateline line as written, e.g. 'South Korea's Chosun Ilbo, July 10'",
        ),
        _c("statement", S, "VARCHAR", doc="trailing 'Statement:' metadata"),
        _c("body", S, "VARCHAR", False),
        _c("published_date", D, "DATE"),
        _c("date_precision", S, "VARCHAR", values=DATE_PRECISIONS),
        _c("date_source", S, "VARCHAR", doc="how published_date was found, or why it is unknown"),
        _c("language", S, "VARCHAR", doc="ISO 639-1 code; NULL when undetermined"),
        RUN_ID,
        _c(
            "near_duplicate_of",
            S,
            "VARCHAR",
            doc="the story this article is a near-duplicate (syndicated copy) of: the article_id of "
            "the story's first article (the earliest loaded, or the first of its batch by "
            "source_path); NULL when the article is the first of its story or has no near-duplicate. "
            "The story keeps this name even if that article's file later changes. "
            "Its story: coalesce(near_duplicate_of, article_id)",
        ),
    ),
    ("article_id",),
    (ForeignKey(("outlet_entity_id",), "entities", ("entity_id",)),),
)

ARTICLE_SIGNATURES = Table(
    "article_signatures",
    "MinHash signature and LSH bucket keys of each loaded article (transforms/near_dup.py): what "
    "a later batch joins on to find near-duplicates of loaded articles. Deleted with its article.",
    (
        _c("article_id", S, "VARCHAR", False),
        _c(
            "params",
            S,
            "VARCHAR",
            False,
            doc="shingle size, seed, permutations, bands x rows, e.g. 'w5-s1-p128-b16r8': only "
            "signatures made with the run's parameters are compared",
        ),
        _c("minhash", pl.List(pl.UInt32), "UINTEGER[]", False, doc="num_perm MinHash values"),
        _c("buckets", pl.List(pl.Int64), "BIGINT[]", False, doc="one LSH bucket key per band"),
    ),
    ("article_id",),
    kind="index",
)

DUPLICATES = Table(
    "duplicates",
    "Inputs whose content equals an already loaded article: recorded, not extracted again.",
    (
        _c("source_path", S, "VARCHAR", False),
        _c("source_record", INT, "BIGINT"),
        _c("content_sha256", S, "VARCHAR", False),
        _c("article_id", S, "VARCHAR", False, doc="the article it duplicates"),
        RUN_ID,
    ),
    ("source_path", "source_record", "content_sha256"),
    (ForeignKey(("article_id",), "articles", ("article_id",)),),
)

QUARANTINE = Table(
    "quarantine",
    "Inputs that could not be loaded, with the reason.",
    (
        _c("source_path", S, "VARCHAR", False),
        _c("source_record", INT, "BIGINT", doc="bad line / element of a JSON(L) file"),
        _c("content_sha256", S, "VARCHAR", doc="NULL when the file could not be read"),
        _c("reason", S, "VARCHAR", False, QUARANTINE_REASONS),
        _c("detail", S, "VARCHAR", False, doc="readable explanation: what and where"),
        RUN_ID,
    ),
    (),
)

FILES = Table(
    "files",
    "Manifest: every input file seen, where it ended up, and when it was last seen.",
    (
        _c("source_path", S, "VARCHAR", False),
        _c("content_sha256", S, "VARCHAR"),
        _c("size_bytes", INT, "BIGINT"),
        _c("mtime", TS, "TIMESTAMPTZ"),
        _c("format", S, "VARCHAR"),
        _c("encoding", S, "VARCHAR"),
        _c("outcome", S, "VARCHAR", False, FILE_OUTCOMES),
        _c("first_run_id", S, "VARCHAR", False),
        RUN_ID,
        _c(
            "deleted_at",
            TS,
            "TIMESTAMPTZ",
            doc="when a run found the file gone (its rows are kept); NULL while it exists",
        ),
    ),
    ("source_path",),
)

SENTENCES = Table(
    "sentences",
    "Sentence segmentation of each article body.",
    (*_span_columns(), _c("text", S, "VARCHAR", False), RUN_ID),
    ("article_id", "sentence_idx"),
    (ForeignKey(("article_id",), "articles", ("article_id",)),),
)

ENTITIES = Table(
    "entities",
    "Canonical people, organizations, countries and places, shared across articles.",
    (
        _c("entity_id", S, "VARCHAR", False),
        _c("canonical_name", S, "VARCHAR", False),
        _c("entity_type", S, "VARCHAR", False, ENTITY_TYPES),
        _c("country_iso3", S, "VARCHAR", doc="NULL when unknown; see country_source"),
        _c(
            "country_source",
            S,
            "VARCHAR",
            doc="reference | title: <title> | context: <evidence> | name: <place in it> | place: <capital of, GeoNames "
            "city in, ISO 3166-2 region in> <country> | nationality: <word> is of <country> | outlet | unknown: <reason>",
        ),
        _c("sector", S, "VARCHAR", doc="GOV, BUS, MED, ... (Phoenix agent codes)"),
        _c("actor_id", S, "VARCHAR", doc="reference actor this entity is, if known"),
        RUN_ID,
    ),
    ("entity_id",),
)

ENTITY_MENTIONS = Table(
    "entity_mentions",
    "Each place an entity is named in an article.",
    (
        _c("mention_id", S, "VARCHAR", False),
        *_span_columns(),
        _c("mention_text", S, "VARCHAR", False),
        _c("entity_id", S, "VARCHAR", False),
        _c("role_title", S, "VARCHAR", doc="title the text gives the person here, e.g. 'Secretary of State'"),
        _c(
            "resolution",
            S,
            "VARCHAR",
            doc="how the mention was linked: alias | name | demonym | title | institution | capital-as-place | "
            "city-as-place | region-as-place | ...; '+coref' when a "
            "short form took the article's full name",
        ),
        _c(
            "role_conflict",
            S,
            "VARCHAR",
            doc="set when the title in the text disagrees with the actors table at the article's date",
        ),
        _c(
            "confidence",
            F,
            "DOUBLE",
            doc="the NER model's probability for the span (the least, over its words, of the decision taken "
            "there: transforms.ner_decode.scored_entities); NULL where no model decided (a name the "
            "gazetteer or a name shape found)",
        ),
        RUN_ID,
    ),
    ("mention_id",),
    (
        ForeignKey(("article_id",), "articles", ("article_id",)),
        ForeignKey(("entity_id",), "entities", ("entity_id",)),
    ),
)


def _report_columns() -> tuple[Column, ...]:
    """Evidence and trigger of an event's report (in ``events``: its representative's)."""
    return (
        _c("evidence_text", S, "VARCHAR", False, doc="= articles.body[start_char:end_char]"),
        _c("trigger_text", S, "VARCHAR", False),
        _c("trigger_start", INT, "BIGINT", doc="offset of the trigger word(s) in articles.body"),
        _c("trigger_end", INT, "BIGINT"),
    )


def _telling_columns() -> tuple[Column, ...]:
    """What a report says about its event beyond type and actors (mode, notes, date, status...)."""
    return (
        _c("source_note", S, "VARCHAR", doc="why source_entity_id is NULL, when it is; how it was inferred"),
        _c("target_note", S, "VARCHAR", doc="why target_entity_id is NULL, when it is; how it was inferred"),
        _c("event_date", D, "DATE"),
        _c("date_precision", S, "VARCHAR", values=DATE_PRECISIONS),
        _c("date_source", S, "VARCHAR", doc="how event_date was resolved, or why it is unknown"),
        _c("polarity", S, "VARCHAR", False, POLARITIES),
        _c("status", S, "VARCHAR", False, STATUSES),
        _c(
            "event_count",
            INT,
            "BIGINT",
            False,
            doc="how many times the text says it happened ('met twice': 2)",
        ),
        _c(
            "confidence",
            F,
            "DOUBLE",
            doc="the event classifier's probability that this report is a codable event "
            "(transforms.event_classifier); NULL where no model decided",
        ),
    )


EVENTS = Table(
    "events",
    "Who did what to whom, when, and whether it happened (PLOVER / CAMEO coded): one row per "
    "distinct event, however many reports tell it (its reports are in event_mentions). Reports "
    "are one event only when known to be: same event_type, cameo_code, source and target "
    "entity (both non-NULL), event_date at day precision, polarity and status. Provenance and "
    "telling (offsets, evidence, trigger, mode, notes, date, event_count) are those of the "
    "representative report: the earliest by the article's published_date, then article_id, "
    "then start_char. Within one story (articles.near_duplicate_of), reports with the same "
    "event_type, cameo_code, source, target, polarity, status and normalized evidence text (and "
    "the same place among such reports in their article) are one event even when the date or an "
    "actor is unknown: they take the event of the story's earliest such report.",
    (
        _c(
            "event_id",
            S,
            "VARCHAR",
            False,
            doc="hash of the event key (event_type, cameo_code, source, target, event_date, polarity, "
            "status) when all are known, else the mention_id of its first report (the only one, "
            "unless near-duplicate articles of one story tell it)",
        ),
        *_span_columns(),
        *_report_columns(),
        _c("event_type", S, "VARCHAR", False, PLOVER_TYPES),
        _c("mode", S, "VARCHAR"),
        _c("context", S, "VARCHAR"),
        _c("cameo_code", S, "VARCHAR"),
        _c("quad_class", INT, "BIGINT", values=QUAD_CLASSES),
        _c("goldstein", F, "DOUBLE"),
        _c("source_entity_id", S, "VARCHAR"),
        _c("target_entity_id", S, "VARCHAR"),
        *_telling_columns(),
        _c("mention_count", INT, "BIGINT", False, doc="reports of the event (rows of event_mentions)"),
        _c("article_count", INT, "BIGINT", False, doc="distinct articles reporting the event"),
        RUN_ID,
    ),
    ("event_id",),
    (
        ForeignKey(("article_id",), "articles", ("article_id",)),
        ForeignKey(("source_entity_id",), "entities", ("entity_id",)),
        ForeignKey(("target_entity_id",), "entities", ("entity_id",)),
    ),
)

EVENT_MENTIONS = Table(
    "event_mentions",
    "One row per report of an event: the article, sentence, offsets and evidence that tell it, "
    "and what this report says (mode, date as told, polarity, status, event_count). The event's "
    "type and actors are in its events row.",
    (
        _c(
            "mention_id",
            S,
            "VARCHAR",
            False,
            doc="hash of article, trigger offsets, CAMEO code and actors (the per-article event id)",
        ),
        _c("event_id", S, "VARCHAR", False, doc="the events row this report tells"),
        *_span_columns(),
        *_report_columns(),
        _c("mode", S, "VARCHAR"),
        _c("context", S, "VARCHAR"),
        *_telling_columns(),
        RUN_ID,
    ),
    ("mention_id",),
    (
        ForeignKey(("event_id",), "events", ("event_id",)),
        ForeignKey(("article_id",), "articles", ("article_id",)),
    ),
)

QUANTITIES = Table(
    "quantities",
    "Numbers with units: money, percentages, durations, counts.",
    (
        _c("quantity_id", S, "VARCHAR", False),
        *_span_columns(),
        _c("quantity_text", S, "VARCHAR", False),
        _c("value", F, "DOUBLE", False),
        _c(
            "unit",
            S,
            "VARCHAR",
            False,
            doc="money | percent | percentage point | second | minute | hour | day | week | month | year | count",
        ),
        _c("currency", S, "VARCHAR", doc="ISO 4217 code for money"),
        _c("metric", S, "VARCHAR", doc="what is measured, e.g. 'trade surplus'"),
        _c("reference_period", S, "VARCHAR", doc="period the value refers to, e.g. '2024'"),
        RUN_ID,
    ),
    ("quantity_id",),
    (ForeignKey(("article_id",), "articles", ("article_id",)),),
)

# --- reference tables (loaded from seeds/reference) -----------------------------------------

COUNTRIES = Table(
    "countries",
    "ISO 3166-1 countries (from pycountry).",
    (
        _c("iso3", S, "VARCHAR", False),
        _c("iso2", S, "VARCHAR", False),
        _c("iso_numeric", S, "VARCHAR", False),
        _c("name", S, "VARCHAR", False),
        _c("official_name", S, "VARCHAR"),
        _c("common_name", S, "VARCHAR"),
    ),
    ("iso3",),
    kind="reference",
)

ACTORS = Table(
    "actors",
    "Known actors: countries, people, organizations (Phoenix dictionaries + curated current office holders).",
    (
        _c("actor_id", S, "VARCHAR", False),
        _c("canonical_name", S, "VARCHAR", False),
        _c("entity_type", S, "VARCHAR", False, ENTITY_TYPES),
        _c("country_iso3", S, "VARCHAR"),
        _c("sector", S, "VARCHAR"),
        _c("source", S, "VARCHAR", False),
    ),
    ("actor_id",),
    kind="reference",
)

ACTOR_ALIASES = Table(
    "actor_aliases",
    "Names an actor is written as (aliases, abbreviations, demonyms, capitals).",
    (
        _c("actor_id", S, "VARCHAR", False),
        _c("alias", S, "VARCHAR", False),
        _c("alias_kind", S, "VARCHAR", False),
        _c("source", S, "VARCHAR", False),
    ),
    ("actor_id", "alias"),
    (ForeignKey(("actor_id",), "actors", ("actor_id",)),),
    kind="reference",
)

ACTOR_ROLES = Table(
    "actor_roles",
    "Date-bounded roles of actors (who held which office when).",
    (
        _c("actor_id", S, "VARCHAR", False),
        _c("role_code", S, "VARCHAR", False, doc="Phoenix code, e.g. KORGOV"),
        _c("role_title", S, "VARCHAR", doc="e.g. 'President', 'Secretary of State'"),
        _c("country_iso3", S, "VARCHAR"),
        _c("sector", S, "VARCHAR"),
        _c("start_date", D, "DATE"),
        _c("end_date", D, "DATE", doc="NULL while the role is held"),
        _c("source", S, "VARCHAR", False),
    ),
    (),
    (ForeignKey(("actor_id",), "actors", ("actor_id",)),),
    kind="reference",
)

EVENT_TAXONOMY = Table(
    "event_taxonomy",
    "CAMEO codes with Goldstein score, QuadClass and their PLOVER type / mode / context.",
    (
        _c("cameo_code", S, "VARCHAR", False),
        _c("cameo_label", S, "VARCHAR", False),
        _c("goldstein", F, "DOUBLE"),
        _c("quad_class", INT, "BIGINT", False, QUAD_CLASSES),
        _c("plover_type", S, "VARCHAR", values=PLOVER_TYPES),
        _c("plover_mode", S, "VARCHAR"),
        _c("plover_context", S, "VARCHAR"),
    ),
    ("cameo_code",),
    kind="reference",
)

PLOVER_EVENT_TYPES = Table(
    "plover_event_types",
    "The 16 PLOVER 0.8 event types with their modes.",
    (
        _c("event_type", S, "VARCHAR", False, PLOVER_TYPES),
        _c("quad_class", INT, "BIGINT", False, QUAD_CLASSES),
        _c("description", S, "VARCHAR", False),
        _c("modes", S, "VARCHAR", doc="allowed modes, '|'-separated"),
    ),
    ("event_type",),
    kind="reference",
)

# --- audit tables -------------------------------------------------------------------------------

RUNS = Table(
    "runs",
    "One row per ingest run.",
    (
        _c("run_id", S, "VARCHAR", False),
        _c("started_at", TS, "TIMESTAMPTZ", False),
        _c("finished_at", TS, "TIMESTAMPTZ"),
        _c("status", S, "VARCHAR", False, RUN_STATUSES),
        _c("input_dir", S, "VARCHAR"),
        _c("files_seen", INT, "BIGINT"),
        _c("files_new", INT, "BIGINT"),
        _c("files_unchanged", INT, "BIGINT"),
        _c("files_duplicate", INT, "BIGINT"),
        _c("files_quarantined", INT, "BIGINT"),
        _c(
            "files_kept",
            INT,
            "BIGINT",
            doc="known files that could not be read this run: their rows kept, read again next run",
        ),
        _c("files_deleted", INT, "BIGINT", doc="files gone since the last run (rows kept, files.deleted_at)"),
        _c("articles_loaded", INT, "BIGINT"),
        _c("rows_written", INT, "BIGINT"),
        _c(
            "dq_verdict",
            S,
            "VARCHAR",
            values=DQ_VERDICTS,
            doc="pass | warn | fail | no new data (nothing to check); NULL: the run stopped before its checks",
        ),
        _c("message", S, "VARCHAR"),
        _c(
            "extractor_version",
            S,
            "VARCHAR",
            doc="digest of the models and rules that extracted this run's rows (dateline/resources/extractor.py); "
            "NULL for runs before it was recorded",
        ),
    ),
    ("run_id",),
    kind="audit",
)

DQ_RESULTS = Table(
    "dq_results",
    "Every expectation evaluated in every run.",
    (
        _c("run_id", S, "VARCHAR", False),
        _c("table_name", S, "VARCHAR", False),
        _c("expectation", S, "VARCHAR", False, doc="GX expectation type"),
        _c("column_name", S, "VARCHAR"),
        _c("check_name", S, "VARCHAR", False, doc="stable name of the check"),
        _c("severity", S, "VARCHAR", False, SEVERITIES),
        _c("success", B, "BOOLEAN", False),
        _c("observed_value", S, "VARCHAR"),
        _c("element_count", INT, "BIGINT"),
        _c("unexpected_count", INT, "BIGINT"),
        _c("unexpected_examples", S, "VARCHAR", doc="JSON list of a few offending values / rows"),
    ),
    ("run_id", "table_name", "check_name"),
    kind="audit",
)

DQ_RUNS = Table(
    "dq_runs",
    "Per run: rows of each table in the batch and run-level rates (history for checks against "
    "earlier runs and for the report's trend charts).",
    (
        _c("run_id", S, "VARCHAR", False),
        _c("table_name", S, "VARCHAR", False, doc="a fact table, or 'run' for run-level metrics"),
        _c(
            "metric",
            S,
            "VARCHAR",
            False,
            doc="rows | input_units | new_articles | resolved_share | undated_share | quarantine_rate",
        ),
        _c("value", F, "DOUBLE", doc="NULL when the metric is undefined for the batch (e.g. no mentions)"),
    ),
    ("run_id", "table_name", "metric"),
    kind="audit",
)


def story_id(articles_columns: Sequence[str]) -> pl.Expr:
    """An article row's story: ``coalesce(near_duplicate_of, article_id)`` (its own id where the
    frame has no ``near_duplicate_of``). The event key within a story and the placeholder check
    both use it."""
    own = pl.col("article_id").cast(pl.String)
    if "near_duplicate_of" in articles_columns:
        return pl.coalesce(pl.col("near_duplicate_of").cast(pl.String), own)
    return own


def normalized_evidence() -> pl.Expr:
    """``evidence_text`` lower-cased with its whitespace collapsed: how copies of a report are
    compared (the event key within a story, the placeholder check)."""
    return pl.col("evidence_text").str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


FACT_TABLES: tuple[Table, ...] = (
    ARTICLES,
    SENTENCES,
    ENTITIES,
    ENTITY_MENTIONS,
    EVENTS,
    EVENT_MENTIONS,
    QUANTITIES,
    DUPLICATES,
    QUARANTINE,
    FILES,
)
REFERENCE_TABLES: tuple[Table, ...] = (
    COUNTRIES,
    ACTORS,
    ACTOR_ALIASES,
    ACTOR_ROLES,
    EVENT_TAXONOMY,
    PLOVER_EVENT_TYPES,
)
AUDIT_TABLES: tuple[Table, ...] = (RUNS, DQ_RESULTS, DQ_RUNS)
#: Lookup structures the pipeline keeps for itself (not validated, not counted per run).
INDEX_TABLES: tuple[Table, ...] = (ARTICLE_SIGNATURES,)
ALL_TABLES: tuple[Table, ...] = FACT_TABLES + REFERENCE_TABLES + AUDIT_TABLES + INDEX_TABLES
TABLES: dict[str, Table] = {t.name: t for t in ALL_TABLES}
