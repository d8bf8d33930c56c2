"""The PETRARCH2 verb lexicon as triggers (transforms.verbs), on a small hand-made lexicon."""

from __future__ import annotations

import polars as pl

from transforms.verbs import build_verb_lexicon, find_verb_triggers

FORMS = pl.DataFrame(
    {
        "form": ["signed", "sign", "praised"],
        "lemma": ["sign", "sign", "praise"],
        "block": ["sign", "sign", "praise"],
        "cameo_code": [None, None, "051"],
    }
)
PATTERNS = pl.DataFrame(
    {
        "block": ["sign", "sign", "sign", "sign"],
        "before": [None, None, None, None],
        "after": ["treaty", "accord", "ceasefire", "petition"],
        "cameo_code": ["057", "057", "057", "141"],
    }
)


def test_a_pattern_gives_the_code_and_a_verb_without_one_is_no_trigger() -> None:
    lex = build_verb_lexicon(FORMS, PATTERNS)
    text = "Seoul signed the treaty. Blair signed it. Brown praised him."
    found = [(text[s:e], code, by_pattern) for s, e, code, _, by_pattern in find_verb_triggers(text, 0, lex)]
    assert found == [("signed", "057", True), ("praised", "051", False)]


def test_with_usual_codes_a_verb_without_a_code_gets_its_blocks_most_frequent_allowed_one() -> None:
    lex = build_verb_lexicon(FORMS, PATTERNS)
    assert lex.usual_codes["sign"] == ("057", "141")
    text = "Blair signed it."
    assert [code for _, _, code, _, _ in find_verb_triggers(text, 0, lex, frozenset({"057", "141"}))] == [
        "057"
    ]
    assert [code for _, _, code, _, _ in find_verb_triggers(text, 0, lex, frozenset({"141"}))] == ["141"]
    assert find_verb_triggers(text, 0, lex, frozenset()) == []  # no allowed code: still no trigger
