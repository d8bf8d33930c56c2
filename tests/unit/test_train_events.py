"""Training the event classifier (dateline.evaluation.train_events): the training sets, the labels of candidates,
the silver scoring of a decision, cross-validation by article, and PLV's records."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from dateline.evaluation import train_events as te
from dateline.evaluation.events import EvalDataError, gold_types, read_plv
from dateline.evaluation.silver import half_of


def _example(sentence: str, event_type: str, *, silver: bool = True, **features: float) -> te.Example:
    return te.Example(dict(features), event_type, sentence.split("#")[0], sentence, silver)


def _data(gold: dict[str, list[str]], silver: bool = True) -> te.TrainingSet:
    spans = {sentence.split("#")[0]: [(0, 10, sentence)] for sentence in gold}
    return te.TrainingSet(
        pl.DataFrame(),
        {k: Counter(v) for k, v in gold.items()},
        spans,
        frozenset(spans) if silver else frozenset(),
    )


def test_typed_scores_match_by_type_within_a_sentence_as_a_multiset() -> None:
    data = _data({"a#1": ["ACCUSE"], "b#1": ["REQUEST", "REQUEST"], "c#1": []})
    examples = [
        _example("a#1", "ACCUSE"),
        _example("a#1", "ACCUSE"),  # a second ACCUSE for one gold ACCUSE: wrong
        _example("b#1", "REQUEST"),
        _example("c#1", "ASSAULT"),
    ]
    precision, recall, predicted = te.typed_scores(examples, np.array([True, True, True, True]), data)
    assert (predicted, precision, recall) == (4, 0.5, pytest.approx(2 / 3))
    precision, recall, predicted = te.typed_scores(examples, np.array([True, False, False, False]), data)
    assert (predicted, precision, recall) == (1, 1.0, pytest.approx(1 / 3))


def test_only_silver_examples_are_scored_records_train_but_do_not_measure_ordinary_news() -> None:
    data = _data({"a#1": ["ACCUSE"]})
    examples = [_example("a#1", "ACCUSE"), _example("plv-0", "ACCUSE", silver=False)]
    data.gold["plv-0"] = Counter(["ACCUSE"])
    assert te.typed_scores(examples, np.array([True, True]), data) == (1.0, 1.0, 1)


def test_decisions_follow_the_classifier_veto_admit_and_status_reports() -> None:
    examples = [
        _example("a#1", "ACCUSE", tree_kept=1.0),
        _example("a#1", "ACCUSE", tree_kept=1.0, status_report=1.0),
        _example("a#1", "ACCUSE"),
    ]
    chosen = te.decisions(examples, np.array([0.1, 0.1, 0.7]), veto=0.2, admit=0.6)
    assert chosen.tolist() == [False, True, True]


def test_records_are_articles_of_one_labelled_sentence_with_their_gold_type() -> None:
    data = te.records_set(
        [{"text": "Iran condemned the strike.", "event": "DISAPPROVE"}, {"text": "Calm."}], "G"
    )
    assert data.articles.get_column("article_id").to_list() == ["G-0", "G-1"]
    assert data.gold == {"G-0": Counter(["ACCUSE"]), "G-1": Counter()}  # PLOVER aliases apply
    assert data.spans["G-0"] == [(0, len("Iran condemned the strike."), "G-0")]
    assert not data.silver


def test_silver_labels_of_the_test_half_are_refused(tmp_path: Path) -> None:
    name = next(f"politics/{n:03d}.txt" for n in range(1, 500) if half_of(f"politics/{n:03d}.txt") == "test")
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"id": "x", "file": name, "start": 0, "end": 5, "events": []}) + "\n")
    with pytest.raises(te.TrainEventsError, match="test half"):
        te.silver_set([labels], tmp_path)


def test_cross_validation_learns_a_separable_signal_and_keeps_folds_by_article() -> None:
    pytest.importorskip("sklearn", reason="training needs the [train] extra (scikit-learn)")
    examples = [_example(f"art{i}#1", "ACCUSE", tree_kept=1.0, **{f"cue={i % 2}": 1.0}) for i in range(40)]
    data = _data({e.sentence: ["ACCUSE"] if int(e.group[3:]) % 2 == 0 else [] for e in examples})
    read, probabilities = te.out_of_fold(examples, data, c=1.0, record_weight=0.1)
    assert all((p > 0.5) == (int(e.group[3:]) % 2 == 0) for p, e in zip(probabilities, read, strict=True))
    result = te.cross_validate(examples, data, min_precision=0.3, record_weight=0.1)
    assert result["chosen"]["precision"] == 1.0 and result["chosen"]["recall"] == 1.0
    assert result["tree_check_alone"]["precision"] == 0.5  # the tree keeps everything here


def test_a_reading_of_another_type_is_positive_only_at_a_gold_trigger_of_that_type() -> None:
    data = _data({"a#1": ["ACCUSE", "REJECT"]})
    data.triggers["a#1"] = [(0, 5, "ACCUSE"), (20, 26, "REJECT")]
    at_accuse = te.Example({"lemma=attack": 1.0}, "ASSAULT", "a", "a#1", True, (0, 6))
    labels = {t: label for t, _, label in te.readings(at_accuse, data, ("ACCUSE", "REJECT"))}
    assert labels == {
        "ASSAULT": False,
        "ACCUSE": True,
        "REJECT": False,
    }  # REJECT is elsewhere in the sentence
    record = te.Example({"lemma=attack": 1.0}, "ASSAULT", "r", "r-0", False)
    data.gold["r-0"] = Counter(["ACCUSE"])
    assert te.readings(record, data, ("ACCUSE",)) == []  # a record gives positive lexicon readings only


def test_plv_rows_become_records_and_yield_is_concede_or_retreat(tmp_path: Path) -> None:
    path = tmp_path / "plv.tsv"
    path.write_text(
        "\tsentence_id\tsentence\tgold_root\n0\t4\tRebels gave up the town.\tYIELD\n1\t5\t \tACCUSE\n"
    )
    assert read_plv(path) == [{"id": "PLV-4", "text": "Rebels gave up the town.", "event": "YIELD"}]
    assert gold_types("YIELD") == {"CONCEDE", "RETREAT"} and gold_types("DEMAND") == {"REQUEST"}
    assert te.records_set(read_plv(path), "P").gold["P-0"] == Counter(["CONCEDE", "RETREAT"])
    path.write_text("a\tb\n1\t2\n")
    with pytest.raises(EvalDataError, match="sentence_id, sentence and gold_root"):
        read_plv(path)


def test_retype_as_names_plover_types_or_all_and_refuses_others() -> None:
    from dateline.cli.common import UsageError
    from dateline.cli.evaluate import _retype_types

    assert _retype_types([]) == ()
    assert _retype_types(["ACCUSE", "ACCUSE", "REJECT"]) == ("ACCUSE", "REJECT")
    assert _retype_types(["all"]) == te.PLOVER_TYPES
    with pytest.raises(UsageError, match="'ACUSE' is not a PLOVER type"):
        _retype_types(["ACUSE"])


def test_the_choice_smooths_over_the_veto_grid_and_gives_near_ties_to_recall() -> None:
    from dateline.evaluation.train_events import VETO_GRID, choose

    def row(veto: float, f: float, recall: float) -> dict:
        return {"C": 1.0, "admit": 0.5, "veto": veto, "f0.5": f, "precision": 0.6, "recall": recall}

    # one lucky cell (0.05) among poor neighbours loses to a good region; 0.3, 0.35 and 0.4 tie, 0.3 finds most
    scores = {0.0: 0.1, 0.05: 0.5, 0.1: 0.1, 0.25: 0.42, 0.3: 0.42, 0.35: 0.421, 0.4: 0.42}
    table = [row(v, scores.get(v, 0.3), recall=1 - v) for v in VETO_GRID]
    assert choose(table, 0.3, "f0.5")["veto"] == 0.3
    assert choose([r | {"precision": 0.1} for r in table], 0.3, "f0.5")["veto"] == 0.3  # none eligible: all
