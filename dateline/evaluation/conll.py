"""Reading CoNLL-2003 files (IOB1 or IOB2 tags) into documents, sentences and entity spans.

A file is a sequence of ``-DOCSTART-`` documents; a blank line ends a sentence; each token line has
the word first and the NER tag last (4 columns in CoNLL-2003, any number here). IOB1 (``I-X``
starts an entity unless it continues one of the same type; ``B-X`` only between two adjacent
entities) and IOB2 (every entity starts with ``B-X``) are both read, and normalized to IOB2.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Sentence:
    words: list[str]
    tags: list[str]  # IOB2

    def spans(self) -> list[tuple[int, int, str]]:
        """Entity spans as (first token, end token exclusive, type)."""
        return tags_to_spans(self.tags)


@dataclass
class ConllDoc:
    sentences: list[Sentence] = field(default_factory=list)

    @property
    def n_tokens(self) -> int:
        return sum(len(s.words) for s in self.sentences)


def to_iob2(tags: Iterable[str]) -> list[str]:
    """Normalize IOB1 (or already IOB2) tags to IOB2: an ``I-X`` that does not continue an X starts one."""
    out: list[str] = []
    prev = "O"
    for tag in tags:
        tag = tag.strip() or "O"
        if tag.startswith("I-"):
            typ = tag[2:]
            if prev == "O" or prev[2:] != typ:
                tag = "B-" + typ
        elif not tag.startswith("B-") and tag != "O":
            raise ValueError(f"unsupported NER tag {tag!r} (expected O, B-X or I-X)")
        out.append(tag)
        prev = tag
    return out


def tags_to_spans(tags: Iterable[str]) -> list[tuple[int, int, str]]:
    """IOB2 (or IOB1) tags -> [(start, end_exclusive, type)]."""
    spans: list[tuple[int, int, str]] = []
    start: int | None = None
    typ = ""
    tags2 = to_iob2(tags)
    for i, tag in enumerate(tags2):
        if tag == "O" or tag.startswith("B-"):
            if start is not None:
                spans.append((start, i, typ))
                start = None
            if tag.startswith("B-"):
                start, typ = i, tag[2:]
    if start is not None:
        spans.append((start, len(tags2), typ))
    return spans


def parse_conll(text: str) -> list[ConllDoc]:
    """Parse CoNLL text into documents (a file without ``-DOCSTART-`` is one document)."""
    docs: list[ConllDoc] = []
    doc = ConllDoc()
    words: list[str] = []
    tags: list[str] = []

    def end_sentence() -> None:
        nonlocal words, tags
        if words:
            doc.sentences.append(Sentence(words, to_iob2(tags)))
        words, tags = [], []

    for lineno, line in enumerate(text.splitlines(), 1):
        cols = line.split()
        if not cols:
            end_sentence()
            continue
        if cols[0] == "-DOCSTART-":
            end_sentence()
            if doc.sentences:
                docs.append(doc)
            doc = ConllDoc()
            continue
        if len(cols) < 2:
            raise ValueError(f"line {lineno}: expected at least 2 columns (word ... tag), got {line!r}")
        words.append(cols[0])
        tags.append(cols[-1])
    end_sentence()
    if doc.sentences:
        docs.append(doc)
    return docs


def read_conll(path: Path | str) -> list[ConllDoc]:
    """Read a CoNLL file from disk (UTF-8, with Latin-1 fallback)."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return parse_conll(text)


def doc_text(sentences: list[Sentence]) -> tuple[str, list[tuple[int, int]]]:
    """Join the tokens of sentences with single spaces; return the text and each token's char span."""
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    pos = 0
    for sent in sentences:
        for w in sent.words:
            if parts:
                pos += 1
            offsets.append((pos, pos + len(w)))
            parts.append(w)
            pos += len(w)
    return " ".join(parts), offsets
