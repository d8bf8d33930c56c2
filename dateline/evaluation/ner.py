"""Measuring extraction against gold data: ``dateline eval ner``.

The NER evaluation runs what the pipeline runs (``transforms.ner.ner_spans`` with the model from
``dateline.resources.ner_model.load_ner``) on each CoNLL ``-DOCSTART-`` document as one text (its tokens joined
by single spaces), maps each predicted character span to the CoNLL tokens it covers, and scores
exact spans (same first token, same last token, same type) against the gold spans.

``micro`` is over PER, ORG and LOC (the project maps PERSON -> PER, ORG -> ORG, GPE/LOC -> LOC);
``per_type`` also reports MISC.
"""

from __future__ import annotations

import bisect
import sys
import time
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

import polars as pl

from dateline.evaluation.conll import ConllDoc, Sentence, doc_text, read_conll

MICRO_TYPES = ("PER", "ORG", "LOC")
ALL_TYPES = ("PER", "ORG", "LOC", "MISC")
EVAL_TYPE = {"PERSON": "PER", "PER": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "MISC": "MISC"}

Span = tuple[int, int, int, str]  # (doc index, first token, end token exclusive, type)


def char_span_to_tokens(offsets: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """The tokens a character span [start, end) overlaps, as (first, end exclusive); None if none.

    A span that cuts a token is widened to the whole token (CoNLL tokens are the unit of scoring)."""
    starts = [a for a, _ in offsets]
    first = bisect.bisect_right(starts, start) - 1
    if first < 0 or offsets[first][1] <= start:
        first += 1
    last = bisect.bisect_left(starts, end) - 1
    if first >= len(offsets) or last < first:
        return None
    return first, last + 1


def prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    """Precision, recall and F1 (0.0 when undefined)."""
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def score_spans(gold: Iterable[Span], pred: Iterable[Span]) -> dict:
    """Exact-span scores: ``micro`` over PER/ORG/LOC and ``per_type`` for PER, ORG, LOC, MISC."""
    gold_set, pred_set = set(gold), set(pred)
    tp = Counter(s[3] for s in gold_set & pred_set)
    ng = Counter(s[3] for s in gold_set)
    npred = Counter(s[3] for s in pred_set)
    per_type = {t: {**prf(tp[t], npred[t], ng[t]), "n_gold": ng[t], "n_pred": npred[t]} for t in ALL_TYPES}
    micro = prf(
        sum(tp[t] for t in MICRO_TYPES), sum(npred[t] for t in MICRO_TYPES), sum(ng[t] for t in MICRO_TYPES)
    )
    return {"micro": micro, "per_type": per_type}


def gold_spans(docs: list[ConllDoc]) -> list[Span]:
    """Gold entity spans with document-level token indices."""
    out: list[Span] = []
    for d, doc in enumerate(docs):
        base = 0
        for sent in doc.sentences:
            out.extend((d, base + a, base + b, t) for a, b, t in sent.spans())
            base += len(sent.words)
    return out


def predicted_spans(docs: list[ConllDoc], ents: pl.DataFrame) -> list[Span]:
    """Predicted spans (``ner_spans`` output, ``id`` = document index) mapped to CoNLL tokens."""
    return [span for span, _ in scored_spans(docs, ents)]


def scored_spans(docs: list[ConllDoc], ents: pl.DataFrame) -> list[tuple[Span, float | None]]:
    """:func:`predicted_spans` with each span's ``confidence`` (transforms.ner_decode.scored_entities)."""
    offsets = [doc_text(doc.sentences)[1] for doc in docs]
    out: list[tuple[Span, float | None]] = []
    rows = ents.select("id", "start_char", "end_char", "label", "confidence").iter_rows()
    for doc_id, start, end, label, confidence in rows:
        typ = EVAL_TYPE.get(label)
        if typ is None:
            continue
        d = int(doc_id)
        toks = char_span_to_tokens(offsets[d], start, end)
        if toks is not None:
            out.append(((d, toks[0], toks[1], typ), confidence))
    return out


CONFIDENCE_BANDS = (0.0, 0.5, 0.8, 0.95, 1.01)


def precision_by_confidence(gold: Iterable[Span], scored: list[tuple[Span, float | None]]) -> list[dict]:
    """Exact-span precision of the predicted PER/ORG/LOC/MISC spans in each band of ``confidence``
    (``CONFIDENCE_BANDS``; spans without one are left out): whether the column ranks entities."""
    gold_set = set(gold)
    out = []
    for low, high in pairwise(CONFIDENCE_BANDS):
        band = [span for span, p in scored if p is not None and low <= p < high]
        right = sum(span in gold_set for span in band)
        out.append(
            {
                "confidence": f"[{low}, {min(high, 1.0)}]" if high > 1 else f"[{low}, {high})",
                "spans": len(band),
                "precision": round(right / len(band), 4) if band else None,
            }
        )
    return out


CASES = ("as-is", "upper", "lower")


def recased(docs: list[ConllDoc], case: str) -> list[ConllDoc]:
    """The documents with every word upper- or lower-cased (``case`` in :data:`CASES`); the gold tags
    stay: an all-caps headline or a lower-cased chat message names the same entities."""
    if case == "as-is":
        return docs
    if case not in CASES:
        raise ValueError(f"unknown case {case!r} (expected one of {', '.join(CASES)})")
    change = str.upper if case == "upper" else str.lower
    return [ConllDoc([Sentence([change(w) for w in s.words], s.tags) for s in doc.sentences]) for doc in docs]


def evaluate_ner(
    conll: Path, model: Path | None = None, *, batch_size: int = 16, case: str = "as-is"
) -> dict:
    """Run the pipeline's NER on a CoNLL file (its words recased as ``case`` says) and score it (see the
    module doc)."""
    from dateline.resources.ner_model import load_ner
    from transforms.ner import ner_spans

    docs = recased(read_conll(conll), case)
    n_tokens = sum(d.n_tokens for d in docs)
    print(f"eval ner: {conll}: {len(docs)} documents, {n_tokens} tokens", file=sys.stderr, flush=True)
    nlp = load_ner(model)
    texts = pl.DataFrame(
        {"id": [str(i) for i in range(len(docs))], "text": [doc_text(d.sentences)[0] for d in docs]},
        schema={"id": pl.String, "text": pl.String},
    )
    t0 = time.perf_counter()
    ents = ner_spans(texts, nlp, batch_size=batch_size)
    seconds = time.perf_counter() - t0
    print(f"eval ner: {ents.height} entities predicted in {seconds:.1f} s", file=sys.stderr, flush=True)
    gold, scored = gold_spans(docs), scored_spans(docs, ents)
    result = score_spans(gold, [span for span, _ in scored])
    result["precision_by_confidence"] = precision_by_confidence(gold, scored)
    result["case"] = case
    result["tokens"] = n_tokens
    result["tokens_per_s"] = round(n_tokens / seconds, 1) if seconds > 0 else None
    return result


def _article_body(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    # BBC files: title line, blank line, body
    _head, sep, body = text.partition("\n\n")
    return body.strip() if sep else text.strip()


def ner_speed(corpus: Path, model: Path | None, *, limit: int, n_process: int, batch_size: int) -> dict:
    """Articles/s and tokens/s of the NER alone (``ner_spans``) over the bodies of ``corpus``'s
    ``*.txt`` files (the first ``limit``; 0: all) with ``n_process`` processes and batches of
    ``batch_size`` (defaults: the options of ``dateline eval ner-speed``); loading the model and
    reading the files are not timed."""
    from dateline.resources.ner_model import load_ner
    from transforms.ner import ner_spans

    files = sorted(corpus.rglob("*.txt"))
    if limit:
        files = files[:limit]
    bodies = [_article_body(f.read_bytes()) for f in files]
    nlp = load_ner(model)
    texts = pl.DataFrame({"id": [str(i) for i in range(len(bodies))], "text": bodies})
    n_tokens = sum(len(nlp.tokenizer(body)) for body in bodies)
    print(f"ner speed: {len(bodies)} articles, {n_tokens} tokens", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    ents = ner_spans(texts, nlp, batch_size=batch_size, n_process=n_process)
    seconds = time.perf_counter() - t0
    return {
        "articles": len(bodies),
        "tokens": n_tokens,
        "entities": ents.height,
        "seconds": round(seconds, 2),
        "articles_per_s": round(len(bodies) / seconds, 1),
        "tokens_per_s": round(n_tokens / seconds, 1),
        "n_process": n_process,
        "batch_size": batch_size,
    }
