"""Training the NER: the dev slice of eng.train, recased scoring, counted static vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dateline.evaluation.conll import ConllDoc, Sentence
from dateline.evaluation.ner import recased
from dateline.evaluation.train_ner import split_train_dev
from dateline.evaluation.train_vectors import cooccurrences, ppmi_svd
from tests.unit.test_cli import dateline


def _docs(n: int) -> list[ConllDoc]:
    return [ConllDoc([Sentence([f"Word{i}", "in", "Paris"], ["B-PER", "O", "B-LOC"])]) for i in range(n)]


def test_the_dev_slice_holds_out_whole_documents_of_train() -> None:
    docs = _docs(25)
    train, dev = split_train_dev(docs, every=10)
    assert [d.sentences[0].words[0] for d in dev] == ["Word0", "Word10", "Word20"]
    assert len(train) == 22
    assert not {id(d) for d in train} & {id(d) for d in dev}
    with pytest.raises(ValueError, match="at least 2"):
        split_train_dev(docs, every=1)


def test_recased_changes_the_words_and_keeps_the_gold() -> None:
    docs = _docs(2)
    upper = recased(docs, "upper")
    lower = recased(docs, "lower")
    assert upper[1].sentences[0].words == ["WORD1", "IN", "PARIS"]
    assert lower[1].sentences[0].words == ["word1", "in", "paris"]
    assert upper[1].sentences[0].spans() == docs[1].sentences[0].spans() == [(0, 1, "PER"), (2, 3, "LOC")]
    assert docs[1].sentences[0].words == ["Word1", "in", "Paris"]
    assert recased(docs, "as-is") is docs
    with pytest.raises(ValueError, match="unknown case"):
        recased(docs, "title")


def test_cooccurrences_are_symmetric_weighted_by_distance_and_stop_at_a_paragraph() -> None:
    vocab = {"a": 0, "b": 1, "c": 2}
    counts = cooccurrences([["a", "b", "c"], ["c", "x", "a"]], vocab, window=2).toarray()
    assert np.array_equal(counts, counts.T)
    assert counts[0, 1] == 1.0  # a b, distance 1
    assert counts[0, 2] == 0.5 + 0.5  # a _ c in the first paragraph, c x a in the second: distance 2 each
    assert counts[1, 2] == 1.0
    # the first paragraph's c and the second's c are neighbours in the token stream, not in the text
    assert counts[2, 2] == 0.0


def test_words_with_the_same_contexts_get_the_same_direction() -> None:
    rng = np.random.default_rng(0)
    contexts = [f"w{i}" for i in range(30)]
    paragraphs = []
    for _ in range(400):
        left, right = rng.choice(contexts[:15], 2)
        paragraphs.append([str(left), str(rng.choice(["paris", "london"])), str(right)])
        left, right = rng.choice(contexts[15:], 2)
        paragraphs.append([str(left), str(rng.choice(["blair", "howard"])), str(right)])
    words = sorted({w for p in paragraphs for w in p})
    vocab = {w: i for i, w in enumerate(words)}
    vectors = ppmi_svd(cooccurrences(paragraphs, vocab, window=1), dim=4)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)

    def cos(a: str, b: str) -> float:
        return float(vectors[vocab[a]] @ vectors[vocab[b]])

    assert cos("paris", "london") > 0.9
    assert cos("blair", "howard") > 0.9
    assert cos("paris", "blair") < 0.5


def test_train_vectors_without_the_shared_data_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("DATELINE_SHARED_DATA", raising=False)
    code, _, err = dateline(monkeypatch, capsys, "train-vectors", "--out", str(tmp_path / "v"))
    assert code != 0
    assert "DATELINE_SHARED_DATA is not set" in err
    code, _, err = dateline(
        monkeypatch, capsys, "train-vectors", "--out", str(tmp_path / "v"), "--shared", str(tmp_path)
    )
    assert code != 0
    assert "corpus/bbc" in err and "not found" in err
    assert not (tmp_path / "v").exists()


def test_eval_ner_refuses_an_unknown_case(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    conll = tmp_path / "x.conll"
    conll.write_text("Paris NNP B-NP B-LOC\n")
    code, _, err = dateline(monkeypatch, capsys, "eval", "ner", "--conll", str(conll), "--case", "title")
    assert code != 0
    assert "--case 'title'" in err
