"""The project's dependency parser (spaCy tok2vec + tagger + lemmatizer + parser, UD English EWT).

The model is ``seeds/models/parser_ud/`` (trained by ``dateline train-parser``; provenance in
``seeds/models/README.md``). Event coding parses only the sentences that hold a candidate trigger with it
(transforms.events). Nothing is downloaded: a missing folder fails with a message that says how to train it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from dateline.config import REPO_ROOT
from dateline.resources.ner_model import use_numpy_matmul

if TYPE_CHECKING:
    from spacy.language import Language

PARSER_MODEL_DIR = REPO_ROOT / "seeds" / "models" / "parser_ud"


class ParserModelMissing(RuntimeError):
    """The parser model folder does not exist or is not a spaCy pipeline."""


def load_parser(path: Path | str | None = None) -> Language:
    """Load the parser pipeline (default: the committed ``seeds/models/parser_ud``), cached per process."""
    return _load(str(Path(path).resolve()) if path is not None else str(PARSER_MODEL_DIR))


@lru_cache(maxsize=2)
def _load(path: str) -> Language:
    p = Path(path)
    if not (p / "config.cfg").is_file() or not (p / "meta.json").is_file():
        raise ParserModelMissing(
            f"parser model not found at {p} (expected a spaCy pipeline with config.cfg and meta.json); train it "
            "with 'dateline train-parser --train en_ewt-ud-train.conllu --dev en_ewt-ud-dev.conllu "
            "--out seeds/models/parser_ud'"
        )
    import spacy

    from dateline.resources.ner_model import register_augmenters

    register_augmenters()
    nlp = spacy.load(p)
    use_numpy_matmul(nlp)
    return nlp
