"""Date expressions: finding them, resolving them against a publication date, and inferring the
publication year when a dateline gives only month and day.

Nothing here guesses silently: every resolved date comes with its precision and a ``source``
string that says how it was found; an unresolvable date is ``None`` with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import polars as pl

from transforms.gazetteer import norm_key
from transforms.pymap import map_py
from transforms.rxfilter import finditer, fold, prefilter

MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}
WEEKDAYS = {
    d: i for i, d in enumerate(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])
}

_MON = r"(?P<mon>January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
DATE_RES = [
    ("iso", re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b")),
    ("mdy", re.compile(rf"\b{_MON}\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d)\b")),
    ("dmy", re.compile(rf"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+{_MON},?\s+(?P<y>(?:19|20)\d\d)\b")),
    ("md", re.compile(rf"\b{_MON}\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\b(?!\s*,?\s*(?:19|20)\d\d)(?!\d)")),
    ("dm", re.compile(rf"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?{_MON}\b(?!,?\s+(?:19|20)\d\d)")),
    ("my", re.compile(rf"\b{_MON},?\s+(?P<y>(?:19|20)\d\d)\b")),
    ("year", re.compile(r"\b(?:in|of|since|during|for|by|until|before|after)\s+(?P<y>(?:19|20)\d\d)\b")),
    ("rel", re.compile(r"\b(?P<rel>yesterday|today|tomorrow|tonight)\b", re.I)),
    (
        "relw",
        re.compile(
            r"\b(?P<dir>last|next|this|on)\s+(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b",
            re.I,
        ),
    ),
    (
        "relp",
        re.compile(
            r"\b(?P<dir>(?:later|earlier)\s+this|last|next|this)\s+(?P<unit>week|month|year)\b",
            re.I,
        ),
    ),
    # a bare weekday, as wire copy writes it ("met Cho Monday"); not a name ("Sunday Times")
    (
        "wd",
        re.compile(
            r"(?<!-)\b(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b(?!\s+[A-Z]|-)"
        ),
    ),
]
# before a weekday: it names a day of the calendar or a paper, not a day of the week at hand
_NOT_A_WEEKDAY_BEFORE = re.compile(
    r"\b(?:Good|Black|Cyber|Super|Bloody|Ash|Easter|Palm|Holy|Maundy|Shrove|Whit|Mail(?:\s+on)?)\s+$"
)

# each pattern with its literal prefilter (transforms.rxfilter): most texts have no date
_DATE_FILTERS = [(kind, rx, prefilter(rx)) for kind, rx in DATE_RES]

FUTURE_CUES = re.compile(
    r"\b(?:will|shall|'ll|plans?|planned|scheduled|expected|due|upcoming|next|set to|to be held|"
    r"comes? into effect|takes? effect|goes? into effect|postponed to|delayed to|moved to|pushed back to)\b",
    re.I,
)


@dataclass(frozen=True)
class DateExpr:
    start: int
    end: int
    kind: str
    year: int | None = None
    month: int | None = None
    day: int | None = None
    rel: str | None = None


def find_dates(text: str) -> list[DateExpr]:
    """Date expressions in ``text`` (non-overlapping, first pattern wins)."""
    found: list[DateExpr] = []
    taken: list[tuple[int, int]] = []
    folded = fold(text)
    for kind, rx, pf in _DATE_FILTERS:
        for m in finditer(rx, pf, text, folded):  # = rx.finditer(text), skipping what cannot match
            s, e = m.span()
            if any(not (e <= a or s >= b) for a, b in taken):
                continue
            g = m.groupdict()
            mon = (
                MONTHS.get(g["mon"].lower().rstrip("."))
                if g.get("mon")
                else (int(g["m"]) if g.get("m") else None)
            )
            day = int(g["d"]) if g.get("d") else None
            year = int(g["y"]) if g.get("y") else None
            if day is not None and not 1 <= day <= 31:
                continue
            if kind == "md" and g["mon"].lower() == "may" and not re.match(r"May\s+\d", m.group()):
                continue
            if kind in ("relw", "wd") and _NOT_A_WEEKDAY_BEFORE.search(text, max(0, s - 12), s):
                continue
            rel = None
            if kind == "rel":
                rel = g["rel"].lower()
            elif kind == "relw":
                rel = f"{g['dir'].lower()} {g['wd'].lower()}"
            elif kind == "wd":
                rel = g["wd"].lower()
            elif kind == "relp":
                rel = f"{' '.join(g['dir'].lower().split())} {g['unit'].lower()}"
            if kind == "year":
                s = m.start("y")
            found.append(DateExpr(s, e, kind, year, mon, day, rel))
            taken.append((s, e))
    return sorted(found, key=lambda d: d.start)


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


Direction = Literal["ahead", "past", "nearest"]
"""Which side of the publication date a date without a year, or a bare weekday, lies on.

``ahead``: the coming one (future tense, a planned event, "takes effect on August 1");
``past``: the latest one (past tense, and what news reports by default); ``nearest``: whichever
is closer ("from August 1", "until March 3" name a bound, not a side)."""

# a date a few days on the other side of the publication date still belongs to its side (an
# article published late, a deadline just missed)
SIDE_SLACK = timedelta(days=7)

# right before a date: the date is ahead ("takes effect on", "due by", "ahead of Friday's vote")
_AHEAD_BEFORE_DATE = re.compile(
    r"\b(?:(?:takes?|comes?|goes?)\s+(?:into\s+)?(?:effect|force)|due|deadline\s+of|no\s+later\s+than|"
    r"ahead\s+of|in\s+the\s+run-up\s+to)"
    r"(?:\s+(?:on|from|by))?\s+$",
    re.I,
)
# right before a date: the date bounds a span that may lie either side ("from", "until")
_BOUND_BEFORE_DATE = re.compile(
    r"\b(?:from|starting|beginning|effective|as\s+of|until|till|through|by)(?:\s+on)?\s+$", re.I
)
# a plan stated in the past ("was scheduled for", "had been due to"): its date may be either side
_PAST_PLAN = re.compile(
    r"\b(?:was|were|had\s+been)\s+(?:(?:originally|initially|previously)\s+)?"
    r"(?:scheduled|planned|set|due|expected|supposed|slated)\b",
    re.I,
)


def points_ahead(expr: DateExpr) -> bool:
    """Whether ``expr`` points ahead of the publication date by itself, whatever the verb's tense
    ("tomorrow", "next Friday", "next week", "later this year")."""
    rel = expr.rel or ""
    return rel == "tomorrow" or rel.startswith(("next ", "later this "))


def date_direction(before_date: str, *, past_tense: bool, future: bool, settled: bool) -> Direction:
    """The side of the publication date a date lies on, from the clause text before it and the
    event it dates.

    ``before_date`` is the clause up to the date expression; ``past_tense``: the event's verb is
    in the simple past ("met", "imposed"); ``future``: the event is planned or its clause speaks
    of the future ("will", "is expected to"); ``settled``: the event was cancelled or postponed
    (the date it was set for may lie either side). Words right before the date win ("imposed a
    tariff that takes effect on August 1" is ahead), then a plan stated in the past, the verb's
    tense, the event's status; the default is past: news reports what happened.
    """
    if _AHEAD_BEFORE_DATE.search(before_date[-40:]):
        return "ahead"
    if _PAST_PLAN.search(before_date):
        return "nearest"
    if _BOUND_BEFORE_DATE.search(before_date[-20:]):
        return "ahead" if future and not past_tense else "nearest"
    if past_tense:
        return "past"
    if settled:
        return "nearest"
    return "ahead" if future else "past"


def _resolve_month_day(month: int, day: int, pub: date, direction: Direction) -> tuple[date | None, str]:
    """A month and day without a year: its occurrence (previous, publication or next year) on
    ``direction``'s side of ``pub`` (within ``SIDE_SLACK``), or the nearest one."""
    years = {pub.year - 1: "previous year", pub.year: "publication year", pub.year + 1: "next year"}
    dates = [(d, word) for y, word in years.items() if (d := _safe_date(y, month, day))]
    if not dates:
        return None, "unknown: invalid calendar date"
    if direction == "ahead":
        ahead = [c for c in dates if c[0] >= pub - SIDE_SLACK]
        chosen, side = (min(ahead) if ahead else max(dates)), "the coming one"
    elif direction == "past":
        past = [c for c in dates if c[0] <= pub + SIDE_SLACK]
        chosen, side = (max(past) if past else min(dates)), "the latest one"
    else:
        chosen, side = min(dates, key=lambda c: abs(c[0] - pub)), "the nearest one"
    return chosen[0], f"month/day, {side}: {chosen[1]}"


def _resolve_weekday(weekday: int, how: str, pub: date, direction: Direction) -> tuple[date, str]:
    """A weekday: "next"/"last" the one of the coming/past week (never the publication day);
    "on"/"this" the publication day itself or the past six days when ``direction`` is past,
    the coming seven days when ahead ("will meet on Monday" in a Monday article is a week
    later: news says "today" for the same day), the closer of both when nearest."""
    forward = (weekday - pub.weekday()) % 7
    back = (pub.weekday() - weekday) % 7
    if how == "next" or (how != "last" and direction == "ahead"):
        return pub + timedelta(days=forward or 7), "the coming week"
    if how == "last":
        return pub - timedelta(days=back or 7), "the past week"
    if back == 0:
        return pub, "the publication day"
    if direction == "nearest" and forward < back:
        return pub + timedelta(days=forward), "the nearest one: ahead"
    return pub - timedelta(days=back), "the past week" if direction == "past" else "the nearest one: past"


def resolve_date(
    expr: DateExpr, pub: date | None, future: bool | Direction
) -> tuple[date | None, str | None, str]:
    """Resolve ``expr`` against the publication date: (date, precision, source).

    ``future`` says on which side of ``pub`` a date without a year lies: a ``Direction``
    (see ``date_direction``), or True for ahead and False for past.
    """
    direction: Direction = future if isinstance(future, str) else ("ahead" if future else "past")
    if expr.year and expr.month and expr.day:
        d = _safe_date(expr.year, expr.month, expr.day)
        return (d, "day", "explicit date") if d else (None, None, "unknown: invalid calendar date")
    if expr.year and expr.month:
        return date(expr.year, expr.month, 1), "month", "explicit month"
    if expr.year:
        return date(expr.year, 1, 1), "year", "explicit year"
    if pub is None:
        return None, None, "unknown: relative date and the publication date is unknown"
    if expr.month and expr.day:
        d, src = _resolve_month_day(expr.month, expr.day, pub, direction)
        return d, "day" if d else None, src
    rel = expr.rel or ""
    if rel in ("today", "tonight"):
        return pub, "day", f"relative: {rel}"
    if rel == "yesterday":
        return pub - timedelta(days=1), "day", "relative: yesterday"
    if rel == "tomorrow":
        return pub + timedelta(days=1), "day", "relative: tomorrow"
    *how_words, unit = rel.split() or [""]
    how = how_words[0] if how_words else ""
    if unit in WEEKDAYS:
        d, side = _resolve_weekday(WEEKDAYS[unit], how, pub, direction)
        return d, "day", f"relative: {rel} ({side})"
    shift = {"last": -1, "next": 1}.get(how, 0)  # "this", "later this", "earlier this": 0
    if unit == "week":  # the week's Monday, precision week: "last week" names no day
        monday = pub - timedelta(days=pub.weekday())
        return monday + timedelta(days=7 * shift), "week", f"relative: {rel} (the week from that Monday)"
    if unit == "month":
        y, m = pub.year, pub.month + shift
        y, m = (y - 1, 12) if m == 0 else ((y + 1, 1) if m == 13 else (y, m))
        return date(y, m, 1), "month", f"relative: {rel}"
    if unit == "year":
        return date(pub.year + shift, 1, 1), "year", f"relative: {rel}"
    return None, None, "unknown: unsupported date expression"


_YEAR_RE = re.compile(r"\b(19[5-9]\d|20\d\d)\b")


def infer_publication_dates(
    articles: pl.DataFrame,
    mentions: pl.DataFrame,
    roles: pl.DataFrame,
    *,
    today: date,
    default_year: int | None = None,
) -> pl.DataFrame:
    """Fill ``published_date`` for articles whose dateline gives month/day but no year.

    Evidence, combined: (1) the tenure of office holders the text names with their title, from
    ``actor_roles`` (the date must fall inside it); (2) years the text names outside future
    contexts (the article is not older than them; when the text speaks of a year as past, the
    year after it is preferred); (3) not after ``today``; (4) ``default_year`` as a last resort.
    With no evidence the date stays NULL and ``date_source`` says why.
    """
    need = articles.filter(pl.col("published_date").is_null())
    if need.height == 0:
        return articles
    titled = mentions.filter(pl.col("actor_id").is_not_null() & pl.col("role_title").is_not_null())
    role_rows = roles.filter(pl.col("role_title").is_not_null())
    role_rows = role_rows.with_columns(
        map_py(role_rows.get_column("role_title"), norm_key, pl.String).alias("t")
    )
    updates: dict[str, tuple[date | None, str | None, str]] = {}
    # why parsing found no date (unparseable metadata, a dateline without one, ...) stands for
    # the articles that have no month and day to complete
    told = [c for c in ("date_source",) if c in need.columns]
    for row in need.select("article_id", "body", "dateline_month", "dateline_day", *told).iter_rows(
        named=True
    ):
        aid, body, mon, day = row["article_id"], row["body"], row["dateline_month"], row["dateline_day"]
        if not mon or not day:
            updates[aid] = (None, None, row.get("date_source") or "unknown: no date in metadata or dateline")
            continue
        years = set(range(1950, today.year + 1))
        reasons: list[str] = []
        mine = titled.filter(pl.col("article_id") == aid).select("actor_id", "role_title", "mention_text")
        for person, title, text in mine.unique(
            ["actor_id", "role_title"], keep="first", maintain_order=True
        ).iter_rows():
            spans = role_rows.filter((pl.col("actor_id") == person) & (pl.col("t") == norm_key(title)))
            if spans.height == 0:
                continue
            ok: set[int] = set()
            for s, e in spans.select("start_date", "end_date").iter_rows():
                for y in years:
                    d = _safe_date(y, mon, day)
                    if d and (s is None or d >= s) and (e is None or d <= e):
                        ok.add(y)
            years &= ok
            first = spans["start_date"].min()
            assert first is None or isinstance(first, date), "roles.start_date is a Date column"
            reasons.append(f"{title} {text} (in office from {first})")
        past_years = []
        for sent in re.split(r"(?<=[.!?])\s+", body):
            if FUTURE_CUES.search(sent):
                continue
            past_years += [int(y) for y in _YEAR_RE.findall(sent)]
        if past_years:
            floor = max(past_years)
            years = {y for y in years if y >= floor}
            reasons.append(f"{floor} named as past")
        years = {y for y in years if (_safe_date(y, mon, day) or date.max) <= today}
        if not reasons or not years:
            if default_year:
                d = _safe_date(default_year, mon, day)
                updates[aid] = (d, "day", f"dateline month/day, year from --default-year {default_year}")
            else:
                why = "no evidence for the year" if not reasons else "evidence is contradictory"
                updates[aid] = (None, None, f"unknown: dateline has no year and {why}")
            continue
        if len(years) == 1:
            y = years.pop()
            how = "the only year consistent with"
        elif past_years and max(past_years) + 1 in years:
            y = max(past_years) + 1
            how = "the year after the latest year the text speaks of as past, consistent with"
        else:
            if default_year and default_year in years:
                updates[aid] = (
                    _safe_date(default_year, mon, day),
                    "day",
                    f"dateline month/day, year from --default-year {default_year}",
                )
            else:
                updates[aid] = (
                    None,
                    None,
                    f"unknown: years {min(years)}-{max(years)} all fit: " + "; ".join(reasons),
                )
            continue
        updates[aid] = (
            _safe_date(y, mon, day),
            "day",
            f"dateline month/day; year {y} inferred: {how} " + "; ".join(reasons),
        )
    upd = pl.DataFrame(
        {
            "article_id": list(updates),
            "_d": [v[0] for v in updates.values()],
            "_p": [v[1] for v in updates.values()],
            "_s": [v[2] for v in updates.values()],
        },
        schema={"article_id": pl.String, "_d": pl.Date, "_p": pl.String, "_s": pl.String},
    )
    return (
        articles.join(upd, on="article_id", how="left")
        .with_columns(
            pl.coalesce("published_date", "_d").alias("published_date"),
            pl.when(pl.col("published_date").is_null())
            .then(pl.col("_p"))
            .otherwise(pl.col("date_precision"))
            .alias("date_precision"),
            pl.when(pl.col("published_date").is_null())
            .then(pl.col("_s"))
            .otherwise(pl.col("date_source"))
            .alias("date_source"),
        )
        .drop("_d", "_p", "_s")
    )
