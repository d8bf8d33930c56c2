"""transforms.ner_decode: the batched numpy decoder finds exactly the entities spaCy's own NER
component finds, document by document, whatever the documents are decoded with."""

from __future__ import annotations

import polars as pl
import pytest

from dateline.resources.ner_model import NER_MODEL_DIR
from tests.paths import FIXTURES, SAMPLES
from transforms import ner_decode
from transforms.ner import ner_spans

pytestmark = pytest.mark.skipif(not (NER_MODEL_DIR / "meta.json").is_file(), reason="NER model not built")

EDGE_CASES = [
    "",
    " ",
    "\n\n",
    "a",
    "Obama",
    "Paris .",
    "Barack Obama",
    "  New York  ",
    "New\n\nYork and New  York",  # whitespace tokens inside would-be entities
    "BARACK OBAMA MET ANGELA MERKEL IN BERLIN ON MONDAY",
    "barack obama met angela merkel in berlin on monday",
    "Talks between the European Union, Japan and the World Trade Organization in Geneva ended .",
    "U.S. Trade Representative Jamieson Greer told Reuters the U.S.-Korea talks would resume in Washington",
    "Samsung Electronics , Hyundai Motor and LG said on Friday",  # ends on an entity
    "The Bank of England and the European Central Bank . Mr Blair , Mr Brown",
    # the last token looks like the start of a name: spaCy may not begin (B) or continue (I) an
    # entity there, only close it (L) or make it a single-token one (U)
    "He met Barack",
    "Prime Minister Tony",
    "Officials flew in from Los",
    "a visit to Hong",
    "talks with President George",
    "shares in the Bank of",  # an open entity on the last token: L, never I
    "He works for the Ministry of",
]


def _texts() -> list[str]:
    texts = list(EDGE_CASES)
    for path in sorted(SAMPLES.iterdir()):
        if path.is_file():
            texts.append(path.read_text(encoding="utf-8"))
    conll = (FIXTURES / "ner" / "sample.conll").read_text()
    words = [
        line.split()[0] for line in conll.splitlines() if line.strip() and not line.startswith("-DOCSTART-")
    ]
    texts.append(" ".join(words))
    texts.append(" ".join(texts))  # one long document
    return texts


def _tok2vec_docs(nlp, texts):
    return list(nlp.pipe(texts, disable=["ner"]))


def test_the_committed_model_is_supported(nlp) -> None:
    import spacy

    assert ner_decode.supports(nlp)
    assert not ner_decode.supports(spacy.blank("en"))


def test_same_entities_as_spacy(nlp) -> None:
    texts = _texts()
    expected = ner_decode.spacy_entities(nlp, _tok2vec_docs(nlp, texts))
    got = ner_decode.greedy_entities(nlp, _tok2vec_docs(nlp, texts))
    assert got == expected
    assert sum(map(len, expected)) > 100  # the texts do have entities
    # the same document gets the same entities alone, in another order and next to empty ones
    single = [ner_decode.greedy_entities(nlp, _tok2vec_docs(nlp, [t]))[0] for t in texts]
    assert single == expected
    shuffled = [*reversed(texts), "", " "]
    assert ner_decode.greedy_entities(nlp, _tok2vec_docs(nlp, shuffled)) == [*reversed(expected), [], []]


def test_ner_spans_equal_with_and_without_the_decoder(nlp, monkeypatch) -> None:
    texts = pl.DataFrame({"id": list(range(len(_texts()))), "text": _texts()})
    fast = ner_spans(texts, nlp)
    monkeypatch.setattr(ner_decode, "supports", lambda _nlp: False)
    slow = ner_spans(texts, nlp)
    assert fast.height > 100
    assert fast.drop("confidence").equals(slow.drop("confidence"))
    assert slow["confidence"].null_count() == slow.height  # spaCy's own component gives no probability
    confidence = fast["confidence"].drop_nulls()  # NULL only for a document with preset annotations
    assert confidence.len() > 0.9 * fast.height and 0 < confidence.min() <= confidence.max() <= 1  # type: ignore[operator]
    assert confidence.min() < 0.9 < confidence.max()  # type: ignore[operator]  # it tells entities apart
    row = fast.row(0, named=True)
    assert texts["text"][int(row["id"])][row["start_char"] : row["end_char"]] == row["text"]


def test_documents_with_preset_annotations_go_to_spacy(nlp) -> None:
    from spacy.tokens import Span

    plain = nlp.make_doc("Angela Merkel met Emmanuel Macron in Paris")
    assert not ner_decode.needs_spacy(plain)
    assert not ner_decode.needs_spacy(nlp.make_doc(""))
    preset = nlp.make_doc("Angela Merkel met Emmanuel Macron in Paris")
    preset.set_ents([Span(preset, 6, 7, label="ORG")])
    assert ner_decode.needs_spacy(preset)
    sentenced = nlp.make_doc("Merkel spoke . Macron spoke")
    sentenced[3].is_sent_start = True
    assert ner_decode.needs_spacy(sentenced)
    # spaCy keeps the preset entity (what the fallback is for)
    (ents,) = ner_decode.spacy_entities(nlp, _tok2vec_docs(nlp, [preset]))
    assert (6, 7, "ORG") in ents


def test_scored_entities_are_the_greedy_entities_with_a_probability(nlp) -> None:
    docs = _tok2vec_docs(nlp, _texts())
    scored = ner_decode.scored_entities(nlp, docs)
    assert [[(s, e, label) for s, e, label, _ in ents] for ents in scored] == ner_decode.greedy_entities(
        nlp, docs
    )
    assert all(0 < p <= 1 for ents in scored for *_, p in ents)
