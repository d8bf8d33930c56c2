"""Date expressions resolved against the publication date (transforms.dates): the side of the
publication a weekday or a month/day without a year lies on, and expressions that point ahead."""

from __future__ import annotations

from datetime import date

import pytest

from transforms.dates import DateExpr, date_direction, find_dates, points_ahead, resolve_date

MONDAY = date(2025, 3, 3)
WEDNESDAY = date(2025, 3, 5)
JULY_10 = date(2025, 7, 10)


def only_date(text: str) -> DateExpr:
    """The one date expression of ``text``."""
    found = find_dates(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "pub", "direction", "expected"),
    [
        # past: the publication day itself or the six days before it, never a week early
        ("on Monday", MONDAY, "past", date(2025, 3, 3)),
        ("on Wednesday", WEDNESDAY, "past", date(2025, 3, 5)),
        ("this Monday", MONDAY, "past", date(2025, 3, 3)),
        ("on Monday", WEDNESDAY, "past", date(2025, 3, 3)),
        ("on Thursday", WEDNESDAY, "past", date(2025, 2, 27)),
        # ahead: the coming seven days; the publication's own weekday is a week later
        ("on Friday", WEDNESDAY, "ahead", date(2025, 3, 7)),
        ("on Monday", MONDAY, "ahead", date(2025, 3, 10)),
        # "last" and "next" never mean the publication day, whatever the tense
        ("last Monday", MONDAY, "past", date(2025, 2, 24)),
        ("next Monday", MONDAY, "past", date(2025, 3, 10)),
        ("last Friday", WEDNESDAY, "ahead", date(2025, 2, 28)),
        # nearest: the closer of the two
        ("on Friday", WEDNESDAY, "nearest", date(2025, 3, 7)),
        ("on Monday", WEDNESDAY, "nearest", date(2025, 3, 3)),
    ],
)
def test_a_weekday_lies_on_its_side_of_the_publication(
    text: str, pub: date, direction: str, expected: date
) -> None:
    d, precision, source = resolve_date(only_date(text), pub, direction)  # type: ignore[arg-type]
    assert (d, precision) == (expected, "day"), source


def test_a_bare_weekday_is_a_date_and_a_named_day_is_not() -> None:
    found = only_date("Iwaya met Cho Monday in Tokyo.")
    assert (found.kind, found.rel) == ("wd", "monday")
    assert resolve_date(found, WEDNESDAY, "past")[0] == date(2025, 3, 3)
    for text in (
        "The Sunday Times reported it.",
        "Black Friday sales were strong.",
        "He spoke on Good Friday.",
        "the anniversary of Bloody Sunday",
        "the Mail on Sunday reported",
        "open Monday-Friday",
        "Mondays are quiet.",
    ):
        assert find_dates(text) == [], text


@pytest.mark.parametrize(
    ("text", "direction", "expected"),
    [
        ("August 1", "ahead", date(2025, 8, 1)),  # "the tariff comes into effect on August 1"
        ("August 1", "past", date(2024, 8, 1)),  # "they met on August 1"
        ("August 1", "nearest", date(2025, 8, 1)),  # "from August 1"
        ("March 3", "past", date(2025, 3, 3)),
        ("March 3", "ahead", date(2026, 3, 3)),  # "will take effect on March 3"
        ("March 3", "nearest", date(2025, 3, 3)),  # "from March 3 to March 5"
        ("July 12", "past", date(2025, 7, 12)),  # a few days after: still this year's
        ("July 8", "ahead", date(2025, 7, 8)),  # a few days before: still this year's
        ("December 20", "nearest", date(2025, 12, 20)),
        ("January 5", "nearest", date(2026, 1, 5)),  # 179 days ahead, 186 back
    ],
)
def test_a_month_and_day_without_a_year_lies_on_its_side(text: str, direction: str, expected: date) -> None:
    d, precision, source = resolve_date(only_date(f"on {text}"), JULY_10, direction)  # type: ignore[arg-type]
    assert (d, precision) == (expected, "day"), source


def test_a_boolean_future_is_ahead_or_past() -> None:
    expr = only_date("on August 1")
    assert resolve_date(expr, JULY_10, True)[0] == resolve_date(expr, JULY_10, "ahead")[0] == date(2025, 8, 1)
    assert resolve_date(expr, JULY_10, False)[0] == resolve_date(expr, JULY_10, "past")[0] == date(2024, 8, 1)


def test_a_day_that_no_nearby_year_has_is_unknown() -> None:
    # 2025 and 2026 have no February 29: the past one is 2024's
    d, precision, _ = resolve_date(only_date("on February 29"), JULY_10, "past")
    assert (d, precision) == (date(2024, 2, 29), "day")
    d, precision, source = resolve_date(only_date("on February 30"), JULY_10, "ahead")
    assert (d, precision, source) == (None, None, "unknown: invalid calendar date")


@pytest.mark.parametrize(
    ("text", "ahead", "expected", "precision"),
    [
        ("a summit later this year", True, date(2025, 1, 1), "year"),
        ("talks later this month", True, date(2025, 7, 1), "month"),
        ("they met earlier this year", False, date(2025, 1, 1), "year"),
        ("they will meet next week", True, date(2025, 7, 14), "week"),  # its Monday
        ("they will meet tomorrow", True, date(2025, 7, 11), "day"),
        ("they will meet next Friday", True, date(2025, 7, 11), "day"),
        ("they met this year", False, date(2025, 1, 1), "year"),
        ("they met last week", False, date(2025, 6, 30), "week"),
        ("they met this week", False, date(2025, 7, 7), "week"),
    ],
)
def test_expressions_that_point_ahead_by_themselves(
    text: str, ahead: bool, expected: date, precision: str
) -> None:
    expr = only_date(text)
    assert points_ahead(expr) is ahead
    d, prec, _ = resolve_date(expr, JULY_10, "past")
    assert (d, prec) == (expected, precision)


@pytest.mark.parametrize(
    ("before", "past_tense", "future", "settled", "expected"),
    [
        ("Iwaya met Cho in Tokyo on ", True, False, False, "past"),
        ("Iwaya and Cho will meet again on ", False, True, False, "ahead"),
        ("the tariff comes into effect on ", False, False, False, "ahead"),
        ("the US imposed a tariff that takes effect ", True, False, False, "ahead"),
        ("the tariff is due on ", False, False, False, "ahead"),
        ("the US imposed a tariff from ", True, False, False, "nearest"),
        ("the US will impose a tariff from ", False, True, False, "ahead"),
        ("the summit, which was scheduled for ", False, True, False, "nearest"),
        ("the summit, set for ", False, False, True, "nearest"),
        ("the summit on ", False, False, False, "past"),
        # the verb's tense outweighs a future word elsewhere in the clause
        ("Iwaya met Cho ahead of the summit that will follow, on ", True, True, False, "past"),
    ],
)
def test_the_side_of_a_date_from_its_clause(
    before: str, past_tense: bool, future: bool, settled: bool, expected: str
) -> None:
    assert date_direction(before, past_tense=past_tense, future=future, settled=settled) == expected
