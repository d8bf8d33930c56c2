"""Event coding with the committed dependency parser (seeds/models/parser_ud): what the tree rules out.

Sentences of the kinds issue #14 found coded as events on ordinary news; each is run through
``transforms.extract.extract`` with and without the parser, so each assertion fails without it."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dateline.resources.ner_model import load_ner
from dateline.resources.parser_model import load_parser
from transforms.extract import extract

NOT_EVENTS = [
    "Samsung showed a flat panel monitor to buyers from China at the show.",  # a noun, not "monitor"
    "The album mixes hip-hop beats with Japanese pop.",  # a noun, not "beat"
    "US growth accelerated, helped by consumer spending.",  # no actor helps anyone
    "Lee defeated Gambill in straight sets.",  # no tree: Lee and Gambill are not subject and object
]


def _events(sentence: str, reference: dict, with_parser: bool) -> pl.DataFrame:
    articles = pl.DataFrame(
        [{"article_id": "a", "body": sentence, "published_date": date(2025, 7, 10)}],
        schema={"article_id": pl.String, "body": pl.String, "published_date": pl.Date},
    ).with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in ("date_precision", "date_source"))
    parser = load_parser() if with_parser else None
    return extract(articles, reference, today=date(2025, 7, 10), nlp=load_ner(), parser=parser)["events"]


@pytest.mark.parametrize("sentence", NOT_EVENTS)
def test_words_the_verb_dictionary_matched_are_no_events_when_the_tree_says_so(
    sentence: str, reference: dict
) -> None:
    assert _events(sentence, reference, with_parser=False).height >= 1  # what the rules alone code
    assert _events(sentence, reference, with_parser=True).height == 0


def test_a_verb_with_actors_as_subject_and_object_stays_an_event(reference: dict) -> None:
    rows = _events("France condemned the attack on Iraq.", reference, with_parser=True)
    condemned = rows.filter(pl.col("trigger_text") == "condemned").row(0, named=True)
    assert (condemned["event_type"], condemned["source_entity_id"], condemned["target_entity_id"]) == (
        "ACCUSE",
        "FRA",
        "IRQ",
    )


def test_a_refusal_is_an_asserted_rejection(reference: dict) -> None:
    rows = _events(
        "The European Union said it would not sign the deal with Iran.", reference, with_parser=True
    )
    assert rows.select("event_type", "polarity").rows() == [("REJECT", "asserted")]


def test_a_verb_saying_its_objects_event_again_is_one_event(reference: dict) -> None:
    """ "staged a rally", "held talks": the verb and its object name one event, told once (issue #14)."""
    sentence = "Members of the Fatah Party staged a rally against Israel on Saturday."
    assert (
        _events(sentence, reference, with_parser=False).filter(pl.col("event_type") == "PROTEST").height == 2
    )
    rows = _events(sentence, reference, with_parser=True).filter(pl.col("event_type") == "PROTEST")
    assert rows.select("trigger_text").rows() == [("rally",)]


def test_who_declines_to_speak_of_a_meeting_did_not_meet(reference: dict) -> None:
    """Issue #14: "North Korea did not comment on the meeting" was an asserted CONSULT by North Korea."""
    sentence = "North Korea did not comment on the meeting."
    assert _events(sentence, reference, with_parser=False).height == 1
    rows = _events(sentence, reference, with_parser=True)
    assert "PRK" not in rows["source_entity_id"].to_list() + rows["target_entity_id"].to_list()


def test_a_hand_triggers_source_is_its_subject_not_the_nearest_name(reference: dict) -> None:
    sentence = (
        "The Open Society Institute, financed by billionaire George Soros, has accused Kazakhstan officials"
        " of trying to close down its local office."
    )
    rows = _events(sentence, reference, with_parser=True).filter(pl.col("trigger_text") == "accused")
    assert rows.select("source_entity_id", "target_entity_id").rows() == [
        ("org:open-society-institute", "KAZ")
    ]
