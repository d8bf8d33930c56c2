"""Data-quality checks of the fact tables, derived from :mod:`schemas.tables`.

Every check is a :class:`CheckSpec`: a stable ``check_name`` (unique within its table), a GX
Core 1.x expectation class with its keyword arguments, a category and the severity resolved
from ``schemas/checks.toml``.

Generic checks come from each :class:`~schemas.tables.Table`:

* ``pk_unique`` -- the primary key is unique (``ExpectColumnValuesToBeUnique`` or
  ``ExpectCompoundColumnsToBeUnique``),
* ``<column>_not_null`` -- every NOT NULL column,
* ``<column>_in_set`` -- every enumerated column (``Column.values``),
* ``fk_<column>`` -- every foreign key: the referencing column's non-null values are in the set
  of referenced keys. That set is only known at validation time (keys of this batch plus keys
  already in the warehouse), so the expectation's ``value_set`` is a GX suite parameter
  (``{"$PARAMETER": "keys__<table>__<column>"}``) resolved by :func:`value_set_parameters`.

Table-specific checks are declared in :func:`_specific_checks`. Some need columns computed from
other tables of the batch (the article body for offsets, the article's published date); those
*derived columns* are added by :func:`derive_columns` with polars and are named after what they
hold (``article_body_length``, ``article_body_slice``, ``article_published_date``,
``content_sha256_prefix16``), so a failing check reads plainly.

Run ``python -m schemas.expectations`` to list every check with its severity.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import great_expectations.expectations as gxe
import polars as pl
from great_expectations.expectations.metadata_types import FailureSeverity
from great_expectations.expectations.row_conditions import Column as RowColumn

from schemas.run_checks import RUN_CHECKS
from schemas.tables import (
    ARTICLES,
    DUPLICATES,
    ENTITIES,
    ENTITY_MENTIONS,
    EVENT_MENTIONS,
    EVENTS,
    FACT_TABLES,
    QUANTITIES,
    SENTENCES,
    SEVERITIES,
    TABLES,
    Table,
    normalized_evidence,
    story_id,
)

CHECKS_TOML = Path(__file__).with_name("checks.toml")

CATEGORIES = (
    "key",
    "not_null",
    "value_set",
    "foreign_key",
    "offset",
    "plausibility",
    "content",
    "empty_output",
    "trend",
)

#: Severity of the categories added after the first checks.toml, when its [defaults] omits them.
CATEGORY_FALLBACKS = {"content": "warning", "empty_output": "critical", "trend": "warning"}

#: An event signature (evidence text, type, source, target) shared by this many distinct stories
#: of one batch (articles, near-duplicate copies of one story counted once) is a placeholder /
#: hard-coded event, not news (the BBC corpus peaks at 4).
PLACEHOLDER_MIN_ARTICLES = 10

#: span table -> the text column shown with its examples (report, dq_results).
EXAMPLE_TEXT_COLUMNS = {
    "events": "evidence_text",
    "event_mentions": "evidence_text",
    "entity_mentions": "mention_text",
    "quantities": "quantity_text",
    "sentences": "text",
}

#: Columns the loader fills in (the run writing the row); not validated.
LOADER_COLUMNS = frozenset({"run_id", "first_run_id"})

#: Tables whose rows are spans of ``articles.body``.
SPAN_TABLES = frozenset(
    {SENTENCES.name, ENTITY_MENTIONS.name, EVENTS.name, EVENT_MENTIONS.name, QUANTITIES.name}
)

#: span table -> its text column that must equal ``body[start_char:end_char]``.
SLICE_TEXT_COLUMNS = {
    EVENTS.name: "evidence_text",
    EVENT_MENTIONS.name: "evidence_text",
    ENTITY_MENTIONS.name: "mention_text",
}

#: Tables whose rows tell an event with a date (events: its representative report).
EVENT_TABLES = frozenset({EVENTS.name, EVENT_MENTIONS.name})

SHA256_REGEX = r"^[0-9a-f]{64}$"
MIN_DATE = datetime(1900, 1, 1)  # datetimes: GX compares them with datetime64[ns] columns
UNDATED_STATUSES = ("planned", "postponed")


class ChecksConfigError(ValueError):
    """``schemas/checks.toml`` names an unknown category, table or check, or a bad severity."""


@dataclass(frozen=True)
class CheckSpec:
    """One data-quality check of one table."""

    table_name: str
    check_name: str
    expectation: type[gxe.Expectation]
    kwargs: Mapping[str, Any]
    category: str
    column_name: str | None = None
    doc: str = ""
    severity: str = "critical"

    @property
    def expectation_type(self) -> str:
        """GX expectation type, e.g. ``expect_column_values_to_be_unique``."""
        return self.expectation.expectation_type

    def build(self) -> gxe.Expectation:
        """Instantiate the GX expectation (severity and check name travel in it)."""
        return self.expectation(
            **self.kwargs,
            severity=FailureSeverity(self.severity),
            meta={"check_name": self.check_name, "category": self.category},
        )


@dataclass
class _Builder:
    table: Table
    specs: list[CheckSpec] = field(default_factory=list)

    def add(
        self,
        check_name: str,
        expectation: type[gxe.Expectation],
        category: str,
        column_name: str | None = None,
        doc: str = "",
        **kwargs: Any,
    ) -> None:
        """Add a check; ``column_name`` is reported and, unless kwargs name columns, checked."""
        if any(s.check_name == check_name for s in self.specs):
            raise ValueError(f"duplicate check {self.table.name}.{check_name}")
        names_columns = {"column", "column_A", "column_list"} & kwargs.keys()
        if column_name is not None and not names_columns:
            kwargs["column"] = column_name
        self.specs.append(
            CheckSpec(self.table.name, check_name, expectation, kwargs, category, column_name, doc)
        )


def reference_parameter(table: str, column: str) -> dict[str, str]:
    """Suite parameter standing for the values of reference column ``table.column``."""
    return {"$PARAMETER": f"reference__{table}__{column}"}


def _generic_checks(b: _Builder) -> None:
    t = b.table
    if len(t.primary_key) == 1:
        (pk,) = t.primary_key
        b.add("pk_unique", gxe.ExpectColumnValuesToBeUnique, "key", pk, f"{pk} is unique")
    elif t.primary_key:
        b.add(
            "pk_unique",
            gxe.ExpectCompoundColumnsToBeUnique,
            "key",
            None,
            f"({', '.join(t.primary_key)}) is unique",
            column_list=list(t.primary_key),
            ignore_row_if="never",
        )
    for c in t.columns:
        if c.name in LOADER_COLUMNS:
            continue
        if not c.nullable:
            b.add(f"{c.name}_not_null", gxe.ExpectColumnValuesToNotBeNull, "not_null", c.name)
    for c in t.columns:
        if c.values is not None:
            b.add(
                f"{c.name}_in_set",
                gxe.ExpectColumnValuesToBeInSet,
                "value_set",
                c.name,
                f"{c.name} is one of {', '.join(map(str, c.values))}",
                value_set=list(c.values),
            )
    for fk in t.foreign_keys:
        if len(fk.columns) != 1:
            raise NotImplementedError(f"{t.name}: compound foreign keys are not supported")
        (col,), (ref_col,) = fk.columns, fk.ref_columns
        b.add(
            f"fk_{col}",
            gxe.ExpectColumnValuesToBeNull,
            "foreign_key",
            col,
            f"every non-null {col} is a key of {fk.ref_table}.{ref_col} (in this batch or the warehouse): "
            f"derived column {dangling_column(col)} (the {col} when it is not a known key) is NULL",
            column=dangling_column(col),
        )


def dangling_column(column: str) -> str:
    """Name of the derived column holding ``column``'s value when it references no known key."""
    return f"{column}_dangling"


def _span_checks(b: _Builder) -> None:
    b.add(
        "start_char_not_negative",
        gxe.ExpectColumnValuesToBeBetween,
        "offset",
        "start_char",
        "start_char >= 0",
        min_value=0,
    )
    b.add(
        "start_before_end",
        gxe.ExpectColumnPairValuesAToBeGreaterThanB,
        "offset",
        "end_char",
        "start_char < end_char",
        column_A="end_char",
        column_B="start_char",
        or_equal=False,
        ignore_row_if="either_value_is_missing",
    )
    b.add(
        "end_within_body",
        gxe.ExpectColumnPairValuesAToBeGreaterThanB,
        "offset",
        "end_char",
        "end_char <= length of the article body (rows whose article is not in the batch are skipped)",
        column_A="article_body_length",
        column_B="end_char",
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )
    text_col = SLICE_TEXT_COLUMNS.get(b.table.name)
    if text_col:
        b.add(
            f"{text_col}_equals_body_slice",
            gxe.ExpectColumnPairValuesToBeEqual,
            "offset",
            text_col,
            f"{text_col} == articles.body[start_char:end_char]",
            column_A=text_col,
            column_B="article_body_slice",
            ignore_row_if="either_value_is_missing",
        )


def _specific_checks(b: _Builder, today: date) -> None:
    name = b.table.name
    if name in SPAN_TABLES:
        _span_checks(b)
    if name == ARTICLES.name:
        b.add(
            "content_sha256_format",
            gxe.ExpectColumnValuesToMatchRegex,
            "key",
            "content_sha256",
            "content_sha256 is 64 lowercase hex digits",
            regex=SHA256_REGEX,
        )
        b.add(
            "article_id_is_sha256_prefix",
            gxe.ExpectColumnPairValuesToBeEqual,
            "key",
            "article_id",
            "article_id == content_sha256[:16]",
            column_A="article_id",
            column_B="content_sha256_prefix16",
        )
        b.add(
            "body_not_blank",
            gxe.ExpectColumnValuesToNotMatchRegex,
            "not_null",
            "body",
            "body has at least one non-blank character",
            regex=r"^\s*$",
        )
        b.add(
            "has_sentences",
            gxe.ExpectColumnValuesToBeBetween,
            "empty_output",
            "body",
            "every article has at least one sentence: derived column sentence_count >= 1",
            column="sentence_count",
            min_value=1,
        )
        b.add(
            "published_date_plausible",
            gxe.ExpectColumnValuesToBeBetween,
            "plausibility",
            "published_date",
            f"{MIN_DATE:%Y-%m-%d} <= published_date <= today + 1 day",
            min_value=MIN_DATE,
            max_value=datetime.combine(today + timedelta(days=1), time()),
        )
    elif name == DUPLICATES.name:
        b.add(
            "content_sha256_format",
            gxe.ExpectColumnValuesToMatchRegex,
            "key",
            "content_sha256",
            "content_sha256 is 64 lowercase hex digits",
            regex=SHA256_REGEX,
        )
    elif name == ENTITY_MENTIONS.name:
        b.add(
            "no_role_conflict",
            gxe.ExpectColumnValuesToBeNull,
            "content",
            "role_conflict",
            "the title the text gives a person agrees with the actors table at the article's date "
            "(role_conflict is NULL)",
        )
    elif name == ENTITIES.name:
        b.add(
            "country_iso3_in_countries",
            gxe.ExpectColumnValuesToBeInSet,
            "value_set",
            "country_iso3",
            "country_iso3 is in the countries reference (when not null)",
            value_set=reference_parameter("countries", "iso3"),
        )
    elif name == EVENTS.name:
        b.add(
            "cameo_code_in_taxonomy",
            gxe.ExpectColumnValuesToBeInSet,
            "value_set",
            "cameo_code",
            "cameo_code is in event_taxonomy (when not null)",
            value_set=reference_parameter("event_taxonomy", "cameo_code"),
        )
        b.add(
            "goldstein_in_range",
            gxe.ExpectColumnValuesToBeBetween,
            "value_set",
            "goldstein",
            "-10 <= goldstein <= 10",
            min_value=-10,
            max_value=10,
        )
        b.add(
            "article_count_positive",
            gxe.ExpectColumnValuesToBeBetween,
            "value_set",
            "article_count",
            "article_count >= 1 (an event without a report is not kept)",
            min_value=1,
        )
        b.add(
            "article_count_within_mention_count",
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            "value_set",
            "mention_count",
            "article_count <= mention_count",
            column_A="mention_count",
            column_B="article_count",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        )
    if name in EVENT_TABLES:
        _telling_checks(b)
    # a model's probability: the event classifier's (events, event_mentions), the NER's (entity_mentions)
    if name in EVENT_TABLES | {ENTITY_MENTIONS.name}:
        b.add(
            "confidence_in_range",
            gxe.ExpectColumnValuesToBeBetween,
            "value_set",
            "confidence",
            "0 <= confidence <= 1 (when not null)",
            min_value=0,
            max_value=1,
        )
    if name == EVENTS.name:
        b.add(
            "source_differs_from_target",
            gxe.ExpectColumnValuesToBeNull,
            "plausibility",
            "source_entity_id",
            "source_entity_id != target_entity_id: derived column self_directed_entity_id "
            "(the entity when source equals target) is NULL",
            column="self_directed_entity_id",
        )


def _telling_checks(b: _Builder) -> None:
    """Checks of what an event's report says (events: its representative; event_mentions: each)."""
    b.add(
        "event_count_positive",
        gxe.ExpectColumnValuesToBeBetween,
        "value_set",
        "event_count",
        "event_count >= 1",
        min_value=1,
    )
    b.add(
        "event_date_not_before_1900",
        gxe.ExpectColumnValuesToBeBetween,
        "plausibility",
        "event_date",
        f"event_date >= {MIN_DATE:%Y-%m-%d}",
        min_value=MIN_DATE,
    )
    b.add(
        "event_date_not_after_published",
        gxe.ExpectColumnPairValuesAToBeGreaterThanB,
        "plausibility",
        "event_date",
        "event_date <= the article's published_date unless status is planned / postponed",
        column_A="article_published_date",
        column_B="event_date",
        or_equal=True,
        ignore_row_if="either_value_is_missing",
        row_condition=RowColumn("status").is_not_in(list(UNDATED_STATUSES)),
    )
    b.add(
        "not_placeholder",
        gxe.ExpectColumnValuesToBeBetween,
        "content",
        "evidence_text",
        f"the same event (evidence text, type, source, target) is not repeated in "
        f">= {PLACEHOLDER_MIN_ARTICLES} unrelated articles (near-duplicate copies of one story "
        f"count once): derived column placeholder_article_count < {PLACEHOLDER_MIN_ARTICLES}",
        column="placeholder_article_count",
        max_value=PLACEHOLDER_MIN_ARTICLES - 1,
    )


# --- severities -------------------------------------------------------------------------------


def _load_checks_config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ChecksConfigError(f"checks config {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ChecksConfigError(f"checks config {path} is not valid TOML: {exc}") from exc


def _bad(path: Path, what: str, name: str, known: list[str], where: str = "") -> ChecksConfigError:
    hint = difflib.get_close_matches(name, known, n=1)
    suggestion = f"; did you mean {hint[0]!r}?" if hint else f"; known: {', '.join(sorted(known))}"
    return ChecksConfigError(f"{path}: unknown {what} {name!r}{where}{suggestion}")


def _check_severity(path: Path, where: str, value: Any) -> str:
    if value not in SEVERITIES:
        raise ChecksConfigError(
            f"{path}: {where} = {value!r}; severity must be one of {', '.join(SEVERITIES)}"
        )
    return str(value)


def _resolve(checks: Mapping[str, Mapping[str, str]], path: Path) -> dict[tuple[str, str], str]:
    """(table, check) -> severity for ``checks`` (table -> {check name: category}) from ``path``."""
    config = _load_checks_config(path)
    defaults: dict[str, str] = dict(config.get("defaults", {}))
    for category, value in defaults.items():
        if category not in CATEGORIES:
            raise _bad(path, "category", category, list(CATEGORIES), " in [defaults]")
        _check_severity(path, f"[defaults] {category}", value)
    for category, value in CATEGORY_FALLBACKS.items():
        defaults.setdefault(category, value)
    missing = [c for c in CATEGORIES if c not in defaults]
    if missing:
        raise ChecksConfigError(f"{path}: [defaults] lacks a severity for {', '.join(missing)}")
    overrides: dict[tuple[str, str], str] = {}
    for section, entries in config.items():
        if section == "defaults":
            continue
        if section not in checks:
            raise _bad(path, "table", section, list(checks), " (section)")
        if not isinstance(entries, dict):
            raise ChecksConfigError(f"{path}: {section} must be a [{section}] table of check = severity")
        known = list(checks[section])
        for check, value in entries.items():
            if check not in known:
                raise _bad(path, "check", check, known, f" in [{section}]")
            overrides[section, check] = _check_severity(path, f"[{section}] {check}", value)
    return {
        (table, name): overrides.get((table, name), defaults[category])
        for table, names in checks.items()
        for name, category in names.items()
    }


def _categories(suites: Mapping[str, list[CheckSpec]]) -> dict[str, dict[str, str]]:
    """table -> {check name: category} of the GX suites and of the run checks."""
    out = {table: {s.check_name: s.category for s in specs} for table, specs in suites.items()}
    for rc in RUN_CHECKS:
        if rc.check_name in out.setdefault(rc.table_name, {}):
            raise ValueError(f"duplicate check {rc.table_name}.{rc.check_name}")
        out[rc.table_name][rc.check_name] = rc.category
    return out


def _apply_severities(suites: dict[str, list[CheckSpec]], path: Path) -> dict[str, list[CheckSpec]]:
    resolved = _resolve(_categories(suites), path)
    return {
        table: [CheckSpec(**{**s.__dict__, "severity": resolved[table, s.check_name]}) for s in specs]
        for table, specs in suites.items()
    }


def _raw_suites(today: date) -> dict[str, list[CheckSpec]]:
    suites: dict[str, list[CheckSpec]] = {}
    for table in FACT_TABLES:
        b = _Builder(table)
        _generic_checks(b)
        _specific_checks(b, today)
        suites[table.name] = b.specs
    return suites


def severities(checks_path: Path = CHECKS_TOML) -> dict[tuple[str, str], str]:
    """(table, check) -> severity of every check, GX and run checks (:mod:`schemas.run_checks`)."""
    return _resolve(_categories(_raw_suites(date.today())), Path(checks_path))


def build_suites(today: date | None = None, checks_path: Path = CHECKS_TOML) -> dict[str, list[CheckSpec]]:
    """Every fact table's checks, with severities from ``checks_path``.

    ``today`` bounds plausible publication dates (default: the current date).
    Raises :class:`ChecksConfigError` when the config names an unknown category, table or check.
    """
    today = today or date.today()
    return _apply_severities(_raw_suites(today), Path(checks_path))


# --- inputs resolved at validation time ------------------------------------------------------


def value_set_parameters(
    suites: Mapping[str, list[CheckSpec]], reference: Mapping[str, pl.DataFrame]
) -> dict[str, list[Any]]:
    """Values of the suite parameters ``reference__<table>__<column>`` the checks use.

    Each is the distinct non-null values of ``reference[table][column]``; empty when the
    reference table is not given, so every non-null value then fails the check.
    """
    names = {
        s.kwargs["value_set"]["$PARAMETER"]
        for specs in suites.values()
        for s in specs
        if isinstance(s.kwargs.get("value_set"), dict)
    }
    params: dict[str, list[Any]] = {}
    for name in sorted(names):
        _, table, column = name.split("__")
        df = reference.get(table)
        values: list[Any] = []
        if df is not None and column in df.columns:
            values = df.get_column(column).drop_nulls().unique().sort().to_list()
        params[name] = values
    return params


def key_sets(
    frames: Mapping[str, pl.DataFrame], existing_keys: Mapping[str, pl.Series] | None = None
) -> dict[str, pl.Series]:
    """Referenced table name -> every key a foreign key may point at.

    The keys of the batch's frame plus ``existing_keys[table]`` (the warehouse's keys).
    """
    existing_keys = existing_keys or {}
    out: dict[str, pl.Series] = {}
    for table in FACT_TABLES:
        for fk in table.foreign_keys:
            (ref_col,) = fk.ref_columns
            if fk.ref_table in out:
                continue
            parts = []
            df = frames.get(fk.ref_table)
            if df is not None and ref_col in df.columns:
                parts.append(df.get_column(ref_col).cast(pl.String))
            if fk.ref_table in existing_keys:
                parts.append(existing_keys[fk.ref_table].cast(pl.String))
            keys = pl.concat(parts) if parts else pl.Series(dtype=pl.String)
            out[fk.ref_table] = keys.drop_nulls().unique().rename(ref_col)
    return out


def derive_columns(
    table_name: str,
    frame: pl.DataFrame,
    frames: Mapping[str, pl.DataFrame],
    keys: Mapping[str, pl.Series],
) -> pl.DataFrame:
    """``frame`` plus the derived columns its checks look at (computed with polars).

    * every foreign key column ``c``: ``c_dangling`` = ``c`` when it is not NULL and not in
      ``keys[referenced table]`` (see :func:`key_sets`), else NULL.
    * span tables: ``article_body_length`` (characters of the article body, as Python/polars
      count them) and, for events / event_mentions / entity_mentions, ``article_body_slice`` =
      ``body[start_char:end_char]``; events and event_mentions also get ``article_published_date``. The article
      comes from ``frames['articles']``; when it is not in the batch these are NULL and the
      checks skip the row (its FK check still runs).
    * events: ``self_directed_entity_id`` = the source entity when it equals the target.
    * events, event_mentions: ``placeholder_article_count`` = distinct stories (articles, their
      near-duplicate copies counted once) of the batch with the same event signature
      (whitespace-normalized, lower-cased evidence text, event type, source, target; a
      mention's type and actors are its event's).
    * articles: ``content_sha256_prefix16`` = ``content_sha256[:16]``; ``sentence_count`` = the
      article's rows in ``frames['sentences']``.
    * span tables: ``article_source_path`` (the article's file, for the report's examples).

    (Key sets are applied here rather than given to GX as a value set: they grow with the
    warehouse, and GX copies an expectation's value set many times while validating.)
    """
    table = TABLES[table_name]
    derived: list[pl.Expr] = []
    for fk in table.foreign_keys:
        (col,) = fk.columns
        known = keys.get(fk.ref_table, pl.Series(dtype=pl.String)).cast(pl.String)
        derived.append(
            pl.when(pl.col(col).is_null() | pl.col(col).is_in(known.implode()))
            .then(None)
            .otherwise(pl.col(col))
            .alias(dangling_column(col))
        )
    if table_name == ARTICLES.name:
        derived.append(pl.col("content_sha256").str.slice(0, 16).alias("content_sha256_prefix16"))
    if table_name == EVENTS.name:
        derived.append(
            pl.when(pl.col("source_entity_id") == pl.col("target_entity_id"))
            .then(pl.col("source_entity_id"))
            .alias("self_directed_entity_id")
        )
    frame = frame.with_columns(derived)
    if table_name in EVENT_TABLES:
        frame = _with_placeholder_count(table_name, frame, frames)
    if table_name == ARTICLES.name:
        sentences = frames.get(SENTENCES.name)
        if sentences is None or "article_id" not in sentences.columns:
            sentences = SENTENCES.empty()
        counts = sentences.group_by("article_id").agg(pl.len().cast(pl.Int64).alias("sentence_count"))
        frame = frame.join(counts, on="article_id", how="left", maintain_order="left").with_columns(
            pl.col("sentence_count").fill_null(0)
        )
    if table_name not in SPAN_TABLES:
        return frame
    articles = frames.get(ARTICLES.name)
    needed = {"article_id", "body", "published_date", "source_path"}
    if articles is None or not needed <= set(articles.columns):
        articles = ARTICLES.empty()
    articles = articles.select(
        pl.col("article_id").cast(pl.String),
        pl.col("body").cast(pl.String).alias("_article_body"),
        pl.col("published_date").cast(pl.Date).alias("article_published_date"),
        pl.col("source_path").cast(pl.String).alias("article_source_path"),
    ).unique("article_id", keep="first")
    joined = frame.join(articles, on="article_id", how="left", maintain_order="left")
    body = pl.col("_article_body")
    spans = [body.str.len_chars().cast(pl.Int64).alias("article_body_length")]
    keep = [*frame.columns, "article_body_length", "article_source_path"]
    if table_name in SLICE_TEXT_COLUMNS:
        length = (pl.col("end_char") - pl.col("start_char")).clip(lower_bound=0)
        spans.append(body.str.slice(pl.col("start_char"), length).alias("article_body_slice"))
        keep.append("article_body_slice")
    if table_name in EVENT_TABLES:
        keep.append("article_published_date")
    return joined.with_columns(spans).select(keep)


def _with_placeholder_count(
    table_name: str, frame: pl.DataFrame, frames: Mapping[str, pl.DataFrame]
) -> pl.DataFrame:
    """``placeholder_article_count``: independent articles of the batch telling the same signature.

    The signature is the whitespace-normalized, lower-cased evidence text with the event type,
    source and target. Articles are counted by *story*: near-duplicate copies of one story
    (``articles.near_duplicate_of``, syndication) count once, since one wire story told by many
    outlets is news, not a placeholder; the same evidence in that many unrelated articles is.
    Mentions take type and actors from their event in ``frames['events']`` (a mention whose
    event is not in the batch has NULL type and actors: its count still groups by text); an
    article missing from ``frames['articles']`` is its own story.
    """
    if table_name == EVENT_MENTIONS.name:
        events = frames.get(EVENTS.name)
        needed = ["event_id", "event_type", "source_entity_id", "target_entity_id"]
        if events is None or not set(needed) <= set(events.columns):
            events = EVENTS.empty()
        frame = frame.join(
            events.select(needed).unique("event_id", keep="first"),
            on="event_id",
            how="left",
            maintain_order="left",
            suffix="_event",
        )
    articles = frames.get(ARTICLES.name)
    if articles is None or "article_id" not in articles.columns:
        articles = ARTICLES.empty()
    stories = articles.select(
        pl.col("article_id").cast(pl.String), story_id(articles.columns).alias("_story")
    ).unique("article_id", keep="first")
    frame = frame.join(stories, on="article_id", how="left", maintain_order="left").with_columns(
        pl.coalesce("_story", pl.col("article_id")).alias("_story")  # an article not in the batch
    )
    signature = [
        normalized_evidence(),
        pl.col("event_type"),
        pl.col("source_entity_id"),
        pl.col("target_entity_id"),
    ]
    counted = frame.with_columns(
        pl.col("_story").n_unique().over(signature).cast(pl.Int64).alias("placeholder_article_count")
    ).drop("_story")
    if table_name == EVENT_MENTIONS.name:
        counted = counted.drop("event_type", "source_entity_id", "target_entity_id")
    return counted


def example_columns(table_name: str) -> list[str]:
    """Columns identifying an offending row in ``unexpected_examples``."""
    table = TABLES[table_name]
    cols = list(table.primary_key)
    if table_name in SPAN_TABLES:
        cols += [
            "article_id",
            "start_char",
            "end_char",
            EXAMPLE_TEXT_COLUMNS[table_name],
            "article_source_path",
        ]
    if table_name == ARTICLES.name:
        cols += ["title", "source_path"]
    if not cols:
        cols = ["source_path", "source_record"]
    return list(dict.fromkeys(cols))


def main() -> None:
    """Print every check with its severity (``python -m schemas.expectations``)."""
    for table, specs in build_suites().items():
        for s in specs:
            print(f"{table:16} {s.check_name:36} {s.severity:9} {s.category:12} {s.expectation_type}")
    sev = severities()
    for rc in RUN_CHECKS:
        print(
            f"{rc.table_name:16} {rc.check_name:36} {sev[rc.table_name, rc.check_name]:9} "
            f"{rc.category:12} run check (schemas/run_checks.py)"
        )


if __name__ == "__main__":
    main()
