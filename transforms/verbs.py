"""PETRARCH2 verb lexicon (seeds/reference/verb_forms.csv, verb_patterns.csv) as event triggers.

A verb form found in a sentence gets its block's most specific pattern whose words follow (and
precede) it in the clause, in order; else the verb's own CAMEO code. Codes without a PLOVER type
(CAMEO 01 statements) are not events; CAMEO 02 (appeal) is PLOVER REQUEST.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import polars as pl

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'-]*")
AFTER_WINDOW = 10
BEFORE_WINDOW = 6


@dataclass(frozen=True)
class Pattern:
    before: tuple[tuple[tuple[str, ...], ...], ...]  # slots -> alternatives -> words
    after: tuple[tuple[tuple[str, ...], ...], ...]
    code: str
    # first words of every slot's alternatives: a cheap test before the ordered match
    before_first: tuple[frozenset[str], ...] = ()
    after_first: tuple[frozenset[str], ...] = ()

    @property
    def size(self) -> int:
        return len(self.before) + len(self.after)


@dataclass(frozen=True)
class VerbLexicon:
    forms: dict[tuple[str, ...], tuple[str, str]]  # words -> (block, default code)
    patterns: dict[str, list[Pattern]]  # block -> patterns, most specific first
    max_words: int
    # block -> first word of the pattern's first 'after' slot -> pattern positions ('' = no after slot)
    index: dict[str, dict[str, list[int]]]
    # first words of the multi-word forms: only these tokens need the longer look-ups
    multi_first: frozenset[str] = frozenset()
    # first words of all forms: other tokens cannot start a verb
    first_words: frozenset[str] = frozenset()
    # block -> its patterns' codes, the most frequent first: what a verb of the block most often means when
    # neither a pattern nor a default code says (a candidate for a classifier, not an event by itself)
    usual_codes: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _slots(text: str | None) -> tuple[tuple[tuple[str, ...], ...], ...]:
    if not text:
        return ()
    return tuple(tuple(tuple(alt.split("_")) for alt in slot.split("|") if alt) for slot in text.split())


def build_verb_lexicon(forms: pl.DataFrame, patterns: pl.DataFrame) -> VerbLexicon:
    fmap: dict[tuple[str, ...], tuple[str, str]] = {}
    for form, block, code in forms.select("form", "block", "cameo_code").iter_rows():
        key = tuple(form.split())
        # the first listing wins; a verb listed in several blocks keeps a coded one if any
        if key not in fmap or (not fmap[key][1] and code):
            fmap[key] = (block, code or "")
    pmap: dict[str, list[Pattern]] = {}
    for block, before, after, code in patterns.select("block", "before", "after", "cameo_code").iter_rows():
        b, a = _slots(before), _slots(after)
        pmap.setdefault(block, []).append(
            Pattern(
                b,
                a,
                code,
                tuple(frozenset(alt[0] for alt in slot) for slot in b),
                tuple(frozenset(alt[0] for alt in slot) for slot in a),
            )
        )
    index: dict[str, dict[str, list[int]]] = {}
    for block, pats in pmap.items():
        pats.sort(key=lambda p: -p.size)
        idx = index.setdefault(block, {})
        for i, p in enumerate(pats):
            for word in p.after_first[0] if p.after_first else {""}:
                idx.setdefault(word, []).append(i)
    multi_first = frozenset(k[0] for k in fmap if len(k) > 1)
    first_words = frozenset(k[0] for k in fmap)
    usual = {
        block: tuple(code for code, _ in Counter(p.code for p in pats if p.code).most_common())
        for block, pats in pmap.items()
    }
    return VerbLexicon(
        fmap, pmap, max((len(k) for k in fmap), default=1), index, multi_first, first_words, usual
    )


def _match_slots(slots: tuple, words: list[str]) -> bool:
    """All slots occur in ``words`` in order (gaps allowed)."""
    i = 0
    for alts in slots:
        found = False
        while i < len(words) and not found:
            for alt in alts:
                if tuple(words[i : i + len(alt)]) == alt:
                    i += len(alt)
                    found = True
                    break
            else:
                i += 1
        if not found:
            return False
    return True


def find_verb_triggers(
    text: str, offset: int, lex: VerbLexicon, usual: frozenset[str] | None = None
) -> list[tuple[int, int, str, str, bool]]:
    """Verb triggers in ``text`` (a clause or sentence starting at ``offset`` in the body).

    Returns (start, end, cameo_code, block, by_pattern) in body offsets; ``by_pattern`` tells
    whether a pattern (not the verb's default) gave the code. Verbs without a code are skipped, unless
    ``usual`` is given: then such a verb gets the most frequent of its block's pattern codes that is in
    ``usual`` (e.g. the coded ones), if any.
    """
    toks = [(m.start(), m.end(), m.group().lower()) for m in _TOKEN.finditer(text)]
    words = [t[2] for t in toks]
    out: list[tuple[int, int, str, str, bool]] = []
    next_free = 0  # tokens before this were consumed by a multi-word form
    for i in [k for k, w in enumerate(words) if w in lex.first_words]:
        if i < next_free:
            continue
        hit = None
        longest = min(lex.max_words, len(toks) - i) if words[i] in lex.multi_first else 1
        for n in range(longest, 0, -1):
            entry = lex.forms.get(tuple(words[i : i + n]))
            if entry:
                hit = (n, entry)
                break
        if not hit:
            continue
        n, (block, code) = hit
        after = words[i + n : i + n + AFTER_WINDOW]
        before = words[max(0, i - BEFORE_WINDOW) : i]
        by_pattern = False
        after_set, before_set = set(after), set(before)
        idx = lex.index.get(block, {})
        candidates = sorted({c for w in (*after_set, "") for c in idx.get(w, ())})
        pats = lex.patterns.get(block, [])
        for p in (pats[c] for c in candidates):
            if any(not (first & after_set) for first in p.after_first):
                continue
            if any(not (first & before_set) for first in p.before_first):
                continue
            if _match_slots(p.after, after) and (not p.before or _match_slots(p.before, before)):
                code, by_pattern = p.code, True
                break
        if not code and usual is not None:
            code = next((c for c in lex.usual_codes.get(block, ()) if c in usual), "")
        if code:
            out.append((offset + toks[i][0], offset + toks[i + n - 1][1], code, block, by_pattern))
        next_free = i + n
    return out
