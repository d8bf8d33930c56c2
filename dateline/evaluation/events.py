"""`dateline eval events`: score the event coder against PLOVER gold-standard records.

Each record's ``text`` goes through the same extraction as an article (transforms.extract), with
the record's ``date`` as the publication date. Metrics (printed as one JSON object):

* ``event_type_accuracy``: over records with a gold event, the share whose *main* predicted event
  (see :func:`main_event`) has the gold type
  (PLOVER 0.8 names; DEMAND counts as REQUEST).
* ``detection``: whether a sentence holds an event at all, per record. ``precision``: records
  with a gold event among the records with at least one predicted event; ``recall``: records with
  at least one predicted event among the records with a gold event. (A dev set whose records all
  have events makes precision 1.0 by construction; sets with event-less sentences test it.)
* ``typed``: the same per predicted event and type: ``precision`` = predicted events whose type is
  the record's gold type / all predicted events (stricter: a second, true event of another type
  in the sentence counts against it); ``recall`` = records with a gold event for which some
  predicted event has that type.
* ``source_accuracy`` / ``target_accuracy``: over records with a gold source (target) code, the
  share whose main event's source (target) country code is one of the gold codes (ISO alpha-3,
  or ``IGO`` for international organizations).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from transforms.extract import extract

ALIASES = {"DEMAND": "REQUEST", "DISAPPROVE": "ACCUSE", "INVESTIGATE": "ACCUSE", "FIGHT": "ASSAULT"}
#: gold type names that stand for more than one PLOVER 0.8 type (PLV's YIELD is CONCEDE or RETREAT)
UMBRELLAS = {"YIELD": frozenset({"CONCEDE", "RETREAT"})}


def gold_types(name: str | None) -> frozenset[str]:
    """The PLOVER 0.8 types a gold type name accepts (none for no name)."""
    if not name:
        return frozenset()
    return UMBRELLAS.get(name) or frozenset({ALIASES.get(name, name)})


class EvalDataError(ValueError):
    """The gold file is missing or not in the expected shape."""


def read_plover(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvalDataError(f"{path}: no such file") from None
    except json.JSONDecodeError as e:
        raise EvalDataError(f"{path}: not JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) and "text" in r for r in data):
        raise EvalDataError(f"{path}: expected a JSON array of records with a 'text' field")
    return data


def read_plv(path: Path) -> list[dict[str, Any]]:
    """PLV's sentences (a TSV with ``sentence_id``, ``sentence`` and ``gold_root``) as records in the PLOVER
    records' shape: ``id``, ``text``, ``event`` (no date, no actor codes). ``event`` keeps PLV's name: YIELD is
    PLOVER 0.8's CONCEDE or RETREAT (:func:`gold_types`)."""
    import csv

    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
    except FileNotFoundError:
        raise EvalDataError(f"{path}: no such file") from None
    if not rows or not {"sentence_id", "sentence", "gold_root"} <= set(rows[0]):
        raise EvalDataError(f"{path}: expected a TSV with columns sentence_id, sentence and gold_root")
    return [
        {
            "id": f"PLV-{r['sentence_id']}",
            "text": r["sentence"],
            "event": r["gold_root"],
        }
        for r in rows
        if r["sentence"].strip()
    ]


def _codes(actors: Any) -> set[str]:
    if not actors:
        return set()
    if isinstance(actors, str):
        return {actors.strip().upper()} if actors.strip() else set()
    out: set[str] = set()
    for a in actors:
        code = a.get("code") if isinstance(a, dict) else a
        if isinstance(code, str) and code.strip():
            out.add(code.strip().upper()[:3])
    return out


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


_SUBORDINATE = re.compile(
    r",\s*(?:who|which|whom|whose|where|when)\b|\b(?:after|since|because|although|though|unless|until|while|whereas|if)\b"
)


def main_event(events: list[dict[str, Any]], text: str) -> dict[str, Any] | None:
    """The record's main event: the first one in the main clause (before any subordinate or
    relative clause) that has a source, else the first in the main clause, else the first with a
    source, else the first. (A known actor in a subordinate clause does not make its event the
    main one: "X threatened to strike unless Israel rescinded ...".)"""
    if not events:
        return None
    sub = _SUBORDINATE.search(text)
    cut = sub.start() if sub else len(text)
    with_source = [e for e in events if e["source_entity_id"]]
    main_clause = [e for e in with_source if e["trigger_start"] < cut]
    in_main = [e for e in events if e["trigger_start"] < cut]
    return (main_clause or in_main or with_source or events)[0]


def evaluate_events(
    records: list[dict[str, Any]],
    reference: dict[str, pl.DataFrame],
    nlp: Any = None,
    parser: Any = None,
    classifier: Any = None,
) -> dict[str, Any]:
    """Run the extraction over the records and score it (see the module docstring).

    ``nlp``, ``parser`` and ``classifier`` are the NER model, the dependency parser and the event classifier
    the pipeline uses (dateline.resources: load_ner, load_parser, load_event_classifier), or None for rules only.
    """
    started = time.perf_counter()
    result = scores(record_counts(records, reference, nlp, parser, classifier))
    return result | {"seconds": round(time.perf_counter() - started, 2)}


def record_counts(
    records: list[dict[str, Any]],
    reference: dict[str, pl.DataFrame],
    nlp: Any = None,
    parser: Any = None,
    classifier: Any = None,
) -> Counter[str]:
    """The extraction over the records, counted for :func:`scores` (counts add up over folds)."""
    articles = pl.DataFrame(
        [
            {
                "article_id": f"r{i}",
                "body": record["text"],
                "published_date": _date(record.get("date")),
            }
            for i, record in enumerate(records)
        ],
        schema={"article_id": pl.String, "body": pl.String, "published_date": pl.Date},
    ).with_columns(
        pl.lit(None, dtype=pl.String).alias("date_precision"),
        pl.lit(None, dtype=pl.String).alias("date_source"),
    )
    out = extract(articles, reference, today=date.today(), nlp=nlp, parser=parser, classifier=classifier)
    code_of = dict(
        out["entities"]
        .select(
            "entity_id",
            pl.when(pl.col("sector") == "IGO")
            .then(pl.lit("IGO"))
            .otherwise(pl.col("country_iso3"))
            .alias("code"),
        )
        .iter_rows()
    )
    by_article: dict[str, list[dict]] = {}
    for e in out["events"].sort("article_id", "trigger_start", maintain_order=True).iter_rows(named=True):
        by_article.setdefault(e["article_id"], []).append(e)
    counts: Counter[str] = Counter(records=len(records))
    for i, record in enumerate(records):
        counts.update(_record_count(record, by_article.get(f"r{i}", []), code_of))
    return counts


def _record_count(record: dict[str, Any], preds: list[dict], code_of: dict[str, str]) -> Counter[str]:
    gold = gold_types(record.get("event"))
    main = main_event(preds, record["text"])
    c: Counter[str] = Counter(
        predicted=len(preds), predicted_ok=sum(1 for p in preds if p["event_type"] in gold)
    )
    if preds:
        c.update(detected=1, detected_ok=int(bool(gold)))
    if gold:
        c.update(
            gold=1,
            found=int(bool(preds)),
            type_ok=int(bool(main and main["event_type"] in gold)),
            recalled=int(any(p["event_type"] in gold for p in preds)),
        )
    for role in ("source", "target"):
        codes = _codes(record.get(role))
        if codes:
            c.update(
                {
                    f"{role}_gold": 1,
                    f"{role}_ok": int(bool(main and code_of.get(main[f"{role}_entity_id"]) in codes)),
                }
            )
    return c


def scores(c: Counter[str]) -> dict[str, Any]:
    """The metrics of the module docstring from :func:`record_counts`."""

    def ratio(a: str, b: str) -> float:
        return round(c[a] / c[b], 4) if c[b] else 0.0

    return {
        "records": c["records"],
        "event_type_accuracy": ratio("type_ok", "gold"),
        "detection": {"precision": ratio("detected_ok", "detected"), "recall": ratio("found", "gold")},
        "typed": {"precision": ratio("predicted_ok", "predicted"), "recall": ratio("recalled", "gold")},
        "source_accuracy": ratio("source_ok", "source_gold"),
        "target_accuracy": ratio("target_ok", "target_gold"),
        "predicted_events": c["predicted"],
    }
