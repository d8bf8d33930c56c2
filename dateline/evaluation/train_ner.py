"""Train the project's NER model (spaCy tok2vec + ner) on CoNLL-2003.

``dateline train-ner --train eng.train --vectors DIR --out seeds/models/ner_conll`` converts the
CoNLL files (IOB1 or IOB2) to spaCy DocBin files in a temporary folder (never committed: the data is
under a research licence), trains with ``seeds/models/ner_config.cfg`` and a fixed seed, and copies
the best model (by entity F1 on the dev set) to --out. The dev set chooses the checkpoint and nothing
else: by default a slice of the training file itself (every ``dev_every``-th ``-DOCSTART-`` document, held
out of training), so that eng.testa stays a test set; ``--dev FILE`` names another file instead.
``--vectors`` names the static word vectors (``dateline train-vectors``) the config's tok2vec reads.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from dateline.config import REPO_ROOT
from dateline.evaluation.conll import ConllDoc, read_conll
from dateline.resources.ner_model import register_augmenters

DEFAULT_CONFIG = REPO_ROOT / "seeds" / "models" / "ner_config.cfg"
SENTS_PER_DOC = 10
DEV_EVERY = 10


def split_train_dev(docs: list[ConllDoc], every: int = DEV_EVERY) -> tuple[list[ConllDoc], list[ConllDoc]]:
    """(train, dev): every ``every``-th document (the 1st, the ``every+1``-th, ...) is dev, the rest train.
    Whole documents, so no story is on both sides."""
    if every < 2:
        raise ValueError(f"dev_every must be at least 2, not {every}")
    dev = [d for i, d in enumerate(docs) if i % every == 0]
    train = [d for i, d in enumerate(docs) if i % every != 0]
    return train, dev


def conll_to_docbin(docs: list[ConllDoc], out: Path, sents_per_doc: int = SENTS_PER_DOC) -> int:
    """Write CoNLL documents as a spaCy DocBin: each -DOCSTART- document is cut into spaCy docs of
    ``sents_per_doc`` sentences (tokens joined by single spaces, as the evaluation sees them) with
    sentence starts and entity spans set. Returns the number of spaCy docs written."""
    from spacy.tokens import Doc, DocBin, Span
    from spacy.vocab import Vocab

    vocab = Vocab()
    db = DocBin(attrs=["ORTH", "SENT_START", "ENT_IOB", "ENT_TYPE"], store_user_data=False)
    n = 0
    for cdoc in docs:
        for i in range(0, len(cdoc.sentences), sents_per_doc):
            chunk = cdoc.sentences[i : i + sents_per_doc]
            words = [w for s in chunk for w in s.words]
            sent_starts: list[bool | int | None] = [j == 0 for s in chunk for j in range(len(s.words))]
            doc = Doc(vocab, words=words, spaces=[True] * (len(words) - 1) + [False], sent_starts=sent_starts)
            ents: list[Span] = []
            base = 0
            for s in chunk:
                ents.extend(Span(doc, base + a, base + b, label=t) for a, b, t in s.spans())
                base += len(s.words)
            doc.ents = ents
            db.add(doc)
            n += 1
    db.to_disk(out)
    return n


def train_ner(
    train: Path,
    dev: Path | None,
    out: Path,
    *,
    seed: int,
    config: Path,
    vectors: Path | None = None,
    dev_every: int = DEV_EVERY,
    max_steps: int | None = None,
    workdir: Path | None = None,
) -> dict:
    """Convert, train, copy the best model to ``out``; return its dev scores and training facts.

    ``seed`` and the spaCy training ``config`` come from the caller (``dateline train-ner``:
    --seed, --config, default :data:`DEFAULT_CONFIG`); ``dev`` None holds out every ``dev_every``-th
    document of ``train`` as the dev set (:func:`split_train_dev`); ``vectors`` fills the config's
    ``paths.vectors``; ``max_steps`` overrides the config's training.max_steps; ``workdir`` keeps the
    converted corpus (default: a temporary folder)."""
    register_augmenters()
    use_numpy_ops()
    t0 = time.time()
    tmp_ctx = None
    if workdir is None:
        tmp_ctx = tempfile.TemporaryDirectory(prefix="dateline-ner-")
        workdir = Path(tmp_ctx.name)
    work = workdir
    work.mkdir(parents=True, exist_ok=True)
    try:
        if dev is None:
            train_docs, dev_docs = split_train_dev(read_conll(train), dev_every)
        else:
            train_docs, dev_docs = read_conll(train), read_conll(dev)
        n_train = conll_to_docbin(train_docs, work / "train.spacy")
        n_dev = conll_to_docbin(dev_docs, work / "dev.spacy")
        print(f"converted: {n_train} train docs, {n_dev} dev docs -> {work}", file=sys.stderr, flush=True)
        train_best(work, out, config=config, seed=seed, max_steps=max_steps, vectors=vectors)
        strip_string_store(out)
    finally:
        if tmp_ctx is not None:
            tmp_ctx.cleanup()
    return training_record(
        out,
        train=train,
        dev=dev,
        dev_every=dev_every,
        vectors=vectors,
        config=config,
        seed=seed,
        max_steps=max_steps,
        started=t0,
    )


def train_best(
    work: Path, out: Path, *, config: Path, seed: int, max_steps: int | None, vectors: Path | None = None
) -> None:
    """spaCy's training on ``work/train.spacy`` and ``work/dev.spacy`` (DocBin files), the best model by the
    config's score weights on dev copied to ``out``."""
    from spacy.cli.train import train as spacy_train

    overrides: dict[str, Any] = {
        "paths.train": str(work / "train.spacy"),
        "paths.dev": str(work / "dev.spacy"),
        "system.seed": seed,
    }
    if max_steps is not None:
        overrides["training.max_steps"] = max_steps
    if vectors is not None:
        overrides["paths.vectors"] = str(vectors)
    spacy_train(config, work / "output", overrides=overrides)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(work / "output" / "model-best", out)


def training_record(
    out: Path,
    *,
    train: Path,
    dev: Path | None,
    config: Path,
    seed: int,
    max_steps: int | None,
    started: float,
    dev_every: int = DEV_EVERY,
    vectors: Path | None = None,
) -> dict[str, Any]:
    """The training facts and the model's dev scores, written to ``out/training.json`` and returned."""
    import spacy

    meta = json.loads((out / "meta.json").read_text())
    facts = {
        "train": relative_path(train),
        "dev": relative_path(dev) if dev is not None else f"every {dev_every}th document of train, held out",
        "vectors": vectors_facts(vectors),
        "config": relative_path(config),
        "seed": seed,
        "max_steps": max_steps,
        "spacy_version": spacy.__version__,
        "train_seconds": round(time.time() - started, 1),
        "dev_scores": meta.get("performance", {}),
    }
    (out / "training.json").write_text(json.dumps(facts, indent=2) + "\n")
    return facts


def vectors_facts(vectors: Path | None) -> dict[str, Any] | None:
    """What ``dateline train-vectors`` recorded beside the vectors (``vectors.json``), or None."""
    if vectors is None:
        return None
    record = vectors / "vectors.json"
    return json.loads(record.read_text()) if record.is_file() else {"path": str(vectors)}


def use_numpy_ops() -> None:
    """Train with numpy's matmul: thinc's bundled BLIS gemm is ~3x slower than numpy's OpenBLAS on this
    machine's CPU (see dateline.resources.ner_model.use_numpy_matmul); models built from here on use it."""
    from thinc.api import NumpyOps, set_current_ops

    set_current_ops(NumpyOps(use_blis=False))


def strip_string_store(model_dir: Path) -> None:
    """Empty the saved string store: it only lists the training corpus's words (the model looks
    tokens up by hash, and the entity labels come back from the ``ner`` component), so the
    committed model keeps no word list of the licensed data, and is smaller."""
    (model_dir / "vocab" / "strings.json").write_text("[]\n")


def relative_path(path: Path) -> str:
    """A path relative to the repo when it is inside it or beside it (../shared), else as given."""
    p = Path(path).resolve()
    for base, prefix in ((REPO_ROOT, ""), (REPO_ROOT.parent, "../")):
        if p.is_relative_to(base):
            return prefix + str(p.relative_to(base))
    return str(path)
