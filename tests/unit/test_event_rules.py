"""General event-coding rules, each checked on a short sentence through the extraction stage."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest

from dateline.evaluation.events import main_event
from transforms.extract import extract
from transforms.gazetteer import Gazetteer, build_gazetteer

_GAZETTEERS: dict[int, Gazetteer] = {}


def coded(reference: dict[str, pl.DataFrame], text: str) -> list[dict[str, Any]]:
    """The events of ``text`` as one article (rules only, no NER model), in text order."""
    articles = pl.DataFrame(
        {"article_id": ["t"], "body": [text], "published_date": [date(2021, 3, 4)]},
        schema={"article_id": pl.String, "body": pl.String, "published_date": pl.Date},
    ).with_columns(
        pl.lit(None, dtype=pl.String).alias("date_precision"),
        pl.lit(None, dtype=pl.String).alias("date_source"),
    )
    if id(reference) not in _GAZETTEERS:
        _GAZETTEERS[id(reference)] = build_gazetteer(reference)
    gaz = _GAZETTEERS[id(reference)]
    out = extract(articles, reference, today=date(2021, 3, 4), gazetteer=gaz)
    return list(out["events"].sort("trigger_start").iter_rows(named=True))


def main_type(reference: dict[str, pl.DataFrame], text: str) -> str | None:
    ev = main_event(coded(reference, text), text)
    return ev["event_type"] if ev else None


def test_main_event_stays_in_the_main_clause_without_a_source() -> None:
    # the main clause's event has no known actor; the subordinate clause's event has one
    text = "Local residents threatened to strike unless Israel rescinded the order."
    events = [
        {"trigger_start": 16, "source_entity_id": None, "event_type": "THREATEN"},
        {"trigger_start": 51, "source_entity_id": "ISR", "event_type": "SANCTION"},
    ]
    assert main_event(events, text)["event_type"] == "THREATEN"


@pytest.mark.parametrize(
    "text",
    [
        "France demanded support from Germany in the dispute.",
        "France demanded parties to the conflict to allow aid workers in.",
    ],
)
def test_demanded_is_a_request_whatever_follows(reference: dict, text: str) -> None:
    assert main_type(reference, text) == "REQUEST"


def test_demands_as_a_noun_is_not_a_request(reference: dict) -> None:
    assert "REQUEST" not in {e["event_type"] for e in coded(reference, "France rejected Iran's demands.")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rebels vowed to attack the capital of Chad.", "THREATEN"),
        ("Militants in Syria have sworn to fight until the end.", "THREATEN"),
        ("Japan vowed to cooperate with South Korea on energy.", "AGREE"),
    ],
)
def test_a_vow_is_a_commitment_or_with_violence_a_threat(reference: dict, text: str, expected: str) -> None:
    assert main_type(reference, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Italy announced a suspension of air links with Serbia.",
        "Canada severed diplomatic ties with Iran on Friday.",
        "The United Nations reduced food supplies to Cambodia.",
        "Germany suspended development aid to Niger.",
    ],
)
def test_breaking_ties_and_cutting_aid_are_sanctions(reference: dict, text: str) -> None:
    assert main_type(reference, text) == "SANCTION"


@pytest.mark.parametrize(
    "text",
    [
        "The United States speeded up the withdrawal of invasion forces from Panama.",
        "Russia withdrew its troops from Georgia on Monday.",
        "The Peruvian president resigned on Tuesday.",
        "Rebels in Uganda surrendered last week.",
    ],
)
def test_withdrawing_forces_resigning_and_surrendering_are_retreats(reference: dict, text: str) -> None:
    assert main_type(reference, text) == "RETREAT"


def test_resigning_has_the_resign_mode(reference: dict) -> None:
    ev = main_event(coded(reference, "The Peruvian president resigned on Tuesday."), "")
    assert ev is not None and ev["mode"] == "resign"


def test_accepting_a_proposal_is_agreeing(reference: dict) -> None:
    assert main_type(reference, "Denmark accepted a formula for ending its dispute with Norway.") == "AGREE"
    assert main_type(reference, "Iraq accepted the peace plan of Egypt.") == "AGREE"
    # accepting something else is still yielding
    assert main_type(reference, "Denmark accepted responsibility for the collision with Norway.") == "CONCEDE"


@pytest.mark.parametrize(
    "text",
    [
        "Britain said France should investigate the deal.",  # a hand trigger that is also a noun ("investigation")
        "Britain said France must impose tariffs on China.",
    ],
)
def test_an_action_someone_says_another_should_take_is_their_demand(reference: dict, text: str) -> None:
    events = coded(reference, text)
    assert [e["event_type"] for e in events] == ["REQUEST"]
