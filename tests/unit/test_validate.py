"""Data-quality suites: the severities of schemas/checks.toml, and the hand-made batches and
reference data the checks are tested on (here and in tests/integration/test_validate.py).
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from schemas.expectations import ChecksConfigError, build_suites
from schemas.tables import FACT_TABLES
from transforms.event_mentions import group_event_mentions

TODAY = date(2025, 6, 1)
WORDS = ["Seoul", "said", "Pyongyang", "threatened", "talks", "on", "Monday", "and", "the", "envoy"]


def make_batch(
    n_articles: int = 3,
    sentences_per: int = 3,
    mentions_per: int = 4,
    events_per: int = 2,
    quantities_per: int = 1,
    prefix: str = "in/",
    salt: str = "",
) -> dict[str, pl.DataFrame]:
    """A consistent batch: every span is a real slice of its article body.

    Each event report has its own date (the n-th report of a batch: 2023-01-01 + n days), so
    every report is its own event -- except that the same article number of another batch (a
    changed file, another prefix) reports the same events.
    """
    articles, files, sentences, mentions, events, quantities = [], [], [], [], [], []
    entity_ids = ["e_kor", "e_prk", "e_usa"]
    entities = [
        {"entity_id": "e_kor", "canonical_name": "South Korea", "entity_type": "GPE", "country_iso3": "KOR"},
        {"entity_id": "e_prk", "canonical_name": "North Korea", "entity_type": "GPE", "country_iso3": "PRK"},
        {"entity_id": "e_usa", "canonical_name": "Joe Biden", "entity_type": "PERSON", "country_iso3": None},
    ]
    for a in range(n_articles):
        sents = []
        for s in range(sentences_per):
            words = [WORDS[(a + s + k) % len(WORDS)] for k in range(8)]
            sents.append(" ".join(words).capitalize() + f" {a}-{s}.")
        body = " ".join(sents)
        sha = hashlib.sha256(f"{salt}{a}{body}".encode()).hexdigest()
        aid = sha[:16]
        path = f"{prefix}{a:05d}.txt"
        articles.append(
            {
                "article_id": aid,
                "content_sha256": sha,
                "source_path": path,
                "format": "text",
                "encoding": "utf-8",
                "size_bytes": len(body.encode()),
                "title": f"Title {a}",
                "body": body,
                "published_date": date(2024, 1, 1 + a % 28),
                "date_precision": "day",
            }
        )
        files.append(
            {"source_path": path, "content_sha256": sha, "size_bytes": len(body), "outcome": "article"}
        )
        pos = 0
        for s, text in enumerate(sents):
            start = body.index(text, pos)
            end = start + len(text)
            pos = end
            sentences.append(
                {"article_id": aid, "sentence_idx": s, "start_char": start, "end_char": end, "text": text}
            )
            word_starts = [start] + [start + i + 1 for i, ch in enumerate(text) if ch == " "]
            for m in range(mentions_per // sentences_per + (1 if s < mentions_per % sentences_per else 0)):
                ws = word_starts[m % len(word_starts)]
                we = body.index(" ", ws) if " " in body[ws:end] else end
                mentions.append(
                    {
                        "mention_id": f"{aid}-m{s}-{m}",
                        "article_id": aid,
                        "sentence_idx": s,
                        "start_char": ws,
                        "end_char": we,
                        "mention_text": body[ws:we],
                        "entity_id": entity_ids[(a + s + m) % 3],
                    }
                )
            for e in range(events_per // sentences_per + (1 if s < events_per % sentences_per else 0)):
                events.append(
                    {
                        "event_id": f"{aid}-v{s}-{e}",
                        "article_id": aid,
                        "sentence_idx": s,
                        "start_char": start,
                        "end_char": end,
                        "evidence_text": text,
                        "trigger_text": "threatened",
                        "event_type": "THREATEN",
                        "cameo_code": "138",
                        "quad_class": 4,
                        "goldstein": -7.0,
                        "source_entity_id": "e_prk",
                        "target_entity_id": "e_kor",
                        "event_date": date(2023, 1, 1) + timedelta(days=len(events)),
                        "date_precision": "day",
                        "polarity": "asserted",
                        "status": "occurred",
                        "event_count": 1,
                    }
                )
            for q in range(
                quantities_per // sentences_per + (1 if s < quantities_per % sentences_per else 0)
            ):
                quantities.append(
                    {
                        "quantity_id": f"{aid}-q{s}-{q}",
                        "article_id": aid,
                        "sentence_idx": s,
                        "start_char": end - 2,
                        "end_char": end - 1,
                        "quantity_text": body[end - 2 : end - 1],
                        "value": 1.0,
                        "unit": "count",
                    }
                )

    def frame(table: str, rows: list[dict]) -> pl.DataFrame:
        t = {x.name: x for x in FACT_TABLES}[table]
        schema = {k: v for k, v in t.polars_schema().items() if k not in ("run_id", "first_run_id")}
        return pl.DataFrame(rows, schema=schema)

    article_frame = frame("articles", articles)
    event_frame, event_mentions = group_event_mentions(frame("events", events), article_frame)
    return {
        "articles": article_frame,
        "files": frame("files", files),
        "sentences": frame("sentences", sentences),
        "entities": frame("entities", entities),
        "entity_mentions": frame("entity_mentions", mentions),
        "events": event_frame,
        "event_mentions": event_mentions,
        "quantities": frame("quantities", quantities),
        "duplicates": frame("duplicates", []),
        "quarantine": frame("quarantine", []),
    }


def make_reference() -> dict[str, pl.DataFrame]:
    return {
        "countries": pl.DataFrame({"iso3": ["KOR", "PRK", "USA"]}),
        "event_taxonomy": pl.DataFrame({"cameo_code": ["010", "138", "190"]}),
    }


def test_checks_toml_unknown_name_is_an_error(tmp_path: Path) -> None:
    cfg = tmp_path / "checks.toml"
    base = (
        '[defaults]\nkey = "critical"\nnot_null = "critical"\nvalue_set = "critical"\n'
        'foreign_key = "critical"\noffset = "critical"\nplausibility = "warning"\n'
    )
    cfg.write_text(base + '[events]\nevent_date_not_after_publishd = "warning"\n')
    with pytest.raises(ChecksConfigError, match="event_date_not_after_published"):
        build_suites(checks_path=cfg)
    cfg.write_text(base + '[evnts]\nx = "warning"\n')
    with pytest.raises(ChecksConfigError, match="unknown table 'evnts'"):
        build_suites(checks_path=cfg)
    cfg.write_text(base + '[events]\nsource_differs_from_target = "fatal"\n')
    with pytest.raises(ChecksConfigError, match="severity must be one of"):
        build_suites(checks_path=cfg)
    cfg.write_text(base + '[events]\nsource_differs_from_target = "critical"\n')
    suites = build_suites(checks_path=cfg)
    assert {s.check_name: s.severity for s in suites["events"]}["source_differs_from_target"] == "critical"
