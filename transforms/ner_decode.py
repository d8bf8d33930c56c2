"""Greedy decoding of spaCy's transition-based NER for a whole batch of documents at once, in numpy.

spaCy's ``EntityRecognizer`` (``TransitionBasedParser.v2``, greedy, ``beam_width`` 1) scores one
BILUO action per token: the state's three context tokens (the next token ``B0``; the first token
of the open entity ``E0`` and the token before ``B0`` when an entity is open) select three rows of
a precomputed hidden layer, which are summed with its bias, max-pooled over the maxout pieces and
projected to one score per action; the best *valid* action is taken and moves to the next token.
spaCy runs that loop in Cython but takes the GIL and calls BLIS for every step of every batch:
measured here, ~10 ms of a news article's ~21 ms of NER went to the loop.

:func:`greedy_entities` runs the same loop over many documents in lockstep (every action consumes
exactly one token, so step ``t`` of every document is its token ``t``), with a handful of numpy
operations per step for the whole batch:

* the same model weights and the same precomputation (the model's own ``tok2vec`` projection and
  ``lower`` layer, as spaCy calls them);
* the same float32 arithmetic in the same order for the hidden layer (three feature rows added in
  order, then the bias; max over pieces); the output layer is one matrix product (numpy's gemm
  instead of BLIS's, so the last bits of a score can differ; a different action needs a near-exact
  tie between two scores: none on the 2,127 BBC articles or on CoNLL eng.testa);
* the same validity rules (``spacy/pipeline/_parser_internals/ner.pyx``) for documents without
  preset entities or sentence boundaries, which is what a tokenizer produces; a document with
  either is decoded by spaCy's own component instead (:func:`needs_spacy`).

:func:`supports` says whether a pipeline's NER is of the kind this decodes; callers fall back to
``nlp.pipe`` otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# BILUO action kinds, in spaCy's naming (B-X, I-X, L-X, U-X, O)
_BEGIN, _IN, _LAST, _UNIT, _OUT = 0, 1, 2, 3, 4
_KIND = {"B": _BEGIN, "I": _IN, "L": _LAST, "U": _UNIT}


def _ner(nlp: Language) -> Any:
    """The pipeline's ``ner`` component. spaCy types ``get_pipe`` as a plain callable; the
    component is a compiled ``EntityRecognizer`` (``moves``, ``model``, ``cfg``, ``pipe``) with
    no type hints."""
    return nlp.get_pipe("ner")


def supports(nlp: Language) -> bool:
    """True if ``nlp`` has an ``ner`` component this module decodes exactly like spaCy: greedy
    (beam width 1), the 3-feature NER state, an output layer, no classes masked as unseen, and
    BILUO action names."""
    if "ner" not in nlp.pipe_names:
        return False
    ner = _ner(nlp)
    cfg = getattr(ner, "cfg", {})
    model = getattr(ner, "model", None)
    moves = getattr(ner, "moves", None)
    if model is None or moves is None or cfg.get("beam_width", 1) != 1:
        return False
    if not model.attrs.get("has_upper", False) or model.attrs.get("unseen_classes"):
        return False
    try:
        lower = model.get_ref("lower")
        nF = lower.get_dim("nF")
        model.get_ref("upper")
    except (KeyError, ValueError):
        return False
    if type(moves).__name__ != "BiluoPushDown" or nF != 3:
        return False
    names = [moves.get_class_name(i) for i in range(moves.n_moves)]
    return all(n == "O" or (len(n) >= 2 and n[0] in _KIND and n[1] == "-") for n in names)


def needs_spacy(doc: Doc) -> bool:
    """A document whose entities or sentence starts are already set: spaCy's validity rules then
    depend on them, and spaCy's own component decodes it."""
    return bool(len(doc)) and (doc.has_annotation("ENT_IOB") or doc.has_annotation("SENT_START"))


class _Actions:
    """The component's actions as arrays, and the table of which are valid in which state."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.kind = np.array([_OUT if n == "O" else _KIND[n[0]] for n in names], dtype=np.int64)
        labels = ["" if n == "O" else n[2:] for n in names]
        self.label_names = sorted({lb for lb in labels if lb})
        self.label = np.array([self.label_names.index(lb) + 1 if lb else 0 for lb in labels], dtype=np.int64)
        # the state after an action: the open entity's label (1..), or 0 when no entity is open
        self.opens = np.where(self.kind == _BEGIN, self.label, 0)
        self.keeps = self.kind == _IN
        self.penalty = self._penalty_table()

    def _penalty_table(self) -> np.ndarray:
        """0 for a valid action, -inf for an invalid one, by (state, at least 2 tokens left, B0 is
        whitespace): spaCy's Begin/In/Last/Unit/Out.is_valid without preset entities or sentence
        starts. Row index: state * 4 + two_left * 2 + space."""
        n_states = len(self.label_names) + 1
        table = np.full((n_states, 2, 2, len(self.kind)), -np.inf, dtype=np.float32)
        for state in range(n_states):
            for two_left in (0, 1):
                for space in (0, 1):
                    for a, (kind, label) in enumerate(zip(self.kind, self.label, strict=True)):
                        if state == 0:  # no open entity
                            ok = (
                                (kind == _BEGIN and label and two_left and not space)
                                or (kind == _UNIT and label and not space)
                                or kind == _OUT
                            )
                        else:  # an entity with label `state` is open
                            ok = (kind == _IN and two_left and label == state) or (
                                kind == _LAST and label == state
                            )
                        if ok:
                            table[state, two_left, space, a] = 0.0
        return table.reshape(-1, len(self.kind))


# the tables depend on the action names only (a model's labels), so they are cached by them
_ACTIONS: dict[tuple[str, ...], _Actions] = {}


def _actions(nlp: Language) -> _Actions:
    moves = _ner(nlp).moves
    names = tuple(moves.get_class_name(i) for i in range(moves.n_moves))
    if names not in _ACTIONS:
        _ACTIONS[names] = _Actions(names)
    return _ACTIONS[names]


def greedy_entities(nlp: Language, docs: list[Doc]) -> list[list[tuple[int, int, str]]]:
    """The entities spaCy's ``ner`` component would set on ``docs``: per document a list of
    ``(start_token, end_token, label)``. The documents must have been through the pipeline's
    ``tok2vec`` (``doc.tensor`` set) and not need spaCy (:func:`needs_spacy`); ``nlp`` must be
    :func:`supports`-ed."""
    return [[(s, e, label) for s, e, label, _ in ents] for ents in scored_entities(nlp, docs)]


def scored_entities(nlp: Language, docs: list[Doc]) -> list[list[tuple[int, int, str, float]]]:
    """:func:`greedy_entities` with each entity's confidence: the least probability, over the entity's
    tokens, of the action taken there (a softmax over the scores of the actions valid at that step; the
    model was trained with this softmax's loss), so one hesitant step makes a doubtful entity."""
    from spacy.attrs import IS_SPACE

    acts = _actions(nlp)
    out: list[list[tuple[int, int, str, float]]] = [[] for _ in docs]
    live = [i for i, d in enumerate(docs) if len(d)]
    if not live:
        return out
    live_docs = [docs[i] for i in live]
    model = _ner(nlp).model
    lower, upper = model.get_ref("lower"), model.get_ref("upper")
    # what spaCy's ParserStepModel computes: the projected token vectors, then every token's
    # contribution to the hidden layer in each feature slot; row 0 is the padding (no token)
    tokvecs = model.layers[0].predict(live_docs)
    cached = lower.predict(tokvecs)  # (tokens + 1, nF, nO, nP)
    n_rows, n_feats, n_hidden, n_pieces = cached.shape
    flat = cached.reshape(n_rows * n_feats, n_hidden * n_pieces)
    bias = lower.get_param("b").reshape(n_hidden * n_pieces)
    w_out = np.ascontiguousarray(upper.get_param("W").T)
    b_out = upper.get_param("b")

    lengths = np.array([len(d) for d in live_docs], dtype=np.int64)
    first_row = np.concatenate([[0], np.cumsum(lengths)[:-1]]) + 1  # the row of each doc's token 0
    order = np.argsort(-lengths, kind="stable")  # longest first: the live documents are a prefix
    lengths, first_row = lengths[order], first_row[order]
    space = np.zeros(n_rows, dtype=np.int64)
    space[1:] = np.concatenate([d.to_array(IS_SPACE) for d in live_docs])

    n_docs = len(order)
    state = np.zeros(n_docs, dtype=np.int64)  # 0: no open entity, else the open entity's label
    ent_row = np.zeros(n_docs, dtype=np.int64)  # row of the open entity's first token
    history = np.zeros((n_docs, int(lengths[0])), dtype=np.int64)
    chosen_p = np.ones((n_docs, int(lengths[0])), dtype=np.float32)  # probability of the action taken
    hidden = np.empty((n_docs, n_hidden * n_pieces), dtype=np.float32)
    k = n_docs
    for t in range(int(lengths[0])):
        while k and lengths[k - 1] <= t:
            k -= 1
        st = state[:k]
        b0 = first_row[:k] + t
        is_open = st != 0
        h = hidden[:k]
        # spaCy's sum_state_features + bias, in its order: B0, E0, B0-1 (padding when closed)
        np.take(flat, b0 * n_feats, axis=0, out=h)
        h += flat[np.where(is_open, ent_row[:k], 0) * n_feats + 1]
        h += flat[np.where(is_open, b0 - 1, 0) * n_feats + 2]
        h += bias
        if n_pieces == 2:
            pooled = np.maximum(h[:, 0::2], h[:, 1::2])
        else:
            pooled = h.reshape(k, n_hidden, n_pieces).max(axis=2)
        scores = pooled @ w_out
        scores += b_out
        scores += acts.penalty[st * 4 + (lengths[:k] - t >= 2) * 2 + space[b0]]
        guess = scores.argmax(axis=1)  # the first best valid action, as spaCy's arg_max_if_valid
        history[:k, t] = guess
        # softmax over the valid actions (invalid ones score -inf): the taken action's is 1 / sum(exp(s - max))
        best = scores[np.arange(k), guess]
        chosen_p[:k, t] = 1.0 / np.exp(scores - best[:, None]).sum(axis=1)
        opened = acts.opens[guess]
        state[:k] = np.where(acts.keeps[guess], st, opened)
        ent_row[:k] = np.where(opened != 0, b0, ent_row[:k])

    kinds, labels = acts.kind[history], acts.label[history]
    names = acts.label_names
    for j, i in enumerate(order):
        k_j = kinds[j, : lengths[j]]
        starts = np.flatnonzero((k_j == _BEGIN) | (k_j == _UNIT))
        ends = np.flatnonzero((k_j == _LAST) | (k_j == _UNIT)) + 1
        out[live[i]] = [
            (int(s), int(e), names[lb - 1], round(float(chosen_p[j, s:e].min()), 4))
            for s, e, lb in zip(starts, ends, labels[j, starts], strict=True)
        ]
    return out


def spacy_entities(nlp: Language, docs: list[Doc]) -> list[list[tuple[int, int, str]]]:
    """The same result from spaCy's own ``ner`` component (for documents :func:`needs_spacy`)."""
    ner = _ner(nlp)
    docs = list(ner.pipe(docs))
    return [[(e.start, e.end, e.label_) for e in d.ents] for d in docs]


__all__ = ["greedy_entities", "needs_spacy", "scored_entities", "spacy_entities", "supports"]
