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

import hashlib
import json
import re
import time
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from transforms.extract import extract

ALIASES = {"DEMAND": "REQUEST", "DISAPPROVE": "ACCUSE", "INVESTIGATE": "ACCUSE", "FIGHT": "ASSAULT"}


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
    records: list[dict[str, Any]], reference: dict[str, pl.DataFrame], nlp: Any = None, parser: Any = None
) -> dict[str, Any]:
    """Run the extraction over the records and score it (see the module docstring).

    ``nlp`` and ``parser`` are the NER model and the dependency parser the pipeline uses
    (dateline.resources.ner_model.load_ner, dateline.resources.parser_model.load_parser), or None for rules only.
    """
    started = time.perf_counter()
    rows = []
    for i, record in enumerate(records):
        article_id = hashlib.sha256(f"{i}|{record['text']}".encode()).hexdigest()[:16]
        rows.append(
            {
                "article_id": article_id,
                "body": record["text"],
                "published_date": _date(record.get("date")),
                "i": i,
            }
        )
    articles = pl.DataFrame(
        rows, schema={"article_id": pl.String, "body": pl.String, "published_date": pl.Date, "i": pl.Int64}
    ).with_columns(
        pl.lit(None, dtype=pl.String).alias("date_precision"),
        pl.lit(None, dtype=pl.String).alias("date_source"),
    )
    out = extract(articles, reference, today=date.today(), nlp=nlp, parser=parser)
    events = out["events"]
    ents = out["entities"].select(
        "entity_id",
        pl.when(pl.col("sector") == "IGO")
        .then(pl.lit("IGO"))
        .otherwise(pl.col("country_iso3"))
        .alias("code"),
    )
    code_of = dict(ents.iter_rows())
    by_article: dict[str, list[dict]] = {}
    for e in events.sort("article_id", "trigger_start", maintain_order=True).iter_rows(named=True):
        by_article.setdefault(e["article_id"], []).append(e)
    n_gold = type_ok = pred_total = pred_ok = recalled = 0
    det_pred = det_tp = det_found = 0
    src_n = src_ok = tgt_n = tgt_ok = 0
    for row, rec in zip(rows, records, strict=True):
        gold = rec.get("event")
        gold = ALIASES.get(gold, gold) if gold else None
        preds = by_article.get(row["article_id"], [])
        pred_total += len(preds)
        pred_ok += sum(1 for p in preds if gold and p["event_type"] == gold)
        main = main_event(preds, row["body"])
        if preds:
            det_pred += 1
            det_tp += bool(gold)
        if gold:
            det_found += bool(preds)
            n_gold += 1
            type_ok += bool(main and main["event_type"] == gold)
            recalled += any(p["event_type"] == gold for p in preds)
        gs, gt = _codes(rec.get("source")), _codes(rec.get("target"))
        if gs:
            src_n += 1
            src_ok += bool(main and code_of.get(main["source_entity_id"]) in gs)
        if gt:
            tgt_n += 1
            tgt_ok += bool(main and code_of.get(main["target_entity_id"]) in gt)

    def ratio(a: int, b: int) -> float:
        return round(a / b, 4) if b else 0.0

    return {
        "records": len(records),
        "event_type_accuracy": ratio(type_ok, n_gold),
        "detection": {"precision": ratio(det_tp, det_pred), "recall": ratio(det_found, n_gold)},
        "typed": {"precision": ratio(pred_ok, pred_total), "recall": ratio(recalled, n_gold)},
        "source_accuracy": ratio(src_ok, src_n),
        "target_accuracy": ratio(tgt_ok, tgt_n),
        "predicted_events": pred_total,
        "seconds": round(time.perf_counter() - started, 2),
    }
