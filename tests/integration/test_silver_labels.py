"""The committed silver labels still point at the BBC sentences they were made from (shared data)."""

from __future__ import annotations

import json

import pytest

from dateline.evaluation.silver import file_sentences
from tests.paths import REPO, shared_data

BBC = shared_data() / "corpus" / "bbc"


@pytest.mark.skipif(not BBC.is_dir(), reason=f"BBC corpus not found at {BBC} (set DATELINE_SHARED_DATA)")
def test_every_label_row_is_a_sentence_of_its_file_with_the_same_digest() -> None:
    for path in (REPO / "seeds" / "silver").glob("*.jsonl"):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            text = (BBC / row["file"]).read_text(encoding="utf-8", errors="replace")
            sentence = next(s for s in file_sentences(row["file"], text) if s.start == row["start"])
            assert (sentence.end, sentence.sha) == (row["end"], row["sha"]), (path.name, row["id"])
            for event in row["events"]:
                assert event["trigger"] is None or event["trigger"][1] <= len(sentence.text)
