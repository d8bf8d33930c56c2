"""The silver-label tools: the fixed BBC split, committed label rows, annotator agreement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dateline.evaluation.silver import (
    Sentence,
    SilverError,
    agreement,
    committed_labels,
    file_sentences,
    half_of,
    label_event,
)
from dateline.evaluation.silver import (
    main as silver_main,
)
from tests.paths import REPO

SILVER = REPO / "seeds" / "silver"


def test_the_split_is_a_fixed_function_of_the_file_name_and_cuts_every_section_in_two() -> None:
    names = [f"{section}/{n:03d}.txt" for section in ("sport", "politics") for n in range(1, 201)]
    halves = [half_of(name) for name in names]
    assert halves == [half_of(name) for name in names]
    for section in ("sport", "politics"):
        tests = sum(h == "test" for n, h in zip(names, halves, strict=True) if n.startswith(section))
        assert 70 < tests < 130


def test_sentences_are_offsets_into_the_whole_file_after_the_headline() -> None:
    text = "Talks stall\n\nThe minister met union leaders. They agreed nothing.\n"
    sentences = file_sentences("politics/001.txt", text)
    assert [text[s.start : s.end] for s in sentences] == [
        "The minister met union leaders.",
        "They agreed nothing.",
    ]
    assert {s.headline for s in sentences} == {"Talks stall"}


def test_an_event_is_committed_as_offsets_within_its_sentence() -> None:
    sentence = "Unions urged the government to act."
    event = label_event(
        sentence, {"type": "demand", "trigger": "urged", "source": "Unions", "target": "the government"}, "x"
    )
    assert event == {
        "type": "REQUEST",
        "trigger": [7, 12],
        "source": [0, 6],
        "target": [13, 27],
        "polarity": "asserted",
        "status": "occurred",
    }


@pytest.mark.parametrize(
    "event",
    [
        {"type": "PARTY", "trigger": "urged"},
        {"type": "REQUEST", "trigger": "asked"},
        {"type": "REQUEST", "trigger": "urged", "polarity": "maybe"},
        {"type": "REQUEST", "trigger": "urged", "source": 3},
    ],
)
def test_an_answer_that_is_not_a_label_is_refused_with_its_sentence_id(event: dict) -> None:
    with pytest.raises(SilverError, match="A test-0001"):
        label_event("Unions urged the government to act.", event, "A test-0001")


def test_committed_rows_keep_no_text_and_an_unknown_id_is_refused() -> None:
    sentence = Sentence("politics/001.txt", 13, 44, "Talks stall", "The minister met union leaders.")
    rows = committed_labels({"test-0000": sentence}, [{"id": "test-0000", "events": []}], "A")
    assert rows == [
        {
            "id": "test-0000",
            "file": "politics/001.txt",
            "start": 13,
            "end": 44,
            "sha": sentence.sha,
            "annotator": "A",
            "events": [],
        }
    ]
    with pytest.raises(SilverError, match="unknown sentence id"):
        committed_labels({}, [{"id": "test-0009", "events": []}], "A")


def _row(key: str, *types: str) -> dict:
    return {"id": key, "events": [{"type": t} for t in types]}


def test_agreement_is_kappa_on_event_presence_and_f1_on_types() -> None:
    first = [_row("1", "ACCUSE"), _row("2"), _row("3", "CONSULT", "AGREE"), _row("4")]
    second = [_row("1", "ACCUSE"), _row("2", "REQUEST"), _row("3", "CONSULT"), _row("4"), _row("5")]
    result = agreement(first, second)
    assert result["sentences"] == 4
    assert result["event_agreement"] == 0.75
    assert result["event_kappa"] == 0.5  # observed 0.75, expected 0.5
    assert result["events"] == {"first": 3, "second": 3, "matched_by_type": 2}
    assert result["typed_f1"] == round(4 / 6, 3)


def test_the_committed_labels_hold_no_sentence_text() -> None:
    for path in SILVER.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            assert set(row) == {"id", "file", "start", "end", "sha", "annotator", "events"}, path
            for event in row["events"]:
                assert all(isinstance(event[k], list | None) for k in ("trigger", "source", "target"))


def _corpus(root: Path) -> Path:
    """A tiny BBC-shaped corpus: one file per section, each in the train half, two sentences each."""
    for section in ("business", "entertainment", "politics", "sport", "tech"):
        (root / section).mkdir(parents=True)
        n = next(n for n in range(1, 500) if half_of(f"{section}/{n:03d}.txt") == "train")
        (root / section / f"{n:03d}.txt").write_text(
            "Headline\n\nThe minister met union leaders. The weather was mild all week.\n", encoding="utf-8"
        )
    return root


def test_candidate_packets_draw_only_train_sentences_with_a_lexicon_match_not_labelled_yet(
    tmp_path: Path,
) -> None:
    bbc = _corpus(tmp_path / "bbc")
    out = tmp_path / "packets"
    argv = [
        "--bbc",
        str(bbc),
        "--half",
        "train",
        "--select",
        "candidates",
        "--per-section",
        "1",
        "--seed",
        "21",
    ]
    assert silver_main(["packets", *argv, "--out", str(out)]) == 0
    rows = [
        json.loads(line) for path in sorted(out.glob("*.jsonl")) for line in path.read_text().splitlines()
    ]
    assert len(rows) == 5 and {r["sentence"] for r in rows} == {"The minister met union leaders."}
    assert all(r["id"].startswith("train-c21-") for r in rows)
    # once labelled, a sentence is not drawn again: nothing left to draw from
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(json.dumps({"id": r["id"], "events": []}) + "\n" for r in rows))
    labels = tmp_path / "labels.jsonl"
    assert (
        silver_main(["labels", *argv, "--annotator", "X", "--answers", str(answers), "--out", str(labels)])
        == 0
    )
    again = [*argv, "--labelled", str(labels), "--out", str(tmp_path / "again")]
    assert silver_main(["packets", *again]) == 2  # fewer candidates than asked: said, not silently fewer


def test_the_test_half_is_never_drawn_by_candidates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bbc = _corpus(tmp_path / "bbc")
    argv = [
        "packets",
        "--bbc",
        str(bbc),
        "--half",
        "test",
        "--select",
        "candidates",
        "--out",
        str(tmp_path / "p"),
    ]
    assert silver_main(argv) == 2
    assert "train half only" in capsys.readouterr().err
