"""Score the event coder against the silver BBC labels (seeds/silver, made by dateline.evaluation.silver).

Every labelled file goes through the same extraction as an article (``transforms.extract.extract``: the whole
article, so that entities and context are found as in a run), its headline as the title and the rest as the body.
Then the predicted events whose trigger lies in a labelled sentence are compared with that sentence's labels:

* ``typed``: events matched by type within a sentence (a multiset: two gold ACCUSE and one predicted ACCUSE match
  once). ``precision`` = matched / predicted events in labelled sentences, ``recall`` = matched / gold events.
* ``detection``: per sentence, "holds an event" predicted vs labelled (precision, recall).
* ``per_section``: predicted and gold events per section, and precision, so that sport and entertainment, where a
  good coder finds almost nothing, are visible on their own.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from transforms.extract import extract


@dataclass(frozen=True)
class LabelledSentence:
    file: str
    start: int  # offsets into the file's text
    end: int
    gold: tuple[str, ...]  # event types


def read_labels(path: Path) -> list[LabelledSentence]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [
        LabelledSentence(r["file"], r["start"], r["end"], tuple(e["type"] for e in r["events"])) for r in rows
    ]


def articles_of(bbc: Path, files: list[str]) -> tuple[pl.DataFrame, dict[str, int]]:
    """The labelled files as articles (id = file name, body = the text after the headline line) and each
    body's offset in its file."""
    rows, body_offset = [], {}
    for name in files:
        text = (bbc / name).read_text(encoding="utf-8", errors="replace")
        headline, _, body = text.partition("\n")
        body_offset[name] = len(headline) + 1
        rows.append({"article_id": name, "title": headline.strip(), "body": body, "published_date": None})
    schema = {"article_id": pl.String, "title": pl.String, "body": pl.String, "published_date": pl.Date}
    articles = pl.DataFrame(rows, schema=schema).with_columns(
        pl.lit(None, dtype=pl.String).alias("date_precision"),
        pl.lit(None, dtype=pl.String).alias("date_source"),
    )
    return articles, body_offset


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def score(labels: list[LabelledSentence], predicted: dict[tuple[str, int], list[str]]) -> dict[str, Any]:
    """Scores from the labels and the predicted event types per labelled sentence (keyed by file, start)."""
    matched = n_pred = n_gold = 0
    det = Counter[str]()
    sections: dict[str, Counter[str]] = {}
    for sentence in labels:
        pred = predicted.get((sentence.file, sentence.start), [])
        hits = sum((Counter(pred) & Counter(sentence.gold)).values())
        matched, n_pred, n_gold = matched + hits, n_pred + len(pred), n_gold + len(sentence.gold)
        det["pred"] += bool(pred)
        det["gold"] += bool(sentence.gold)
        det["both"] += bool(pred) and bool(sentence.gold)
        section = sections.setdefault(sentence.file.split("/")[0], Counter())
        section.update(sentences=1, predicted=len(pred), gold=len(sentence.gold), matched=hits)
    return {
        "sentences": len(labels),
        "gold_events": n_gold,
        "predicted_events": n_pred,
        "typed": {
            "precision": _ratio(matched, n_pred),
            "recall": _ratio(matched, n_gold),
            "matched": matched,
        },
        "detection": {
            "precision": _ratio(det["both"], det["pred"]),
            "recall": _ratio(det["both"], det["gold"]),
        },
        "per_section": {
            name: {**dict(c), "precision": _ratio(c["matched"], c["predicted"])}
            for name, c in sorted(sections.items())
        },
    }


def merged_labels(paths: list[Path]) -> list[LabelledSentence]:
    """The labelled sentences of several files as one sample: a sentence two files label counts once, with the
    first file's label."""
    labels: list[LabelledSentence] = []
    seen: set[tuple[str, int]] = set()
    for path in paths:
        for sentence in read_labels(path):
            if (sentence.file, sentence.start) not in seen:
                seen.add((sentence.file, sentence.start))
                labels.append(sentence)
    return labels


def evaluate_silver(
    labels_paths: list[Path],
    bbc: Path,
    reference: dict[str, pl.DataFrame],
    nlp: Any = None,
    parser: Any = None,
    classifier: Any = None,
) -> dict[str, Any]:
    """Extract events from the labelled files and score them against the labels (module docstring); ``nlp``
    and ``parser`` as the pipeline uses them. Several label files are scored as one sample: a sentence two
    files label counts once, with the first file's label."""
    started = time.perf_counter()
    labels = merged_labels(labels_paths)
    files = sorted({s.file for s in labels})
    articles, body_offset = articles_of(bbc, files)
    events = extract(articles, reference, today=date.today(), nlp=nlp, parser=parser, classifier=classifier)[
        "events"
    ]
    spans: dict[str, list[LabelledSentence]] = {}
    for sentence in labels:
        spans.setdefault(sentence.file, []).append(sentence)
    predicted: dict[tuple[str, int], list[str]] = {}
    for file, trigger_start, event_type in events.select(
        "article_id", "trigger_start", "event_type"
    ).iter_rows():
        at = trigger_start + body_offset[file]
        for sentence in spans.get(file, []):
            if sentence.start <= at < sentence.end:
                predicted.setdefault((file, sentence.start), []).append(event_type)
    result = score(labels, predicted)
    result["labels"] = ", ".join(path.name for path in labels_paths)
    result["articles"] = len(files)
    result["events_per_article"] = _ratio(events.height, len(files))
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result
