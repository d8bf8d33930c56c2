"""Train the section model the event classifier reads (transforms.topic) on the BBC train half.

The labels are the corpus's folders (business, entertainment, politics, sport, tech); only files of the train
half (dateline.evaluation.silver.half_of) are read. The event classifier is trained on articles of that same
half, so their section probabilities must not come from a model that saw them: :func:`train_topics` also returns
each train-half file's out-of-fold probabilities (5 folds), which is what a model gives an article it has not
seen, as in the pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dateline.evaluation.silver import half_of
from transforms.topic import TOKEN_PATTERN, TopicModel

MIN_DOCUMENTS = 3  # a word in fewer train-half articles is not read
C = 1.0
FOLDS = 5
MIN_WEIGHT = 0.01  # weights smaller than this for every class are dropped (the model's size)


def train_topics(bbc: Path) -> tuple[TopicModel, dict[str, dict[str, float]]]:
    """The section model over the BBC train half at ``bbc``, and each train-half file's out-of-fold section
    probabilities keyed by ``section/NNN.txt``."""
    import sklearn
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    files = [p for p in sorted(bbc.glob("*/*.txt")) if half_of(f"{p.parent.name}/{p.name}") == "train"]
    if not files:
        raise ValueError(f"no BBC train-half file under {bbc}")
    bodies = [p.read_text(encoding="utf-8", errors="replace").partition("\n")[2] for p in files]
    labels = np.array([p.parent.name for p in files])
    vectorizer = CountVectorizer(
        binary=True, lowercase=True, min_df=MIN_DOCUMENTS, token_pattern=TOKEN_PATTERN
    )
    x = vectorizer.fit_transform(bodies)
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
    oof = cross_val_predict(
        LogisticRegression(C=C, max_iter=5000), x, labels, cv=folds, method="predict_proba"
    )
    model = LogisticRegression(C=C, max_iter=5000).fit(x, labels)
    classes = tuple(str(c) for c in model.classes_)
    coef, intercept = model.coef_, model.intercept_
    if (
        len(classes) == 2
    ):  # scikit-learn keeps one row for two classes: the second's log-odds (the first's is 0)
        coef, intercept = np.vstack([np.zeros_like(coef[0]), coef[0]]), np.array([0.0, intercept[0]])
    accuracy = float(np.mean(np.array(classes)[oof.argmax(axis=1)] == labels))
    weights = {
        str(word): tuple(round(float(w), 5) for w in column)
        for word, column in zip(vectorizer.get_feature_names_out(), coef.T, strict=True)
        if np.abs(column).max() >= MIN_WEIGHT
    }
    provenance: dict[str, Any] = {
        "trained_on": "BBC train half, labels = section folders",
        "articles": len(files),
        "words": len(weights),
        "C": C,
        "min_documents": MIN_DOCUMENTS,
        "cv_accuracy": round(accuracy, 4),
        "cv_folds": FOLDS,
        "sklearn": sklearn.__version__,
    }
    topic_model = TopicModel(classes, tuple(round(float(b), 5) for b in intercept), weights, provenance)
    held_out = {
        f"{p.parent.name}/{p.name}": dict(zip(classes, map(float, row), strict=True))
        for p, row in zip(files, oof, strict=True)
    }
    return topic_model, held_out
