"""Sentence segmentation with character offsets into ``articles.body``."""

from __future__ import annotations

import re

import polars as pl

from transforms.pymap import map_py

# Tokens ending in '.' that do not end a sentence when followed by a capitalised word.
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sen rep gov gen col lt sgt capt maj adm cmdr st mt jr sr inc corp co ltd plc
    no vs etc al fig jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.u u.s.a d.c
    a.m p.m e.g i.e approx dept est""".split()
)

_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+|$)")
_NEXT_START = re.compile(r"\s+([\"'“‘(\[]?[A-Z0-9])")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` character spans of the sentences of ``text``.

    Paragraph breaks (blank lines) always end a sentence. A period ends a sentence when the next
    non-space character starts a capitalised word or a number, unless the period closes a known
    abbreviation (``U.S.``, ``Mr.``) or a single initial (``J. Smith``).
    """
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*", text):
        p_start = para.start()
        chunk = para.group()
        start = 0
        for m in _BOUNDARY.finditer(chunk):
            end = m.end()
            if end < len(chunk):
                nxt = _NEXT_START.match(chunk, end)
                if not nxt:
                    continue
                if chunk[m.start()] == "." and _is_abbreviation(chunk, m.start()):
                    continue
            seg = chunk[start:end]
            if seg.strip():
                lead = len(seg) - len(seg.lstrip())
                spans.append((p_start + start + lead, p_start + end))
            start = end
        seg = chunk[start:]
        if seg.strip():
            lead = len(seg) - len(seg.lstrip())
            trail = len(seg) - len(seg.rstrip())
            spans.append((p_start + start + lead, p_start + len(chunk) - trail))
    return spans


def _is_abbreviation(chunk: str, dot: int) -> bool:
    word_start = dot
    while word_start > 0 and not chunk[word_start - 1].isspace() and chunk[word_start - 1] not in "(\"'“":
        word_start -= 1
    word = chunk[word_start:dot].lower()
    if not word:
        return False
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "J. Smith"
    return word in ABBREVIATIONS


def sentences(articles: pl.DataFrame) -> pl.DataFrame:
    """One row per sentence: article_id, sentence_idx, start_char, end_char, text."""
    span_type = pl.List(pl.Struct({"start_char": pl.Int64, "end_char": pl.Int64}))
    spans = articles.select("article_id", "body").with_columns(
        map_py(
            articles.get_column("body"),
            lambda b: [{"start_char": s, "end_char": e} for s, e in split_sentences(b)],
            span_type,
        ).alias("spans")
    )
    out = (
        spans.explode("spans")
        .drop_nulls("spans")
        .unnest("spans")
        .with_columns(
            pl.int_range(pl.len()).over("article_id").cast(pl.Int64).alias("sentence_idx"),
            pl.col("body")
            .str.slice(pl.col("start_char"), pl.col("end_char") - pl.col("start_char"))
            .alias("text"),
        )
    )
    return out.select("article_id", "sentence_idx", "start_char", "end_char", "text")
