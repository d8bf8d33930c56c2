"""Train the project's dependency parser (spaCy tok2vec + tagger + lemmatizer + parser) on UD English EWT.

``dateline train-parser --train en_ewt-ud-train.conllu --dev en_ewt-ud-dev.conllu --out seeds/models/parser_ud``
converts the CoNLL-U files to spaCy DocBin files in a temporary folder (never committed: the treebank is under a
research licence), trains with ``seeds/models/parser_config.cfg`` and a fixed seed, and copies the best model (by
labelled attachment score on --dev) to --out. --dev is used for model selection only, so its scores are
slightly optimistic. Multi-word tokens ("don't" = do + n't) keep their parts as tokens, as spaCy's English
tokenizer splits them.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from dateline.config import REPO_ROOT
from dateline.evaluation.train_ner import train_best, training_record, use_numpy_ops
from dateline.resources.ner_model import register_augmenters

DEFAULT_CONFIG = REPO_ROOT / "seeds" / "models" / "parser_config.cfg"
SENTS_PER_DOC = 10


def conllu_to_docbin(conllu: Path, out: Path, sents_per_doc: int = SENTS_PER_DOC) -> int:
    """Write a CoNLL-U treebank as a spaCy DocBin of documents of ``sents_per_doc`` sentences (words, Penn tags,
    lemmas, heads and UD relations); returns the number of documents."""
    from spacy.tokens import DocBin
    from spacy.training.converters import conllu_to_docs

    text = conllu.read_text(encoding="utf-8")
    docs = list(conllu_to_docs(text, n_sents=sents_per_doc, merge_subtokens=False, no_print=True))
    DocBin(docs=docs, store_user_data=False).to_disk(out)
    return len(docs)


def train_parser(
    train: Path,
    dev: Path,
    out: Path,
    *,
    seed: int,
    config: Path = DEFAULT_CONFIG,
    max_steps: int | None = None,
) -> dict[str, Any]:
    """Convert, train, copy the best model to ``out``; return its dev scores and training facts.

    The string store stays: unlike the NER's, the tagger and the lemmatizer read their labels and edit trees'
    strings from it (UD English EWT is CC BY-SA 4.0: seeds/models/README.md)."""
    register_augmenters()
    use_numpy_ops()
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="dateline-parser-") as tmp:
        work = Path(tmp)
        n_train = conllu_to_docbin(train, work / "train.spacy")
        n_dev = conllu_to_docbin(dev, work / "dev.spacy")
        print(f"converted: {n_train} train docs, {n_dev} dev docs", file=sys.stderr, flush=True)
        train_best(work, out, config=config, seed=seed, max_steps=max_steps)
    return training_record(
        out, train=train, dev=dev, config=config, seed=seed, max_steps=max_steps, started=started
    )
