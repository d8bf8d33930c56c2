"""The committed NER model against the CoNLL-2003 testa set (shared data; set DATELINE_SLOW=1)."""

from __future__ import annotations

import os

import pytest

from tests.paths import shared_data
from tests.unit.test_ner import needs_model


@pytest.mark.skipif(os.environ.get("DATELINE_SLOW") != "1", reason="set DATELINE_SLOW=1 for the testa score")
@needs_model
def test_testa_score_meets_the_bar() -> None:
    from dateline.evaluation.ner import evaluate_ner

    testa = shared_data() / "eval" / "conll2003" / "eng.testa"
    if not testa.is_file():
        pytest.skip(f"{testa} not found")
    assert evaluate_ner(testa)["micro"]["f1"] >= 0.88
