"""transforms.ner_decode on BBC articles (shared data): the same entities as spaCy's own NER."""

from __future__ import annotations

import pytest

from dateline.resources.ner_model import NER_MODEL_DIR
from tests.unit.test_ner_decode import _tok2vec_docs
from transforms import ner_decode

pytestmark = pytest.mark.skipif(not (NER_MODEL_DIR / "meta.json").is_file(), reason="NER model not built")


def test_bbc_sample_same_entities_as_spacy(nlp, shared) -> None:
    bbc = shared / "corpus" / "bbc" / "business"
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(bbc.glob("*.txt"))[:150]]
    expected = ner_decode.spacy_entities(nlp, _tok2vec_docs(nlp, texts))
    assert ner_decode.greedy_entities(nlp, _tok2vec_docs(nlp, texts)) == expected
