"""One event, many reports: the grouping transform, called directly on hand-made report rows (the
checks and the warehouse: tests/integration/test_event_mentions.py).
"""

from __future__ import annotations

import hashlib
from datetime import date

import polars as pl
import pytest

from schemas.tables import EVENTS
from transforms.event_mentions import event_key_id, group_event_mentions

MEETING = "Kim Seong-ro met Marco Rubio in Washington on June 6."


def report(article_id: str, body: str, **over: object) -> dict:
    """One event report (as extract_events makes it) of the meeting in ``body``."""
    start = body.index("Kim Seong-ro")
    end = body.index("June 6.") + len("June 6")
    t_start = body.index("met", start)
    row = {
        "article_id": article_id,
        "sentence_idx": 0,
        "start_char": start,
        "end_char": end,
        "evidence_text": body[start:end],
        "trigger_text": "met",
        "trigger_start": t_start,
        "trigger_end": t_start + 3,
        "event_type": "CONSULT",
        "mode": "meeting",
        "context": None,
        "cameo_code": "040",
        "quad_class": 1,
        "goldstein": 1.0,
        "source_entity_id": "person:kim-seong-ro",
        "target_entity_id": "USA_RUBIO",
        "source_note": None,
        "target_note": None,
        "event_date": date(2025, 6, 6),
        "date_precision": "day",
        "date_source": "weekday/month-day 'June 6' resolved against the publication date",
        "polarity": "asserted",
        "status": "occurred",
        "event_count": 1,
    }
    row.update(over)
    key = f"{article_id}|{row['trigger_start']}|{row['trigger_end']}|{row['cameo_code']}"
    row["event_id"] = hashlib.sha256(key.encode()).hexdigest()[:16]
    return row


def reports_frame(rows: list[dict]) -> pl.DataFrame:
    schema = {
        k: v
        for k, v in EVENTS.polars_schema().items()
        if k not in ("run_id", "mention_count", "article_count")
    }
    return pl.DataFrame(rows, schema=schema)


def test_two_articles_same_meeting_one_event() -> None:
    a, b = "a" * 16, "b" * 16
    body = f"Officials said. {MEETING}"
    reports = reports_frame([report(b, body), report(a, MEETING, event_count=2)])
    articles = pl.DataFrame(
        {"article_id": [a, b], "published_date": [date(2025, 6, 8), date(2025, 6, 7)]},
    )
    events, mentions = group_event_mentions(reports, articles)
    assert events.height == 1 and mentions.height == 2
    ev = events.row(0, named=True)
    assert (ev["mention_count"], ev["article_count"]) == (2, 2)
    assert ev["event_id"] == event_key_id(
        "CONSULT", "040", "person:kim-seong-ro", "USA_RUBIO", "2025-06-06", "asserted", "occurred"
    )
    # the representative is the earliest article (b, published June 7), with its offsets
    assert ev["article_id"] == b and ev["start_char"] == body.index("Kim") and ev["event_count"] == 1
    assert set(mentions["event_id"]) == {ev["event_id"]}
    assert set(mentions["mention_id"]) == set(reports["event_id"])  # the per-article ids
    assert mentions.filter(pl.col("article_id") == a)["event_count"].to_list() == [2]  # as told there
    assert events.columns == [c for c in EVENTS.column_names if c != "run_id"]
    # deterministic: same input, same output, in any order
    again, again_m = group_event_mentions(reports.reverse(), articles)
    assert again.equals(events) and again_m.sort("mention_id").equals(mentions.sort("mention_id"))


@pytest.mark.parametrize(
    "other",
    [
        {"event_date": None, "date_precision": None},  # date unknown in one article
        {"event_date": date(2025, 6, 1), "date_precision": "month"},  # "in June": not a day
        {"target_entity_id": None, "target_note": "unknown: no actor found for the target"},
        {"polarity": "negated"},  # "failed to meet"
        {"status": "planned"},
        {"event_date": date(2025, 6, 7)},  # another day
    ],
)
def test_not_known_to_be_the_same_stays_apart(other: dict) -> None:
    a, b = "a" * 16, "b" * 16
    reports = reports_frame([report(a, MEETING), report(b, MEETING, **other)])
    events, mentions = group_event_mentions(reports, pl.DataFrame({"article_id": [a, b]}))
    assert events.height == 2 and mentions.height == 2
    assert events["mention_count"].to_list() == [1, 1] and events["article_count"].to_list() == [1, 1]
    # a report not known well enough to merge is its own event, with its report's id
    known = (
        all(other.get(c, "set") is not None for c in ("event_date", "target_entity_id"))
        and other.get("date_precision", "day") == "day"
    )
    told = mentions.filter(pl.col("article_id") == b).row(0, named=True)
    assert (told["event_id"] == told["mention_id"]) is not known


def test_same_event_twice_in_one_article() -> None:
    a = "a" * 16
    body = f"{MEETING} Later: {MEETING}"
    second = report(a, body, start_char=body.rindex("Kim"), trigger_start=body.rindex("met"))
    second["end_char"] = second["start_char"] + len(MEETING) - 1
    second["evidence_text"] = body[second["start_char"] : second["end_char"]]
    second["trigger_end"] = second["trigger_start"] + 3
    second["event_id"] = "second-report"
    events, _ = group_event_mentions(reports_frame([report(a, body), second]), None)
    assert events.select("mention_count", "article_count").row(0) == (2, 1)
    assert events["start_char"][0] == 0  # the first report in the article
