"""Sentence structure: dependency trees from a parser model, and the grammatical questions event coding asks.

:func:`parse_sentences` runs a spaCy pipeline with a dependency parser (the project's: ``seeds/models/parser_ud``,
trained on UD English EWT, so relations are Universal Dependencies: ``nsubj``, ``obj``, ``obl``, ``nsubj:pass``,
``obl:agent``, ``xcomp``, ``conj`` ...) over the sentences it is given, and returns plain :class:`Tree` values:
offsets, Penn tag, lemma, relation and head of every token. The rest of the module answers questions on a tree
without the model: who is the subject or the object of a word, which words govern it, is it negated.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language


@dataclass(frozen=True)
class Token:
    start: int  # character offsets into the text the tree was parsed from (plus the tree's offset)
    end: int
    tag: str  # Penn Treebank tag (VBD, NN, MD ...)
    lemma: str  # lower-cased
    dep: str  # UD relation to the head ("root" for the root)
    head: int  # index of the head token in the sentence (the root points at itself)

    @property
    def is_verb(self) -> bool:
        return self.tag.startswith("VB")

    @property
    def is_noun(self) -> bool:
        return self.tag.startswith("NN")


@dataclass(frozen=True)
class Tree:
    """One parsed sentence; token offsets are absolute (the sentence's offset in its body added)."""

    tokens: tuple[Token, ...]

    def token_at(self, offset: int) -> int | None:
        """Index of the token covering character ``offset``, or None."""
        for i, token in enumerate(self.tokens):
            if token.start <= offset < token.end:
                return i
        return None

    def head_of_span(self, start: int, end: int) -> int | None:
        """The token of ``[start, end)`` whose head lies outside it ("phone *call*", "summit *meeting*")."""
        inside = [i for i, t in enumerate(self.tokens) if t.start < end and start < t.end]
        outside = [i for i in inside if self.tokens[i].head not in inside or self.tokens[i].head == i]
        candidates = outside or inside
        return candidates[-1] if candidates else None

    def children(self, i: int) -> Iterator[int]:
        return (j for j, token in enumerate(self.tokens) if token.head == i and j != i)

    def children_by(self, i: int, *deps: str) -> list[int]:
        return [j for j in self.children(i) if self.tokens[j].dep in deps]

    def head(self, i: int) -> int | None:
        head = self.tokens[i].head
        return None if head == i else head

    def subtree(self, i: int, skip: frozenset[str] = frozenset()) -> list[int]:
        """``i`` and every token below it, not descending into children whose relation is in ``skip``."""
        out, todo = [], [i]
        while todo:
            j = todo.pop()
            out.append(j)
            todo.extend(k for k in self.children(j) if self.tokens[k].dep not in skip)
        return sorted(out)

    def case_of(self, i: int) -> str | None:
        """The preposition marking a nominal (``obl``/``nmod`` with a ``case`` child): "with", "on" ..."""
        cases = self.children_by(i, "case")
        return self.tokens[cases[0]].lemma if cases else None

    def governors(self, i: int) -> Iterator[int]:
        """The words ``i`` is a complement of, nearest first: "failed to *meet*" -> failed; "plans to agree to
        *meet*" -> agree, plans. Follows open and clausal complements and conjuncts of them."""
        while True:
            token = self.tokens[i]
            head = self.head(i)
            if head is None or token.dep not in ("xcomp", "ccomp", "conj", "csubj"):
                return
            if token.dep != "conj":
                yield head
            i = head


def parse_sentences(
    texts: Sequence[str], offsets: Sequence[int], parser: Language, batch_size: int = 64
) -> list[Tree]:
    """Parse each text (a sentence) with ``parser``; ``offsets[k]`` is added to token offsets of text k."""
    trees = []
    for offset, doc in zip(offsets, parser.pipe(texts, batch_size=batch_size), strict=True):
        trees.append(Tree(tuple(_token(t, offset) for t in doc)))
    return trees


def _token(token: Any, offset: int) -> Token:
    start = offset + token.idx
    return Token(
        start,
        start + len(token.text),
        token.tag_,
        (token.lemma_ or token.text).lower(),
        token.dep_.lower() if token.dep_ != "ROOT" else "root",
        token.head.i,  # the root is its own head, as in spaCy
    )
