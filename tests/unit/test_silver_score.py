"""Scoring the event coder against silver labels: typed matches within a sentence, detection, sections."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dateline.evaluation.silver_score import LabelledSentence, merged_labels, score


def test_events_match_by_type_within_their_sentence() -> None:
    labels = [
        LabelledSentence("politics/001.txt", 10, 90, ("ACCUSE", "ACCUSE")),
        LabelledSentence("politics/001.txt", 91, 150, ()),
        LabelledSentence("sport/002.txt", 5, 60, ()),
        LabelledSentence("business/003.txt", 0, 40, ("AGREE",)),
    ]
    predicted = {
        ("politics/001.txt", 10): ["ACCUSE", "REQUEST"],  # one of two ACCUSE found, one wrong event
        ("sport/002.txt", 5): ["ASSAULT"],  # a match reported as an attack
    }
    result = score(labels, predicted)
    assert result["typed"] == {"precision": round(1 / 3, 4), "recall": round(1 / 3, 4), "matched": 1}
    assert result["detection"] == {"precision": 0.5, "recall": 0.5}
    assert result["per_section"]["sport"] == {
        "sentences": 1,
        "predicted": 1,
        "gold": 0,
        "matched": 0,
        "precision": 0.0,
    }
    assert result["gold_events"] == 3 and result["predicted_events"] == 3


def test_eval_events_wants_exactly_one_gold_set() -> None:
    from dateline.cli.common import UsageError
    from dateline.cli.main import app

    for args in ([], ["--plover", "a.json", "--silver", "b.jsonl"]):
        res = CliRunner().invoke(app, ["eval", "events", *args])
        assert isinstance(res.exception, UsageError)  # `dateline` turns it into one line and exit code 2
        assert "give one of --plover FILE or --silver FILE" in str(res.exception)


def test_several_label_files_are_one_sample_and_a_sentence_in_two_counts_once_as_the_first_says(
    tmp_path: Path,
) -> None:
    def write(name: str, rows: list[tuple[str, int, list[str]]]) -> Path:
        path = tmp_path / name
        path.write_text(
            "".join(
                json.dumps({"file": f, "start": s, "end": s + 10, "events": [{"type": t} for t in types]})
                + "\n"
                for f, s, types in rows
            )
        )
        return path

    first = write("a.jsonl", [("politics/001.txt", 0, ["ACCUSE"]), ("sport/002.txt", 5, [])])
    second = write("b.jsonl", [("politics/001.txt", 0, []), ("tech/003.txt", 7, ["AGREE"])])
    merged = merged_labels([first, second])
    assert [(s.file, s.start) for s in merged] == [
        ("politics/001.txt", 0),
        ("sport/002.txt", 5),
        ("tech/003.txt", 7),
    ]
    assert merged[0].gold == ("ACCUSE",)
