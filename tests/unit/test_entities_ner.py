"""NER spans feed entity mentions (a rule-based spaCy pipeline stands in for the trained model)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

spacy = pytest.importorskip("spacy")


@pytest.fixture(scope="module")
def fake_nlp():
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "PER", "pattern": "Amara Okonkwo"},
            {"label": "ORG", "pattern": "Lagos Chamber of Commerce"},
            {"label": "LOC", "pattern": "Niger Delta"},
            {"label": "LOC", "pattern": "Ghana"},
        ]
    )
    return nlp


def test_ner_spans_become_mentions(reference: dict, fake_nlp) -> None:
    from transforms.extract import extract

    body = (
        "Nigerian Trade Minister Amara Okonkwo met the Lagos Chamber of Commerce on Monday. "
        "She later visited Ghana and the Niger Delta."
    )
    arts = pl.DataFrame({"article_id": ["a1"], "body": [body], "published_date": [date(2024, 5, 6)]})
    out = extract(arts, reference, today=date(2026, 1, 1), nlp=fake_nlp)
    m = {r["mention_text"]: r for r in out["entity_mentions"].iter_rows(named=True)}
    assert m["Amara Okonkwo"]["entity_type"] == "PERSON"
    assert m["Amara Okonkwo"]["role_title"] == "Trade Minister"
    assert m["Amara Okonkwo"]["country_iso3"] == "NGA"  # from the title's qualifier
    assert m["Lagos Chamber of Commerce"]["entity_type"] == "ORG"
    assert m["Ghana"]["entity_id"] == "GHA"  # a place the gazetteer knows resolves to the country
    assert m["Niger Delta"]["entity_type"] == "LOC"
    ev = out["events"].filter(pl.col("trigger_text") == "met")
    assert ev.height == 1 and ev["event_type"][0] == "CONSULT"
