"""transforms.parse: wire-service datelines opening the body (Reuters, AP, AFP, Xinhua, RCV1 style)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest

from dateline.pipeline.discover import DISCOVER_SCHEMA
from transforms.parse import parse_files

BODY = "The Senate voted on Friday to approve the budget plan after a long debate over spending."
SECOND = "Lawmakers will return to the capital next week to take up the spending bills."


def parse_one(name: str, content: str) -> dict[str, Any]:
    raw = content.encode("utf-8")
    files = pl.DataFrame(
        {
            "source_path": [f"/in/{name}"],
            "size_bytes": [len(raw)],
            "mtime": [datetime(2026, 1, 1, tzinfo=UTC)],
            "raw": [raw],
            "read_error": [None],
        },
        schema=DISCOVER_SCHEMA,
    )
    (u,) = parse_files(files).to_dicts()
    return u


# dateline as it opens the body -> (articles.dateline, outlet, (month, day), published_date)
WIRE = [
    ("LONDON 1996-12-06 -", "LONDON 1996-12-06", None, (12, 6), date(1996, 12, 6)),
    ("LONDON 1996-12-06", "LONDON 1996-12-06", None, (12, 6), date(1996, 12, 6)),  # own line, no dash
    (
        "FRANKFURT 1996-08-20 (Reuters) -",
        "FRANKFURT 1996-08-20 (Reuters)",
        "Reuters",
        (8, 20),
        date(1996, 8, 20),
    ),
    ("WASHINGTON (Reuters) -", "WASHINGTON (Reuters)", "Reuters", (None, None), None),
    ("NEW YORK (AP) —", "NEW YORK (AP)", "AP", (None, None), None),
    ("SPRINGFIELD, Ill. (AP) -", "SPRINGFIELD, Ill. (AP)", "AP", (None, None), None),
    ("PARIS, Dec 6 (AFP) -", "PARIS, Dec 6 (AFP)", "AFP", (12, 6), None),
    ("WASHINGTON, Dec. 6 (Reuters) --", "WASHINGTON, Dec. 6 (Reuters)", "Reuters", (12, 6), None),
    ("BEIJING, 6 December (Xinhua) -", "BEIJING, 6 December (Xinhua)", "Xinhua", (12, 6), None),
    ("SEOUL, July 10 (Yonhap) -", "SEOUL, July 10 (Yonhap)", "Yonhap", (7, 10), None),
    ("SPRINGFIELD, Ill., Dec. 6 -", "SPRINGFIELD, Ill., Dec. 6", None, (12, 6), None),
]


def check(
    u: dict[str, Any], dateline: str, outlet: str | None, month_day: tuple, published: date | None
) -> None:
    assert u["quarantine_reason"] is None
    assert u["dateline"] == dateline
    assert u["outlet"] == outlet
    assert (u["dateline_month"], u["dateline_day"]) == month_day
    assert u["published_date"] == published
    if published:
        assert (u["date_precision"], u["date_source"]) == ("day", "dateline")
    elif month_day != (None, None):
        assert u["date_source"] == "unknown: dateline gives month/day without year"
    else:  # a place and an agency, no date
        assert (u["date_precision"], u["date_source"]) == (
            None,
            "unknown: no date in metadata; the dateline gives none",
        )
    assert u["body"].startswith(BODY)  # the dateline is no longer in the body


@pytest.mark.parametrize(("opening", "dateline", "outlet", "month_day", "published"), WIRE)
def test_wire_dateline_opening_a_text_body(opening, dateline, outlet, month_day, published) -> None:
    sep = "\n" if opening == "LONDON 1996-12-06" else " "
    u = parse_one("story.txt", f"A headline\n\n{opening}{sep}{BODY}\n\n{SECOND}\n")
    check(u, dateline, outlet, month_day, published)
    assert u["body"] == f"{BODY}\n\n{SECOND}"


@pytest.mark.parametrize(("opening", "dateline", "outlet", "month_day", "published"), WIRE)
def test_wire_dateline_on_a_line_of_its_own(opening, dateline, outlet, month_day, published) -> None:
    u = parse_one("story.txt", f"A headline\n\n{opening}\n\n{BODY}\n")
    check(u, dateline, outlet, month_day, published)


@pytest.mark.parametrize(("opening", "dateline", "outlet", "month_day", "published"), WIRE)
def test_wire_dateline_opening_a_json_body(opening, dateline, outlet, month_day, published) -> None:
    sep = "\n" if opening == "LONDON 1996-12-06" else " "
    u = parse_one("story.json", json.dumps({"title": "A headline", "body": f"{opening}{sep}{BODY}"}))
    check(u, dateline, outlet, month_day, published)


def test_metadata_date_wins_over_the_dateline_date() -> None:
    record = {"title": "T", "body": f"LONDON 1996-12-06 - {BODY}", "published_at": "1996-12-07T08:00:00Z"}
    u = parse_one("story.json", json.dumps(record))
    assert (u["published_date"], u["date_source"]) == (date(1996, 12, 7), "metadata:published_at")
    assert (u["dateline"], u["dateline_month"], u["dateline_day"]) == ("LONDON 1996-12-06", 12, 6)


@pytest.mark.parametrize(
    ("given", "outlet", "published"),
    [
        ("LONDON 1996-12-06", None, date(1996, 12, 6)),
        ("WASHINGTON (Reuters)", "Reuters", None),
        ("PARIS, Dec 6, 2019 (AFP)", "AFP", date(2019, 12, 6)),
    ],
)
def test_dateline_given_as_a_json_field(given: str, outlet: str | None, published: date | None) -> None:
    u = parse_one("story.json", json.dumps({"title": "T", "body": BODY, "dateline": given}))
    assert (u["dateline"], u["outlet"], u["published_date"], u["body"]) == (given, outlet, published, BODY)


@pytest.mark.parametrize(
    "opening",
    [
        "US (and UK) officials - said on Friday that the talks had stalled.",  # lower-case "agency"
        "WASHINGTON (reuters) - The Senate voted.",  # lower-case agency: not recognised
        "Washington (Reuters) - The Senate voted.",  # the place must be upper-case
        "The UK (Britain) - a country of islands - voted.",
        "NATO (North Atlantic Treaty Organization) members met on Friday in Brussels.",
        "LONDON 1996-12-06 was a cold day - everyone said so.",
        "LONDON 1996-12-06 The pound rose.",  # an ISO dateline without a dash ends its line
        "BBC 2005-01-01 figures - released on Friday - show growth.",
        "Prices rose 3% in 1996-12 - the highest in years.",
        "US President George W Bush (pictured) - who won a second term - said.",
    ],
)
def test_ordinary_sentences_are_no_datelines(opening: str) -> None:
    for u in (
        parse_one("story.txt", f"A headline\n\n{opening} {BODY}\n"),
        parse_one("story.json", json.dumps({"title": "A headline", "body": f"{opening} {BODY}"})),
    ):
        assert u["dateline"] is None and u["outlet"] is None and u["dateline_month"] is None
        assert u["body"] == f"{opening} {BODY}"


def test_why_a_date_is_unknown_survives_extraction() -> None:
    """Articles with no month and day to complete keep parsing's reason (unparseable metadata, a
    dateline without a date); it used to be overwritten with 'no date in metadata or dateline'."""
    from transforms.dates import infer_publication_dates

    reasons = [
        "unknown: unparseable metadata:published_at",
        "unknown: no date in metadata; the dateline gives none",
    ]
    articles = pl.DataFrame(
        {
            "article_id": ["a", "b"],
            "body": [BODY, BODY],
            "published_date": [None, None],
            "date_precision": [None, None],
            "date_source": reasons,
            "dateline_month": [None, None],
            "dateline_day": [None, None],
        },
        schema_overrides={"published_date": pl.Date, "dateline_month": pl.Int8, "dateline_day": pl.Int8},
    )
    mentions = pl.DataFrame(schema={"article_id": pl.String, "actor_id": pl.String, "role_title": pl.String})
    roles = pl.DataFrame(
        schema={"actor_id": pl.String, "role_title": pl.String, "start_date": pl.Date, "end_date": pl.Date}
    )
    out = infer_publication_dates(articles, mentions, roles, today=date(2025, 7, 10))
    assert out.get_column("date_source").to_list() == reasons
    assert out.get_column("published_date").null_count() == 2
