"""Literal prefilters (transforms/rxfilter.py): what they derive, and that they are conservative.

Conservative means: a scan skipped because ``might_match`` is False would have found nothing.
That is checked for every regex the transforms use, on the bundled sample articles (and their
sentences), on crafted edge cases, and on strings generated from each pattern's own parse tree
(so that every pattern is tried on many texts that it does match).
"""

from __future__ import annotations

import random
import re
import sys
from datetime import date
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]

import polars as pl
import pytest

from tests.paths import SAMPLES
from transforms import dates, entities, events, extract, lexicon, quantities, verbs
from transforms.rxfilter import Prefilter, finditer, fold, might_match, prefilter


def lits(pattern: str, flags: int = 0) -> list[set[str]] | None:
    pf = prefilter(pattern, flags)
    return None if pf is None else [set(s) for s in pf.all_of]


# --- the derivation ------------------------------------------------------------------------------


def test_literals_and_sequences() -> None:
    assert lits("abc") == [{"abc"}]
    assert lits(r"\bsummit\b") == [{"summit"}]
    assert lits("a.c") in ([{"a"}, {"c"}], [{"c"}, {"a"}])  # either literal, both are required
    assert prefilter("abc") == Prefilter((("abc",),), case_sensitive=True, starts=("abc",))


def test_branches() -> None:
    assert lits("foo|bar") == [{"foo", "bar"}]
    assert lits(r"\b(?:met|meets?|meeting)\b") == [{"met", "meet"}]  # "meeting" contains "meet"
    assert lits(r"x(?:ab|\w+c)") in ([{"x"}], [{"x"}, {"ab", "c"}], [{"ab", "c"}, {"x"}])
    assert lits(r"ab|\d+") is None  # one alternative needs no literal


def test_optional_and_repeated_items() -> None:
    assert lits("(?:tele)?phone") == [{"phone"}]
    assert lits(r"visit(?:ed|s|ing)?\b") == [{"visit"}]
    assert lits("ab{2,3}c") == [{"abbc", "abbbc"}]
    assert lits(r"(?:confirmation|personnel)?\s*hearings?") == [{"hearing"}]
    assert lits(r"\d+%") == [{"%"}]
    assert lits("(?:ab)+c") is not None and {"ab"} in lits("(?:ab)+c")  # type: ignore[operator]
    assert lits("x{0}y") == [{"y"}]
    pf = prefilter("x(?:ab)*y")  # an optional item requires nothing
    assert pf is not None and all("ab" not in s for s in pf.all_of) and pf.might_match("xy")


def test_character_classes() -> None:
    assert lits("[ab]x") == [{"ax", "bx"}]
    assert lits("[0-3]x") == [{"0x", "1x", "2x", "3x"}]
    assert lits("[^a]x") == [{"x"}]  # a negated class is any character
    assert lits(r"[\w-]x") == [{"x"}]  # a category is Unicode-wide: not expanded
    assert lits(r"\dx") == [{"x"}]
    assert lits("[a-z]x") == [{"x"}]  # a range too large to expand


def test_lookarounds_are_zero_width() -> None:
    assert lits(r"(?<=foo)bar(?!baz)") == [{"bar"}]
    assert lits(r"\bcall\b(?=\s+with\b)") == [{"call"}]
    assert lits(r"(?<![\w'])tariffs?\b") == [{"tariff"}]


def test_case() -> None:
    pf = prefilter("Abc")
    assert pf is not None and pf.case_sensitive and pf.all_of == (("Abc",),)
    assert not pf.might_match("xabcx") and pf.might_match("xAbcx")
    for pattern, flags in (("Abc", re.I), ("(?i)Abc", 0), ("x(?i:Bc)", 0), ("x(?:(?i:Bc)|d)", 0)):
        pf = prefilter(pattern, flags)
        assert pf is not None and not pf.case_sensitive, pattern
    pf = prefilter("ABC", re.I)
    assert pf is not None and pf.all_of == (("abc",),) and pf.might_match("xaBcx")


def test_unfilterable_patterns() -> None:
    for pattern in (r"\w+", "a?", ".*", r"\d{4}", r"(\w)\1", r"(?:\s|x)+", "[^x]y?", ""):
        assert prefilter(pattern) is None, pattern
    assert prefilter(re.compile(rb"abc")) is None  # bytes patterns are not handled
    assert might_match(None, "anything")
    assert might_match(None, "")


def test_a_set_that_would_explode_is_not_used() -> None:
    many = "|".join(f"{chr(97 + i % 26)}{chr(97 + i // 26)}{i}" for i in range(300))
    assert prefilter(f"(?:{many})") is None
    assert lits(f"(?:{many})xyz") == [{"xyz"}]


def test_a_compiled_pattern_keeps_its_flags() -> None:
    pf = prefilter(re.compile(r"\bsummit\b", re.I))
    assert pf is not None and pf.might_match("The SUMMIT opened") and not pf.might_match("The summer")


def starts(pattern: str, flags: int = 0) -> tuple[str, ...] | None:
    pf = prefilter(pattern, flags)
    return None if pf is None else pf.starts


def test_the_literals_matches_start_with() -> None:
    assert starts("abc") == ("abc",)
    assert starts("(?:tele)?phone") == ("phone", "telephone")
    assert starts(r"\b(?:met|meets?|meeting)\b") == ("meet", "met")  # "meeting" starts with "meet"
    assert starts("a.c") == ("a",)
    assert starts(r"(?:ab|cd)+e") == ("ab", "cd")
    assert starts(r"(?<=foo)bar\b") == ("bar",)
    assert starts(r"(?:x|y\w)z") == ("x", "y")
    assert starts(r"[ab]{2}c") == ("aac", "abc", "bac", "bbc")
    assert starts("SUMMIT", re.I) == ("summit",)
    # no start known: an optional or unknown first item, or an alternative without one
    for pattern in (r"\d+%", r"(?:a)?\s*hearing", r"x?\wy", r"(?:ab|\w)c", r"\w+ing"):
        assert starts(pattern) is None, pattern
    assert prefilter(r"(?:a)?\s*hearing") is not None  # (it still requires "hearing")
    assert starts("x?y") == ("xy", "y")  # an optional exact item multiplies out


def test_finditer_at_the_starts_finds_what_finditer_finds() -> None:
    rx = re.compile(r"\b(?:met|meets?)\b(?!\s+the)", re.I)
    pf = prefilter(rx)
    assert pf is not None and pf.starts == ("meet", "met")
    text = "He met them; she MEETS the press; they met. Meets? metal meet"
    for pos, end in ((0, sys.maxsize), (3, 40), (4, 60), (45, sys.maxsize), (-5, 999), (20, 10), (0, -3)):
        want = [m.span() for m in rx.finditer(text, pos, end)]
        assert [m.span() for m in finditer(rx, pf, text, fold(text), pos, end)] == want, (pos, end)
    assert [m.span() for m in finditer(rx, pf, text)] == [m.span() for m in rx.finditer(text)]
    assert [m.span() for m in finditer(rx, None, text)] == [m.span() for m in rx.finditer(text)]
    # folding that changes the length (ß -> ss) cannot give positions: the whole text is scanned
    text = "Straße: they met"
    assert len(fold(text)) != len(text)
    assert [m.span() for m in finditer(rx, pf, text)] == [(13, 16)]


# --- folding -----------------------------------------------------------------------------------


def test_fold_is_per_character_and_coarser_than_ignorecase() -> None:
    # re.IGNORECASE matches "i" with the Turkish İ and ı, "s" with ſ, "k" with the Kelvin sign
    for text in ("VİSİT", "vısıt", "viſit", "\u212aing", "STRASSE", "straße", "ΣΑΣ"):
        word = {"VİSİT": "visit", "vısıt": "visit", "viſit": "visit", "\u212aing": "king"}.get(text)
        if word:
            assert re.fullmatch(word, text, re.I), text
            assert fold(word) in fold(text)
    assert fold("Straße") == fold("STRASSE") == "strasse"
    assert fold("ΣΑΣ") == fold("σας")
    assert fold("ABC def") == "abc def"
    text = "Ünïcödé İstanbul ıs Kelvin \u212a ſ ß"
    assert fold(text) == "".join(fold(c) for c in text)


def test_no_character_folds_to_nothing() -> None:
    """So a folded text as long as the text has each character where the text has it
    (finditer relies on it to look for literals in the folded text)."""
    assert all(fold(c) for c in _all_characters())


def _all_characters() -> str:
    return "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)


def test_every_character_that_ignorecase_matches_folds_alike() -> None:
    """For each character of the project's literals (and some with odd case rules), every
    character that re.IGNORECASE matches with it folds to the same string."""
    chars = {c for pf in _project_prefilters().values() if pf for s in pf.all_of for lit in s for c in lit}
    chars |= set("abcdefghijklmnopqrstuvwxyz0123456789$%£€-'’") | set("ßſıİ\u212aµσςΣθϑκϰπϖ")
    everything = _all_characters()
    for c in sorted(chars):
        for m in re.finditer(re.escape(c), everything, re.I):
            assert fold(m.group()) == fold(c), (c, m.group())


# --- conservative on the project's patterns ------------------------------------------------------


def _project_patterns() -> dict[str, re.Pattern[str]]:
    """Every compiled regex the transforms define at module level, and the trigger lexicon."""
    out: dict[str, re.Pattern[str]] = {}
    for mod in (dates, entities, events, extract, lexicon, quantities, verbs):
        for name, value in vars(mod).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                out[f"{mod.__name__}.{name}"] = value
    for trig in lexicon.TRIGGERS:
        out[f"trigger:{trig.name}"] = trig.pattern
    for kind, rx in dates.DATE_RES:
        out[f"date:{kind}:{rx.pattern[:30]}"] = rx
    for kind, rx in quantities.PATTERNS:
        out[f"quantity:{kind}:{rx.pattern[:30]}"] = rx
    return out


def _project_prefilters() -> dict[str, Prefilter | None]:
    return {name: prefilter(rx) for name, rx in _project_patterns().items()}


def test_the_stages_filter_the_patterns_they_scan() -> None:
    assert [t for t, _ in events._TRIGGER_FILTERS] == list(lexicon.TRIGGERS)
    assert all(pf is not None for _, pf in events._TRIGGER_FILTERS)
    assert [(k, rx) for k, rx, _ in dates._DATE_FILTERS] == dates.DATE_RES
    assert [(k, rx) for k, rx, _ in quantities._PATTERN_FILTERS] == quantities.PATTERNS
    for rx in (entities.TITLE_NAME_RE, entities.NAME_TITLE_RE, entities.HONORIFIC_RE, entities.ORG_RE):
        assert entities._PREFILTERS[rx] is not None
    assert all(pf is not None for pf in events._CUE_FILTERS.values())


EDGE_CASES = [
    "",
    "met",
    "Met",
    "MET",
    "summit",
    "SUMMIT TALKS",
    "They met. They MET. Summit",
    "talks with the Prime Minister, President Lee Jae-myung said",
    "İsrael vısıted ſummits; KİNG Charles visıted",
    "Sanctions ON Iran; TARİFFS on steel; strıkes and ceasefıre",
    "He was ARRESTED and detained; $5bn, €3m, £2.5 billion, 40% and 3 per cent",
    "US$5bn or 12 million dollars, GBP 10m, 5 per cent, a 3-year term, 40,000 workers",
    "on 3 March 2024, March 3, 2024, 2024-03-03, last Tuesday, next week, yesterday",
    "Mr Smith, Dr. Jones and Sir Keir Starmer met Foreign Minister Wang Yi",
    "Ｍｅｔ ｓｕｍｍｉｔ",  # fullwidth letters: no match either way
    "e\u0301 visit\u0307 ba\u0308n",
    "\u212aing's envoy and the ᴋɪɴɢ",
    # ß folds to "ss": the folded text is longer, positions differ, the text is scanned whole
    "Herr Groß, President of the Bundesbank, met officials in Straße on 3 March 2024; €5m, 40%",
]


def _sample_texts() -> list[str]:
    from dateline.pipeline.discover import discover
    from transforms.parse import parse_files
    from transforms.sentences import sentences

    units = parse_files(discover(SAMPLES)).filter(pl.col("body").is_not_null())
    bodies = units["body"].to_list()
    arts = pl.DataFrame({"article_id": [str(i) for i in range(len(bodies))], "body": bodies})
    sents = sentences(arts)
    out = list(bodies)
    for aid, s, e in sents.select("article_id", "start_char", "end_char").iter_rows():
        body = bodies[int(aid)]
        out.append(body[s:e])
        out.append(body[max(0, s - 40) : s])  # short windows, as the stages look at
        out.append(body[e : e + 40])
    return out


@pytest.fixture(scope="module")
def texts() -> list[str]:
    texts = _sample_texts() + EDGE_CASES
    # the same texts with case changed (a case-insensitive pattern must still be caught)
    return texts + [t.upper() for t in texts] + [t.swapcase() for t in texts] + [t.title() for t in texts]


@pytest.mark.parametrize("name", sorted(_project_patterns()))
def test_filtered_scanning_finds_what_scanning_finds(name: str, texts: list[str]) -> None:
    rx = _project_patterns()[name]
    pf = prefilter(rx)
    rng = random.Random(name)
    for text in texts:
        folded = fold(text)
        found = [(m.span(), m.groups()) for m in rx.finditer(text)]
        filtered = (
            [(m.span(), m.groups()) for m in rx.finditer(text)] if might_match(pf, text, folded) else []
        )
        assert filtered == found, (name, text[:200])
        assert [(m.span(), m.groups()) for m in finditer(rx, pf, text, folded)] == found, (name, text[:200])
        # a part of the text, as the stages scan a sentence of the body
        pos = rng.randint(0, len(text))
        end = rng.randint(pos, len(text))
        part = [(m.span(), m.groups()) for m in rx.finditer(text, pos, end)]
        assert [(m.span(), m.groups()) for m in finditer(rx, pf, text, folded, pos, end)] == part, (
            name,
            pos,
            end,
            text[:200],
        )


# --- strings generated from the patterns themselves ---------------------------------------------

_POOL = "aZ.,'-’ 0é\n"
_CATEGORY_CHARS = {
    C.CATEGORY_DIGIT: "0379٣",
    C.CATEGORY_NOT_DIGIT: "a.Z ",
    C.CATEGORY_SPACE: " \n\t\xa0",
    C.CATEGORY_NOT_SPACE: "a.Z0",
    C.CATEGORY_WORD: "aZ0_éßİ",
    C.CATEGORY_NOT_WORD: " .,-",
}
# characters that re.IGNORECASE matches with a lowercase ASCII letter besides its uppercase
_ODD_CASE = {"i": "İı", "s": "ſ", "k": "\u212a"}


def _generate(sub: list, rng: random.Random, icase: bool, groups: dict[int, str]) -> str:
    """A random string that the parsed (sub)pattern ``sub`` may match (often does)."""
    out: list[str] = []
    for op, av in sub:
        if op is C.LITERAL:
            c = chr(av)
            if icase:
                c = rng.choice([c, c.upper(), c.lower(), *_ODD_CASE.get(c.lower(), "")])
            out.append(c)
        elif op in (C.NOT_LITERAL, C.ANY):
            out.append(rng.choice(_POOL))
        elif op is C.IN:
            items = [x for x in av if x[0] is not C.NEGATE]
            if len(items) < len(av) or not items:
                out.append(rng.choice(_POOL))
                continue
            kind, val = rng.choice(items)
            if kind is C.LITERAL:
                c = chr(val)
            elif kind is C.RANGE:
                c = chr(rng.randint(val[0], val[1]))
            else:
                c = rng.choice(_CATEGORY_CHARS.get(val, _POOL))
            out.append(rng.choice([c, c.swapcase()]) if icase else c)
        elif op is C.BRANCH:
            out.append(_generate(rng.choice(av[1]), rng, icase, groups))
        elif op is C.SUBPATTERN:
            group, add, delete, p = av
            inner = (icase or bool(add & re.I)) and not delete & re.I
            text = _generate(p, rng, inner, groups)
            if group is not None:
                groups[group] = text
            out.append(text)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            lo, hi, item = av
            n = rng.randint(lo, min(hi, lo + 3))
            out.extend(_generate(item, rng, icase, groups) for _ in range(n))
        elif op is C.ATOMIC_GROUP:
            out.append(_generate(av, rng, icase, groups))
        elif op is C.GROUPREF:
            out.append(groups.get(av, ""))
        elif op is C.GROUPREF_EXISTS:
            out.append(_generate(av[1], rng, icase, groups))
        elif op is C.ASSERT:
            # what a look-ahead at the pattern's end (a look-behind at its start) wants to see
            out.append(_generate(av[1], rng, icase, groups))
        # AT, ASSERT_NOT: zero-width
    return "".join(out)


@pytest.mark.parametrize("name", sorted(_project_patterns()))
def test_generated_matches_contain_the_literals(name: str) -> None:
    """Every match in strings generated from the pattern passes the prefilter, as does the
    match alone (the literals lie inside the match)."""
    rx = _project_patterns()[name]
    pf = prefilter(rx)
    tree = _parser.parse(rx.pattern, rx.flags)
    rng = random.Random(name)
    matched = 0
    for _ in range(150):
        body = _generate(tree, rng, bool(tree.state.flags & re.I), {})
        text = rng.choice(["", " ", "x ", "The "]) + body + rng.choice(["", " ", ".", " y", " to the"])
        for m in rx.finditer(text):
            matched += 1
            assert might_match(pf, m.group()), (name, m.group())
            assert might_match(pf, text, fold(text)), (name, text)
            if pf is not None and pf.starts is not None:
                hay = m.group() if pf.case_sensitive else fold(m.group())
                assert hay.startswith(pf.starts), (name, m.group())
        if pf is not None:
            assert [x.span() for x in finditer(rx, pf, text)] == [x.span() for x in rx.finditer(text)]
    if pf is not None:
        assert matched, f"{name}: no generated string matched: the test tried nothing"


# --- the stages give the same results with and without the prefilters ---------------------------


def test_extraction_is_the_same_without_prefilters(
    reference: dict[str, pl.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dateline.pipeline.discover import discover
    from transforms.parse import parse_files
    from transforms.route import KNOWN_SCHEMA, route_units

    units = route_units(parse_files(discover(SAMPLES)), pl.DataFrame(schema=KNOWN_SCHEMA))
    arts = units.filter(pl.col("route") == "article")
    today = date(2026, 11, 28)
    with_filters = extract.extract(arts, reference, today=today)
    monkeypatch.setattr(events, "_TRIGGER_FILTERS", tuple((t, None) for t, _ in events._TRIGGER_FILTERS))
    monkeypatch.setattr(dates, "_DATE_FILTERS", [(k, rx, None) for k, rx, _ in dates._DATE_FILTERS])
    monkeypatch.setattr(
        quantities, "_PATTERN_FILTERS", [(k, rx, None) for k, rx, _ in quantities._PATTERN_FILTERS]
    )
    monkeypatch.setattr(entities, "_PREFILTERS", dict.fromkeys(entities._PREFILTERS))
    monkeypatch.setattr(events, "_CUE_FILTERS", dict.fromkeys(events._CUE_FILTERS))
    without = extract.extract(arts, reference, today=today)
    assert with_filters.keys() == without.keys()
    for name, frame in with_filters.items():
        cols = frame.columns
        assert frame.sort(cols).equals(without[name].sort(cols)), name  # (entities' order varies)
    assert with_filters["events"].height > 0 and with_filters["quantities"].height > 0
