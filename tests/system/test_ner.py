"""``dateline eval ner`` as a user runs it: JSON last on stdout, a missing file is a usage error."""

from __future__ import annotations

import json
import subprocess
import sys

from dateline.evaluation.conll import parse_conll
from tests.paths import REPO
from tests.unit.test_ner import SAMPLE, needs_model

# --- dateline eval ner -------------------------------------------------------------------------


@needs_model
def test_eval_ner_prints_json_last() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dateline", "eval", "ner", "--conll", str(SAMPLE)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(result) == {"case", "micro", "per_type", "precision_by_confidence", "tokens", "tokens_per_s"}
    assert result["case"] == "as-is"
    bands = result["precision_by_confidence"]
    assert [b["confidence"] for b in bands] == ["[0.0, 0.5)", "[0.5, 0.8)", "[0.8, 0.95)", "[0.95, 1.0]"]
    assert sum(b["spans"] for b in bands) > 0
    assert set(result["micro"]) == {"precision", "recall", "f1"}
    assert set(result["per_type"]) == {"PER", "ORG", "LOC", "MISC"}
    assert result["tokens"] == sum(d.n_tokens for d in parse_conll(SAMPLE.read_text()))
    assert 0.0 <= result["micro"]["f1"] <= 1.0
    assert "eval ner" in proc.stderr


def test_eval_ner_missing_file_is_usage_error(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dateline", "eval", "ner", "--conll", str(tmp_path / "none.conll")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "none.conll not found" in lines[0]
    # a newcomer without ../shared/data is told what it is and where it is described
    assert "not part of this repository" in lines[0] and "DATELINE_SHARED_DATA" in lines[0]
