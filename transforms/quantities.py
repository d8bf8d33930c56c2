"""Quantities: money (with currency and scale), percentages, durations and counts."""

from __future__ import annotations

import hashlib
import re
from datetime import date

import polars as pl

from transforms.dates import find_dates
from transforms.rxfilter import finditer, fold, might_match, prefilter

SCALES = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "mln": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "bln": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
    "trn": 1e12,
}
SYMBOLS = {
    "us$": "USD",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₩": "KRW",
    "c$": "CAD",
    "a$": "AUD",
    "hk$": "HKD",
}
CODES = ("USD", "EUR", "GBP", "JPY", "KRW", "CNY", "RMB", "CHF", "INR", "CAD", "AUD", "HKD", "RUB")
WORDS = {
    "dollars": "USD",
    "dollar": "USD",
    "euros": "EUR",
    "euro": "EUR",
    "pounds": "GBP",
    "pound": "GBP",
    "sterling": "GBP",
    "yen": "JPY",
    "won": "KRW",
    "yuan": "CNY",
    "renminbi": "CNY",
    "rupees": "INR",
    "roubles": "RUB",
    "rubles": "RUB",
    "francs": "CHF",
}
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
}
_NUM = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_SCALE = r"(?:\s*(?P<scale>trillion|billion|million|thousand|bn|mn|mln|bln|tn|trn|m|b|k)\b)?"
_SYM = r"(?P<sym>US\$|C\$|A\$|HK\$|\$|€|£|¥|₩)"
_CODE = r"(?P<code>" + "|".join(CODES) + r")"
_WORD = r"(?P<word>" + "|".join(WORDS) + r")"
_UNITS = r"(?P<unit>second|minute|hour|day|week|month|year)s?"
_NUMW = r"(?P<numw>" + "|".join(NUMBER_WORDS) + r")"

# countable things news counts: "40,000 workers", "three people", "1.2 million jobs"
COUNT_NOUNS = (
    "people|persons|workers|employees|staff|jobs|troops|soldiers|civilians|refugees|migrants|"
    "protesters|demonstrators|casualties|deaths|victims|prisoners|hostages|detainees|students|"
    "patients|children|residents|voters|votes|seats|members|customers|users|subscribers|"
    "visitors|passengers|tourists|households|homes|houses|cars|vehicles|flights|companies|"
    "firms|banks|countries|nations|delegates|officials|ministers|lawmakers|players|games|"
    "goals|cases|incidents|attacks|arrests|shares|copies|units|barrels|tonnes|tons"
)
_COUNT = rf"(?P<noun>{COUNT_NOUNS})"

PATTERNS = [
    ("money", re.compile(rf"{_SYM}\s?{_NUM}{_SCALE}")),
    ("money", re.compile(rf"\b{_CODE}\s?{_NUM}{_SCALE}")),
    ("money", re.compile(rf"\b{_NUM}{_SCALE}\s+(?:US\s+)?{_WORD}\b")),
    ("money", re.compile(rf"\b{_NUM}{_SCALE}\s+{_CODE}\b")),
    ("percent", re.compile(rf"\b{_NUM}\s?(?:%|per\s?cent\b|percent\b|percentage points?\b)")),
    ("duration", re.compile(rf"\b(?:{_NUM}|{_NUMW})[\s-]{_UNITS}\b(?:-long)?", re.I)),
    (
        "count",
        re.compile(rf"\b(?:{_NUM}{_SCALE}|{_NUMW})\s+(?:(?:more|new|extra|other)\s+)?{_COUNT}\b", re.I),
    ),
]
# each pattern with its literal prefilter (transforms.rxfilter): most sentences have no quantity,
# and a substring test tells far faster than a regex scan that a pattern cannot match
_PATTERN_FILTERS = [(kind, rx, prefilter(rx)) for kind, rx in PATTERNS]
# words that can precede a measure without being part of its name ("while unemployment")
_METRIC_STOP = frozenset(
    "while and but or the a an its their his her our of in on at as that which with by for to from "
    "than said says rose fell grew total annual".split()
)
METRIC = re.compile(
    r"(?<![\w'’])((?:[a-z]{2,}\s+){0,2}(?:surplus|deficit|exports?|imports?|investments?|gdp|growth|tariffs?|revenues?|sales|"
    r"profits?|loss(?:es)?|prices?|budget|debt|spending|aid|fine|inflation|unemployment|rates?|shares?|stake|"
    r"turnover|earnings|income|costs?|value|output|funding|subsid(?:y|ies)|bonds?|reserves?|wages?|salar(?:y|ies)))\b",
    re.I,
)


def extract_quantities(articles: pl.DataFrame, sentences: pl.DataFrame) -> pl.DataFrame:
    """One row per quantity, columns as schemas.tables.QUANTITIES (without run_id)."""
    sents: dict[str, list[tuple[int, int, int]]] = {}
    for aid, idx, s, e in sentences.select(
        "article_id", "sentence_idx", "start_char", "end_char"
    ).iter_rows():
        sents.setdefault(aid, []).append((idx, s, e))
    rows: list[dict] = []
    for aid, body, pub in articles.select("article_id", "body", "published_date").iter_rows():
        # the patterns whose literals occur in the body, then in the sentence, are scanned
        folded = fold(body)
        patterns = [p for p in _PATTERN_FILTERS if might_match(p[2], body, folded)]
        if not patterns:
            continue
        for idx, s, e in sents.get(aid, []):
            text = body[s:e]
            text_folded = fold(text)
            taken: list[tuple[int, int]] = []
            for kind, rx, pf in patterns:
                for m in finditer(rx, pf, text, text_folded):  # = rx.finditer(text), with less work
                    if any(not (m.end() <= a or m.start() >= b) for a, b in taken):
                        continue
                    row = _quantity(kind, m, text, pub)
                    if row is None:
                        continue
                    taken.append(m.span())
                    qs, qe = s + m.start(), s + m.end()
                    rows.append(
                        {
                            "quantity_id": hashlib.sha256(f"{aid}|{qs}|{qe}".encode()).hexdigest()[:16],
                            "article_id": aid,
                            "sentence_idx": idx,
                            "start_char": qs,
                            "end_char": qe,
                            "quantity_text": body[qs:qe],
                            **row,
                        }
                    )
    return pl.DataFrame(
        rows,
        schema={
            "quantity_id": pl.String,
            "article_id": pl.String,
            "sentence_idx": pl.Int64,
            "start_char": pl.Int64,
            "end_char": pl.Int64,
            "quantity_text": pl.String,
            "value": pl.Float64,
            "unit": pl.String,
            "currency": pl.String,
            "metric": pl.String,
            "reference_period": pl.String,
        },
    )


def _quantity(kind: str, m: re.Match[str], text: str, pub: date | None) -> dict | None:
    g = m.groupdict()
    if g.get("num"):
        value = float(g["num"].replace(",", ""))
    elif g.get("numw"):
        value = float(NUMBER_WORDS[g["numw"].lower()])
    else:
        return None
    scale = (g.get("scale") or "").lower()
    if kind == "money":
        if scale in ("m", "b", "k") and not (g.get("sym") or g.get("code") or g.get("word")):
            return None
        value *= SCALES.get(scale, 1.0)
        currency = (
            SYMBOLS.get((g.get("sym") or "").lower())
            or (g.get("code") or "").upper()
            or WORDS.get((g.get("word") or "").lower())
        )
        if currency == "RMB":
            currency = "CNY"
        unit = "money"
    elif kind == "percent":
        # a change of 0.3 percentage points is not a change of 0.3%
        unit = "percentage point" if "point" in m.group().lower() else "percent"
        currency = None
    elif kind == "count":
        if g.get("num") and 1900 <= value <= 2100 and not scale:
            return None  # "2004 games": a year, not a count
        value *= SCALES.get(scale, 1.0) if scale not in ("m", "b", "k") else 1.0
        if scale in ("m", "b", "k"):
            return None  # "5m people" is ambiguous with metres; leave it
        unit, currency = "count", None
    else:
        if g.get("num") and 1900 <= value <= 2100:
            return None
        unit, currency = g["unit"].lower(), None
    before = text[max(0, m.start() - 80) : m.start()]
    metric = None
    if kind in ("money", "percent"):
        metrics = METRIC.findall(before)
        if metrics:
            words = metrics[-1].strip().lower().split()
            while len(words) > 1 and words[0] in _METRIC_STOP:
                words.pop(0)
            metric = " ".join(words)
    elif kind == "count":
        metric = g["noun"].lower()
    return {
        "value": value,
        "unit": unit,
        "currency": currency,
        "metric": metric,
        "reference_period": _period(text, m, pub),
    }


def _period(text: str, m: re.Match[str], pub: date | None) -> str | None:
    after = text[m.end() : m.end() + 40]
    before = text[max(0, m.start() - 40) : m.start()]
    for d in find_dates(after):
        if d.start <= 6 and d.year:
            return str(d.year) if not d.month else f"{d.year}-{d.month:02d}"
    yr = re.search(r"\b(?:in|for|during)\s+((?:19|20)\d\d)\s*$", before)
    if yr:
        return yr.group(1)
    rel = re.match(r"\s*(?:in\s+)?(last|this|next)\s+year\b", after)
    if rel and pub:
        return str(pub.year + {"last": -1, "this": 0, "next": 1}[rel.group(1)])
    return None
