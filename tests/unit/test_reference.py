"""Tests for the committed reference data (seeds/reference) and its loader / build script."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from dateline.resources.reference import ReferenceDataError, load_reference
from schemas.tables import PLOVER_TYPES, REFERENCE_TABLES
from tests.paths import REPO


@pytest.fixture(scope="module")
def ref() -> dict[str, pl.DataFrame]:
    return load_reference()


def test_load_and_conform(ref: dict[str, pl.DataFrame]) -> None:
    for table in REFERENCE_TABLES:
        df = ref[table.name]
        assert df.schema == table.polars_schema(), table.name
        assert df.height > 0, table.name
        for col in table.columns:
            if not col.nullable:
                assert df[col.name].null_count() == 0, (table.name, col.name)
            if col.values is not None:
                bad = df.filter(pl.col(col.name).is_not_null() & ~pl.col(col.name).is_in(list(col.values)))
                assert bad.height == 0, (table.name, col.name, bad.head())
    assert ref["agents"].columns == ["term", "sector", "source"]


def test_primary_keys_unique(ref: dict[str, pl.DataFrame]) -> None:
    for table in REFERENCE_TABLES:
        if table.primary_key:
            df = ref[table.name]
            assert df.select(table.primary_key).is_duplicated().sum() == 0, table.name


def test_foreign_keys(ref: dict[str, pl.DataFrame]) -> None:
    ids = set(ref["actors"]["actor_id"])
    assert set(ref["actor_aliases"]["actor_id"]) <= ids
    assert set(ref["actor_roles"]["actor_id"]) <= ids
    isos = set(ref["countries"]["iso3"])
    assert set(ref["actors"]["country_iso3"].drop_nulls()) <= isos
    assert set(ref["actor_roles"]["country_iso3"].drop_nulls()) <= isos


def test_aliases_case_insensitively_unique_per_actor(ref: dict[str, pl.DataFrame]) -> None:
    a = ref["actor_aliases"].with_columns(pl.col("alias").str.to_lowercase().alias("k"))
    assert a.select("actor_id", "k").is_duplicated().sum() == 0


def test_every_actor_has_its_name_as_alias(ref: dict[str, pl.DataFrame]) -> None:
    names = ref["actors"].select("actor_id", alias="canonical_name")
    missing = names.join(ref["actor_aliases"], on=["actor_id", "alias"], how="anti")
    assert missing.height == 0, missing.head()


@pytest.mark.parametrize(
    ("iso3", "alias"),
    [("KOR", "South Korea"), ("USA", "U.S."), ("USA", "United States"), ("JPN", "Japan"), ("KOR", "Seoul")],
)
def test_country_aliases(ref: dict[str, pl.DataFrame], iso3: str, alias: str) -> None:
    actors = ref["actors"].filter(pl.col("actor_id") == iso3)
    assert actors.height == 1 and actors["entity_type"][0] == "GPE"
    hits = ref["actor_aliases"].filter((pl.col("actor_id") == iso3) & (pl.col("alias") == alias))
    assert hits.height == 1


def test_korean_is_not_an_alias(ref: dict[str, pl.DataFrame]) -> None:
    assert ref["actor_aliases"].filter(pl.col("alias").str.to_lowercase() == "korean").height == 0


def _holder(ref: dict[str, pl.DataFrame], title: str, country: str, day: dt.date) -> set[str]:
    roles = ref["actor_roles"].filter(
        (pl.col("role_title") == title)
        & (pl.col("country_iso3") == country)
        & (pl.col("start_date") <= day)
        & (pl.col("end_date").is_null() | (pl.col("end_date") > day))
    )
    return set(roles.join(ref["actors"], on="actor_id")["canonical_name"])


def test_lee_jae_myung_president(ref: dict[str, pl.DataFrame]) -> None:
    lee = ref["actors"].filter(pl.col("canonical_name") == "Lee Jae-myung")
    assert lee.height == 1
    roles = ref["actor_roles"].filter(
        (pl.col("actor_id") == lee["actor_id"][0]) & (pl.col("role_title") == "President")
    )
    assert roles.height == 1
    assert roles["country_iso3"][0] == "KOR"
    assert roles["start_date"][0] == dt.date(2025, 6, 4)
    assert roles["end_date"][0] is None


def test_office_holders_on_dates(ref: dict[str, pl.DataFrame]) -> None:
    assert _holder(ref, "Secretary of State", "USA", dt.date(2025, 7, 10)) == {"Marco Rubio"}
    assert _holder(ref, "President", "USA", dt.date(2025, 7, 10)) == {"Donald Trump"}
    assert _holder(ref, "President", "USA", dt.date(2023, 1, 1)) == {"Joe Biden"}
    assert _holder(ref, "President", "KOR", dt.date(2025, 7, 10)) == {"Lee Jae-myung"}
    assert _holder(ref, "Prime Minister", "GBR", dt.date(2005, 1, 1)) == {"Tony Blair"}
    assert _holder(ref, "Treasury Secretary", "USA", dt.date(2025, 7, 10)) == {"Scott Bessent"}


def test_curated_organizations(ref: dict[str, pl.DataFrame]) -> None:
    aliases = ref["actor_aliases"].join(ref["actors"], on="actor_id", suffix="_actor")
    motie = aliases.filter(pl.col("alias") == "MOTIE")
    assert motie.height == 1 and motie["country_iso3"][0] == "KOR" and motie["sector"][0] == "GOV"
    g7 = aliases.filter(pl.col("alias") == "Group of Seven")
    assert g7["sector"].to_list() == ["IGO"] and g7["country_iso3"][0] is None


def test_taxonomy(ref: dict[str, pl.DataFrame]) -> None:
    tax = ref["event_taxonomy"]
    assert set(tax["plover_type"].drop_nulls()) <= set(PLOVER_TYPES)
    row = tax.filter(pl.col("cameo_code") == "040")
    assert row["plover_type"][0] == "CONSULT" and row["quad_class"][0] == 1
    g = tax["goldstein"].drop_nulls()
    assert g.len() == tax.height and g.min() >= -10 and g.max() <= 10
    assert "Ò" not in tax.filter(pl.col("cameo_code") == "044")["cameo_label"][0]
    assert tax.filter(pl.col("cameo_code") == "190")["quad_class"][0] == 4


def test_plover_types(ref: dict[str, pl.DataFrame]) -> None:
    pt = ref["plover_event_types"]
    assert sorted(pt["event_type"]) == sorted(PLOVER_TYPES)
    assert pt.filter(pl.col("event_type") == "ASSAULT")["quad_class"][0] == 4
    assert "third-party" in pt.filter(pl.col("event_type") == "CONSULT")["modes"][0].split("|")


def test_agents(ref: dict[str, pl.DataFrame]) -> None:
    ag = ref["agents"]
    assert ag.filter((pl.col("term") == "foreign minister") & (pl.col("sector") == "GOV")).height == 1
    assert ag.filter(pl.col("term").str.contains("[!_]")).height == 0


def test_missing_file_raises(tmp_path: Path) -> None:
    (tmp_path / "reference").mkdir()
    with pytest.raises(ReferenceDataError, match=r"countries\.csv"):
        load_reference(tmp_path)


def test_bad_file_raises(tmp_path: Path) -> None:
    ref_dir = tmp_path / "reference"
    ref_dir.mkdir()
    for f in (REPO / "seeds" / "reference").glob("*.csv"):
        (ref_dir / f.name).write_bytes(f.read_bytes())
    (ref_dir / "event_taxonomy.csv").write_text("cameo_code,cameo_label\n01,x\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"event_taxonomy\.csv"):
        load_reference(tmp_path)
