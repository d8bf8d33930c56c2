"""Places keep their level: a city or region named as a place is its own LOC entity with its
country; a capital used as an actor stands for its government."""

from __future__ import annotations

import polars as pl
import pytest

from seeds.build_reference import build_places
from transforms.entities import detect_mentions
from transforms.gazetteer import build_gazetteer


@pytest.fixture(scope="module")
def gaz(reference: dict[str, pl.DataFrame]):
    return build_gazetteer(reference)


def mentions(gaz, text: str) -> dict[str, tuple[str, str | None, str]]:
    arts = pl.DataFrame({"article_id": ["a"], "body": [text], "outlet": [None]})
    return {m.text: (m.entity_type, m.country, m.resolution) for m in detect_mentions(arts, gaz)}


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("EU leaders met in Lisbon on Friday.", "Lisbon", ("LOC", "PRT", "capital-as-place")),
        ("The minister flew back to Tokyo.", "Tokyo", ("LOC", "JPN", "capital-as-place")),
        ("A London-based bank said so.", "London", ("LOC", "GBR", "capital-as-place")),
        ("The talks in Geneva failed.", "Geneva", ("LOC", "CHE", "city-as-place")),
        ("Scotland voted on Thursday.", "Scotland", ("LOC", "GBR", "region-as-place")),
        ("Washington said it would respond.", "Washington", ("GPE", "USA", "capital")),
        ("Beijing criticized the move.", "Beijing", ("GPE", "CHN", "capital")),
    ],
)
def test_place_or_government(gaz, text: str, name: str, expected: tuple) -> None:
    assert mentions(gaz, text)[name] == expected


def test_a_place_in_a_title_gives_the_person_its_country(gaz) -> None:
    found = mentions(gaz, "Texas Governor Rick Perry spoke.")
    assert found["Texas"][:2] == ("LOC", "USA")
    assert found["Rick Perry"][:2] == ("PERSON", "USA")


def test_build_places_keeps_a_dominant_city_and_drops_ambiguous_names() -> None:
    def city(name: str, cc: str, pop: int, gid: int) -> dict:
        return {"name": name, "countrycode": cc, "population": pop, "geonameid": gid}

    cities = [
        city("Reading", "GB", 318_000, 1),
        city("Reading", "US", 88_000, 2),  # 3.6x smaller: Reading is the English town
        city("Springfield", "US", 169_000, 3),
        city("Springfield", "US", 155_000, 4),  # no dominant city: left out
        city("Smalltown", "FR", 20_000, 5),  # under 100,000 people
        city("Victoria", "CA", 289_000, 6),  # a region of Australia only: left out
        city("Manchester", "GB", 569_000, 7),  # also a parish of Jamaica, and England's region
        city("Mexico", "PH", 170_000, 8),  # a country's name: the actor's alone
    ]
    aliases = [{"alias": "Mexico", "alias_kind": "name"}]
    regions = {"Victoria": {"AUS"}, "Manchester": {"JAM", "GBR"}, "Kent": {"GBR"}, "Punjab": {"IND", "PAK"}}
    rows = {(r["name"], r["country_iso3"], r["kind"]) for r in build_places(cities, aliases, regions)}
    assert rows == {("Reading", "GBR", "city"), ("Manchester", "GBR", "city"), ("Kent", "GBR", "region")}


def test_compass_words_are_no_region() -> None:
    # Cameroon's regions "South" and "Far North" would make every "South Yorkshire" a place in Cameroon
    rows = build_places([], [], {"South": {"CMR"}, "Far North": {"CMR"}, "Adamaoua": {"CMR"}})
    assert [r["name"] for r in rows] == ["Adamaoua"]
