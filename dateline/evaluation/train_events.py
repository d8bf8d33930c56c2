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
   is the one with the best F1 (or F0.5, where precision weighs twice as much as recall), averaged with its
   neighbours on the veto grid, among those whose precision is at least ``min_precision`` (near-ties go to the
   higher recall: :func:`cross_validate`); the regularization ``C`` is chosen with it from a small grid. With
   ``retype`` (PLOVER types: ``--retype-as``), each candidate is also read as each of those types and keeps its
   most probable reading (transforms.event_classifier.EventClassifier.best), in the cross-validation as in the
   pipeline; a reading of another type than the lexicon's is a positive example only where a gold event of that
   type has its trigger at the candidate's. Measured (seeds/models/README.md): retyping, to every type on
   2026-11-30 and to ACCUSE alone on 2026-12-01, raised the silver CV precision but lowered the held-out
   accuracy on political news (PLV_train, PLOVER dev) both times, so the committed model does not retype; it
   is chosen by F0.5 (since 2026-12-01: no event is better than a wrong one).
   Every candidate also carries its article's section probabilities (transforms.topic), from a section model
   trained first on the BBC train half's folders (dateline.evaluation.train_topics; out-of-fold for the
   train-half articles themselves); the section model is saved inside the classifier's model.json.
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
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from dateline.evaluation.events import gold_types
from dateline.evaluation.silver import half_of
from dateline.evaluation.silver_score import articles_of
from dateline.evaluation.train_topics import train_topics
from transforms.event_classifier import EventClassifier, topic_features, typed_features
from transforms.extract import extract
from transforms.topic import TopicModel

VETO_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
ADMIT_GRID = (0.3, 0.4, 0.5, 0.6, 1.01)  # 1.01: admit nothing
C_GRID = (0.1, 0.3, 1.0)
RECORD_WEIGHT = 0.1
PLOVER_TYPES = tuple(
    (
        "AGREE CONSULT SUPPORT CONCEDE COOPERATE AID RETREAT REQUEST ACCUSE REJECT THREATEN PROTEST SANCTION "
        "MOBILIZE COERCE ASSAULT"
    ).split()
)
FOLDS = 5
TIE = 0.002  # smoothed F-scores closer than this differ by less than one event of ~280 predicted


class TrainEventsError(ValueError):
    """Labels that cannot train the classifier (a test-half file, no examples...)."""


@dataclass(frozen=True)
class Example:
    features: dict[str, float]
    event_type: str
    group: str  # the article: cross-validation folds never split one
    sentence: str  # the labelled sentence's id
    silver: bool  # from the silver BBC labels (ordinary news), else from gold records (political news)
    trigger: tuple[int, int] = (0, 0)  # the candidate's trigger, body offsets


@dataclass(frozen=True)
class TrainingSet:
    """Articles to extract and their labelled sentences: gold event types per sentence id, and where each
    sentence lies in its article's body."""

    articles: pl.DataFrame  # article_id, title, body, published_date, date_precision, date_source
    gold: dict[str, Counter[str]]
    spans: dict[str, list[tuple[int, int, str]]]  # article_id -> (start, end, sentence id), body offsets
    silver: frozenset[str]  # the article ids of silver BBC files
    triggers: dict[str, list[tuple[int, int, str]]] = field(
        default_factory=dict
    )  # sentence id -> gold triggers

    def at_trigger(self, example: Example, event_type: str) -> bool:
        """Whether a gold event of ``event_type`` has its trigger where the example's is (silver labels)."""
        start, end = example.trigger
        return any(
            t == event_type and s < end and start < e for s, e, t in self.triggers.get(example.sentence, [])
        )

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
    triggers: dict[str, list[tuple[int, int, str]]] = {}
    for row in rows:
        start = row["start"] - body_offset[row["file"]]
        spans.setdefault(row["file"], []).append((start, row["end"] - body_offset[row["file"]], row["id"]))
        triggers[row["id"]] = [
            (start + e["trigger"][0], start + e["trigger"][1], e["type"])
            for e in row["events"]
            if e["trigger"]
        ]
    return TrainingSet(articles, gold, spans, frozenset(spans), triggers)


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
        {k: v for s in sets for k, v in s.triggers.items()},
    )


def collect_examples(data: TrainingSet, reference: dict, nlp: Any, parser: Any) -> list[Example]:
    """The candidates in labelled sentences (module docstring, step 1; their labels: :func:`readings`)."""
    events = extract(data.articles, reference, today=date.today(), nlp=nlp, parser=parser, candidates=True)[
        "events"
    ]
    examples = []
    for article, at, until, event_type, features in events.select(
        "article_id", "trigger_start", "trigger_end", "event_type", "features"
    ).iter_rows():
        for start, end, sentence in data.spans[article]:
            if start <= at < end:
                silver = article in data.silver
                examples.append(
                    Example(json.loads(features), event_type, article, sentence, silver, (at, until))
                )
    return examples


def with_topics(
    examples: list[Example], data: TrainingSet, topics: TopicModel, held_out: dict[str, dict[str, float]]
) -> list[Example]:
    """``examples`` with their article's section probabilities as features (transforms.event_classifier
    .topic_features): for a BBC train-half article its out-of-fold probabilities (``held_out``, from
    dateline.evaluation.train_topics: the section model saw it), for any other article the model's."""
    bodies = dict(data.articles.select("article_id", "body").iter_rows())
    probabilities: dict[str, dict[str, float]] = {}
    out = []
    for e in examples:
        if e.group not in probabilities:
            probabilities[e.group] = held_out.get(e.group) or topics.probabilities(bodies[e.group])
        out.append(
            replace(e, features={**e.features, **topic_features(probabilities[e.group], e.event_type)})
        )
    return out


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


def readings(
    example: Example, data: TrainingSet, types: tuple[str, ...]
) -> list[tuple[str, dict[str, float], bool]]:
    """The example read as each type it may have (the lexicon's, then ``types``), with its features
    (transforms.event_classifier.typed_features) and label. The lexicon's reading is positive when the sentence
    holds a gold event of that type (the silver scoring's rule); another type's reading only when a gold event of
    that type has its trigger at the candidate's (silver labels: a sentence's other events say nothing about
    this word). A gold record gives its positive lexicon reading only (no trigger is marked; its other
    candidates are not known to be wrong)."""
    out = []
    lexicon = data.gold[example.sentence][example.event_type] > 0
    if example.silver or lexicon:
        out.append((example.event_type, typed_features(example.features, example.event_type), lexicon))
    if example.silver:
        for event_type in types:
            if event_type != example.event_type:
                label = data.at_trigger(example, event_type)
                out.append((event_type, typed_features(example.features, event_type), label))
    return out


def _fit(
    examples: list[Example], data: TrainingSet, c: float, record_weight: float, types: tuple[str, ...]
) -> tuple[dict[str, float], float]:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    rows = [
        (f, label, 1.0 if e.silver else record_weight)
        for e in examples
        for _, f, label in readings(e, data, types)
    ]
    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform([f for f, _, _ in rows])
    model = LogisticRegression(C=c, max_iter=5000).fit(
        x, np.array([label for _, label, _ in rows]), sample_weight=np.array([w for _, _, w in rows])
    )
    names = vectorizer.get_feature_names_out()
    weights = {
        str(n): round(float(w), 6) for n, w in zip(names, model.coef_[0], strict=True) if abs(w) > 1e-6
    }
    return weights, float(model.intercept_[0])


def out_of_fold(
    examples: list[Example],
    data: TrainingSet,
    c: float,
    record_weight: float,
    types: tuple[str, ...] = (),
    folds: int = FOLDS,
) -> tuple[list[Example], np.ndarray]:
    """Each example read as the out-of-fold classifier reads it (its best type: EventClassifier.best) and that
    reading's probability; folds by article (GroupKFold: deterministic)."""
    from sklearn.model_selection import GroupKFold

    read = list(examples)
    probabilities = np.zeros(len(examples))
    groups = [e.group for e in examples]
    for train, test in GroupKFold(folds).split(np.zeros(len(examples)), groups=groups):
        weights, bias = _fit([examples[i] for i in train], data, c, record_weight, types)
        model = EventClassifier(weights, bias, 0.5, 0.5, {}, types)
        for i in test:
            event_type, probabilities[i] = model.best(examples[i].features, examples[i].event_type)
            read[i] = replace(examples[i], event_type=event_type)
    return read, probabilities


def decisions(examples: list[Example], probabilities: np.ndarray, veto: float, admit: float) -> np.ndarray:
    """What :meth:`EventClassifier.decide` makes of each example at these thresholds."""
    model = EventClassifier({}, 0.0, veto, admit, {})
    return np.array(
        [
            model.decide(
                float(p),
                e.features.get("tree_kept", 0.0) == 1.0,
                e.features.get("status_report") == 1.0,
                not (e.features.get("source=none") and e.features.get("target=none")),
            )
            for e, p in zip(examples, probabilities, strict=True)
        ]
    )


def cross_validate(
    examples: list[Example],
    data: TrainingSet,
    min_precision: float,
    record_weight: float,
    types: tuple[str, ...] = (),
    criterion: str = "f1",
) -> dict[str, Any]:
    """The CV table over ``C_GRID`` x ``VETO_GRID`` x ``ADMIT_GRID`` and the setting chosen by ``criterion``
    (``f1`` or ``f0.5``; module docstring, step 2), with the tree's own check alone for comparison. A setting is
    judged by its criterion averaged with its neighbours' on the veto grid (same C and admit): neighbouring vetoes
    differ by a few events out of some 800, so the mean says which region is good rather than which single cell
    was lucky; its own score is what the table reports. Settings within ``TIE`` of the best mean (less than one
    event's worth) are ties, and the tie that finds the most events wins (recall is the further of issue #14's
    marks)."""
    table = []
    for c in C_GRID:
        read, probabilities = out_of_fold(examples, data, c, record_weight, types)
        for veto in VETO_GRID:
            for admit in ADMIT_GRID:
                chosen = decisions(read, probabilities, veto, admit)
                table.append({"C": c, "veto": veto, "admit": admit, **_scores(read, chosen, data)})
    tree_only = decisions(examples, np.ones(len(examples)), 0.0, 1.01)
    best = choose(table, min_precision, criterion)
    return {"table": table, "chosen": best, "tree_check_alone": _scores(examples, tree_only, data)}


def choose(table: list[dict[str, Any]], min_precision: float, criterion: str) -> dict[str, Any]:
    """The row of the CV ``table`` :func:`cross_validate` keeps: the best ``criterion`` averaged with its veto
    neighbours among rows of precision ≥ ``min_precision`` (all rows if none), near-ties (``TIE``) to recall."""
    eligible = [row for row in table if row["precision"] >= min_precision] or table
    top = max(_smoothed(table, row, criterion) for row in eligible)
    ties = [row for row in eligible if _smoothed(table, row, criterion) >= top - TIE]
    return max(ties, key=lambda row: (row["recall"], row["precision"]))


def _smoothed(table: list[dict[str, Any]], row: dict[str, Any], criterion: str) -> float:
    """``row``'s ``criterion`` averaged with the rows next to it on the veto grid (same C and admit)."""
    k = VETO_GRID.index(row["veto"])
    near = set(VETO_GRID[max(0, k - 1) : k + 2])
    scores = [
        float(r[criterion])
        for r in table
        if r["C"] == row["C"] and r["admit"] == row["admit"] and r["veto"] in near
    ]
    return sum(scores) / len(scores)


def _scores(examples: list[Example], chosen: np.ndarray, data: TrainingSet) -> dict[str, Any]:
    precision, recall, predicted = typed_scores(examples, chosen, data)
    return {
        "predicted": predicted,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(_f_beta(precision, recall, 1.0), 4),
        "f0.5": round(_f_beta(precision, recall, 0.5), 4),
    }


def _f_beta(precision: float, recall: float, beta: float) -> float:
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall) if precision + recall else 0.0


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
    retype: tuple[str, ...] = (),
    criterion: str = "f1",
) -> dict[str, Any]:
    """Train and write ``<out>/model.json``; returns the training facts (counts, CV choice). ``records``: gold
    records by name (e.g. ``{"PLV_train": read_plv(...), "plover_gsr_dev": read_plover(...)}``) trained on beside
    the silver labels; the thresholds are chosen on the silver labels alone (precision on ordinary news)."""
    import sklearn

    records = records or {}
    types = retype
    data = combined([silver_set(label_files, bbc)] + [records_set(r, name) for name, r in records.items()])
    topics, held_out = train_topics(bbc)
    examples = with_topics(collect_examples(data, reference, nlp, parser), data, topics, held_out)
    labels = {label for e in examples for _, _, label in readings(e, data, types)}
    if labels != {True, False}:
        raise TrainEventsError("the labels give no positive or no negative candidate: nothing to learn")
    cv = cross_validate(examples, data, min_precision, record_weight, types, criterion)
    chosen = cv["chosen"]
    weights, bias = _fit(examples, data, chosen["C"], record_weight, types)
    facts = {
        "trained_on": [{"file": str(p.name), "sha256_16": _digest(p)} for p in label_files]
        + [{"records": name, "count": len(r), "weight": record_weight} for name, r in records.items()],
        "labelled_sentences": len(data.gold),
        "gold_events": data.gold_events,
        "silver_gold_events": data.silver_gold_events(),
        "candidates": len(examples),
        "retyping": list(types),
        "cross_validation": {
            "folds": FOLDS,
            "by": "article",
            "scored_on": "silver labels (typed precision and recall, misses counted)",
            "min_precision": min_precision,
            "criterion": criterion,
            "chosen": chosen,
            "tree_check_alone": cv["tree_check_alone"],
            "table": cv["table"],
        },
        "features": len(weights),
        "sklearn": sklearn.__version__,
        "python": platform.python_version(),
        "trained": date.today().isoformat(),
    }
    model = EventClassifier(weights, bias, chosen["veto"], chosen["admit"], facts, types, topics)
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
    data = combined(sets)
    topics, held_out = train_topics(bbc)
    examples = with_topics(collect_examples(data, reference, nlp, parser), data, topics, held_out)
    results = {}
    for name, recs in records.items():
        counts: Counter[str] = Counter()
        for k in range(folds):
            held = {f"{name}-{i}" for i in range(k, len(recs), folds)}
            train = [e for e in examples if e.group not in held]
            weights, bias = _fit(train, data, c, weight, setting.types)
            model = EventClassifier(weights, bias, setting.veto, setting.admit, {}, setting.types, topics)
            counts += record_counts(recs[k::folds], reference, nlp, parser, model)
        results[name] = scores(counts) | {"folds": folds, "held_out": True}
    return results
