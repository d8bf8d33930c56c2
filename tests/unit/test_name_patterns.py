"""The person-name patterns of transforms/entities.py match name tokens atomically (``(?>...)``)
to avoid backtracking; they must find exactly what the plain patterns find."""

from __future__ import annotations

import random
import re
from re import _parser  # type: ignore[attr-defined]

import pytest

from tests.unit.test_rxfilter import EDGE_CASES, _generate, _sample_texts
from transforms import entities as E

_PLAIN_NAME = rf"(?:{E._NAMETOK}|[A-Z]\.)(?:\s+(?:{E._NAMETOK}|[A-Z]\.)){{0,2}}"
PLAIN = {
    "TITLE_NAME_RE": re.compile(rf"(?P<title>{E._TITLE})\s+(?P<name>{_PLAIN_NAME})"),
    "NAME_TITLE_RE": re.compile(rf"(?P<name>{_PLAIN_NAME}),\s+(?P<title>{E._TITLE})(?=\s*[,.;:)]|\s+[a-z])"),
    "HONORIFIC_RE": re.compile(rf"\b(?P<title>Mr|Mrs|Ms|Dr|Sir|Dame|Lord|Lady)\.?\s+(?P<name>{_PLAIN_NAME})"),
}

NAME_CASES = [
    "Lee Jae-myung, President of South Korea, said",
    "O'Brien, Foreign Minister, said; McDonald, Chief Executive of the Fund. Jae-myung-Kim, Envoy:",
    "AbC, Director of the Bank) and AbCD-e, spokesman for the IMF said",
    "Kim Seong-ro-, Minister, Smith', Mayor, Jones’, Governor, Ng'a, Adviser, Ng’s, Speaker, said",
    "Mr. Smith-Jones and Dr O'Neil, Sir Keir Starmer, Lady Macbeth's, Lord X. Y. Zed",
    "U.S. Secretary of State Marco Rubio met Prime Minister Shigeru Ishiba and President Lee",
    "ABC, President, said; Ab, Prime Minister, said; A. B., Chair, said; Ab-, Chief, said",
]


def _words(rng: random.Random) -> str:
    """Random text made of name-like tokens, titles and the punctuation around them."""
    parts = ["Ab", "AbC", "McDo", "O'Br", "O’Br", "Jae-myung", "Ng's", "A.", "X", "ab", "-", "'", "’"]
    parts += ["President", "Prime Minister", "minister", "Chief", "of the", "Fund", "said", "Mr", "Dr."]
    seps = [" ", ", ", ",  ", ". ", "; ", "-", "", "\n", ") "]
    return "".join(rng.choice(parts) + rng.choice(seps) for _ in range(rng.randint(1, 12)))


def _texts() -> list[str]:
    rng = random.Random(7)
    texts = _sample_texts() + EDGE_CASES + NAME_CASES + [_words(rng) for _ in range(3000)]
    for name, rx in PLAIN.items():
        tree = _parser.parse(rx.pattern, rx.flags)
        gen = random.Random(name)
        texts += [_generate(tree, gen, False, {}) + gen.choice(["", " said", ", and"]) for _ in range(300)]
    return texts


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_atomic_name_tokens_find_the_same_matches(name: str) -> None:
    atomic, plain = getattr(E, name), PLAIN[name]
    assert atomic.pattern != plain.pattern
    seen = 0
    for text in _texts():
        got = [(m.span(), m.span("name"), m.span("title")) for m in atomic.finditer(text)]
        want = [(m.span(), m.span("name"), m.span("title")) for m in plain.finditer(text)]
        assert got == want, (name, text)
        seen += len(want)
    assert seen > 100
