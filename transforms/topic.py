"""What an article is about, as the BBC's five sections: business, entertainment, politics, sport, tech.

The event classifier (transforms.event_classifier) reads an article's section probabilities as features: a
"charge" in a sport report is a disciplinary matter, "talks" in a business report are a takeover, and the same
words in a politics report are events. :class:`TopicModel` is a multinomial logistic regression over the
article's distinct lower-cased words (a word counts once, however often it occurs), trained by
``dateline train-events`` (dateline.evaluation.train_topics) on the BBC train half, whose folders are the
labels. Prediction is plain Python: a sum of weights and a softmax.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# the words the model reads: scikit-learn's CountVectorizer with this pattern over the lower-cased text
TOKEN_PATTERN = r"[a-z][a-z'-]+"
_TOKEN = re.compile(TOKEN_PATTERN)


def words(text: str) -> set[str]:
    """The distinct words of ``text`` the model reads."""
    return set(_TOKEN.findall(text.lower()))


@dataclass(frozen=True)
class TopicModel:
    """Weights by word, one per class, and a bias per class (module docstring)."""

    classes: tuple[str, ...]
    bias: tuple[float, ...]
    weights: Mapping[str, tuple[float, ...]]
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def probabilities(self, text: str) -> dict[str, float]:
        """The probability of each class for ``text``."""
        scores = list(self.bias)
        for word in words(text):
            row = self.weights.get(word)
            if row is not None:
                scores = [s + w for s, w in zip(scores, row, strict=True)]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps, strict=True)}

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "multinomial logistic regression over an article's distinct words (transforms.topic)",
            "classes": list(self.classes),
            "bias": list(self.bias),
            "provenance": dict(self.provenance),
            "weights": {w: list(row) for w, row in sorted(self.weights.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TopicModel:
        classes = tuple(str(c) for c in data["classes"])
        weights = {str(w): tuple(float(x) for x in row) for w, row in data["weights"].items()}
        if any(len(row) != len(classes) for row in weights.values()) or len(data["bias"]) != len(classes):
            raise ValueError("a topic model's rows must have one weight per class")
        return cls(
            classes, tuple(float(b) for b in data["bias"]), weights, dict(data.get("provenance") or {})
        )
