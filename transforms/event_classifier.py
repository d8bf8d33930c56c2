"""The learned decision on a candidate event: is it a codable event? (a probability, kept as ``confidence``).

A candidate is a trigger the lexicon found (hand trigger or PETRARCH2 verb) whose sentence the dependency parser
parsed. Its features (:func:`candidate_features`) describe what generalizes across news rather than the words of
one sentence: the event type the lexicon gives and the trigger's lemma; where the trigger sits in the tree (tag,
relation, governor, the relations of its dependents); the actors the tree puts in its roles and what kind of actor
each is (type, sector, whether it has a country, a reference actor, a title, whether it stands for a government);
negation and modality cues; how many actors the sentence names and whether any is political; how much of the
article's cast is political (a sports report names clubs and players, a politics report governments and ministers);
which section the article reads like (transforms.topic: business, entertainment, politics, sport, tech); and the
content lemmas of the sentence, weighted low.

:class:`EventClassifier` is a logistic regression over those features: weights by feature name and a bias. It
reads a candidate as each PLOVER type it may have (:func:`typed_features`: the type, the type with the trigger's
lemma, the lexicon's type turned into it) and keeps the most probable reading (:meth:`EventClassifier.best`): the
lexicon's "attacked" may be an ACCUSE in a politics report, its "withdrew" a CONCEDE. Two thresholds on that
probability decide (:meth:`EventClassifier.decide`): a candidate the tree's own check keeps is **vetoed** below
``veto``; a candidate the tree's check drops is **admitted** from ``admit``. It is trained by
``dateline train-events`` (dateline.evaluation.train_events) on the silver BBC train half, which also chooses the
thresholds by cross-validation; the weights live in ``seeds/models/event_classifier/model.json``. Prediction is
plain Python: a sum of weights, no library.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from transforms.syntax import Tree
from transforms.topic import TopicModel

#: Phoenix agent sectors of actors that act in politics (government, military, parties, courts, police,
#: opposition, rebels, international organisations, unions, NGOs...)
POLITICAL_SECTORS = frozenset(
    {"GOV", "MIL", "LEG", "JUD", "PTY", "COP", "IGO", "OPP", "REB", "SPY", "ELI", "NGO", "LAB", "CVL", "INS"}
)
CONTENT_TAGS = ("NN", "VB", "JJ")
WORD_WEIGHT = 0.3  # the sentence's lemmas count less than the structural features (many, and topical)


def is_political(actor: Mapping[str, Any]) -> bool:
    """An actor of a political kind: a country or a government, or an actor of a political sector."""
    return bool(
        actor.get("government_of")
        or actor.get("entity_type") == "GPE"
        or actor.get("sector") in POLITICAL_SECTORS
    )


@dataclass(frozen=True)
class ArticleCast:
    """The article around a candidate: its actor mentions, how many of them are political, and the probability of
    each section it reads like (transforms.topic; empty when no section model is given)."""

    actors: int
    political: int
    topics: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def of(
        cls, actors: Sequence[Mapping[str, Any]], topics: Mapping[str, float] | None = None
    ) -> ArticleCast:
        return cls(len(actors), sum(1 for a in actors if is_political(a)), dict(topics or {}))


def topic_features(topics: Mapping[str, float], event_type: str) -> dict[str, float]:
    """An article's section probabilities as features of a candidate of ``event_type``: ``topic=sport``, and the
    same paired with the type, ``type_topic=AGREE:business`` (two companies agreeing is a deal, two governments
    agreeing an event)."""
    feats = {f"topic={name}": p for name, p in topics.items()}
    feats.update({f"type_topic={event_type}:{name}": p for name, p in topics.items()})
    return feats


def _actor_features(actor: Mapping[str, Any] | None, role: str) -> dict[str, float]:
    if actor is None:
        return {f"{role}=none": 1.0}
    return {
        f"{role}_type={actor.get('entity_type')}": 1.0,
        f"{role}_sector={actor.get('sector')}": 1.0,
        f"{role}_country={actor.get('country_iso3') is not None}": 1.0,
        f"{role}_actor={actor.get('actor_id') is not None}": 1.0,
        f"{role}_title={actor.get('role_title') is not None}": 1.0,
        f"{role}_government={actor.get('government_of') is not None}": 1.0,
    }


@dataclass(frozen=True)
class Candidate:
    """What the coder knows of a candidate when the classifier decides (see :func:`candidate_features`)."""

    event_type: str
    hand_trigger: bool  # from the hand lexicon (else a PETRARCH2 verb)
    # how the rules built the trigger: word, must, modal, intent, pattern, verbal (transforms.events._construction)
    construction: str
    rule_source_type: str | None  # entity type of the source the rules found, if any
    rule_target_type: str | None
    tree_kept: bool  # the tree's own check (transforms.events._with_structure) keeps it
    source: Mapping[str, Any] | None  # the mentions the tree puts in the roles
    target: Mapping[str, Any] | None
    negated: bool
    hedged: bool
    planned: bool
    status_report: bool  # says its event was cancelled or postponed, or that it takes effect (a dated report)

    @property
    def has_actor(self) -> bool:
        """The tree puts an actor in one of the trigger's roles."""
        return self.source is not None or self.target is not None


def candidate_features(
    candidate: Candidate,
    tree: Tree,
    trigger: int,
    sentence_actors: Sequence[Mapping[str, Any]],
    cast: ArticleCast,
) -> dict[str, float]:
    """The features of a candidate whose trigger's head is token ``trigger`` of ``tree``."""
    token = tree.tokens[trigger]
    head = tree.head(trigger)
    head_lemma = tree.tokens[head].lemma if head is not None else "<root>"
    feats = {
        f"lexicon_type={candidate.event_type}": 1.0,
        f"trigger={'hand' if candidate.hand_trigger else 'verb'}": 1.0,
        f"construction={candidate.construction}": 1.0,
        f"lemma={token.lemma}": 1.0,
        f"tag={token.tag}": 1.0,
        f"dep={token.dep}": 1.0,
        f"head={head_lemma}": 1.0,
        "negated": float(candidate.negated),
        "hedged": float(candidate.hedged),
        "planned": float(candidate.planned),
        "status_report": float(candidate.status_report),
        f"rule_source={candidate.rule_source_type}": 1.0,
        f"rule_target={candidate.rule_target_type}": 1.0,
        "tree_kept": float(candidate.tree_kept),
        "sentence_actors": min(len(sentence_actors), 6) / 6,
        "sentence_political": float(any(is_political(a) for a in sentence_actors)),
        "sentence_country": float(any(a.get("country_iso3") for a in sentence_actors)),
        "article_political_share": cast.political / max(1, cast.actors),
        "article_political": min(cast.political, 20) / 20,
    }
    feats.update(topic_features(cast.topics, candidate.event_type))
    feats.update(_actor_features(candidate.source, "source"))
    feats.update(_actor_features(candidate.target, "target"))
    for j in tree.children(trigger):
        child = tree.tokens[j]
        feats[f"child={child.dep}:{child.lemma}"] = 1.0
        feats[f"child_dep={child.dep}"] = 1.0
        if child.dep in ("ccomp", "xcomp"):
            # the modal of a complement: "insists that Seoul *should* open" is a demand, "insisted it *was*" is not
            for k in tree.children_by(j, "aux"):
                feats[f"complement_aux={tree.tokens[k].lemma}"] = 1.0
    for other in tree.tokens:
        if other.tag.startswith(CONTENT_TAGS):
            feats[f"w={other.lemma}"] = WORD_WEIGHT
    return feats


def typed_features(features: Mapping[str, float], event_type: str) -> dict[str, float]:
    """``features`` (of :func:`candidate_features`) for the candidate read as an event of ``event_type``: the
    type, the type with the trigger's lemma, and the lexicon's type turned into it (the same when not retyped)."""
    lexicon_type = next((k.split("=", 1)[1] for k in features if k.startswith("lexicon_type=")), "?")
    lemma = next((k.split("=", 1)[1] for k in features if k.startswith("lemma=")), "?")
    out = dict(features)
    out[f"type={event_type}"] = 1.0
    out[f"type_lemma={event_type}:{lemma}"] = 1.0
    out[f"lexicon>{lexicon_type}>{event_type}"] = 1.0
    if event_type != lexicon_type:
        out["retyped"] = 1.0
    return out


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


@dataclass(frozen=True)
class EventClassifier:
    """Logistic regression over named features (module docstring)."""

    weights: Mapping[str, float]
    bias: float
    veto: float  # below it, a candidate the tree keeps is no event
    admit: float  # from it, a candidate the tree drops is an event
    provenance: Mapping[str, Any]
    types: tuple[str, ...] = ()  # the types it may give a candidate; none: the lexicon's type only
    topics: TopicModel | None = None  # the section model whose probabilities it reads (ArticleCast.topics)

    def probability(self, features: Mapping[str, float]) -> float:
        score = self.bias + sum(self.weights.get(name, 0.0) * value for name, value in features.items())
        return _sigmoid(score)

    def best(self, features: Mapping[str, float], lexicon_type: str) -> tuple[str, float]:
        """The most probable reading of a candidate (features of :func:`candidate_features`): its type among
        the lexicon's and :attr:`types`, and that reading's probability of being an event (ties: the lexicon's)."""
        readings = [lexicon_type] + [t for t in self.types if t != lexicon_type]
        scored = [(self.probability(typed_features(features, t)), -k, t) for k, t in enumerate(readings)]
        probability, _, event_type = max(scored)
        return event_type, probability

    def decide(
        self, probability: float, tree_kept: bool, status_report: bool = False, has_actor: bool = True
    ) -> bool:
        """Whether a candidate with this probability is an event, given the tree's own check. A report that
        the tree keeps and that says its event was cancelled or postponed, or that a measure takes effect ("the
        tariff comes into effect on August 1"), is not vetoed: the silver labels hold 2 cancelled events in 820
        and no trigger that takes effect, too few for the classifier to judge them. A candidate the tree drops is
        admitted only with an actor in one of its roles (a codable event needs one: "claimed" alone is no event)."""
        if tree_kept:
            return status_report or probability >= self.veto
        return has_actor and probability >= self.admit

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "logistic regression over candidate features (transforms.event_classifier)",
            "bias": self.bias,
            "veto": self.veto,
            "admit": self.admit,
            "types": list(self.types),
            "topics": self.topics.to_json() if self.topics is not None else None,
            "provenance": dict(self.provenance),
            "weights": dict(sorted(self.weights.items())),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EventClassifier:
        return cls(
            {str(k): float(v) for k, v in data["weights"].items()},
            float(data["bias"]),
            float(data["veto"]),
            float(data["admit"]),
            dict(data.get("provenance") or {}),
            tuple(str(t) for t in data.get("types") or ()),
            TopicModel.from_json(data["topics"]) if data.get("topics") else None,
        )
