"""Event coding: triggers -> PLOVER/CAMEO events with source, target, date, polarity and status."""

from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import polars as pl

from transforms import lexicon as lx
from transforms.dates import FUTURE_CUES, date_direction, find_dates, points_ahead, resolve_date
from transforms.event_classifier import ArticleCast, Candidate, EventClassifier, candidate_features
from transforms.event_structure import (
    Roles,
    misplaced,
    roles,
    takes_effect,
    verbal_attack,
    withholds_comment,
)
from transforms.rxfilter import finditer, fold, prefilter
from transforms.syntax import Tree, parse_sentences
from transforms.verbs import VerbLexicon, find_verb_triggers

ACTOR_TYPES = ("PERSON", "ORG", "GPE")


@dataclass
class Arg:
    """An event argument: an entity and its mention's span (``start`` and ``end`` both None when
    the argument is inferred, not mentioned in the clause)."""

    entity_id: str
    start: int | None
    end: int | None
    entity_type: str
    note: str | None = None


@dataclass
class Ev:
    article_id: str
    sentence_idx: int
    trigger: lx.Trigger
    t_start: int
    t_end: int
    clause: tuple[int, int]
    source: Arg | None = None
    target: Arg | None = None
    source_note: str | None = None
    target_note: str | None = None
    polarity: str = "asserted"
    status: str = "occurred"
    event_date: date | None = None
    date_precision: str | None = None
    date_source: str | None = None
    count: int = 1
    mode: str | None = None
    extra: dict = field(default_factory=dict)


def _arg(m: dict) -> Arg:
    eid = m["government_of"] or m["entity_id"]
    etype = "GPE" if m["government_of"] else m["entity_type"]
    return Arg(eid, m["start_char"], m["end_char"], etype)


def extract_events(
    articles: pl.DataFrame,
    sentences: pl.DataFrame,
    mentions: pl.DataFrame,
    taxonomy: pl.DataFrame,
    verbs: VerbLexicon | None = None,
    parser: Any = None,
    classifier: EventClassifier | None = None,
    candidates: bool = False,
) -> pl.DataFrame:
    """One row per event, columns as schemas.tables.EVENTS (without run_id).

    Triggers are the hand-written lexicon (transforms.lexicon) first, then the PETRARCH2 verb
    lexicon for verbs the first does not cover. With a ``parser`` (a spaCy pipeline with a dependency
    parser, dateline.resources.parser_model), the sentences holding a candidate are parsed and the
    candidates are checked against the tree, or decided by the ``classifier`` when one is given
    (:func:`_structured`; ``confidence`` is its probability, NULL where no model decided). When the classifier
    decides (or ``candidates``), the rules do not filter first: a trigger the rules found no actor for, a
    dictionary word after a determiner ("the deal") or one the hand lexicon owns but did not match, and a
    dictionary verb whose patterns do not say its code (it takes its block's most usual one) all reach it.
    ``candidates`` (training, with a parser): every candidate the tree does not rule out, undecided, with a
    ``features`` column (JSON) for transforms.event_classifier.
    """
    tax = {
        r[0]: r[1:]
        for r in taxonomy.select(
            "cameo_code", "plover_type", "plover_mode", "plover_context", "quad_class", "goldstein"
        ).iter_rows()
    }
    coded = {c for c, row in tax.items() if row[0]} | {c for c in tax if c.startswith("02")}
    root_codes = _root_codes(tax)
    quads = {c: row[3] for c, row in tax.items() if row[3] is not None}
    ment_by_article: dict[str, list[dict]] = {}
    for m in mentions.sort("article_id", "start_char").iter_rows(named=True):
        ment_by_article.setdefault(m["article_id"], []).append(m)
    sent_by_article: dict[str, list[tuple[int, int, int]]] = {}
    for aid, idx, s, e in sentences.select(
        "article_id", "sentence_idx", "start_char", "end_char"
    ).iter_rows():
        sent_by_article.setdefault(aid, []).append((idx, s, e))
    rows: list[dict] = []
    found = [
        (
            aid,
            body,
            _article_events(
                aid,
                body,
                pub,
                sent_by_article.get(aid, []),
                ment_by_article.get(aid, []),
                verbs,
                coded,
                quads,
                gate=classifier is None and not candidates,
            ),
        )
        for aid, body, pub in articles.select("article_id", "body", "published_date").iter_rows()
    ]
    found = [(aid, body, _typed(evs, tax)) for aid, body, evs in found]
    if parser is not None:
        found = _structured(found, sent_by_article, ment_by_article, parser, classifier, candidates)
    for aid, body, evs in found:
        for ev in evs:
            retyped = "retyped_from" in ev.extra
            code = root_codes[ev.extra["event_type"]] if retyped else ev.trigger.cameo
            _, pmode, pctx, quad, gold = tax.get(code, (None, None, None, None, None))
            spans = [(ev.t_start, ev.t_end)] + [
                (a.start, a.end)
                for a in (ev.source, ev.target)
                if a and a.start is not None and a.end is not None and a.start >= ev.clause[0] - 400
            ]
            s = min(x[0] for x in spans)
            e = max(x[1] for x in spans)
            sent = next(x for x in sent_by_article[aid] if x[0] == ev.sentence_idx)
            s, e = max(s, sent[1]), min(e, sent[2])
            key = f"{aid}|{ev.t_start}|{ev.t_end}|{code}|{ev.source.entity_id if ev.source else ''}|{ev.target.entity_id if ev.target else ''}"
            rows.append(
                {
                    "event_id": hashlib.sha256(key.encode()).hexdigest()[:16],
                    "article_id": aid,
                    "sentence_idx": ev.sentence_idx,
                    "start_char": s,
                    "end_char": e,
                    "evidence_text": body[s:e],
                    "trigger_text": body[ev.t_start : ev.t_end],
                    "trigger_start": ev.t_start,
                    "trigger_end": ev.t_end,
                    "event_type": ev.extra["event_type"],
                    "mode": (ev.mode or ev.trigger.mode or (pmode or None))
                    if not retyped
                    else (pmode or None),
                    "context": (ev.trigger.context or (pctx or None)) if not retyped else (pctx or None),
                    "cameo_code": code,
                    "quad_class": quad,
                    "goldstein": gold,
                    "source_entity_id": ev.source.entity_id if ev.source else None,
                    "target_entity_id": ev.target.entity_id if ev.target else None,
                    "source_note": ev.source.note
                    if ev.source
                    else (ev.source_note or "unknown: no actor found for the source"),
                    "target_note": ev.target.note
                    if ev.target
                    else (ev.target_note or "unknown: no actor found for the target"),
                    "event_date": ev.event_date,
                    "date_precision": ev.date_precision,
                    "date_source": ev.date_source,
                    "polarity": ev.polarity,
                    "status": ev.status,
                    "event_count": ev.count,
                    "confidence": ev.extra.get("confidence"),
                    **({"features": json.dumps(ev.extra["features"], sort_keys=True)} if candidates else {}),
                }
            )
    schema = {
        "event_id": pl.String,
        "article_id": pl.String,
        "sentence_idx": pl.Int64,
        "start_char": pl.Int64,
        "end_char": pl.Int64,
        "evidence_text": pl.String,
        "trigger_text": pl.String,
        "trigger_start": pl.Int64,
        "trigger_end": pl.Int64,
        "event_type": pl.String,
        "mode": pl.String,
        "context": pl.String,
        "cameo_code": pl.String,
        "quad_class": pl.Int64,
        "goldstein": pl.Float64,
        "source_entity_id": pl.String,
        "target_entity_id": pl.String,
        "source_note": pl.String,
        "target_note": pl.String,
        "event_date": pl.Date,
        "date_precision": pl.String,
        "date_source": pl.String,
        "polarity": pl.String,
        "status": pl.String,
        "event_count": pl.Int64,
        "confidence": pl.Float64,
        **({"features": pl.String} if candidates else {}),
    }
    return pl.DataFrame(rows, schema=schema).unique("event_id", keep="first", maintain_order=True)


def _root_codes(taxonomy: dict[str, tuple]) -> dict[str, str]:
    """PLOVER type -> its most general CAMEO code (the shortest, then the first: ACCUSE 09, RETREAT 084), the
    code of an event the classifier gave another type than its trigger's."""
    out: dict[str, str] = {}
    for code in sorted(taxonomy, key=lambda c: (len(c), c)):
        plover = taxonomy[code][0]
        if plover and plover not in out:
            out[plover] = code
    return out


def _typed(evs: list[Ev], taxonomy: dict[str, tuple]) -> list[Ev]:
    """The candidates that have a PLOVER type (the trigger's own, else its CAMEO code's), the type in
    ``extra["event_type"]``."""
    out = []
    for ev in evs:
        event_type = ev.trigger.plover or taxonomy.get(ev.trigger.cameo, (None,))[0]
        if event_type is not None:
            out.append(replace(ev, extra={**ev.extra, "event_type": event_type}))
    return out


def _structured(
    found: list[tuple[str, str, list[Ev]]],
    sentences: dict[str, list[tuple[int, int, int]]],
    mentions: dict[str, list[dict]],
    parser: Any,
    classifier: EventClassifier | None = None,
    candidates: bool = False,
) -> list[tuple[str, str, list[Ev]]]:
    """Parse every sentence holding a candidate event (one batch) and keep the candidates the tree supports
    (:func:`_with_structure`), or, with a ``classifier``, those it finds likely enough (:func:`_judged`).
    ``candidates``: keep every candidate the tree does not rule out, with its features (for training: there
    the candidates that can be no event teach the classifier what a word usually is). When the classifier
    decides, a candidate that can be no event whatever it says is dropped before the parse: one the rules do not
    keep, in a sentence that names no actor (the tree could put none in a role)."""
    if classifier is not None and not candidates:
        found = [(aid, body, _may_be_events(evs, mentions.get(aid, []))) for aid, body, evs in found]
    keys = sorted({(aid, ev.sentence_idx) for aid, _, evs in found for ev in evs})
    bounds = {(aid, idx): (s, e) for aid in {a for a, _ in keys} for idx, s, e in sentences[aid]}
    bodies = {aid: body for aid, body, _ in found}
    spans = [bounds[key] for key in keys]
    texts = [bodies[aid][s:e] for (aid, _), (s, e) in zip(keys, spans, strict=True)]
    tree_of = dict(zip(keys, parse_sentences(texts, [s for s, _ in spans], parser), strict=True))
    out = []
    for aid, body, evs in found:
        actors = [m for m in mentions.get(aid, []) if m["entity_type"] in ACTOR_TYPES and not m["attached"]]
        if classifier is None and not candidates:
            kept = [_with_structure(ev, tree_of[(aid, ev.sentence_idx)], actors) for ev in evs]
        else:
            topics = classifier.topics if classifier is not None else None
            cast = ArticleCast.of(actors, topics.probabilities(body) if topics is not None else None)
            kept = [
                _judged(ev, tree_of[(aid, ev.sentence_idx)], actors, cast, classifier, candidates)
                for ev in evs
            ]
        events = [ev for ev in kept if ev is not None]
        out.append((aid, body, events if candidates else _one_per_phrase(events, tree_of, aid)))
    return out


def _one_per_phrase(evs: list[Ev], tree_of: dict[tuple[str, int], Tree], aid: str) -> list[Ev]:
    """One event per phrase: a verb whose object is a trigger of the same type says that event again ("staged a
    *rally*", "held *talks*", "launched an *attack*"): the noun stays (its actors are the verb's: the tree gives
    an object noun its verb's subject), the verb goes."""

    def head(ev: Ev) -> int | None:
        return tree_of[(aid, ev.sentence_idx)].head_of_span(ev.t_start, ev.t_end)

    said_again = set()  # (sentence, type, token) of the verbs whose object is an event of their type
    for ev in evs:
        tree, at = tree_of[(aid, ev.sentence_idx)], head(ev)
        if at is not None and tree.tokens[at].dep == "obj" and tree.tokens[at].is_noun:
            said_again.add((ev.sentence_idx, ev.extra.get("event_type"), tree.head(at)))
    return [ev for ev in evs if (ev.sentence_idx, ev.extra.get("event_type"), head(ev)) not in said_again]


def _rules_keep(ev: Ev) -> bool:
    """Whether the rules keep a hand-lexicon candidate: an actor in a role, or a cancelled or postponed report."""
    return not ev.trigger.name.startswith("verb:") and (
        ev.source is not None or ev.target is not None or ev.status in ("cancelled", "postponed")
    )


def _may_be_events(evs: list[Ev], mentions: list[dict]) -> list[Ev]:
    """The candidates the classifier may find events: those the rules keep, and those in a sentence naming an actor."""
    named = {m["sentence_idx"] for m in mentions if m["entity_type"] in ACTOR_TYPES and not m["attached"]}
    return [ev for ev in evs if ev.sentence_idx in named or _rules_keep(ev)]


def _ruled_out(ev: Ev, tree: Tree) -> int | None:
    """The trigger's head token, or None when the tree rules the candidate out: a trigger tagged as a proper
    noun is part of a name ("*Meet* The Parents", "Crime Scene *Investigation*"); a verb of the PETRARCH2
    dictionary that is not a verb here is a noun or an adjective ("a flat panel *monitor*", "hip-hop *beats*");
    a refusal to say ("refused *to comment*") rejects nothing."""
    at = tree.head_of_span(ev.t_start, ev.t_end)
    if at is None:
        return None
    token = tree.tokens[at]
    if token.tag in ("NNP", "NNPS") or (ev.trigger.name.startswith("verb:") and not token.is_verb):
        return None
    if ev.extra.get("event_type") == "REJECT" and withholds_comment(tree, at):
        return None  # "refused to comment": no demand is rejected
    return at


def _reread(ev: Ev, tree: Tree, at: int) -> Ev:
    """``ev`` with the type its parse gives it: an attack in words ("attacked the government over Iraq",
    "attacked Tory plans") is a criticism (CAMEO 111, ACCUSE), not an assault."""
    if ev.extra.get("event_type") == "ASSAULT" and verbal_attack(tree, at):
        trigger = replace(ev.trigger, cameo="111", plover="ACCUSE", name=f"{ev.trigger.name}+verbal")
        return replace(ev, trigger=trigger, extra={**ev.extra, "event_type": "ACCUSE"})
    return ev


def _placed(ev: Ev, tree: Tree, at: int) -> Ev:
    """``ev`` without the actors the rules took from nearby words that the tree puts in no role of the trigger
    (transforms.event_structure.misplaced): NULL, with the reason."""
    changes: dict[str, Any] = {}
    for role in ("source", "target"):
        arg = getattr(ev, role)
        if arg is None or arg.start is None or arg.end is None:
            continue
        why = misplaced(tree, at, arg.start, arg.end, ev.extra.get("event_type"))
        if why is not None:
            changes |= {role: None, f"{role}_note": f"unknown: {why}"}
    return replace(ev, **changes) if changes else ev


def _with_structure(ev: Ev, tree: Tree, actors: list[dict]) -> Ev | None:
    """``ev`` as the tree sees it, or None when the tree says it is no event.

    * :func:`_ruled_out`: names, and dictionary verbs that are not verbs here.
    * A verb of the dictionary is an event only between two actors the tree puts in grammatical roles (subject
      or passive agent; object, passive subject or "with/against/on/to X"): measured on the silver BBC train
      half, its triggers were most of the coder's events and few of them real ("Lee *defeated* Gambill",
      "growth accelerated, *helped* by consumer spending"); its actors, polarity and status then come from the
      tree (transforms.event_structure), not from nearby words.
    * A trigger of the hand lexicon keeps what the rules found, less the actors the tree puts in no role of it
      (:func:`_placed`; when that leaves it none, it is no event), with the tree's subject as its source
      (:func:`_filled`).
    """
    at = _ruled_out(ev, tree)
    if at is None:
        return None
    ev = _reread(ev, tree, at)
    found = roles(tree, at, actors, ev.extra.get("event_type"))
    if ev.trigger.name.startswith("verb:"):
        return _tree_roles(ev, found)
    placed = _placed(ev, tree, at)
    if not _rules_keep(placed):
        return None if _rules_keep(ev) else placed
    return _filled(placed, found)


def _tree_roles(ev: Ev, found: Roles) -> Ev | None:
    """``ev`` with the actors, polarity and status the tree gives, or None without two distinct actors."""
    if found.source is None or found.target is None:
        return None
    source, target = _arg(found.source), _arg(found.target)
    if source.entity_id == target.entity_id:
        return None
    return replace(ev, source=source, target=target, **_telling(ev, found))


def _partial_tree_roles(ev: Ev, found: Roles) -> Ev:
    """A dictionary verb the tree gives fewer than two actors: the one it gives (the other NULL with its
    reason), never actors from nearby words."""
    source = _arg(found.source) if found.source is not None else None
    target = _arg(found.target) if found.target is not None else None
    if source is not None and target is not None and source.entity_id == target.entity_id:
        target = None
    return replace(
        ev,
        source=source,
        target=target,
        source_note=None if source else "unknown: no actor in the subject's role in the parse",
        target_note=None if target else "unknown: no actor in the object's role in the parse",
        **_telling(ev, found),
    )


def _filled(ev: Ev, found: Roles) -> Ev:
    """A hand trigger's actors: the tree's subject as its source when the tree finds one ("The Open Society
    Institute, financed by George Soros, has *accused*": the institute, not the nearest name), else the rules';
    the rules' target, or the tree's when the rules found none (measured on the silver train half and the PLOVER
    dev records: the tree's target loses there, its subject wins); its status and polarity, when the rules found
    no cue and the tree does ("agreed to open *talks*": planned; "I'm not organising an *investigation*": negated;
    "is said to have *praised*": hedged)."""
    if ev.status == "occurred" and (found.status or found.planned):
        ev = replace(ev, status=found.status or "planned")
    # (a trigger the rules built from a modal read its negation already: "would not *accept*" is an asserted REJECT)
    if (
        ev.polarity == "asserted"
        and (found.negated or found.hedged)
        and _construction(ev.trigger.name) != "modal"
    ):
        ev = replace(ev, polarity="negated" if found.negated else "hedged")
    source, target = ev.source, ev.target
    if found.source is not None:
        source = replace(_arg(found.source), note="from the parse: the subject's role")
    if target is None and found.target is not None:
        target = replace(_arg(found.target), note="from the parse: the object's role")
    if source is not None and target is not None and source.entity_id == target.entity_id:
        return ev
    return replace(ev, source=source, target=target)


def _telling(ev: Ev, found: Roles) -> dict[str, Any]:
    """Polarity and status from the tree's cues (the rules' status when the tree has none)."""
    polarity = "negated" if found.negated else "hedged" if found.hedged else "asserted"
    return {"polarity": polarity, "status": found.status or ("planned" if found.planned else ev.status)}


def _judged(
    ev: Ev,
    tree: Tree,
    actors: list[dict],
    cast: ArticleCast,
    classifier: EventClassifier | None,
    candidates: bool,
) -> Ev | None:
    """``ev`` when the classifier finds it an event (``confidence`` set in ``ev.extra``), else None.

    What it is told: the tree's check (:func:`_with_structure`), the actors in the trigger's roles, the cues,
    the sentence's actors and the article's cast (transforms.event_classifier); it vetoes what the check keeps
    and admits what it drops (:meth:`EventClassifier.decide`). A dictionary verb takes the tree's actors (one
    may be missing: NULL with its reason), never actors from nearby words; a hand trigger the rules keep takes
    the tree's subject as its source and keeps the rules' target, the tree's filling it when they found none
    (:func:`_filled`). ``candidates``: keep every candidate, its features in ``ev.extra``."""
    at = _ruled_out(ev, tree)
    if at is None:
        return None
    ev = _placed(_reread(ev, tree, at), tree, at)
    found = roles(tree, at, actors, ev.extra["event_type"])
    hand = not ev.trigger.name.startswith("verb:")
    rules_kept = _rules_keep(ev)
    by_tree = None if hand else _tree_roles(ev, found)
    chosen = _filled(ev, found) if rules_kept else (by_tree or _partial_tree_roles(ev, found))
    candidate = Candidate(
        event_type=ev.extra["event_type"],
        hand_trigger=hand,
        construction=_construction(ev.trigger.name),
        rule_source_type=ev.source.entity_type if ev.source else None,
        rule_target_type=ev.target.entity_type if ev.target else None,
        tree_kept=rules_kept or by_tree is not None,
        source=found.source,
        target=found.target,
        negated=found.negated,
        hedged=found.hedged,
        planned=found.planned,
        status_report=chosen.status in ("cancelled", "postponed") or takes_effect(tree, at),
    )
    first, last = tree.tokens[0].start, tree.tokens[-1].end
    sentence_actors = [m for m in actors if first <= m["start_char"] < last]
    features = candidate_features(candidate, tree, at, sentence_actors, cast)
    if candidates:
        return replace(chosen, extra={**chosen.extra, "features": features})
    assert classifier is not None
    event_type, probability = classifier.best(features, candidate.event_type)
    if not classifier.decide(probability, candidate.tree_kept, candidate.status_report, candidate.has_actor):
        return None
    extra = {**chosen.extra, "confidence": round(probability, 4), "event_type": event_type}
    if event_type != candidate.event_type:
        extra["retyped_from"] = candidate.event_type
    return replace(chosen, extra=extra)


def _construction(trigger_name: str) -> str:
    """How the rules built a trigger (transforms.events._refine_triggers): ``must`` ("insists that X must"), ``modal``
    ("would not sign"), ``intent`` ("agreed to meet"), ``pattern`` (a PETRARCH2 pattern gave the code), ``verbal``
    (an attack in words, :func:`_reread`), else
    ``word``."""
    if "+" not in trigger_name:
        return "word"
    last = trigger_name.rsplit("+", 1)[1]
    return last if last in ("must", "modal", "pattern", "verbal") else "intent"


def _clauses(body: str, s: int, e: int) -> list[tuple[int, int]]:
    out, pos = [], s
    for m in lx.CLAUSE_BREAK.finditer(body, s, e):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, e))
    return out


# verbs that report speech: the event is what was said, not the saying
SPEECH_BLOCKS = frozenset({"explain verbal"})
# verbs that are not events by themselves ("failed to meet" is a negated meeting)
NON_EVENT_BLOCKS = frozenset({"fail", "predict", "start", "continue", "attempt", "hope", "search"})
# inflected forms that in news are nearly always nouns or linking words, not event verbs
NON_EVENT_FORMS = frozenset(
    """forces arms supplies measures leading according issued linked adding added following including
    regarding concerning based reported described means stands issues allies ally think face faces facing
    trade""".split()
)
# light verbs: an event only when a pattern names what is taken / made / given
LIGHT_FORMS = frozenset(
    """take takes took taken taking make makes made making have has had having get gets got getting give
    gives gave given giving hold holds held holding put puts putting set sets setting""".split()
)
HAND_WORDS = frozenset(
    """meet meets met meeting meetings visit visits visited visiting call calls called talks summit hearing
    insist insists insisted demand demands demanded urge urges urged ask asks asked agree agrees agreed
    reject rejects rejected refuse refuses refused accept accepts accepted arrest arrests arrested
    remove removes removed removing""".split()
)
# verbs whose "to"-complement is a commitment (AGREE) or a threat (THREATEN)
INTENT_BLOCKS = frozenset(
    {"intend", "pledge", "promise", "offer", "prepare", "vow", "agree", "select", "threaten"}
)
INTENT_HANDS = frozenset({"agree", "threaten"})
_DETERMINER_BEFORE = re.compile(
    r"(?:\b(?:the|a|an|its|their|his|her|our|this|that|these|those|of|for|such|any|all|some|no|every|each|more|other)|'s|’s)\s+(?:[\w-]+\s+)?$",
    re.I,
)
_DET_IMMEDIATE = re.compile(r"\b(?:the|a|an|its|their|his|her|our|this|these|those)\s+$", re.I)
_TO_BEFORE = re.compile(r"\bto\s+(?:[\w-]+ly\s+)?$", re.I)
_MODAL_BEFORE = re.compile(
    r"\b(?:will|would|shall|'ll|(?:is|are|was|were)\s+(?:willing|ready|prepared|set)\s+to)\s+(?:not\s+)?(?:[\w-]+ly\s+)?$",
    re.I,
)
_MUST_BEFORE = re.compile(r"\b(?:must|should|has\s+to|have\s+to|ought\s+to)\s+(?:[\w-]+ly\s+)?$", re.I)
_PASSIVE_BEFORE = re.compile(r"\b(?:was|were|been|being|is|are|be)\s+(?:[\w-]+ly\s+)?$", re.I)
_NEG_MODAL = re.compile(r"\bnot\s+(?:[\w-]+ly\s+)?$", re.I)


# cue patterns searched in short stretches around each trigger, with their prefilters
# (transforms.rxfilter): most stretches have none of their words
_CUE_FILTERS = {
    rx: prefilter(rx)
    for rx in (
        lx.PLANNED,
        lx.POSTPONED,
        lx.CANCELLED,
        lx.HEDGE,
        lx.NEG_BEFORE,
        FUTURE_CUES,
        _MODAL_BEFORE,
        _MUST_BEFORE,
    )
}


def _search(rx: re.Pattern[str], text: str) -> re.Match[str] | None:
    """``rx.search(text)`` for a cue pattern, not run when its prefilter rules a match out."""
    return next(finditer(rx, _CUE_FILTERS[rx], text), None)


def _intent_code(code: str, quads: dict[str, int], negated: bool) -> str:
    """PLOVER codes an announced future action as a commitment (AGREE) or a threat (THREATEN)."""
    quad = quads.get(code)
    if quad is None:
        return code
    if negated:
        return "120" if quad in (1, 2) else code  # "will not accept" rejects
    return "030" if quad in (1, 2) else ("130" if quad == 4 else code)


def _refine_triggers(
    body: str,
    s_start: int,
    clauses: list[tuple[int, int]],
    found: list,
    quads: dict[str, int],
    gate: bool = True,
) -> list:
    """Drop noun homographs and speech verbs; fold "agreed to X" / "will X" into one coded trigger.
    ``gate=False`` (a classifier decides): a verb-lexicon word after a determiner ("the deal", "an
    agreement") or one the hand lexicon owns but did not match ("asked why") stays a candidate."""
    out: list = []
    for t_start, t_end, trig in found:
        before = body[max(s_start, t_start - 50) : t_start]
        is_verb = trig.name.startswith("verb:")
        block = trig.name[5:].removesuffix("+pattern") if is_verb else trig.name
        if is_verb:
            word = body[t_start:t_end]
            if block in SPEECH_BLOCKS or block in NON_EVENT_BLOCKS or word.lower() in NON_EVENT_FORMS:
                continue
            if word[0].isupper() and t_start > s_start:
                continue  # capitalised mid-sentence: part of a name
            if gate and _DETERMINER_BEFORE.search(before):
                continue  # "the deal", "its forces", "the planned summit": a noun or an adjective
            if gate and word.lower() in HAND_WORDS:
                continue  # the hand lexicon decides these words (with its exceptions: "meet its demands")
            if word.lower() in LIGHT_FORMS and (
                not trig.name.endswith("+pattern")
                or any(t_end <= f[0] < t_end + 40 for f in found if not f[2].name.startswith("verb:"))
            ):
                continue  # "took office", "made a visit": the visit is the event, not the making
            if gate and re.match(r"\s+of\b", body[t_end : t_end + 5]):
                continue  # "control of": a noun (with a classifier, the parse says: "convicted of" is a verb)
        elif (
            not trig.nominal and _DET_IMMEDIATE.search(before) and body[t_start:t_end].lower().endswith("ed")
        ):
            continue  # "the detained sailors": a participle used as an adjective
        clause = next((c for c in clauses if c[0] <= t_start < c[1] + 1), None)
        if out and _TO_BEFORE.search(before):
            g_start, g_end, g_trig = out[-1]
            same_clause = clause is not None and clause[0] <= g_start
            if same_clause and t_start - g_end < 60:
                g_block = g_trig.name[5:] if g_trig.name.startswith("verb:") else g_trig.name
                if g_block in INTENT_BLOCKS or g_block in INTENT_HANDS:
                    if "threaten" in g_block:
                        code = "130"  # threatening to do anything is a threat
                    elif g_block == "agree":
                        code = "030"  # agreeing to do anything is an agreement
                    else:
                        code = _intent_code(trig.cameo, quads, False)
                    out[-1] = (
                        g_start,
                        g_end,
                        replace(g_trig, cameo=code, plover=None, name=f"{g_trig.name}+{block}"),
                    )
                continue  # the complement belongs to the governing verb's event
        if _search(_MUST_BEFORE, before):  # right after the modal, even a noun-or-verb trigger is a verb
            governors = [g for g in out if g[2].cameo[:2] in ("02", "10")]
            if governors:
                continue  # "insists that X should open": part of the demand
            trig = replace(trig, cameo="100", plover=None, name=f"{trig.name}+must")
            out.append((t_start, t_end, trig))
            continue
        modal = _search(_MODAL_BEFORE, before)
        if modal and not trig.nominal:
            code = _intent_code(trig.cameo, quads, bool(re.search(r"\bnot\b", modal.group(), re.I)))
            if code != trig.cameo:
                trig = replace(trig, cameo=code, plover=None, name=f"{trig.name}+modal")
        out.append((t_start, t_end, trig))
    return out


_MUST_VERB = re.compile(
    r"\b(?:must|should|ought\s+to|has\s+to|have\s+to)\s+(?:not\s+)?(?:[a-z]+ly\s+)?(?P<verb>[a-z]{3,})\b"
)
_MUST_TRIGGER = lx.Trigger("verb:must", re.compile("must"), "100")

_VERB_TRIGGERS: dict[tuple[str, str, bool], lx.Trigger] = {}


def _verb_trigger(code: str, block: str, by_pattern: bool = False) -> lx.Trigger:
    key = (code, block, by_pattern)
    if key not in _VERB_TRIGGERS:
        _VERB_TRIGGERS[key] = lx.Trigger(
            f"verb:{block}" + ("+pattern" if by_pattern else ""),
            re.compile(re.escape(block)),
            code,
            plover="REQUEST" if code.startswith("02") else None,
        )
    return _VERB_TRIGGERS[key]


def _article_events(
    aid: str,
    body: str,
    pub: date | None,
    sents: list[tuple[int, int, int]],
    ments: list[dict],
    verbs: VerbLexicon | None = None,
    coded: set[str] | None = None,
    quads: dict[str, int] | None = None,
    gate: bool = True,
) -> list[Ev]:
    """The article's candidate events, with the roles, polarity, status and date the rules give them.
    ``gate``: the rules also decide which candidates are events (those with an actor in a role, or a
    cancellation or postponement); without it (a classifier decides, after the tree has found the roles)
    every candidate is returned."""
    actors = [m for m in ments if m["entity_type"] in ACTOR_TYPES and not m["attached"]]
    events: list[Ev] = []
    last_person_source: dict | None = None
    tariff_users = _tariff_users(body, actors)
    # which sentences each hand trigger can match in: one scan of the body per trigger instead of
    # one per sentence; a sentence is then scanned exactly (within its bounds) only for those
    may_match = _trigger_sentences(body, sents)
    ment_starts = [m["start_char"] for m in ments]
    actor_starts = [m["start_char"] for m in actors]
    for idx, s_start, s_end in sents:
        s_ments = ments[bisect_left(ment_starts, s_start) : bisect_left(ment_starts, s_end)]
        s_actors = actors[bisect_left(actor_starts, s_start) : bisect_left(actor_starts, s_end)]
        clauses = _clauses(body, s_start, s_end)
        found: list[tuple[int, int, lx.Trigger]] = []
        for trig in may_match.get(idx, ()):
            for m in trig.pattern.finditer(body, s_start, s_end):
                if any(not (m.end() <= a or m.start() >= b) for a, b, _ in found):
                    continue
                found.append((m.start(), m.end(), trig))
        if verbs is not None:
            for v_start, v_end, code, block, by_pattern in find_verb_triggers(
                body[s_start:s_end], s_start, verbs, None if gate else frozenset(coded or ())
            ):
                if coded is not None and code not in coded:
                    continue
                if any(not (v_end <= a or v_start >= b) for a, b, _ in found):
                    continue
                if any(m["start_char"] <= v_start < m["end_char"] for m in s_ments):
                    continue  # a verb-looking word inside a name ("Meet The Fockers" is a film)
                found.append((v_start, v_end, _verb_trigger(code, block, by_pattern)))
        for m in _MUST_VERB.finditer(body, s_start, s_end):
            v_start, v_end = m.span("verb")
            if not any(not (v_end <= a or v_start >= b) for a, b, _ in found):
                found.append((v_start, v_end, _MUST_TRIGGER))
        found.sort(key=lambda f: f[0])
        found = _refine_triggers(body, s_start, clauses, found, quads or {}, gate)
        if not found:
            continue
        sent_dates = find_dates(body[s_start:s_end])
        lead_date = next((d for d in sent_dates if d.start <= 12 and d.kind != "year"), None)
        sent_events: list[Ev] = []
        for t_start, t_end, trig in found:
            clause = next(c for c in clauses if c[0] <= t_start < c[1] + 1)
            ev = Ev(aid, idx, trig, t_start, t_end, clause)
            before = body[clause[0] : t_start]
            after = body[t_end : clause[1]]
            seg = after.split(",")[0]  # status cues bind within the trigger's comma segment
            c_actors = [m for m in s_actors if clause[0] <= m["start_char"] and m["end_char"] <= clause[1]]
            pre = [m for m in c_actors if m["end_char"] <= t_start]
            post = [m for m in c_actors if m["start_char"] >= t_end]
            # modifiers glued to a nominal trigger ("G7 summit") are its forum, not its actors
            if (
                trig.nominal
                and pre
                and re.fullmatch(r"\s*(?:[\w-]+\s+)?", body[pre[-1]["end_char"] : t_start])
                and not body[pre[-1]["end_char"] :].startswith(("'s", "’s"))
            ):
                forum = pre.pop()
                if forum["sector"] == "IGO" or forum["entity_type"] == "ORG":
                    ev.mode = "multilateral"
            # anaphoric nominal ("the call with Lee") already reported: skip
            if trig.nominal and re.search(
                r"\b(?:the|this|that|these|those)\s+(?:[\w-]+\s+){0,2}$", before, re.I
            ):
                prior = [p for p in events + sent_events if p.trigger.cameo[:2] == trig.cameo[:2]]
                has_cue = (
                    _search(lx.CANCELLED, seg)
                    or _search(lx.POSTPONED, seg)
                    or _search(lx.PLANNED, before[-40:])
                )
                if prior and not has_cue and not trig.affected_before:
                    continue
                if not prior and not c_actors and not has_cue and not trig.affected_before:
                    continue
            # --- source and target
            src_m = None
            if trig.affected_before:
                poss = [m for m in pre if re.match(r"\s*(?:'s|’s)?\s*$", body[m["end_char"] : t_start])]
                src_m = poss[-1] if poss else None
                tgt_cands = [m for m in pre if m is not src_m] + post
                tgt_m = next(
                    (m for m in tgt_cands if not src_m or m["entity_id"] != src_m["entity_id"]), None
                )
            elif trig.name.endswith("+must"):
                # "<speaker> said (that) <target> must <verb>"
                subj = [m for m in pre if not lx.PREP_BEFORE.search(body[clause[0] : m["start_char"]])]
                tgt_m = subj[-1] if subj else None
                speakers = [m for m in s_actors if tgt_m and m["end_char"] <= tgt_m["start_char"]]
                src_m = speakers[0] if speakers else None
            elif _PASSIVE_BEFORE.search(before) and body[t_start:t_end].lower().endswith(
                ("ed", "en", "wn", "ught")
            ):
                # passive voice: the subject is the target; the agent follows ("by X") or is unnamed
                subj = [m for m in pre if not lx.PREP_BEFORE.search(body[clause[0] : m["start_char"]])]
                tgt_m = subj[-1] if subj else None
                agents = [
                    m
                    for m in post
                    if re.search(
                        r"\bby\s+(?:the\s+)?$", body[max(clause[0], m["start_char"] - 8) : m["start_char"]]
                    )
                ]
                src_m = agents[0] if agents else next((m for m in post if m is not tgt_m), None)
            else:
                subj = [m for m in pre if not lx.PREP_BEFORE.search(body[clause[0] : m["start_char"]])]
                src_m = subj[-1] if subj else None
                tgt_m = next(
                    (
                        m
                        for m in post
                        if not src_m
                        or (m["government_of"] or m["entity_id"])
                        != (src_m["government_of"] or src_m["entity_id"])
                    ),
                    None,
                )
            if src_m:
                ev.source = _arg(src_m)
            else:
                pron = list(lx.PRONOUNS.finditer(body, clause[0], t_start))
                if pron:
                    ref = _antecedent(actors, s_start, pron[-1].start(), last_person_source)
                    if ref:
                        ev.source = Arg(
                            ref["entity_id"],
                            None,
                            None,
                            "PERSON",
                            f"inferred: pronoun '{pron[-1].group()}' -> {ref['mention_text']}",
                        )
            if tgt_m:
                ev.target = _arg(tgt_m)
            elif not trig.affected_before:
                # no target in the clause: a place named later in the sentence ("... in Kabul")
                src_id = ev.source.entity_id if ev.source else None
                place = next(
                    (
                        m
                        for m in s_actors
                        if t_end <= m["start_char"]
                        and m["entity_type"] == "GPE"
                        and m["entity_id"] != src_id
                        and re.search(
                            r"\b(?:in|into|inside|near|across|on)\s+(?:the\s+)?(?:[\w-]+\s+){0,3}$",
                            body[max(s_start, m["start_char"] - 40) : m["start_char"]],
                        )
                    ),
                    None,
                )
                if place:
                    ev.target = _arg(place)
                    ev.target.note = f"inferred: place of the event '{place['mention_text']}'"
            if trig.affected_before and ev.source is None and tariff_users:
                user, ev_text = tariff_users[0]
                if not ev.target or ev.target.entity_id != user:
                    ev.source = Arg(user, None, None, "GPE", f"inferred: antecedent '{ev_text}'")
            # ellipsis: no actors in this clause -> same actors as the sentence's previous event
            prev_same = [p for p in sent_events if p.trigger.cameo[:2] == trig.cameo[:2]]
            if ev.source is None and ev.target is None and prev_same:
                prev = prev_same[-1]
                if prev.source:
                    ev.source = Arg(
                        prev.source.entity_id,
                        None,
                        None,
                        prev.source.entity_type,
                        f"inferred: ellipsis, same source as '{body[prev.t_start : prev.t_end]}'",
                    )
                if prev.target:
                    ev.target = Arg(
                        prev.target.entity_id,
                        None,
                        None,
                        prev.target.entity_type,
                        f"inferred: ellipsis, same target as '{body[prev.t_start : prev.t_end]}'",
                    )
            if ev.source and ev.target and ev.source.entity_id == ev.target.entity_id:
                ev.target = None
                ev.target_note = "unknown: the only candidate target is the source itself"
            # --- polarity and status
            window = body[max(clause[0], t_start - 60) : t_start]
            if trig.name.endswith("+modal") and trig.cameo.startswith("12"):
                pass  # "would not sign": the refusal is asserted, its modal and negation made it one
            elif _search(lx.NEG_BEFORE, window):
                ev.polarity = "negated"
            elif _search(lx.HEDGE, body[clause[0] : t_start]):
                ev.polarity = "hedged"
            if trig.nominal and lx.NOT_TAKE_PLACE.search(seg):
                ev.polarity = "negated"
                ev.status = "cancelled" if _search(lx.PLANNED, before[-60:]) else "occurred"
            if _search(lx.CANCELLED, seg) or (ev.status == "cancelled"):
                ev.status = "cancelled"
            elif _search(lx.POSTPONED, seg):
                ev.status = "postponed"
            elif _search(lx.PLANNED, before[-60:]) or _search(lx.PLANNED, seg) or _search(FUTURE_CUES, seg):
                ev.status = "planned"
            # --- count
            cm = lx.COUNT_RE.match(after)
            if cm:
                n = cm.group("n").lower().split()[0]
                ev.count = lx.NUMBER_WORDS.get(n, int(n) if n.isdigit() else 1)
            else:
                cb = lx.COUNT_BEFORE.search(before)
                if cb and trig.nominal:
                    n = cb.group("n").lower()
                    ev.count = lx.NUMBER_WORDS.get(n, int(n) if n.isdigit() else 1)
            # --- date
            _date_event(ev, body, pub, s_start, clause, sent_dates, lead_date)
            if (
                gate
                and ev.source is None
                and ev.target is None
                and ev.status not in ("cancelled", "postponed")
            ):
                continue
            if (
                ev.status == "occurred"
                and ev.event_date
                and pub
                and ev.event_date > pub
                and ev.polarity != "negated"
            ):
                ev.status = "planned"
            sent_events.append(ev)
            if ev.source and ev.source.entity_type == "PERSON":
                last_person_source = next(
                    (m for m in actors if m["entity_id"] == ev.source.entity_id), last_person_source
                )
        events.extend(sent_events)
    return events


# each hand trigger with its literal prefilter (transforms.rxfilter): most triggers have no match
# in a given article, and a substring test says so far faster than a regex scan of the body; the
# others are tried only where a match can start
_TRIGGER_FILTERS = tuple((trig, prefilter(trig.pattern)) for trig in lx.TRIGGERS)


def _trigger_sentences(body: str, sents: list[tuple[int, int, int]]) -> dict[int, list[lx.Trigger]]:
    """sentence_idx -> the hand triggers (in lexicon order) with a match overlapping that sentence
    when the whole body is scanned. A trigger with no such match has none within the sentence's
    bounds either (barring look-arounds at a sentence's very edge). A trigger whose prefilter
    rules out a match in the body is not scanned at all, and one is tried only where the
    literals that start its matches occur (transforms.rxfilter.finditer)."""
    sents = sorted(sents, key=lambda x: x[1])
    starts = [s for _, s, _ in sents]
    out: dict[int, list[lx.Trigger]] = {}
    folded = fold(body)
    for trig, pf in _TRIGGER_FILTERS:
        seen: set[int] = set()
        for m in finditer(trig.pattern, pf, body, folded):
            first = max(0, bisect_right(starts, m.start()) - 1)
            last = max(0, bisect_left(starts, m.end()) - 1)
            for k in range(first, last + 1):
                idx = sents[k][0]
                if idx not in seen:
                    seen.add(idx)
                    out.setdefault(idx, []).append(trig)
    return out


def _antecedent(actors: list[dict], s_start: int, pos: int, last: dict | None) -> dict | None:
    """Pronoun antecedent: the last subject-like PERSON earlier in the sentence, else the last source."""
    same = [m for m in actors if s_start <= m["start_char"] < pos and m["entity_type"] == "PERSON"]
    return same[0] if same else last


_TARIFF_USER = re.compile(
    r"\s+(?:uses|used|imposes|imposed|has\s+imposed|levies|levied|threatens|threatened|announced|slapped|raised)\s+(?:\w+\s+){0,3}?(?:tariffs?|duties)\b",
    re.I,
)


def _tariff_users(body: str, actors: list[dict]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for m in actors:
        end = m["end_char"]
        g = re.match(r"\s+(?:administration|government)", body[end:])
        if g:
            end += g.end()
        t = _TARIFF_USER.match(body, end)
        if t:
            out.append((m["government_of"] or m["entity_id"], body[m["start_char"] : t.end()]))
    seen = {u for u, _ in out}
    return out if len(seen) == 1 else []


# the simple past of a verb trigger ("met", "imposed", "agreed"): its event happened, so a date
# without a year lies behind the publication. Words in -eed that are not past ("need", "exceed")
# are excluded, and so are forms that are present as well ("cut", "set", "hit")
_PAST_FORM = re.compile(
    r"(?:\w+(?<!ne)(?<!ce)(?<!spe)(?<!fe)(?<!he)(?<!ble)(?<!bre)(?<!se)ed|met|held|made|took|gave|"
    r"sent|said|told|struck|fought|won|lost|left|began|broke|came|went|saw|spoke|threw|wrote|drew|"
    r"shot|sought|brought|bought|caught|taught|led|fled|paid|laid|sold|stood|withdrew|overthrew|"
    r"forbade|froze|stole|swore|tore|rose|drove|bore|spent|kept|meant|understood|undertook|upheld)$",
    re.I,
)
# before a verb: it is not a simple past ("will be imposed", "to be held", "is expected")
_NOT_PAST_BEFORE = re.compile(
    r"\b(?:be|being|is|are|am|will|would|shall|should|can|could|may|might|must|to|'ll)\s+"
    r"(?:[\w-]+ly\s+)?$",
    re.I,
)


def _simple_past(ev: Ev, body: str, clause_start: int) -> bool:
    """Whether ``ev``'s trigger is a verb in the simple past (or the present perfect: "has met")."""
    if ev.trigger.nominal:
        return False
    first = body[ev.t_start : ev.t_end].split(maxsplit=1)
    if not first or not _PAST_FORM.fullmatch(first[0]):
        return False
    return not _NOT_PAST_BEFORE.search(body[max(clause_start, ev.t_start - 40) : ev.t_start])


def _without_dates(text: str, dates: list, offset: int) -> str:
    """``text`` with the date expressions in it blanked out: "next" in "next month's summit" is a
    date of its own, not a sign that the clause speaks of the future."""
    for d in dates:
        a, b = (min(max(0, x - offset), len(text)) for x in (d.start, d.end))
        text = text[:a] + " " * (b - a) + text[b:]
    return text


def _date_event(
    ev: Ev,
    body: str,
    pub: date | None,
    s_start: int,
    clause: tuple[int, int],
    sent_dates: list,
    lead_date: Any,
) -> None:
    """Date ``ev``: the date expression of its clause nearest its trigger (or the sentence's
    leading date), resolved on the side of the publication date its tense and status say.

    Tense decides status as well as date: a verb in the simple past is an event that happened
    ("met ... ahead of next week's summit" is not planned) and is never dated after the
    publication ("agreed to hold a summit later this year": the agreement is not dated by the
    summit); an event that an expression pointing ahead does date is planned ("a summit later
    this year"), whatever the precision of that date.
    """
    past_tense = _simple_past(ev, body, clause[0])
    if past_tense and ev.status == "planned":
        ev.status = "occurred"
    c_dates = [d for d in sent_dates if clause[0] <= s_start + d.start and s_start + d.end <= clause[1]]
    new_date = _postponed_to(ev, body, s_start, clause, c_dates)
    if new_date is not None:
        _set_date(
            ev, body, s_start, new_date, resolve_date(new_date, pub, "ahead"), "new date after postponement"
        )
        return
    candidates = sorted(
        (d for d in c_dates if d.kind != "year"), key=lambda d: abs(s_start + d.start - ev.t_start)
    )
    if not candidates and lead_date is not None:
        candidates = [lead_date]
    clause_text = _without_dates(body[clause[0] : clause[1]], sent_dates, clause[0] - s_start)
    future = ev.status == "planned" or bool(_search(FUTURE_CUES, clause_text))
    ahead_of_past = None  # a date a past-tense event cannot have
    for expr in candidates:
        direction = date_direction(
            body[clause[0] : s_start + expr.start],
            past_tense=past_tense,
            future=future,
            settled=ev.status in ("cancelled", "postponed"),
        )
        resolved = resolve_date(expr, pub, direction)
        if past_tense and (points_ahead(expr) or (resolved[0] and pub and resolved[0] > pub)):
            ahead_of_past = ahead_of_past or expr
            continue
        _set_date(ev, body, s_start, expr, resolved, "" if expr in c_dates else "sentence-initial date")
        if points_ahead(expr) and ev.status == "occurred" and ev.polarity != "negated":
            ev.status = "planned"
        return
    if pub and lx.PRESENT_VERB.match(body[ev.t_start : ev.t_end]):
        ev.event_date, ev.date_precision, ev.date_source = pub, "day", "present tense: publication date"
    elif ahead_of_past is not None:
        text = body[s_start + ahead_of_past.start : s_start + ahead_of_past.end]
        verb = body[ev.t_start : ev.t_end].split()[0]
        ev.date_source = f"unknown: '{text}' lies ahead of the publication and '{verb}' is in the past tense"
    else:
        ev.date_source = "unknown: no date expression for this event"


def _set_date(
    ev: Ev, body: str, s_start: int, expr: Any, resolved: tuple[date | None, str | None, str], how: str
) -> None:
    """Give ``ev`` the date ``expr`` resolved to, with its source: the words, how they were
    resolved and (``how``) why this expression was taken."""
    ev.event_date, ev.date_precision, src = resolved
    ev.date_source = f"'{body[s_start + expr.start : s_start + expr.end]}': {src}" + (
        f" ({how})" if how else ""
    )


def _postponed_to(ev: Ev, body: str, s_start: int, clause: tuple[int, int], c_dates: list) -> Any:
    """The new date of a postponed event ("postponed to July 17"), or None."""
    if ev.status != "postponed" and not _search(lx.POSTPONED, body[ev.t_end : clause[1]]):
        return None
    return next(
        (
            d
            for d in c_dates
            if s_start + d.start >= ev.t_start
            and re.search(r"\b(?:to|until|till)\s+$", body[s_start + d.start - 8 : s_start + d.start])
        ),
        None,
    )
