"""Literal prefilters for regexes: skip a regex scan when the text cannot contain a match.

Python's ``re`` has no fast search for a pattern that starts with ``\\b`` or a class, so scanning
a few dozen such patterns over every article costs milliseconds even when (as for most pairs of
pattern and article) there is no match at all. Like the prefilters of RE2 and Hyperscan, this
module derives from a pattern's parse tree literal strings that every match must contain (and,
where it can, literals that every match starts with), and checks them with plain substring
search (``str.__contains__``, ``str.find``), which is much faster than the regex engine.

Usage::

    pf = prefilter(PATTERN)                        # once, at import
    folded = fold(text)                            # once per text, shared by all its patterns
    for m in finditer(PATTERN, pf, text, folded):  # = PATTERN.finditer(text), with less work
        ...
    if might_match(pf, text, folded):              # or just the cheap test
        ...

The prefilter is conservative: ``might_match`` is True whenever the pattern has a match in
the text (it may also be True when there is none), and ``finditer`` yields exactly the matches
of ``pattern.finditer``. A pattern that ignores case anywhere
(``re.I``, ``(?i:...)``) has its literals compared with the text after ``fold``, a case folding
coarser than ``re.IGNORECASE``'s; a case-sensitive pattern has them compared with the text as
it is, which is more selective ("Mar" rules out far fewer sentences than "mar"). ``prefilter``
returns None when it finds no usable literal (the caller must then always scan);
``might_match(None, ...)`` is True.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

# size limits: beyond them a set of strings is not worth expanding (or checking)
MAX_CLASS = 16  # characters a class may expand to
MAX_EXACT = 64  # strings a node may match exactly
MAX_ANY_OF = 128  # literals in one "contains one of" requirement
MAX_REQUIREMENTS = 2  # requirements kept (all must hold); the most selective first
MAX_REPEAT_EXPAND = 4  # an exact item repeated at most this often is expanded

_DOTTED_I = "\u0130"  # İ: re.IGNORECASE matches it with "i"; casefold gives "i" + U+0307
_DOTLESS_I = "\u0131"  # ı: re.IGNORECASE matches it with "i"; casefold keeps "ı"


def fold(text: str) -> str:
    """Case-fold ``text`` for ``might_match``.

    ``str.casefold`` maps every pair of characters that ``re.IGNORECASE`` treats as equal to
    the same string, except for the Turkish dotted/dotless i (``İ``, ``ı``), which ``re``
    matches with ``i``; those are mapped to ``i`` first. The folding is character by character,
    so folding a matched substring gives a substring of the folded text.
    """
    if text.isascii():
        return text.lower()
    if _DOTTED_I in text or _DOTLESS_I in text:
        text = text.replace(_DOTTED_I, "i").replace(_DOTLESS_I, "i")
    return text.casefold()


@dataclass(frozen=True)
class Prefilter:
    """Literal requirements of a pattern: each tuple in ``all_of`` is an "any of" set of
    literals, and every match of the pattern contains at least one literal of every set;
    ``starts``, when not None, are literals one of which every match starts with.

    The literals are folded (``fold``) and must be looked for in the folded text, unless
    ``case_sensitive``: then they are as in the pattern and looked for in the text itself.
    """

    all_of: tuple[tuple[str, ...], ...]
    case_sensitive: bool = False
    starts: tuple[str, ...] | None = None

    def test(self, haystack: str) -> bool:
        """False only if no match can occur in ``haystack``: the text if ``case_sensitive``,
        else the folded text."""
        for any_of in self.all_of:
            for lit in any_of:
                if lit in haystack:
                    break
            else:
                return False
        return True

    def might_match(self, text: str, folded: str | None = None) -> bool:
        """False only if the pattern has no match in ``text``; ``folded`` is ``fold(text)``
        when the caller has it (it is computed here when needed otherwise)."""
        if self.case_sensitive:
            return self.test(text)
        return self.test(fold(text) if folded is None else folded)


def might_match(pf: Prefilter | None, text: str, folded: str | None = None) -> bool:
    """``pf.might_match(text, folded)``; always True for ``pf`` None (a pattern without a
    prefilter: it must always be scanned)."""
    return pf is None or pf.might_match(text, folded)


def finditer(
    pattern: re.Pattern[str],
    pf: Prefilter | None,
    text: str,
    folded: str | None = None,
    pos: int = 0,
    endpos: int = sys.maxsize,
) -> Iterator[re.Match[str]]:
    """The matches of ``pattern.finditer(text, pos, endpos)``, found with less work.

    ``pf`` is ``prefilter(pattern)`` and ``folded`` is ``fold(text)`` (computed here when needed
    and not given). No scan at all when a required literal is missing from the range; when
    every match starts with one of ``pf.starts``, the pattern is tried (``pattern.match``) only
    where those literals occur, instead of at every position. Both need the positions of the
    folded text to be those of the text: always for a case-sensitive pattern, and whenever the
    folding kept the length (no character folds to less than one, so then none folded to more:
    true of ASCII and of most other text). Otherwise the whole text is checked and scanned.
    """
    if pf is None:
        return pattern.finditer(text, pos, endpos)
    n = len(text)
    hay = text if pf.case_sensitive else (fold(text) if folded is None else folded)
    if pos <= 0 and endpos >= n:  # the whole text (the usual case, made quick)
        if not pf.test(hay):
            return iter(())
        if pf.starts is None or len(hay) != n:
            return pattern.finditer(text)
        return _at_starts(pattern, pf.starts, text, hay, 0, n)
    start, end = min(max(pos, 0), n), min(max(endpos, 0), n)
    if len(hay) != n:
        return pattern.finditer(text, start, end) if pf.test(hay) else iter(())
    for any_of in pf.all_of:  # the literals must lie inside the range, as the match does
        for lit in any_of:
            if hay.find(lit, start, end) >= 0:
                break
        else:
            return iter(())
    if pf.starts is None:
        return pattern.finditer(text, start, end)
    return _at_starts(pattern, pf.starts, text, hay, start, end)


def _at_starts(
    pattern: re.Pattern[str], starts: tuple[str, ...], text: str, hay: str, start: int, end: int
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text, start, end)`` for a pattern whose every match starts with one of
    ``starts`` (as found in ``hay``, position for position the text or its folding)."""
    cands: set[int] = set()
    for lit in starts:
        i = hay.find(lit, start, end)
        while i >= 0:
            cands.add(i)
            i = hay.find(lit, i + 1, end)
    after = start  # where finditer would go on searching
    for i in sorted(cands):
        if i < after:
            continue
        m = pattern.match(text, i, end)
        if m is not None:
            yield m
            after = m.end()  # > i: every match starts with a non-empty literal


def prefilter(pattern: re.Pattern[str] | str, flags: int = 0) -> Prefilter | None:
    """The literal prefilter of ``pattern`` (a compiled pattern, or a string with ``flags``).

    None when no literal is required by every match (e.g. ``\\w+``, ``\\d{4}``, ``a|\\d``) or
    the sets would be too large to be worth checking.
    """
    if isinstance(pattern, re.Pattern):
        if not isinstance(pattern.pattern, str):
            return None
        source, flags = pattern.pattern, pattern.flags
    else:
        source = pattern
    tree = _parser.parse(source, flags)
    case_sensitive = not _ignores_case(tree, tree.state.flags)
    deriver = _Deriver(_same if case_sensitive else fold)
    info = deriver.seq(tree)
    starts = deriver.starts(tree)
    reqs = list(info.reqs)
    if info.exact is not None:
        reqs.append(info.exact)
    if starts is not None:
        reqs.append(starts)
        # a literal that starts with another one adds no start position
        starts = frozenset(x for x in starts if not any(y != x and x.startswith(y) for y in starts))
    sets = {_minimal(r) for r in reqs if "" not in r and 0 < len(r) <= MAX_ANY_OF}
    if not sets:
        return None
    best = sorted(sets, key=_score, reverse=True)[:MAX_REQUIREMENTS]
    # each set shortest literal first: shorter ones are likelier to occur, and test() stops at
    # the first one found (on 800 BBC articles ~15% cheaper than longest first)
    return Prefilter(
        tuple(tuple(sorted(s, key=lambda x: (len(x), x))) for s in best),
        case_sensitive,
        tuple(sorted(starts)) if starts is not None and len(starts) <= MAX_ANY_OF else None,
    )


def _same(text: str) -> str:
    return text


# A parse tree node's argument: an int, a tuple or a sub-pattern depending on the node's op (the
# functions below dispatch on op first); re._parser has no type hints to say which.
_Av = Any


def _ignores_case(sub: _parser.SubPattern | list, flags: int) -> bool:
    """Whether any part of a parsed pattern matches ignoring case (the flag, or ``(?i:...)``)."""
    if flags & re.IGNORECASE:
        return True
    for op, av in sub:
        if op is C.SUBPATTERN and av[1] & re.IGNORECASE:
            return True
        if any(_ignores_case(child, 0) for child in _children(op, av)):
            return True
    return False


def _children(op: object, av: _Av) -> list:
    """The sub-sequences of a parse tree node."""
    if op is C.SUBPATTERN:
        return [av[3]]
    if op is C.BRANCH:
        return list(av[1])
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        return [av[2]]
    if op in (C.ASSERT, C.ASSERT_NOT):
        return [av[1]]
    if op is C.ATOMIC_GROUP:
        return [av]
    if op is C.GROUPREF_EXISTS:
        return [x for x in av[1:] if x is not None]
    return []


@dataclass(frozen=True)
class _Info:
    """What a node of the parse tree matches: ``exact`` (when not None) is a set of strings, one
    of which equals (after ``norm``) whatever the node matches; ``reqs`` are "contains one of"
    sets that every match of the node satisfies."""

    exact: frozenset[str] | None
    reqs: tuple[frozenset[str], ...] = ()


_ANYTHING = _Info(None)  # a node about which nothing is known
_EMPTY = _Info(frozenset({""}))  # a zero-width node


def _minimal(lits: frozenset[str]) -> frozenset[str]:
    """Drop literals that contain another one of the set: they add nothing to "contains one of"."""
    return frozenset(x for x in lits if not any(y != x and y in x for y in lits))


def _score(lits: frozenset[str]) -> tuple[int, int]:
    """Selectivity of a "contains one of" set: longer shortest literal first, then fewer literals."""
    return (min(len(x) for x in lits), -len(lits))


def _best_any_of(info: _Info) -> frozenset[str] | None:
    """The single most selective "contains one of" set that every match of ``info`` satisfies."""
    cands = list(info.reqs)
    if info.exact is not None:
        cands.append(info.exact)
    cands = [_minimal(c) for c in cands if "" not in c and c]
    return max(cands, key=_score) if cands else None


def _cross(a: frozenset[str], b: frozenset[str]) -> frozenset[str] | None:
    if len(a) * len(b) > MAX_EXACT:
        return None
    return frozenset(x + y for x in a for y in b)


class _Deriver:
    """Walks a parse tree (``re._parser``) bottom-up; ``norm`` maps pattern text to the form the
    literals are compared in (``fold``, or unchanged for a case-sensitive pattern)."""

    def __init__(self, norm: Callable[[str], str]) -> None:
        self.norm = norm

    def seq(self, sub: _parser.SubPattern | list) -> _Info:
        """A concatenation: adjacent exact nodes multiply out; anything else ends the exact run
        (what was multiplied out so far becomes a requirement)."""
        cur = frozenset({""})
        reqs: list[frozenset[str]] = []
        all_exact = True
        for op, av in sub:
            node = self.node(op, av)
            if node.exact is not None:
                joined = _cross(cur, node.exact)
                if joined is None:  # too many combinations: keep what we have, start anew
                    all_exact = False
                    reqs.append(cur)
                    joined = node.exact
                cur = joined
            else:
                all_exact = False
                reqs.append(cur)
                reqs.extend(node.reqs)
                cur = frozenset({""})
        if all_exact:
            return _Info(cur)
        reqs.append(cur)
        return _Info(None, tuple(r for r in reqs if r and "" not in r))

    def starts(self, sub: _parser.SubPattern | list) -> frozenset[str] | None:
        """Strings one of which every match of the sequence ``sub`` starts with (after
        ``norm``), or None: the exact run at its start, then the start of the next node."""
        cur = frozenset({""})
        for op, av in sub:
            node = self.node(op, av)
            if node.exact is not None:
                joined = _cross(cur, node.exact)
                if joined is None:
                    break
                cur = joined
                continue
            head = self.node_starts(op, av)
            joined = _cross(cur, head) if head is not None else None
            if joined is not None:
                cur = joined
            break
        return cur if cur and "" not in cur else None

    def node_starts(self, op: object, av: _Av) -> frozenset[str] | None:
        """``starts`` of a node that is not exact."""
        if op is C.SUBPATTERN:
            return self.starts(av[3])
        if op is C.ATOMIC_GROUP:
            return self.starts(av)
        if op is C.BRANCH:
            out: set[str] = set()
            for alt in av[1]:
                head = self.starts(alt)
                if head is None:
                    return None
                out |= head
            return frozenset(out) if len(out) <= MAX_ANY_OF else None
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
            return self.starts(av[2])
        return None

    def node(self, op: object, av: _Av) -> _Info:
        if op is C.LITERAL:
            return _Info(frozenset({self.norm(chr(av))}))
        if op is C.IN:
            chars = self.char_class(av)
            return _Info(chars) if chars is not None else _ANYTHING
        if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            return _EMPTY  # zero-width; what a look-around requires need not lie inside the match
        if op is C.SUBPATTERN:
            return self.seq(av[3])
        if op is C.ATOMIC_GROUP:
            return self.seq(av)
        if op is C.BRANCH:
            return _branch([self.seq(alt) for alt in av[1]])
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            lo, hi, item = av
            return _repeat(lo, hi, self.seq(item))
        return _ANYTHING  # ANY, NOT_LITERAL, GROUPREF, GROUPREF_EXISTS, ...

    def char_class(self, items: list) -> frozenset[str] | None:
        """The characters of a class made only of literals and small ranges; None for larger
        classes, negated ones and categories (``\\d``, ``\\w``, ``\\s`` are Unicode-wide)."""
        chars: set[str] = set()
        for op, av in items:
            if op is C.LITERAL:
                chars.add(chr(av))
            elif op is C.RANGE:
                lo, hi = av
                if hi - lo + 1 > MAX_CLASS:
                    return None
                chars.update(chr(c) for c in range(lo, hi + 1))
            else:  # NEGATE, CATEGORY
                return None
            if len(chars) > MAX_CLASS:
                return None
        return frozenset(self.norm(c) for c in chars)


def _branch(alts: list[_Info]) -> _Info:
    """Alternatives: the union of exact sets, else the union of each one's best requirement."""
    if all(a.exact is not None for a in alts):
        union = frozenset().union(*(a.exact for a in alts if a.exact is not None))
        if len(union) <= MAX_EXACT:
            return _Info(union)
    any_of: set[str] = set()
    for a in alts:
        best = _best_any_of(a)
        if best is None:
            return _ANYTHING  # this alternative can match without any known literal
        any_of |= best
    if len(any_of) > MAX_ANY_OF:
        return _ANYTHING
    return _Info(None, (frozenset(any_of),))


def _repeat(lo: int, hi: int, item: _Info) -> _Info:
    """``item{lo,hi}``: a small exact item repeated a few times multiplies out; otherwise at
    least one copy (``lo >= 1``) keeps the item's requirements, an optional one has none."""
    if hi == 0:
        return _EMPTY
    if item.exact is not None:
        if hi != C.MAXREPEAT and hi <= MAX_REPEAT_EXPAND:
            expanded = _expand(item.exact, lo, hi)
            if expanded is not None:
                return _Info(expanded)
        if lo >= 1:
            return _Info(None, (item.exact,))  # at least one copy of the item
        return _ANYTHING
    return _Info(None, item.reqs) if lo >= 1 else _ANYTHING


def _expand(exact: frozenset[str], lo: int, hi: int) -> frozenset[str] | None:
    """The strings of ``exact`` repeated ``lo`` to ``hi`` times; None when there are too many."""
    out: set[str] = set()
    power = frozenset({""})  # exact repeated k times
    for k in range(hi + 1):
        if k >= lo:
            out |= power
        if k == hi:
            break
        longer = _cross(power, exact)
        if longer is None:
            return None
        power = longer
    return frozenset(out) if len(out) <= MAX_EXACT else None
