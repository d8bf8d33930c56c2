"""Event dates and status relative to the publication date, through the extraction stage
(transforms.extract.extract on a one-article frame, as dateline/evaluation/events.py runs it):
news says "on Monday" of the past week, of the coming week for what is ahead, and "August 1"
of the coming August 1 when the text speaks of it as ahead."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest

from transforms.extract import extract
from transforms.gazetteer import Gazetteer, build_gazetteer

MONDAY = date(2025, 3, 3)
WEDNESDAY = date(2025, 3, 5)
JULY_10 = date(2025, 7, 10)  # a Thursday

_GAZETTEERS: dict[int, Gazetteer] = {}


def events_of(reference: dict[str, pl.DataFrame], text: str, published: date) -> list[dict[str, Any]]:
    """The events of ``text`` as one article published on ``published`` (rules only)."""
    articles = pl.DataFrame(
        {"article_id": ["t"], "body": [text], "published_date": [published]},
        schema={"article_id": pl.String, "body": pl.String, "published_date": pl.Date},
    ).with_columns(
        pl.lit(None, dtype=pl.String).alias("date_precision"),
        pl.lit(None, dtype=pl.String).alias("date_source"),
    )
    if id(reference) not in _GAZETTEERS:
        _GAZETTEERS[id(reference)] = build_gazetteer(reference)
    out = extract(articles, reference, today=date(2025, 12, 31), gazetteer=_GAZETTEERS[id(reference)])
    return list(out["events"].sort("trigger_start").iter_rows(named=True))


def event(reference: dict[str, pl.DataFrame], text: str, published: date, trigger: str) -> dict[str, Any]:
    """The one event of ``text`` whose trigger text starts with ``trigger``."""
    found = [e for e in events_of(reference, text, published) if e["trigger_text"].startswith(trigger)]
    assert len(found) == 1, [(e["trigger_text"], e["event_date"]) for e in found]
    return found[0]


IWAYA = "Japanese Foreign Minister Iwaya"
CHO = "Cho Tae-yul"


@pytest.mark.parametrize(
    ("text", "published", "trigger", "expected", "status"),
    [
        # published that Monday: the day itself, not a week early
        (f"{IWAYA} met {CHO} in Tokyo on Monday.", MONDAY, "met", date(2025, 3, 3), "occurred"),
        (f"{IWAYA} met {CHO} in Tokyo on Monday.", WEDNESDAY, "met", date(2025, 3, 3), "occurred"),
        (f"{IWAYA} met {CHO} in Tokyo on Wednesday.", WEDNESDAY, "met", date(2025, 3, 5), "occurred"),
        (f"{IWAYA} met {CHO} in Tokyo on Thursday.", WEDNESDAY, "met", date(2025, 2, 27), "occurred"),
        # wire style, without "on"
        (f"{IWAYA} met {CHO} Monday in Tokyo.", WEDNESDAY, "met", date(2025, 3, 3), "occurred"),
        # ahead: the coming days; the publication's own weekday is the following one
        (f"{IWAYA} and {CHO} will meet again on Friday.", WEDNESDAY, "meet", date(2025, 3, 7), "planned"),
        (f"{IWAYA} and {CHO} will meet again Friday.", WEDNESDAY, "meet", date(2025, 3, 7), "planned"),
        (f"{IWAYA} will meet {CHO} on Monday.", MONDAY, "meet", date(2025, 3, 10), "planned"),
        # past tense stays past, whatever future word the clause has
        (
            f"{IWAYA} met {CHO} in Tokyo on Monday ahead of next week's summit.",
            MONDAY,
            "met",
            date(2025, 3, 3),
            "occurred",
        ),
    ],
)
def test_a_weekday_dates_an_event_on_the_side_its_tense_says(
    reference: dict[str, pl.DataFrame], text: str, published: date, trigger: str, expected: date, status: str
) -> None:
    e = event(reference, text, published, trigger)
    assert (e["event_date"], e["date_precision"], e["status"]) == (expected, "day", status), e["date_source"]


def test_a_second_meeting_announced_in_the_next_sentence_is_extracted_and_dated(
    reference: dict[str, pl.DataFrame],
) -> None:
    text = (
        f"{IWAYA} met South Korean Foreign Minister {CHO} in Tokyo on Monday. "
        "Iwaya will meet Cho again on Friday in Seoul."
    )
    found = events_of(reference, text, WEDNESDAY)
    dated = {(e["trigger_text"], e["event_date"], e["status"]) for e in found}
    assert ("met", date(2025, 3, 3), "occurred") in dated
    assert ("meet", date(2025, 3, 7), "planned") in dated
    # the place of the meeting is no participant in it
    assert all(e["target_entity_id"] != "KOR" for e in found)


@pytest.mark.parametrize(
    ("text", "trigger", "expected", "status"),
    [
        # the seed article's sentence: ahead
        (
            "South Korea is trying to reverse the situation before the US tariff comes into effect on August 1.",
            "tariff",
            date(2025, 8, 1),
            "planned",
        ),
        # "from August 1" names when it starts: the nearer August 1, here the coming one
        (
            "The United States imposed a 25% tariff on Japan from August 1.",
            "tariff",
            date(2025, 8, 1),
            "planned",
        ),
        (
            "Trump said a 25% tariff on Japan would apply from August 1.",
            "tariff",
            date(2025, 8, 1),
            "planned",
        ),
        # future tense: the coming one, even when this year's has passed
        ("The United States will impose tariffs on Japan on March 1.", "impose", date(2026, 3, 1), "planned"),
        # past tense: the last one
        ("Japan met South Korea on March 3.", "met", date(2025, 3, 3), "occurred"),
        ("Japan met South Korea on August 1.", "met", date(2024, 8, 1), "occurred"),
        ("The United States imposed tariffs on Japan on March 1.", "imposed", date(2025, 3, 1), "occurred"),
    ],
)
def test_a_month_and_day_dates_an_event_on_the_side_the_text_speaks_of(
    reference: dict[str, pl.DataFrame], text: str, trigger: str, expected: date, status: str
) -> None:
    e = event(reference, text, JULY_10, trigger)
    assert (e["event_date"], e["date_precision"], e["status"]) == (expected, "day", status), e["date_source"]


def test_a_summit_later_this_year_is_planned_and_dated_to_the_year_only(
    reference: dict[str, pl.DataFrame],
) -> None:
    text = "Japan and South Korea agreed to hold a summit later this year."
    summit = event(reference, text, JULY_10, "summit")
    assert (summit["event_date"], summit["date_precision"], summit["status"]) == (
        date(2025, 1, 1),
        "year",
        "planned",
    )
    # the agreement happened: "agreed" is past, and the summit's date is not its date
    agreed = event(reference, text, JULY_10, "agreed")
    assert (agreed["event_date"], agreed["status"]) == (None, "occurred")
    assert "lies ahead" in agreed["date_source"]


def test_a_past_agreement_about_next_week_stays_past(reference: dict[str, pl.DataFrame]) -> None:
    text = "Japan and South Korea agreed to hold a summit next week."
    agreed = event(reference, text, JULY_10, "agreed")
    assert (agreed["event_date"], agreed["status"]) == (None, "occurred")
    summit = event(reference, text, JULY_10, "summit")
    assert (summit["event_date"], summit["date_precision"], summit["status"]) == (
        date(2025, 7, 14),
        "week",
        "planned",
    )


@pytest.mark.parametrize(
    ("text", "published", "past_verb", "nominal", "expected"),
    [
        # the date after "ahead of" is the summit's, which is ahead; the meeting happened
        (
            f"{IWAYA} met {CHO} in Tokyo ahead of Friday's summit.",
            WEDNESDAY,
            "met",
            "summit",
            date(2025, 3, 7),
        ),
        # the tariff starts on August 1; imposing it happened before the publication
        (
            "The United States imposed a 25% tariff on Japan from August 1.",
            JULY_10,
            "imposed",
            "tariff",
            date(2025, 8, 1),
        ),
    ],
)
def test_a_past_tense_event_is_never_dated_after_the_publication(
    reference: dict[str, pl.DataFrame],
    text: str,
    published: date,
    past_verb: str,
    nominal: str,
    expected: date,
) -> None:
    past = event(reference, text, published, past_verb)
    assert (past["event_date"], past["status"]) == (None, "occurred")
    assert past["date_source"].startswith("unknown:") and "lies ahead" in past["date_source"]
    ahead = event(reference, text, published, nominal)
    assert (ahead["event_date"], ahead["status"]) == (expected, "planned"), ahead["date_source"]


def test_is_to_speaks_of_what_lies_ahead(reference: dict[str, pl.DataFrame]) -> None:
    """British news says "X is to meet Y" for a planned meeting."""
    talks = event(reference, "Japan is to hold talks with South Korea.", JULY_10, "talks")
    assert talks["status"] == "planned"
