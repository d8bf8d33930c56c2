"""Roles, negation and modality read off a dependency tree (transforms.syntax, transforms.event_structure).

The trees are written by hand (UD relations, Penn tags), so these tests need no model: they check the grammar
the event coder relies on, whatever parser produced the tree."""

from __future__ import annotations

from typing import Any

from transforms.event_structure import misplaced, roles, takes_effect, verbal_attack, withholds_comment
from transforms.syntax import Token, Tree


def tree(text: str, rows: list[tuple[str, str, str, str, int]]) -> Tree:
    """rows: (word, tag, lemma, dep, head index); offsets found in ``text`` left to right."""
    tokens, at = [], 0
    for i, (word, tag, lemma, dep, head) in enumerate(rows):
        start = text.index(word, at)
        at = start + len(word)
        tokens.append(Token(start, at, tag, lemma, dep, i if dep == "root" else head))
    return Tree(tuple(tokens))


def actor(text: str, name: str, kind: str = "GPE") -> dict[str, Any]:
    start = text.index(name)
    return {"start_char": start, "end_char": start + len(name), "entity_type": kind, "entity_id": name}


EU = "The EU imposed sanctions on Russia."
EU_TREE = [
    ("The", "DT", "the", "det", 1),
    ("EU", "NNP", "eu", "nsubj", 2),
    ("imposed", "VBD", "impose", "root", 2),
    ("sanctions", "NNS", "sanction", "obj", 2),
    ("on", "IN", "on", "case", 5),
    ("Russia", "NNP", "russia", "obl", 2),
    (".", ".", ".", "punct", 2),
]


def test_subject_is_the_source_and_a_marked_complement_the_target() -> None:
    found = roles(tree(EU, EU_TREE), 2, [actor(EU, "EU", "ORG"), actor(EU, "Russia")])
    assert (found.source["entity_id"], found.target["entity_id"]) == ("EU", "Russia")
    assert not (found.negated or found.hedged or found.planned)


def test_a_noun_trigger_takes_the_subject_of_the_verb_it_is_the_object_of() -> None:
    found = roles(tree(EU, EU_TREE), 3, [actor(EU, "EU", "ORG"), actor(EU, "Russia")])
    assert (found.source["entity_id"], found.target["entity_id"]) == ("EU", "Russia")


PASSIVE = "Iran was criticised by France."
PASSIVE_TREE = [
    ("Iran", "NNP", "iran", "nsubj:pass", 2),
    ("was", "VBD", "be", "aux:pass", 2),
    ("criticised", "VBN", "criticise", "root", 2),
    ("by", "IN", "by", "case", 4),
    ("France", "NNP", "france", "obl:agent", 2),
    (".", ".", ".", "punct", 2),
]


def test_passive_agent_is_the_source_and_passive_subject_the_target() -> None:
    found = roles(tree(PASSIVE, PASSIVE_TREE), 2, [actor(PASSIVE, "Iran"), actor(PASSIVE, "France")])
    assert (found.source["entity_id"], found.target["entity_id"]) == ("France", "Iran")


FAILED = "Japan failed to meet Korea."
FAILED_TREE = [
    ("Japan", "NNP", "japan", "nsubj", 1),
    ("failed", "VBD", "fail", "root", 1),
    ("to", "TO", "to", "mark", 3),
    ("meet", "VB", "meet", "xcomp", 1),
    ("Korea", "NNP", "korea", "obj", 3),
    (".", ".", ".", "punct", 1),
]


def test_a_complement_inherits_its_governors_subject_and_failed_to_negates_it() -> None:
    found = roles(tree(FAILED, FAILED_TREE), 3, [actor(FAILED, "Japan"), actor(FAILED, "Korea")])
    assert (found.source["entity_id"], found.target["entity_id"]) == ("Japan", "Korea")
    assert found.negated


WILL = "China will not meet India."
WILL_TREE = [
    ("China", "NNP", "china", "nsubj", 3),
    ("will", "MD", "will", "aux", 3),
    ("not", "RB", "not", "advmod", 3),
    ("meet", "VB", "meet", "root", 3),
    ("India", "NNP", "india", "obj", 3),
    (".", ".", ".", "punct", 3),
]


def test_negation_and_future_come_from_the_triggers_own_dependents() -> None:
    found = roles(tree(WILL, WILL_TREE), 3, [actor(WILL, "China"), actor(WILL, "India")])
    assert found.negated and found.planned and not found.hedged


NEARBY = "Peru, which did not vote, met Chile."
NEARBY_TREE = [
    ("Peru", "NNP", "peru", "nsubj", 6),
    (",", ",", ",", "punct", 5),
    ("which", "WDT", "which", "nsubj", 5),
    ("did", "VBD", "do", "aux", 5),
    ("not", "RB", "not", "advmod", 5),
    ("vote", "VB", "vote", "acl:relcl", 0),
    ("met", "VBD", "meet", "root", 6),
    ("Chile", "NNP", "chile", "obj", 6),
    (".", ".", ".", "punct", 6),
]


def test_a_negation_in_another_clause_does_not_negate_the_trigger() -> None:
    found = roles(tree(NEARBY, NEARBY_TREE), 6, [actor(NEARBY, "Peru"), actor(NEARBY, "Chile")])
    assert (found.source["entity_id"], found.target["entity_id"]) == ("Peru", "Chile")
    assert not found.negated


CANCELLED = "The summit was cancelled."
CANCELLED_TREE = [
    ("The", "DT", "the", "det", 1),
    ("summit", "NN", "summit", "nsubj:pass", 3),
    ("was", "VBD", "be", "aux:pass", 3),
    ("cancelled", "VBN", "cancel", "root", 3),
    (".", ".", ".", "punct", 3),
]


def test_a_noun_subject_of_cancel_is_cancelled_and_has_no_actor() -> None:
    found = roles(tree(CANCELLED, CANCELLED_TREE), 1, [])
    assert found.status == "cancelled"
    assert found.source is None and found.target is None


def test_the_head_of_a_multiword_trigger_is_the_word_governing_the_others() -> None:
    text = "a phone call"
    t = tree(
        text,
        [
            ("a", "DT", "a", "det", 2),
            ("phone", "NN", "phone", "compound", 2),
            ("call", "NN", "call", "root", 2),
        ],
    )
    assert t.head_of_span(text.index("phone"), len(text)) == 2
    assert t.token_at(text.index("phone") + 1) == 1 and t.token_at(1) is None


def test_a_noun_subject_of_come_into_effect_takes_effect_and_other_subjects_do_not() -> None:
    text = "The tariff comes into effect on August 1."
    rows = [
        ("The", "DT", "the", "det", 1),
        ("tariff", "NN", "tariff", "nsubj", 2),
        ("comes", "VBZ", "come", "root", 2),
        ("into", "IN", "into", "case", 4),
        ("effect", "NN", "effect", "obl", 2),
        ("on", "IN", "on", "case", 6),
        ("August", "NNP", "August", "obl", 2),
        ("1", "CD", "1", "nummod", 6),
        (".", ".", ".", "punct", 2),
    ]
    assert takes_effect(tree(text, rows), 1)
    assert not takes_effect(tree(CANCELLED, CANCELLED_TREE), 1)  # cancelled: a status of its own
    assert not takes_effect(tree(EU, EU_TREE), 3)  # "sanctions" is an object, and "impose" no start


PROBE = "The SEC probe of TimeWarner ended."
PROBE_TREE = [
    ("The", "DT", "the", "det", 2),
    ("SEC", "NNP", "sec", "compound", 2),
    ("probe", "NN", "probe", "nsubj", 5),
    ("of", "IN", "of", "case", 4),
    ("TimeWarner", "NNP", "timewarner", "nmod", 2),
    ("ended", "VBD", "end", "root", 5),
    (".", ".", ".", "punct", 5),
]


def test_a_noun_triggers_organisation_modifier_acts_and_of_x_is_acted_on() -> None:
    actors = [actor(PROBE, "SEC", "ORG"), actor(PROBE, "TimeWarner", "ORG")]
    found = roles(tree(PROBE, PROBE_TREE), 2, actors, "ACCUSE")
    assert (found.source["entity_id"], found.target["entity_id"]) == ("SEC", "TimeWarner")


def test_a_gatherings_organisation_modifier_is_its_forum_and_of_x_takes_part() -> None:
    text = "The G7 meeting of Japan ended."
    rows = [
        ("The", "DT", "the", "det", 2),
        ("G7", "NNP", "g7", "compound", 2),
        ("meeting", "NN", "meeting", "nsubj", 5),
        ("of", "IN", "of", "case", 4),
        ("Japan", "NNP", "japan", "nmod", 2),
        ("ended", "VBD", "end", "root", 5),
        (".", ".", ".", "punct", 5),
    ]
    found = roles(tree(text, rows), 2, [actor(text, "G7", "ORG"), actor(text, "Japan")], "CONSULT")
    assert found.source["entity_id"] == "Japan" and found.target is None


def test_a_noun_triggers_by_x_is_the_doer() -> None:
    text = "An inquiry by the OFT into Dell began."
    rows = [
        ("An", "DT", "a", "det", 1),
        ("inquiry", "NN", "inquiry", "nsubj", 7),
        ("by", "IN", "by", "case", 4),
        ("the", "DT", "the", "det", 4),
        ("OFT", "NNP", "oft", "nmod", 1),
        ("into", "IN", "into", "case", 6),
        ("Dell", "NNP", "dell", "nmod", 1),
        ("began", "VBD", "begin", "root", 7),
        (".", ".", ".", "punct", 7),
    ]
    actors = [actor(text, "OFT", "ORG"), actor(text, "Dell", "ORG")]
    found = roles(tree(text, rows), 1, actors, "ACCUSE")
    assert (found.source["entity_id"], found.target["entity_id"]) == ("OFT", "Dell")


REFUSED = "The firm refused to comment on the deal."
REFUSED_TREE = [
    ("The", "DT", "the", "det", 1),
    ("firm", "NN", "firm", "nsubj", 2),
    ("refused", "VBD", "refuse", "root", 2),
    ("to", "TO", "to", "mark", 4),
    ("comment", "VB", "comment", "xcomp", 2),
    ("on", "IN", "on", "case", 7),
    ("the", "DT", "the", "det", 7),
    ("deal", "NN", "deal", "obl", 4),
    (".", ".", ".", "punct", 2),
]


def test_a_refusal_to_say_withholds_comment_and_a_refusal_to_act_does_not() -> None:
    assert withholds_comment(tree(REFUSED, REFUSED_TREE), 2)
    signing = "The firm refused to sign the deal."
    signing_tree = [
        ("The", "DT", "the", "det", 1),
        ("firm", "NN", "firm", "nsubj", 2),
        ("refused", "VBD", "refuse", "root", 2),
        ("to", "TO", "to", "mark", 4),
        ("sign", "VB", "sign", "xcomp", 2),
        ("the", "DT", "the", "det", 6),
        ("deal", "NN", "deal", "obj", 4),
        (".", ".", ".", "punct", 2),
    ]
    assert not withholds_comment(tree(signing, signing_tree), 2)


def test_an_attack_over_an_issue_or_on_a_plan_is_verbal_and_on_a_station_is_not() -> None:
    over = "He attacked the government over Iraq."
    over_tree = [
        ("He", "PRP", "he", "nsubj", 1),
        ("attacked", "VBD", "attack", "root", 1),
        ("the", "DT", "the", "det", 3),
        ("government", "NN", "government", "obj", 1),
        ("over", "IN", "over", "case", 5),
        ("Iraq", "NNP", "iraq", "obl", 1),
        (".", ".", ".", "punct", 1),
    ]
    assert verbal_attack(tree(over, over_tree), 1)
    plans = "He attacked Tory plans."
    plans_tree = [
        ("He", "PRP", "he", "nsubj", 1),
        ("attacked", "VBD", "attack", "root", 1),
        ("Tory", "NNP", "tory", "compound", 3),
        ("plans", "NNS", "plan", "obj", 1),
        (".", ".", ".", "punct", 1),
    ]
    assert verbal_attack(tree(plans, plans_tree), 1)
    station = "Rebels attacked a police station in Kabul."
    station_tree = [
        ("Rebels", "NNS", "rebel", "nsubj", 1),
        ("attacked", "VBD", "attack", "root", 1),
        ("a", "DT", "a", "det", 4),
        ("police", "NN", "police", "compound", 4),
        ("station", "NN", "station", "obj", 1),
        ("in", "IN", "in", "case", 6),
        ("Kabul", "NNP", "kabul", "obl", 1),
        (".", ".", ".", "punct", 1),
    ]
    assert not verbal_attack(tree(station, station_tree), 1)


def test_a_noun_object_takes_its_verbs_cues_and_agreeing_to_act_is_planned() -> None:
    agreed = "Seoul and Tokyo agreed to open talks."
    agreed_tree = [
        ("Seoul", "NNP", "seoul", "nsubj", 3),
        ("and", "CC", "and", "cc", 2),
        ("Tokyo", "NNP", "tokyo", "conj", 0),
        ("agreed", "VBD", "agree", "root", 3),
        ("to", "TO", "to", "mark", 5),
        ("open", "VB", "open", "xcomp", 3),
        ("talks", "NNS", "talk", "obj", 5),
        (".", ".", ".", "punct", 3),
    ]
    assert roles(tree(agreed, agreed_tree), 6, []).planned
    held = "Seoul did not hold talks."
    held_tree = [
        ("Seoul", "NNP", "seoul", "nsubj", 3),
        ("did", "VBD", "do", "aux", 3),
        ("not", "RB", "not", "advmod", 3),
        ("hold", "VB", "hold", "root", 3),
        ("talks", "NNS", "talk", "obj", 3),
        (".", ".", ".", "punct", 3),
    ]
    found = roles(tree(held, held_tree), 4, [])
    assert found.negated and not found.planned
    that = "Seoul agreed that talks were useful."
    that_tree = [
        ("Seoul", "NNP", "seoul", "nsubj", 1),
        ("agreed", "VBD", "agree", "root", 1),
        ("that", "IN", "that", "mark", 5),
        ("talks", "NNS", "talk", "nsubj", 5),
        ("were", "VBD", "be", "cop", 5),
        ("useful", "JJ", "useful", "ccomp", 1),
        (".", ".", ".", "punct", 1),
    ]
    assert not roles(tree(that, that_tree), 3, []).planned


COMMENT = "North Korea did not comment on the meeting."
COMMENT_TREE = [
    ("North", "NNP", "north", "compound", 1),
    ("Korea", "NNP", "korea", "nsubj", 4),
    ("did", "VBD", "do", "aux", 4),
    ("not", "RB", "not", "advmod", 4),
    ("comment", "VB", "comment", "root", 4),
    ("on", "IN", "on", "case", 7),
    ("the", "DT", "the", "det", 7),
    ("meeting", "NN", "meeting", "obl", 4),
    (".", ".", ".", "punct", 4),
]


def test_who_speaks_of_an_event_takes_no_part_in_it() -> None:
    t = tree(COMMENT, COMMENT_TREE)
    korea = actor(COMMENT, "North Korea")
    found = roles(t, 7, [korea], "CONSULT")
    assert found.source is None and found.target is None
    start = COMMENT.index("North Korea")
    assert (
        misplaced(t, 7, start, start + len("North Korea"), "CONSULT")
        == "speaks of the event, does not take part"
    )
    # a noun the speaker's verb governs some other way is still the speaker's: "the EU imposed sanctions"
    assert roles(tree(EU, EU_TREE), 3, [actor(EU, "EU", "ORG")]).source["entity_id"] == "EU"


DISCUSS = "Japanese officials met in Tokyo to discuss North Korea."
DISCUSS_TREE = [
    ("Japanese", "JJ", "japanese", "amod", 1),
    ("officials", "NNS", "official", "nsubj", 2),
    ("met", "VBD", "meet", "root", 2),
    ("in", "IN", "in", "case", 4),
    ("Tokyo", "NNP", "tokyo", "obl", 2),
    ("to", "TO", "to", "mark", 6),
    ("discuss", "VB", "discuss", "xcomp", 2),
    ("North", "NNP", "north", "compound", 8),
    ("Korea", "NNP", "korea", "obj", 6),
    (".", ".", ".", "punct", 2),
]


def test_a_topic_spoken_of_and_a_meetings_venue_are_no_party_to_it() -> None:
    t = tree(DISCUSS, DISCUSS_TREE)

    def why(name: str, event_type: str) -> str | None:
        start = DISCUSS.index(name)
        return misplaced(t, 2, start, start + len(name), event_type)

    assert why("North Korea", "CONSULT") == "a topic spoken of, not a party"
    assert why("Tokyo", "CONSULT") == "the meeting's venue, not a party (in/at X)"
    # what is done in a place is done to it ("lifted a curfew in Montenegro"): only a meeting's place is a venue
    assert why("Tokyo", "SANCTION") is None
    assert why("Japanese", "CONSULT") is None


HELD = "The United States and China held talks."
HELD_TREE = [
    ("The", "DT", "the", "det", 2),
    ("United", "NNP", "united", "compound", 2),
    ("States", "NNP", "states", "nsubj", 5),
    ("and", "CC", "and", "cc", 4),
    ("China", "NNP", "china", "conj", 2),
    ("held", "VBD", "hold", "root", 5),
    ("talks", "NNS", "talk", "obj", 5),
    (".", ".", ".", "punct", 5),
]


def test_a_noun_object_takes_its_verbs_coordinated_subject_as_source_and_target() -> None:
    found = roles(tree(HELD, HELD_TREE), 6, [actor(HELD, "United States"), actor(HELD, "China")], "CONSULT")
    assert (found.source["entity_id"], found.target["entity_id"]) == ("United States", "China")


SAID = "The minister is said to have praised France."
SAID_TREE = [
    ("The", "DT", "the", "det", 1),
    ("minister", "NN", "minister", "nsubj:pass", 3),
    ("is", "VBZ", "be", "aux:pass", 3),
    ("said", "VBN", "say", "root", 3),
    ("to", "TO", "to", "mark", 6),
    ("have", "VB", "have", "aux", 6),
    ("praised", "VBN", "praise", "xcomp", 3),
    ("France", "NNP", "france", "obj", 6),
    (".", ".", ".", "punct", 3),
]
CLAIMS = "The book claims Prescott hosted a dinner."
CLAIMS_TREE = [
    ("The", "DT", "the", "det", 1),
    ("book", "NN", "book", "nsubj", 2),
    ("claims", "VBZ", "claim", "root", 2),
    ("Prescott", "NNP", "prescott", "nsubj", 4),
    ("hosted", "VBD", "host", "ccomp", 2),
    ("a", "DT", "a", "det", 6),
    ("dinner", "NN", "dinner", "obj", 4),
    (".", ".", ".", "punct", 2),
]


def test_hearsay_and_claims_hedge_and_a_plain_report_does_not() -> None:
    assert roles(tree(SAID, SAID_TREE), 6, []).hedged  # "is said to have praised"
    assert roles(tree(CLAIMS, CLAIMS_TREE), 4, []).hedged  # "claims X hosted"
    said = "France said Britain praised Spain."
    plain = [
        ("France", "NNP", "france", "nsubj", 1),
        ("said", "VBD", "say", "root", 1),
        ("Britain", "NNP", "britain", "nsubj", 3),
        ("praised", "VBD", "praise", "ccomp", 1),
        ("Spain", "NNP", "spain", "obj", 3),
        (".", ".", ".", "punct", 1),
    ]
    assert not roles(tree(said, plain), 3, []).hedged  # a reported statement codes its event as told


POSTPONED = "The vote was postponed following protests."
POSTPONED_TREE = [
    ("The", "DT", "the", "det", 1),
    ("vote", "NN", "vote", "nsubj:pass", 3),
    ("was", "VBD", "be", "aux:pass", 3),
    ("postponed", "VBN", "postpone", "root", 3),
    ("following", "VBG", "follow", "case", 5),
    ("protests", "NNS", "protest", "obl", 3),
    (".", ".", ".", "punct", 3),
]


def test_only_what_a_verb_postpones_is_postponed() -> None:
    t = tree(POSTPONED, POSTPONED_TREE)
    assert roles(t, 1, []).status == "postponed"  # the vote
    assert roles(t, 5, []).status is None  # the protests that led to it
