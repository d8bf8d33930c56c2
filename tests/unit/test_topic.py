"""The section model the event classifier reads (transforms.topic) and its training (train_topics)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dateline.evaluation.silver import half_of
from transforms.event_classifier import ArticleCast, topic_features
from transforms.topic import TopicModel, words

MODEL = TopicModel(("politics", "sport"), (0.0, 0.0), {"minister": (2.0, -2.0), "goal": (-2.0, 2.0)})


def test_a_word_counts_once_unknown_words_are_ignored_and_probabilities_sum_to_one() -> None:
    assert words("The Minister's goal, the minister said") == {
        "the",
        "minister's",
        "goal",
        "minister",
        "said",
    }
    once = MODEL.probabilities("minister")
    assert MODEL.probabilities("minister minister MINISTER unknownword") == once
    assert once["politics"] > 0.95 and sum(once.values()) == pytest.approx(1.0)
    assert MODEL.probabilities("minister goal") == {"politics": 0.5, "sport": 0.5}


def test_the_model_survives_json_and_a_row_of_the_wrong_width_is_refused() -> None:
    assert TopicModel.from_json(MODEL.to_json()) == MODEL
    broken = MODEL.to_json() | {"weights": {"goal": [1.0]}}
    with pytest.raises(ValueError, match="one weight per class"):
        TopicModel.from_json(broken)


def test_section_probabilities_become_the_casts_topic_features() -> None:
    cast = ArticleCast.of([], MODEL.probabilities("goal"))
    expected = {"topic=politics": 0.018, "topic=sport": 0.982, "type_topic=AGREE:politics": 0.018}
    expected["type_topic=AGREE:sport"] = 0.982
    assert topic_features(cast.topics, "AGREE") == pytest.approx(expected, abs=1e-3)
    assert ArticleCast.of([]).topics == {}


def test_train_topics_learns_the_folders_and_gives_train_half_files_out_of_fold_probabilities(
    tmp_path: Path,
) -> None:
    pytest.importorskip("sklearn")
    from dateline.evaluation.train_topics import train_topics

    vocab = {"politics": "minister election vote parliament", "sport": "goal match striker league"}
    for section, text in vocab.items():
        (tmp_path / section).mkdir()
        for k in range(40):
            (tmp_path / section / f"{k:03d}.txt").write_text(f"Headline {k}\n\n{text} words of file {k}.\n")
    model, held_out = train_topics(tmp_path)
    assert model.classes == ("politics", "sport")
    assert max(model.probabilities("the striker scored a goal").items(), key=lambda kv: kv[1])[0] == "sport"
    names = {f"{s}/{k:03d}.txt" for s in vocab for k in range(40)}
    assert set(held_out) == {n for n in names if half_of(n) == "train"}
    assert all(p[n.split("/")[0]] > 0.5 for n, p in held_out.items())
    with pytest.raises(ValueError, match="no BBC train-half file"):
        train_topics(tmp_path / "empty")
