"""``dateline train-events``: train the event classifier (transforms.event_classifier).

1. **Candidates.** The labelled articles go through the pipeline's extraction with the NER and the parser, in
   candidate mode (``transforms.extract.extract(..., candidates=True)``): every candidate the tree does not rule
   out, undecided, with its features. A candidate in a labelled sentence is a positive example when the sentence
   holds a gold event of the candidate's type, else a negative one (the silver scoring's rule,
   dateline.evaluation.silver_score). Candidates outside labelled sentences are not used.
   The articles are the silver BBC train half (ordinary news) and, optionally, gold records of political news
   (PLV_train, the PLOVER dev records). A record has one gold event type: its candidates of that type are
   positive examples (weight ``record_weight``, small: they are news where nearly every candidate is an event,
   unlike ordinary news), its other candidates are left out (the sentence may hold a second, unlabelled event:
   they are not known to be negative).
2. **Cross-validation** (5 folds by article, so that no article is on both sides): the out-of-fold probabilities
   of the silver candidates give typed precision and recall against all silver gold events (missed events
   count) for each decision on a grid: ``veto`` (a candidate the tree's own check keeps is dropped below it) and
   ``admit`` (a candidate the check drops is kept from it), :meth:`EventClassifier.decide`. The decision kept
   is the one with the best F1 among those whose precision is at least ``min_precision``; the regularization
   ``C`` is chosen with it from a small grid.
3. **Fit** on all examples; the weights (only the features seen in training), the bias, the thresholds and
   the provenance (label files with their digests, counts, the CV table, library versions) go to
   ``<out>/model.json``.

Only the train half of the split (dateline.evaluation.silver) may be used: the test half measures.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from dateline.evaluation.events import gold_types
from dateline.evaluation.silver import half_of
from dateline.evaluation.silver_score import articles_of
from transforms.event_classifier import EventClassifier
from transforms.extract import extract

VETO_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
ADMIT_GRID = (0.3, 0.4, 0.5, 0.6, 1.01)  # 1.01: admit nothing
C_GRID = (0.1, 0.3, 1.0)
RECORD_WEIGHT = 0.1
FOLDS = 5


class TrainEventsError(ValueError):
    """Labels that cannot train the classifier (a test-half file, no examples...)."""


@dataclass(frozen=True)
class Example:
    features: dict[str, float]
    event_type: str
    group: str  # the article: cross-validation folds never split one
    sentence: str  # the labelled sentence's id
    label: bool
    silver: bool  # from the silver BBC labels (ordinary news), else from gold records (political news)


@dataclass(frozen=True)
class TrainingSet:
    """Articles to extract and their labelled sentences: gold event types per sentence id, and where each
    sentence lies in its article's body."""

    articles: pl.DataFrame  # article_id, title, body, published_date, date_precision, date_source
    gold: dict[str, Counter[str]]
    spans: dict[str, list[tuple[int, int, str]]]  # article_id -> (start, end, sentence id), body offsets
    silver: frozenset[str]  # the article ids of silver BBC files

    @property
    def gold_events(self) -> int:
        return sum(sum(c.values()) for c in self.gold.values())

    def silver_gold_events(self) -> int:
        return sum(
            sum(self.gold[sentence].values())
            for article in self.silver
            for _, _, sentence in self.spans.get(article, [])
        )


def silver_set(paths: list[Path], bbc: Path) -> TrainingSet:
    """The silver label files (train half only) as a training set: the labelled BBC files are the articles."""
    gold: dict[str, Counter[str]] = {}
    rows = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if half_of(row["file"]) != "train":
                    raise TrainEventsError(
                        f"{path}: {row['file']} is in the test half; train on the train half only"
                    )
                gold[row["id"]] = Counter(e["type"] for e in row["events"])
                rows.append(row)
    articles, body_offset = articles_of(bbc, sorted({r["file"] for r in rows}))
    spans: dict[str, list[tuple[int, int, str]]] = {}
    for row in rows:
        offset = body_offset[row["file"]]
        spans.setdefault(row["file"], []).append((row["start"] - offset, row["end"] - offset, row["id"]))
    return TrainingSet(articles, gold, spans, frozenset(spans))


def records_set(records: list[dict[str, Any]], prefix: str) -> TrainingSet:
    """Gold records (PLOVER's shape: ``text``, ``event``; dateline.evaluation.events.read_plover / read_plv)
    as a training set: each record an article of one labelled sentence with its one gold event."""
    gold, spans, rows = {}, {}, []
    for i, record in enumerate(records):
        article_id = f"{prefix}-{i}"
        gold[article_id] = Counter(gold_types(record.get("event")))
        spans[article_id] = [(0, len(record["text"]), article_id)]
        rows.append({"article_id": article_id, "title": None, "body": record["text"], "published_date": None})
    schema = {"article_id": pl.String, "title": pl.String, "body": pl.String, "published_date": pl.Date}
    articles = pl.DataFrame(rows, schema=schema).with_columns(
        pl.lit(None, dtype=pl.String).alias("date_precision"),
        pl.lit(None, dtype=pl.String).alias("date_source"),
    )
    return TrainingSet(articles, gold, spans, frozenset())


def combined(sets: list[TrainingSet]) -> TrainingSet:
    return TrainingSet(
        pl.concat([s.articles for s in sets], how="vertical_relaxed"),
        {k: v for s in sets for k, v in s.gold.items()},
        {k: v for s in sets for k, v in s.spans.items()},
        frozenset().union(*(s.silver for s in sets)),
    )


def collect_examples(data: TrainingSet, reference: dict, nlp: Any, parser: Any) -> list[Example]:
    """The candidates in labelled sentences, labelled (module docstring, step 1)."""
    events = extract(data.articles, reference, today=date.today(), nlp=nlp, parser=parser, candidates=True)[
        "events"
    ]
    examples = []
    for article, at, event_type, features in events.select(
        "article_id", "trigger_start", "event_type", "features"
    ).iter_rows():
        for start, end, sentence in data.spans[article]:
            if start <= at < end:
                label = data.gold[sentence][event_type] > 0
                examples.append(
                    Example(
                        json.loads(features), event_type, article, sentence, label, article in data.silver
                    )
                )
    return examples


def typed_scores(examples: list[Example], chosen: np.ndarray, data: TrainingSet) -> tuple[float, float, int]:
    """Typed precision and recall of the chosen silver examples against all silver gold events (matched by
    type within a sentence, as a multiset: dateline.evaluation.silver_score.score), and how many were chosen."""
    used: Counter[tuple[str, str]] = Counter()
    matched = predicted = 0
    for example, keep in zip(examples, chosen, strict=True):
        if not (keep and example.silver):
            continue
        predicted += 1
        key = (example.sentence, example.event_type)
        if used[key] < data.gold[example.sentence][example.event_type]:
            used[key] += 1
            matched += 1
    precision = matched / predicted if predicted else 0.0
    return precision, matched / max(1, data.silver_gold_events()), predicted


def _fit(examples: list[Example], c: float, record_weight: float) -> tuple[dict[str, float], float]:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform([e.features for e in examples])
    y = np.array([e.label for e in examples])
    weight = np.array([1.0 if e.silver else record_weight for e in examples])
    model = LogisticRegression(C=c, max_iter=5000).fit(x, y, sample_weight=weight)
    names = vectorizer.get_feature_names_out()
    weights = {
        str(n): round(float(w), 6) for n, w in zip(names, model.coef_[0], strict=True) if abs(w) > 1e-6
    }
    return weights, float(model.intercept_[0])


def out_of_fold(examples: list[Example], c: float, record_weight: float, folds: int = FOLDS) -> np.ndarray:
    """Out-of-fold probabilities, folds by article (GroupKFold: deterministic)."""
    from sklearn.model_selection import GroupKFold

    probabilities = np.zeros(len(examples))
    groups = [e.group for e in examples]
    for train, test in GroupKFold(folds).split(np.zeros(len(examples)), groups=groups):
        weights, bias = _fit([examples[i] for i in train], c, record_weight)
        model = EventClassifier(weights, bias, 0.5, 0.5, {})
        probabilities[test] = model.probabilities([examples[i].features for i in test])
    return probabilities


def decisions(examples: list[Example], probabilities: np.ndarray, veto: float, admit: float) -> np.ndarray:
    """What :meth:`EventClassifier.decide` makes of each example at these thresholds."""
    model = EventClassifier({}, 0.0, veto, admit, {})
    return np.array(
        [
            model.decide(
                float(p), e.features.get("tree_kept", 0.0) == 1.0, e.features.get("status_report") == 1.0
            )
            for e, p in zip(examples, probabilities, strict=True)
        ]
    )


def cross_validate(
    examples: list[Example], data: TrainingSet, min_precision: float, record_weight: float
) -> dict[str, Any]:
    """The CV table over ``C_GRID`` x ``VETO_GRID`` x ``ADMIT_GRID`` and the setting chosen (module docstring,
    step 2), with the tree's own check alone for comparison."""
    table = []
    for c in C_GRID:
        probabilities = out_of_fold(examples, c, record_weight)
        for veto in VETO_GRID:
            for admit in ADMIT_GRID:
                chosen = decisions(examples, probabilities, veto, admit)
                table.append({"C": c, "veto": veto, "admit": admit, **_scores(examples, chosen, data)})
    tree_only = decisions(examples, np.ones(len(examples)), 0.0, 1.01)
    eligible = [row for row in table if row["precision"] >= min_precision] or table
    best = max(eligible, key=lambda row: (row["f1"], row["precision"]))
    return {"table": table, "chosen": best, "tree_check_alone": _scores(examples, tree_only, data)}


def _scores(examples: list[Example], chosen: np.ndarray, data: TrainingSet) -> dict[str, Any]:
    precision, recall, predicted = typed_scores(examples, chosen, data)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "predicted": predicted,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def train_events(
    label_files: list[Path],
    bbc: Path,
    out: Path,
    reference: dict,
    nlp: Any,
    parser: Any,
    records: dict[str, list[dict[str, Any]]] | None = None,
    min_precision: float = 0.3,
    record_weight: float = RECORD_WEIGHT,
) -> dict[str, Any]:
    """Train and write ``<out>/model.json``; returns the training facts (counts, CV choice). ``records``: gold
    records by name (e.g. ``{"PLV_train": read_plv(...), "plover_gsr_dev": read_plover(...)}``) trained on beside
    the silver labels; the thresholds are chosen on the silver labels alone (precision on ordinary news)."""
    import sklearn

    records = records or {}
    data = combined([silver_set(label_files, bbc)] + [records_set(r, name) for name, r in records.items()])
    examples = [e for e in collect_examples(data, reference, nlp, parser) if e.silver or e.label]
    if not any(e.label for e in examples) or all(e.label for e in examples):
        raise TrainEventsError("the labels give no positive or no negative candidate: nothing to learn")
    cv = cross_validate(examples, data, min_precision, record_weight)
    chosen = cv["chosen"]
    weights, bias = _fit(examples, chosen["C"], record_weight)
    facts = {
        "trained_on": [{"file": str(p.name), "sha256_16": _digest(p)} for p in label_files]
        + [{"records": name, "count": len(r), "weight": record_weight} for name, r in records.items()],
        "labelled_sentences": len(data.gold),
        "gold_events": data.gold_events,
        "silver_gold_events": data.silver_gold_events(),
        "candidates": len(examples),
        "positive_candidates": sum(e.label for e in examples),
        "cross_validation": {
            "folds": FOLDS,
            "by": "article",
            "scored_on": "silver labels (typed precision and recall, misses counted)",
            "min_precision": min_precision,
            "chosen": chosen,
            "tree_check_alone": cv["tree_check_alone"],
            "table": cv["table"],
        },
        "features": len(weights),
        "sklearn": sklearn.__version__,
        "python": platform.python_version(),
        "trained": date.today().isoformat(),
    }
    model = EventClassifier(weights, bias, chosen["veto"], chosen["admit"], facts)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.json").write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    return facts


def records_cross_validation(
    label_files: list[Path],
    bbc: Path,
    records: dict[str, list[dict[str, Any]]],
    reference: dict,
    nlp: Any,
    parser: Any,
    setting: EventClassifier,
    folds: int = FOLDS,
) -> dict[str, dict[str, Any]]:
    """Held-out scores on each set of gold records by ``folds``-fold cross-validation through the full pipeline:
    for each fold, a classifier is trained (the ``setting``'s C, record weight and thresholds) on the silver
    labels and every record outside the fold, and the fold's records go through the extraction with it and are
    scored as ``dateline eval events`` scores them (dateline.evaluation.events.scores: the record's main event
    must have the gold type; a record with no event counts wrong). Fold k holds the records i with i % folds == k.
    """
    from dateline.evaluation.events import record_counts, scores

    chosen = setting.provenance.get("cross_validation", {}).get("chosen", {})
    c = float(chosen.get("C", 1.0))
    weight = float(
        next((t["weight"] for t in setting.provenance.get("trained_on", []) if "weight" in t), RECORD_WEIGHT)
    )
    sets = [silver_set(label_files, bbc)] + [records_set(r, name) for name, r in records.items()]
    examples = [e for e in collect_examples(combined(sets), reference, nlp, parser) if e.silver or e.label]
    results = {}
    for name, recs in records.items():
        counts: Counter[str] = Counter()
        for k in range(folds):
            held = {f"{name}-{i}" for i in range(k, len(recs), folds)}
            weights, bias = _fit([e for e in examples if e.group not in held], c, weight)
            model = EventClassifier(weights, bias, setting.veto, setting.admit, {})
            counts += record_counts(recs[k::folds], reference, nlp, parser, model)
        results[name] = scores(counts) | {"folds": folds, "held_out": True}
    return results
