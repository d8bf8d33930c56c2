"""Event arguments, polarity and status from the sentence's dependency tree (transforms.syntax).

A trigger found by the lexicon becomes an event only when the tree says it governs an actor (a person,
organisation or country mention) in a role: its subject or passive agent (the source), its object, passive
subject or a prepositional complement such as "with X", "against X", "on X" (the target); for a noun trigger
("talks", "sanctions") a possessor or modifier ("Russia's", "US"), "between A and B", or the subject of the verb
that takes it as object ("the EU *imposed* sanctions on Russia"). A word with no actor in such a role, as in "hip-hop
beats" or "a flat panel monitor", is not an event: no event is better than a wrong one.

Negation and modality come from the trigger's own dependents and the verbs that govern it ("did *not* meet",
"*failed* to reach", "*may* impose", "*will* meet", "*plans* to visit", "the summit was *cancelled*"), never from
words that merely stand nearby.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transforms.syntax import Tree

# prepositions whose complement is the party an action is done to or with
TARGET_CASES = frozenset({"with", "against", "on", "to", "toward", "towards", "from", "upon"})
# ... and for a noun trigger also "the investigation *into* X", "the arrest *of* X", "criticism *of* X"
NOUN_TARGET_CASES = TARGET_CASES | {"into", "of"}
# event types whose noun's "of X" names those taking part ("a meeting of ministers", "a protest of workers"), and
# whose organisation modifier is the forum, not a party ("the G7 summit", "a NATO exercise")
GATHERINGS = frozenset({"CONSULT", "PROTEST", "MOBILIZE"})
# relations of a noun phrase's own words (its subtree without clauses and coordinated phrases)
PHRASE_SKIP = frozenset({"acl", "acl:relcl", "conj", "cc", "punct", "advcl", "parataxis", "case"})
# verbs whose object is also the subject of their complement: "urged Iran to stop" (Iran stops)
OBJECT_CONTROL = frozenset(
    {"urge", "ask", "call", "force", "persuade", "press", "pressure", "invite", "order"}
)

NEGATORS = frozenset({"not", "n't", "never", "no"})
NEGATING_GOVERNORS = frozenset({"fail", "refuse", "decline", "reject", "deny", "avoid", "unable"})
HEDGING_AUX = frozenset({"may", "might", "could"})
HEDGING_ADVERBS = frozenset({"reportedly", "allegedly", "possibly", "perhaps", "probably", "apparently"})
HEDGING_GOVERNORS = frozenset(
    {"consider", "mull", "weigh", "threaten", "seek", "try", "attempt", "claim", "allege"}
)
# "is *said* to have praised", "is *thought* to have met": hearsay, when the governing verb is passive
HEARSAY_PASSIVES = frozenset({"say", "think", "believe", "report", "understand", "rumour", "rumor", "allege"})
FUTURE_AUX = frozenset({"will", "shall", "'ll", "wo"})
PLANNING_GOVERNORS = frozenset(
    {"plan", "intend", "expect", "schedule", "set", "prepare", "aim", "hope", "want", "propose", "due", "vow"}
)
# a noun trigger's relations to a verb whose cues are its own (subject: "the summit did not take place"; object:
# "will hold talks")
NOUN_ON_VERB = frozenset({"nsubj", "nsubj:pass", "obj"})
# verbs whose to-complement is a commitment, not yet done: "agreed *to open* talks" (but "agreed that ... was")
COMMITTING_GOVERNORS = frozenset({"agree", "pledge", "promise", "offer", "decide"})
# what a refusal may be a refusal to say: "refused to comment", "declined to reveal" reject no demand
SPEECH_COMPLEMENTS = frozenset(
    "comment say speculate elaborate discuss confirm disclose reveal divulge specify".split()
)
# "attacked the plans / the decision": what is attacked is a proposal or a statement, so the attack is verbal
PROPOSALS = frozenset(
    """plan policy proposal decision idea remark comment record handling stance approach strategy bill budget
    reform scheme manifesto report claim statement""".split()
)
# "met *in* Tokyo", "talks *at* the White House": where something happens
LOCATIVE_CASES = frozenset({"in", "at", "near", "across", "throughout", "outside", "inside", "around"})
# "commented *on* the meeting", "spoke *about* the talks": what is spoken of
TOPIC_CASES = frozenset({"on", "about", "over", "regarding", "concerning"})
CANCELLING = frozenset({"cancel", "scrap", "abandon", "drop", "shelve", "abort"})
POSTPONING = frozenset({"postpone", "delay", "defer", "reschedule", "adjourn"})


@dataclass(frozen=True)
class Roles:
    """What the tree says about a trigger: actor mentions in roles (None when none), polarity and status cues."""

    source: dict[str, Any] | None
    target: dict[str, Any] | None
    negated: bool
    hedged: bool
    planned: bool
    status: str | None  # "cancelled" / "postponed" when a governing verb says so


def _mention(tree: Tree, j: int, actors: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The actor mention naming the noun phrase headed by token ``j``: one covering ``j`` itself, else the
    nearest within the phrase (not its relative clauses, appositions or conjuncts)."""
    token = tree.tokens[j]
    covering = [m for m in actors if m["start_char"] <= token.start < m["end_char"]]
    if covering:
        return covering[0]
    phrase = [tree.tokens[k] for k in tree.subtree(j, PHRASE_SKIP)]
    lo, hi = min(t.start for t in phrase), max(t.end for t in phrase)
    inside = [m for m in actors if lo <= m["start_char"] and m["end_char"] <= hi]
    return min(inside, key=lambda m: abs(m["start_char"] - token.start)) if inside else None


def _first(tree: Tree, indices: list[int], actors: list[dict[str, Any]]) -> dict[str, Any] | None:
    for j in indices:
        found = _mention(tree, j, actors)
        if found is not None:
            return found
    return None


def _subject(tree: Tree, i: int, actors: list[dict[str, Any]], depth: int = 0) -> tuple[dict | None, bool]:
    """The actor doing what word ``i`` says, and whether the subject is a pronoun (resolved elsewhere).

    Its own subject or passive agent; else, for a complement ("agreed to *meet*"), the governing verb's
    controller (its object for "urged X to"), for a conjunct ("met and *agreed*") the first conjunct's
    subject, for a relative clause ("X, which *imposed*") the noun it modifies."""
    subjects = tree.children_by(i, "nsubj")
    agents = tree.children_by(i, "obl:agent") or [
        j for j in tree.children_by(i, "obl") if tree.case_of(j) == "by" and tree.children_by(i, "aux:pass")
    ]
    for j in subjects + agents:
        if tree.tokens[j].tag in ("PRP", "WP"):
            if tree.tokens[j].tag == "WP" and tree.tokens[i].dep == "acl:relcl":
                break
            return None, True
        found = _mention(tree, j, actors)
        if found is not None:
            return found, False
    head = tree.head(i)
    dep = tree.tokens[i].dep
    if head is None or depth > 3:
        return None, False
    if dep == "xcomp":
        objects = tree.children_by(head, "obj")
        if objects and tree.tokens[head].lemma in OBJECT_CONTROL:
            return _first(tree, objects, actors), False
        return _subject(tree, head, actors, depth + 1)
    if dep == "conj":
        return _subject(tree, head, actors, depth + 1)
    if dep == "acl:relcl":
        return _mention(tree, head, actors), False
    if dep in ("obj", "obl") and tree.tokens[i].is_noun and tree.tokens[head].is_verb:
        if _spoken_of(tree, i):
            return None, False  # "North Korea did not comment on the meeting": the speaker did not meet
        return _subject(tree, head, actors, depth + 1)  # "the EU imposed sanctions", "met for talks"
    return None, False


def _is_place(tree: Tree, j: int) -> bool:
    """Token ``j`` heads an "in/at X" phrase: a place."""
    return tree.tokens[j].dep in ("obl", "nmod") and tree.case_of(j) in LOCATIVE_CASES


def _spoken_of(tree: Tree, j: int) -> bool:
    """Token ``j`` is what a verb of saying speaks of: its object ("discuss North Korea") or its "on/about X"
    complement ("commented on the meeting")."""
    head = tree.head(j)
    if head is None or tree.tokens[head].lemma not in SPEECH_COMPLEMENTS:
        return False
    dep = tree.tokens[j].dep
    return dep == "obj" or (dep == "obl" and tree.case_of(j) in TOPIC_CASES)


def misplaced(tree: Tree, i: int, start: int, end: int, event_type: str | None = None) -> str | None:
    """Why the actor named at ``[start, end)`` can take no role in the event of trigger ``i``, as the tree says,
    or None: a meeting's venue ("met *in Tokyo*": an action done in a place is done to it, "a curfew in
    Montenegro", but a meeting's place is not a party to it), a topic spoken of ("met to discuss *North
    Korea*"), or the one who speaks of the event ("*North Korea* did not comment on the meeting"). For the
    actors the lexicon's rules take from nearby words."""
    j = tree.head_of_span(start, end)
    if j is None or j == i:
        return None
    token = tree.tokens[j]
    if event_type == "CONSULT" and _is_place(tree, j):
        return "the meeting's venue, not a party (in/at X)"
    if tree.head(j) != i and _spoken_of(tree, j):
        return "a topic spoken of, not a party"
    speaker_of = tree.head(i)
    if token.dep == "nsubj" and speaker_of is not None and tree.head(j) == speaker_of and _spoken_of(tree, i):
        return "speaks of the event, does not take part"
    return None


def _targets(
    tree: Tree, i: int, actors: list[dict[str, Any]], event_type: str | None = None
) -> dict[str, Any] | None:
    """The actor an action is done to or with: object, passive subject, "with/against/on X" complement; for
    a noun trigger its "on/with/against/into/of X" modifier ("of X" not for a gathering: "a meeting of
    ministers" names who meet) or the governing verb's complement."""
    token = tree.tokens[i]
    direct = tree.children_by(i, "obj", "iobj", "nsubj:pass")
    cases = NOUN_TARGET_CASES if token.is_noun else TARGET_CASES
    if event_type in GATHERINGS:
        cases = cases - {"of"}
    marked = [j for j in tree.children_by(i, "obl", "nmod") if tree.case_of(j) in cases]
    found = _first(tree, direct + marked, actors)
    head = tree.head(i)
    if found is None and token.is_noun and token.dep == "obj" and head is not None:
        found = _first(
            tree, [j for j in tree.children_by(head, "obl") if tree.case_of(j) in TARGET_CASES], actors
        )
    return found


def _between(tree: Tree, i: int, actors: list[dict[str, Any]]) -> tuple[dict | None, dict | None]:
    """ "talks *between* A and B": A and B."""
    for j in tree.children_by(i, "nmod", "obl"):
        if tree.case_of(j) == "between":
            first = _mention(tree, j, actors)
            second = _first(tree, tree.children_by(j, "conj"), actors)
            return first, second
    return None, None


def _noun_source(
    tree: Tree, i: int, actors: list[dict[str, Any]], event_type: str | None = None
) -> dict[str, Any] | None:
    """A noun trigger's own actor: "Russia's sanctions", "US tariffs", "Iranian protests", "an inquiry *by* the
    OFT", "a SEC probe". For a gathering an organisation modifier is the forum, not the actor ("the G7 summit",
    "an EU meeting"), and "of X" names who take part ("a meeting of EU ministers")."""
    owner = _first(tree, tree.children_by(i, "nmod:poss"), actors)
    agent = _first(tree, [j for j in tree.children_by(i, "nmod") if tree.case_of(j) == "by"], actors)
    modifier = _first(tree, tree.children_by(i, "compound", "amod"), actors)
    if modifier is not None and modifier["entity_type"] != "GPE" and event_type in GATHERINGS:
        modifier = None
    members = None
    if event_type in GATHERINGS:
        members = _first(tree, [j for j in tree.children_by(i, "nmod") if tree.case_of(j) == "of"], actors)
    return owner or agent or modifier or members


def _cues(tree: Tree, i: int) -> tuple[bool, bool, bool, str | None]:
    """(negated, hedged, planned, cancelled/postponed) from the trigger's dependents and governors."""
    own = [tree.tokens[j] for j in tree.children(i)]
    head = tree.head(i)
    verb = i  # the word whose governors speak for the trigger
    dep = tree.tokens[i].dep
    if tree.tokens[i].is_noun and head is not None and tree.tokens[head].is_verb and dep in NOUN_ON_VERB:
        # "the summit did *not* take place"; "will hold *talks*", "agreed to open *talks*": the verb's cues
        own += [tree.tokens[j] for j in tree.children(head)]
        verb = head if dep == "obj" else i
    lemmas = {t.lemma for t in own if t.dep in ("advmod", "aux", "det", "neg", "aux:pass", "cop", "mark")}
    governors = [tree.tokens[g].lemma for g in tree.governors(verb)]
    committed = tree.tokens[verb].dep == "xcomp" and bool(governors) and governors[0] in COMMITTING_GOVERNORS
    negated = bool(lemmas & NEGATORS) or any(g in NEGATING_GOVERNORS for g in governors)
    hedged = bool(lemmas & (HEDGING_AUX | HEDGING_ADVERBS)) or "if" in lemmas
    hedged = hedged or any(g in HEDGING_GOVERNORS for g in governors) or _hearsay(tree, verb)
    planned = bool(lemmas & FUTURE_AUX) or any(g in PLANNING_GOVERNORS for g in governors) or committed
    planned = planned or {"be", "to"} <= lemmas  # "is to meet"
    status = None
    # a noun is what the verb cancels or postpones only as its subject or object: "the summit was postponed",
    # not "the release was postponed *following protests*"
    decided = tree.tokens[i].is_noun and dep in ("nsubj", "nsubj:pass", "obj")
    deciders = governors + ([tree.tokens[head].lemma] if head is not None and decided else [])
    if any(g in CANCELLING for g in deciders):
        status = "cancelled"
    elif any(g in POSTPONING for g in deciders):
        status = "postponed"
    return negated, hedged, planned, status


def _hearsay(tree: Tree, i: int) -> bool:
    """Word ``i`` is the complement of a passive verb of hearsay: "is *said* to have praised", "is believed to
    have met"."""
    head = tree.head(i)
    return (
        tree.tokens[i].dep == "xcomp"
        and head is not None
        and tree.tokens[head].lemma in HEARSAY_PASSIVES
        and bool(tree.children_by(head, "aux:pass"))
    )


# "the tariff *takes effect* on August 1", "sanctions *came into force*", "the ban *kicks in*": a measure's start
TAKING_EFFECT = frozenset({"take", "come", "enter", "go"})
EFFECT_NOUNS = frozenset({"effect", "force", "operation"})


def takes_effect(tree: Tree, i: int) -> bool:
    """Whether the noun trigger ``i`` is the subject of a verb saying it takes effect ("the tariff comes into
    effect", "the ban kicks in"): a report of a measure's start, dated like a postponement's new date."""
    head = tree.head(i)
    if not tree.tokens[i].is_noun or tree.tokens[i].dep not in ("nsubj", "nsubj:pass") or head is None:
        return False
    verb = tree.tokens[head].lemma
    complements = {tree.tokens[j].lemma for j in tree.children_by(head, "obl", "obj", "compound:prt")}
    return (verb in TAKING_EFFECT and bool(complements & EFFECT_NOUNS)) or (
        verb == "kick" and "in" in complements
    )


def roles(tree: Tree, i: int, actors: list[dict[str, Any]], event_type: str | None = None) -> Roles:
    """What the tree says about the trigger whose head token is ``i`` (of ``event_type``, when known: a noun's
    "of X" and organisation modifier depend on it)."""
    source, _ = _subject(tree, i, actors)
    target = _targets(tree, i, actors, event_type)
    if tree.tokens[i].is_noun:
        first, second = _between(tree, i, actors)
        if first is not None:
            source, target = (source or first), (second if source is None else first)
        own = _noun_source(tree, i, actors, event_type)
        if own is not None and target is not None and own["entity_id"] == target["entity_id"]:
            own = None
        source = own or source
    if target is None:
        first, second = _coordinated_subject(tree, i, actors)
        if first is not None and (source is None or first is source):
            source, target = first, second
    negated, hedged, planned, status = _cues(tree, i)
    return Roles(source, target, negated, hedged, planned, status)


def withholds_comment(tree: Tree, i: int) -> bool:
    """Word ``i`` ("refused", "declined") governs a verb of saying: "refused *to comment*" is no rejection."""
    return any(tree.tokens[j].lemma in SPEECH_COMPLEMENTS for j in tree.children_by(i, "xcomp"))


def verbal_attack(tree: Tree, i: int) -> bool:
    """Word ``i`` ("attacked", "hit") attacks in words: "attacked the government *over* Iraq", "attacked him
    *for* his remarks", "attacked Tory *plans*": a prepositional "over"/"for" phrase, or a proposal or statement
    as its object."""
    if any(tree.case_of(j) in ("over", "for") for j in tree.children_by(i, "obl")):
        return True
    return any(tree.tokens[j].lemma in PROPOSALS for j in tree.children_by(i, "obj"))


def _coordinated_subject(tree: Tree, i: int, actors: list[dict[str, Any]]) -> tuple[dict | None, dict | None]:
    """ "A and B *agreed*": A the source, B the target; the same for a verb's object ("A and B held *talks*")."""
    head = tree.head(i)
    if tree.tokens[i].is_noun and tree.tokens[i].dep == "obj" and head is not None:
        i = head
    for j in tree.children_by(i, "nsubj"):
        first = _mention(tree, j, actors)
        second = _first(tree, tree.children_by(j, "conj"), actors)
        if first is not None:
            return first, second
    return None, None
