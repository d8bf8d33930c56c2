"""The project's event classifier (transforms.event_classifier): which candidate events are events.

The model is ``seeds/models/event_classifier/model.json`` (trained by ``dateline train-events`` on the silver BBC
train half; provenance inside the file and in ``seeds/models/README.md``). A missing or unreadable file fails with
a message that says how to train it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from dateline.config import REPO_ROOT
from transforms.event_classifier import EventClassifier

EVENT_CLASSIFIER_DIR = REPO_ROOT / "seeds" / "models" / "event_classifier"


class EventClassifierMissing(RuntimeError):
    """The event classifier's model.json does not exist or is not a model."""


def load_event_classifier(path: Path | str | None = None) -> EventClassifier:
    """Load the classifier (default: the committed ``seeds/models/event_classifier``), cached per process."""
    return _load(str(Path(path).resolve()) if path is not None else str(EVENT_CLASSIFIER_DIR))


@lru_cache(maxsize=2)
def _load(path: str) -> EventClassifier:
    model = Path(path) / "model.json"
    try:
        return EventClassifier.from_json(json.loads(model.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise EventClassifierMissing(
            f"event classifier not usable at {model} ({type(e).__name__}: {e}); train it with 'dateline "
            "train-events --labels seeds/silver/bbc_events_train.jsonl seeds/silver/bbc_events_train_candidates.jsonl "
            "--bbc BBC_DIR --out seeds/models/event_classifier'"
        ) from None
