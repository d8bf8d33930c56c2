"""Static word vectors for the NER, trained here from text the project may use: ``dateline train-vectors``.

Counted, not downloaded: lower-cased word co-occurrences within a window of two tokens (weighted 1/distance)
over the texts :func:`vector_texts` lists, turned into positive pointwise mutual information (contexts
smoothed with exponent 0.75) and reduced to ``dim`` dimensions by a truncated SVD (U·√S, rows of unit length).
That is the count-based route of Levy, Goldberg & Dagan (2015), "Improving distributional similarity with
lessons learned from word embeddings"; on a corpus of a million or two tokens it does as well as word2vec and
needs nothing beyond numpy and scipy.

A word's vector is counted on its lower-cased form, and every way of writing it points to that one row: the
lower-cased, Title-cased and upper-cased forms and each form the texts wrote, so "BLAIR", "Blair", "blair" and
"McDonald"/"MCDONALD" share a vector: an all-caps headline or a lower-cased line keeps what the vector knows.
(spaCy's ``Vectors(attr="LOWER")`` would say the same, but spaCy 3.8 does not save ``attr`` for default vectors:
a loaded model would look its vectors up by the exact text.) They are written as a blank spaCy pipeline whose
vocab holds them, which the NER config names as ``paths.vectors``.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

WINDOW = 2
MIN_COUNT = 3
DIM = 100
CONTEXT_SMOOTHING = 0.75


def vector_texts(shared: Path) -> Iterator[str]:
    """The texts the vectors are counted on, from ``shared`` (``$DATELINE_SHARED_DATA``): the BBC corpus
    (all 2,225 articles, unlabelled text), CoNLL-2003 eng.train's sentences (not eng.testa), UD English EWT's
    train sentences (``# text``) and PLV_train's sentences."""
    from dateline.evaluation.conll import read_conll
    from dateline.evaluation.events import read_plv

    for path in sorted((shared / "corpus" / "bbc").rglob("*.txt")):
        yield path.read_bytes().decode("utf-8", errors="replace")
    for doc in read_conll(shared / "eval" / "conll2003" / "eng.train"):
        yield "\n".join(" ".join(s.words) for s in doc.sentences)
    ewt = shared / "eval" / "ud_english_ewt" / "en_ewt-ud-train.conllu"
    for line in ewt.read_text(encoding="utf-8").splitlines():
        if line.startswith("# text = "):
            yield line.removeprefix("# text = ")
    for record in read_plv(shared / "eval" / "plv" / "PLV_train.tsv"):
        yield str(record["text"])


def tokenize(texts: Iterable[str], surface: dict[str, set[str]] | None = None) -> list[list[str]]:
    """Each text's lower-cased tokens by spaCy's English tokenizer (the one the NER runs), line breaks as
    breaks: a window never reaches across a paragraph. ``surface``, when given, collects the forms each
    lower-cased word was written in."""
    import spacy

    tokenizer = spacy.blank("en").tokenizer
    out: list[list[str]] = []
    for text in texts:
        for para in text.split("\n"):
            tokens = [t for t in tokenizer(para) if not t.is_space]
            if surface is not None:
                for t in tokens:
                    if t.text != t.lower_:
                        surface.setdefault(t.lower_, set()).add(t.text)
            if tokens:
                out.append([t.lower_ for t in tokens])
    return out


def written_forms(word: str, seen: set[str]) -> list[str]:
    """The other keys of ``word``'s vector: its Title- and upper-cased forms and the forms the texts wrote
    (sorted, without ``word`` itself)."""
    forms = {word[:1].upper() + word[1:], word.upper(), *seen, *(f.upper() for f in seen)}
    forms.discard(word)
    return sorted(forms)


def cooccurrences(paragraphs: list[list[str]], vocab: dict[str, int], window: int = WINDOW) -> Any:
    """Symmetric co-occurrence counts of vocabulary words within ``window`` tokens, weighted 1/distance,
    as a scipy CSR matrix (rows and columns in ``vocab``'s order); other words break nothing but count for
    nothing."""
    from scipy import sparse

    ids = np.fromiter(
        (i for para in paragraphs for i in [*(vocab.get(w, -1) for w in para), -2]), dtype=np.int64
    )
    rows, cols, vals = [], [], []
    for d in range(1, window + 1):
        a, b = ids[:-d], ids[d:]
        # a paragraph break (-2) between the two ends the window
        breaks = np.cumsum(ids == -2)
        same = breaks[:-d] == breaks[d:] - (ids[d:] == -2)
        keep = (a >= 0) & (b >= 0) & same
        rows += [a[keep], b[keep]]
        cols += [b[keep], a[keep]]
        vals += [np.full(int(keep.sum()) * 2, 1.0 / d)]
    n = len(vocab)
    matrix = sparse.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
    return matrix.tocsr()


def ppmi_svd(counts: Any, dim: int = DIM, smoothing: float = CONTEXT_SMOOTHING, seed: int = 0) -> np.ndarray:
    """Rows of unit length: the truncated SVD (U·√S, ``dim`` dimensions) of the positive PMI of ``counts``
    with context probabilities smoothed by ``smoothing``."""
    from scipy import sparse
    from scipy.sparse.linalg import svds

    counts = sparse.csr_matrix(counts, dtype=np.float64)
    total = counts.sum()
    row = np.asarray(counts.sum(axis=1)).ravel()
    col = np.asarray(counts.sum(axis=0)).ravel() ** smoothing
    col_p = col / col.sum()
    coo = counts.tocoo()
    pmi = np.log(coo.data * 1.0 / total) - np.log(row[coo.row] / total) - np.log(col_p[coo.col])
    keep = pmi > 0
    ppmi = sparse.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=counts.shape)
    rng = np.random.default_rng(seed)
    v0 = rng.standard_normal(min(ppmi.shape))
    u, s, _vt = svds(ppmi, k=dim, v0=v0)
    order = np.argsort(-s)
    vectors = u[:, order] * np.sqrt(s[order])
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: np.ndarray = (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    return unit


def train_vectors(
    shared: Path,
    out: Path,
    *,
    dim: int = DIM,
    min_count: int = MIN_COUNT,
    window: int = WINDOW,
    seed: int = 0,
) -> dict[str, Any]:
    """Count, reduce and write the vectors as a blank spaCy pipeline at ``out``; return the facts."""
    import spacy
    from spacy.vectors import Vectors

    surface: dict[str, set[str]] = {}
    paragraphs = tokenize(vector_texts(shared), surface)
    freq = Counter(w for para in paragraphs for w in para)
    words = sorted((w for w, c in freq.items() if c >= min_count), key=lambda w: (-freq[w], w))
    vocab = {w: i for i, w in enumerate(words)}
    n_tokens = sum(freq.values())
    print(f"vectors: {n_tokens} tokens, {len(words)} words with >= {min_count}", file=sys.stderr, flush=True)
    matrix = ppmi_svd(cooccurrences(paragraphs, vocab, window), dim=dim, seed=seed)
    nlp = spacy.blank("en")
    vectors = Vectors(strings=nlp.vocab.strings, data=matrix, keys=words, name="dateline_ppmi_svd")
    n_keys = len(words)
    for row, word in enumerate(words):
        for form in written_forms(word, surface.get(word, set())):
            vectors.add(form, row=row)
            n_keys += 1
    nlp.vocab.vectors = vectors
    nlp.to_disk(out)
    facts = {
        "method": "PPMI (context smoothing 0.75) + truncated SVD, U*sqrt(S), unit rows; every written form of a word keys its lower-cased form's row",
        "texts": "BBC corpus (2,225 articles), CoNLL-2003 eng.train, UD EWT train, PLV_train",
        "tokens": n_tokens,
        "words": len(words),
        "keys": n_keys,
        "dim": dim,
        "min_count": min_count,
        "window": window,
        "seed": seed,
    }
    (out / "vectors.json").write_text(json.dumps(facts, indent=2) + "\n")
    return facts
