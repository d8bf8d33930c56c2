"""The learned decision over candidate events (transforms.event_classifier) and how event coding applies it
(transforms.events._judged): features from the tree and the actors, the veto / admit thresholds, the
confidence kept, the committed model's provenance. Trees are written by hand (no model needed)."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_event_structure import EU, EU_TREE, actor, tree
from transforms import events as ev_module
from transforms import lexicon
from transforms.event_classifier import (
    ArticleCast,
    Candidate,
    EventClassifier,
    candidate_features,
    is_political,
    typed_features,
)

REPO = Path(__file__).resolve().parents[2]


def _candidate(**changes: Any) -> Candidate:
    base: dict[str, Any] = dict(
        event_type="SANCTION",
        hand_trigger=False,
        construction="word",
        rule_source_type="ORG",
        rule_target_type="GPE",
        tree_kept=True,
        source={"entity_type": "ORG", "sector": "IGO", "country_iso3": None},
        target={"entity_type": "GPE", "country_iso3": "RUS", "government_of": "RUS"},
        negated=False,
        hedged=False,
        planned=False,
        status_report=False,
    )
    return Candidate(**(base | changes))


def test_features_describe_the_trigger_its_roles_and_the_cast_not_only_words() -> None:
    t = tree(EU, EU_TREE)
    sentence_actors = [actor(EU, "EU", "ORG"), actor(EU, "Russia")]
    feats = candidate_features(_candidate(), t, 2, sentence_actors, ArticleCast(actors=10, political=4))
    assert feats["lexicon_type=SANCTION"] == 1.0 and feats["lemma=impose"] == 1.0 and feats["dep=root"] == 1.0
    assert feats["trigger=verb"] == 1.0 and feats["tree_kept"] == 1.0
    assert feats["source_sector=IGO"] == 1.0 and feats["target_government=True"] == 1.0
    assert feats["child=obj:sanction"] == 1.0 and feats["child_dep=nsubj"] == 1.0
    assert feats["article_political_share"] == pytest.approx(0.4)
    assert feats["sentence_political"] == 1.0  # Russia is a country
    assert 0 < feats["w=sanction"] < 1  # the sentence's words count, less than the structure


def test_a_missing_role_is_a_feature_of_its_own() -> None:
    feats = candidate_features(_candidate(target=None), tree(EU, EU_TREE), 2, [], ArticleCast(0, 0))
    assert feats["target=none"] == 1.0 and "target_type=GPE" not in feats
    assert feats["article_political_share"] == 0.0 and feats["sentence_actors"] == 0.0


def test_a_reading_adds_the_type_its_pairing_with_the_lemma_and_the_turn_from_the_lexicons_type() -> None:
    base = {"lexicon_type=ASSAULT": 1.0, "lemma=attack": 1.0}
    same = typed_features(base, "ASSAULT")
    assert same["type=ASSAULT"] == same["type_lemma=ASSAULT:attack"] == same["lexicon>ASSAULT>ASSAULT"] == 1.0
    other = typed_features(base, "ACCUSE")
    assert other["type_lemma=ACCUSE:attack"] == other["retyped"] == 1.0 and "retyped" not in same
    model = EventClassifier({"type=ACCUSE": 2.0}, 0.0, 0.5, 0.5, {}, types=("ACCUSE",))
    assert model.best(base, "ASSAULT") == ("ACCUSE", pytest.approx(1 / (1 + math.exp(-2.0))))
    assert EventClassifier({"type=ACCUSE": 2.0}, 0.0, 0.5, 0.5, {}).best(base, "ASSAULT")[0] == "ASSAULT"


def test_political_actors_are_countries_governments_and_political_sectors() -> None:
    assert is_political({"entity_type": "GPE"}) and is_political({"entity_type": "PERSON", "sector": "GOV"})
    assert is_political({"entity_type": "PERSON", "government_of": "KOR"})
    assert not is_political({"entity_type": "ORG", "sector": "BUS"})
    assert not is_political({"entity_type": "PERSON", "sector": None})


def test_probability_is_the_logistic_of_the_weighted_features() -> None:
    model = EventClassifier({"a": 2.0, "b": -1.0}, bias=-0.5, veto=0.2, admit=0.6, provenance={})
    assert model.probability({"a": 1.0, "b": 0.5, "unknown": 3.0}) == pytest.approx(1 / (1 + math.exp(-1.0)))
    assert model.probability({}) == pytest.approx(1 / (1 + math.exp(0.5)))
    assert model.probability({"b": 1000.0}) == pytest.approx(0.0)  # no overflow either way
    assert model.probability({"a": 1000.0}) == pytest.approx(1.0)


def test_the_tree_check_is_vetoed_below_veto_and_a_dropped_candidate_admitted_from_admit() -> None:
    model = EventClassifier({}, 0.0, veto=0.2, admit=0.6, provenance={})
    assert model.decide(0.25, tree_kept=True) and not model.decide(0.15, tree_kept=True)
    assert model.decide(0.6, tree_kept=False) and not model.decide(0.5, tree_kept=False)
    # a cancelled or postponed report the tree keeps is not vetoed (too rare in the labels to judge)
    assert model.decide(0.01, tree_kept=True, status_report=True)
    assert not model.decide(0.01, tree_kept=False, status_report=True)
    # a candidate the tree drops needs an actor in a role to be admitted ("claimed" alone is no event)
    assert not model.decide(0.99, tree_kept=False, has_actor=False)
    assert model.decide(0.99, tree_kept=True, has_actor=False)  # a hand trigger keeps what the rules found


def test_the_model_survives_its_json_form() -> None:
    model = EventClassifier({"x": 0.5}, -1.0, 0.1, 0.4, {"trained": "today"})
    again = EventClassifier.from_json(json.loads(json.dumps(model.to_json())))
    assert again == model


def test_the_committed_model_says_what_it_was_trained_on_and_how_it_was_chosen() -> None:
    data = json.loads((REPO / "seeds/models/event_classifier/model.json").read_text())
    model = EventClassifier.from_json(data)
    trained_on = {t.get("file") or t.get("records") for t in model.provenance["trained_on"]}
    assert {
        "bbc_events_train.jsonl",
        "bbc_events_train_c21.jsonl",
        "bbc_events_train_c22.jsonl",
    } <= trained_on
    assert not any("test" in name for name in trained_on)  # the silver test half measures, never trains
    cv = model.provenance["cross_validation"]
    assert (cv["chosen"]["veto"], cv["chosen"]["admit"]) == (model.veto, model.admit)
    assert cv["chosen"]["f1"] > cv["tree_check_alone"]["f1"]  # the classifier beats the tree's check alone


# --- how event coding applies it (transforms.events._judged) ---------------------------------------------


def _ev(trigger: lexicon.Trigger, text: str, word: str, source: Any = None) -> ev_module.Ev:
    start = text.index(word)
    return ev_module.Ev(
        article_id="a",
        sentence_idx=0,
        trigger=trigger,
        t_start=start,
        t_end=start + len(word),
        clause=(0, len(text)),
        source=source,
        extra={"event_type": "SANCTION"},
    )


def _mention(text: str, name: str, kind: str) -> dict[str, Any]:
    return actor(text, name, kind) | {"government_of": None, "sector": None, "country_iso3": None}


VERB = lexicon.Trigger("verb:IMPOSE", re.compile("imposed"), "163")


def _judge(model: EventClassifier | None, candidates: bool = False) -> ev_module.Ev | None:
    actors = [_mention(EU, "EU", "ORG"), _mention(EU, "Russia", "GPE")]
    return ev_module._judged(
        _ev(VERB, EU, "imposed"), tree(EU, EU_TREE), actors, ArticleCast.of(actors), model, candidates
    )


def test_a_kept_candidate_carries_the_probability_as_confidence_and_the_trees_actors() -> None:
    kept = _judge(EventClassifier({"type=SANCTION": 3.0}, 0.0, veto=0.5, admit=0.9, provenance={}))
    # (the reading of the lexicon's type: typed_features adds type=SANCTION)
    assert kept is not None
    assert kept.extra["confidence"] == pytest.approx(1 / (1 + math.exp(-3.0)), abs=1e-4)
    assert (kept.source.entity_id, kept.target.entity_id) == ("EU", "Russia")  # type: ignore[union-attr]


def test_a_candidate_the_classifier_finds_unlikely_is_vetoed() -> None:
    assert _judge(EventClassifier({"type=SANCTION": -3.0}, 0.0, veto=0.5, admit=0.9, provenance={})) is None


def test_candidate_mode_keeps_every_candidate_with_its_features_and_no_decision() -> None:
    kept = _judge(None, candidates=True)
    assert kept is not None and "confidence" not in kept.extra
    assert kept.extra["features"]["lemma=impose"] == 1.0


def test_a_name_is_ruled_out_before_any_model_is_asked() -> None:
    text = "Meet the Fockers topped the chart."
    rows = [
        ("Meet", "NNP", "meet", "nsubj", 3),
        ("the", "DT", "the", "det", 2),
        ("Fockers", "NNPS", "fockers", "flat", 0),
        ("topped", "VBD", "top", "root", 3),
        ("the", "DT", "the", "det", 5),
        ("chart", "NN", "chart", "obj", 3),
        (".", ".", ".", "punct", 3),
    ]
    trigger = lexicon.Trigger("meet", re.compile("Meet"), "040")
    always = EventClassifier({}, 10.0, veto=0.0, admit=0.0, provenance={})
    assert (
        ev_module._judged(_ev(trigger, text, "Meet"), tree(text, rows), [], ArticleCast(0, 0), always, False)
        is None
    )


def test_an_admitted_verb_takes_only_the_actor_the_tree_gives_never_one_from_nearby_words() -> None:
    text = "The EU imposed sanctions."
    rows = [
        ("The", "DT", "the", "det", 1),
        ("EU", "NNP", "eu", "nsubj", 2),
        ("imposed", "VBD", "impose", "root", 2),
        ("sanctions", "NNS", "sanction", "obj", 2),
        (".", ".", ".", "punct", 2),
    ]
    actors = [_mention(text, "EU", "ORG")]
    nearby = ev_module.Arg("Russia", None, None, "GPE")  # what the rules had guessed
    candidate = replace(_ev(VERB, text, "imposed"), target=nearby)
    admit_all = EventClassifier({}, 10.0, veto=0.5, admit=0.5, provenance={})
    kept = ev_module._judged(candidate, tree(text, rows), actors, ArticleCast.of(actors), admit_all, False)
    assert kept is not None and kept.source is not None and kept.source.entity_id == "EU"
    assert kept.target is None and kept.target_note == "unknown: no actor in the object's role in the parse"
    strict = EventClassifier({}, 0.0, veto=0.4, admit=0.6, provenance={})  # p = 0.5: kept by the tree only
    assert (
        ev_module._judged(candidate, tree(text, rows), actors, ArticleCast.of(actors), strict, False) is None
    )


def test_the_modal_of_a_complement_and_the_rules_construction_are_features() -> None:
    text = "Washington insists that Seoul should open its market."
    rows = [
        ("Washington", "NNP", "washington", "nsubj", 1),
        ("insists", "VBZ", "insist", "root", 1),
        ("that", "IN", "that", "mark", 5),
        ("Seoul", "NNP", "seoul", "nsubj", 5),
        ("should", "MD", "should", "aux", 5),
        ("open", "VB", "open", "ccomp", 1),
        ("its", "PRP$", "its", "nmod:poss", 7),
        ("market", "NN", "market", "obj", 5),
        (".", ".", ".", "punct", 1),
    ]
    actors = [actor(text, "Washington"), actor(text, "Seoul")]
    feats = candidate_features(
        _candidate(event_type="REQUEST", construction="word"),
        tree(text, rows),
        1,
        actors,
        ArticleCast.of(actors),
    )
    assert feats["complement_aux=should"] == 1.0 and feats["construction=word"] == 1.0
    assert ev_module._construction("verb:insist+must") == "must"
    assert ev_module._construction("verb:agree+meet") == "intent"  # "agreed to meet": folded into one trigger
    assert ev_module._construction("meet") == "word"


def test_a_hand_trigger_the_rules_found_no_actor_for_is_judged_like_a_dropped_one() -> None:
    """Without a classifier the rules drop a trigger with no actor; with one, the candidate reaches it as one the
    check drops: admitted only with an actor the tree puts in a role, which it then takes."""
    hand = lexicon.Trigger("sanction", re.compile("sanctions"), "163", nominal=True)
    actors = [_mention(EU, "EU", "ORG"), _mention(EU, "Russia", "GPE")]
    candidate = _ev(hand, EU, "sanctions")  # the rules found no actor: source None
    admit_all = EventClassifier({}, 10.0, veto=0.5, admit=0.5, provenance={})
    kept = ev_module._judged(candidate, tree(EU, EU_TREE), actors, ArticleCast.of(actors), admit_all, False)
    assert kept is not None and (kept.source.entity_id, kept.target.entity_id) == ("EU", "Russia")  # type: ignore[union-attr]
    features = ev_module._judged(candidate, tree(EU, EU_TREE), actors, ArticleCast.of(actors), None, True)
    assert features is not None and features.extra["features"]["tree_kept"] == 0.0
    lonely = ev_module._judged(candidate, tree(EU, EU_TREE), [], ArticleCast(0, 0), admit_all, False)
    assert lonely is None  # no actor anywhere in a role: no event, however likely


def test_before_the_parse_only_candidates_that_can_be_events_are_kept() -> None:
    """A candidate the rules do not keep needs an actor the tree could put in a role: in a sentence that names
    none it is dropped unparsed, whatever the classifier would say."""
    hand = lexicon.Trigger("sanction", re.compile("sanctions"), "163", nominal=True)
    bare = replace(_ev(hand, EU, "sanctions"), sentence_idx=1)
    kept_by_rules = replace(bare, source=ev_module.Arg("EU", None, None, "ORG"))
    verb = replace(_ev(VERB, EU, "imposed"), sentence_idx=1)
    named = [{"sentence_idx": 0, "entity_type": "GPE", "attached": False}]
    assert ev_module._may_be_events([bare, kept_by_rules, verb], named) == [kept_by_rules]
    assert ev_module._may_be_events([bare, verb], [dict(named[0], sentence_idx=1)]) == [bare, verb]


def test_a_hand_trigger_the_rules_keep_takes_the_trees_actor_for_a_role_they_left_empty() -> None:
    text = "Russia held talks with Ukraine."
    rows = [
        ("Russia", "NNP", "russia", "nsubj", 1),
        ("held", "VBD", "hold", "root", 1),
        ("talks", "NNS", "talk", "obj", 1),
        ("with", "IN", "with", "case", 4),
        ("Ukraine", "NNP", "ukraine", "obl", 1),
        (".", ".", ".", "punct", 1),
    ]
    actors = [_mention(text, "Russia", "GPE"), _mention(text, "Ukraine", "GPE")]
    talks = lexicon.Trigger("talks", re.compile("talks"), "043", nominal=True)
    start = text.index("Ukraine")
    by_rules = replace(_ev(talks, text, "talks"), target=ev_module.Arg("Ukraine", start, start + 7, "GPE"))
    always = EventClassifier({}, 10.0, veto=0.5, admit=0.5, provenance={})
    kept = ev_module._judged(by_rules, tree(text, rows), actors, ArticleCast.of(actors), always, False)
    assert kept is not None and kept.target is not None and kept.target.entity_id == "Ukraine"
    assert kept.source is not None and kept.source.entity_id == "Russia"
    assert kept.source.note == "from the parse: the subject's role"
