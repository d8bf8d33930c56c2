"""Silver event labels on the BBC corpus: a fixed split of its files, sentence samples, annotators' labels.

The labels measure the event coder on ordinary news (sport, entertainment, tech as well as politics and
business), most of whose sentences hold no codable event. Three steps, each a subcommand of
``python -m dateline.evaluation.silver``:

* ``packets``: the fixed split (:func:`half_of`: every BBC file is in the ``train`` or the ``test`` half by a
  hash of its name, so the split never depends on what a sample drew) and a sample of sentences of one half,
  ``--per-section`` from each of the five sections, cut into annotation packets. ``--select candidates`` (train
  half only) draws only among sentences where the lexicon matches a trigger (:func:`has_candidate`), leaving out
  sentences already labelled: training examples for the learned decision over candidates, never a measurement
  (the test half stays a plain random sample). A packet row holds only what an
  annotator may see: the sentence and its article's headline (the codebook is given beside it). Packets hold
  BBC text: they are written outside the repository and never committed.
* ``labels``: annotators' answers (JSONL, one object per sentence: ``{"id", "events": [{"type", "trigger",
  "source", "target", "polarity", "status"}]}``, spans as text copied from the sentence) turned into the
  committed form: file, sentence offsets and a digest of the sentence, each span as character offsets within the
  sentence. No BBC text is committed.
* ``agreement``: two annotators' labels of the same sentences compared (event/no event per sentence, Cohen's
  kappa; events matched by type within a sentence, F1 of one against the other).

Sentences are those of :func:`transforms.sentences.split_sentences` over the body (the file after its headline
line), as the pipeline splits them; offsets are into the whole file's text.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transforms.lexicon import TRIGGERS
from transforms.sentences import split_sentences
from transforms.verbs import VerbLexicon, find_verb_triggers

SECTIONS = ("business", "entertainment", "politics", "sport", "tech")
EVENT_TYPES = frozenset(
    "AGREE CONSULT SUPPORT CONCEDE COOPERATE AID RETREAT REQUEST ACCUSE REJECT THREATEN PROTEST SANCTION "
    "MOBILIZE COERCE ASSAULT".split()
)
POLARITIES = frozenset({"asserted", "negated", "hedged"})
STATUSES = frozenset({"occurred", "planned", "cancelled", "postponed"})


class SilverError(ValueError):
    """An annotator's answer that cannot be turned into a label (what and where in the message)."""


def half_of(name: str) -> str:
    """``train`` or ``test``: the fixed half of the BBC file ``section/NNN.txt`` (a hash, not a draw)."""
    return "test" if hashlib.sha256(name.encode()).digest()[0] % 2 else "train"


@dataclass(frozen=True)
class Sentence:
    """One sentence of a BBC file: ``start``/``end`` are offsets into the file's text."""

    file: str
    start: int
    end: int
    headline: str
    text: str

    @property
    def sha(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]


def file_sentences(name: str, text: str) -> list[Sentence]:
    """The headline (first line) and the body's sentences of one BBC file."""
    headline, _, rest = text.partition("\n")
    body_start = len(headline) + 1
    return [
        Sentence(name, body_start + s, body_start + e, headline.strip(), rest[s:e])
        for s, e in split_sentences(rest)
        if rest[s:e].strip()
    ]


def corpus_sentences(bbc: Path, half: str) -> Iterator[Sentence]:
    """Every sentence of the files of one half, in file order."""
    for section in SECTIONS:
        for path in sorted((bbc / section).glob("*.txt")):
            name = f"{section}/{path.name}"
            if half_of(name) == half:
                yield from file_sentences(name, path.read_text(encoding="utf-8", errors="replace"))


def has_candidate(text: str, verbs: VerbLexicon) -> bool:
    """Whether the event coder's lexicon (hand triggers or a PETRARCH2 verb) matches in ``text``."""
    return any(trigger.pattern.search(text) for trigger in TRIGGERS) or bool(
        find_verb_triggers(text, 0, verbs)
    )


def sample_sentences(
    bbc: Path, half: str, per_section: int, seed: int, keep: Callable[[Sentence], bool] | None = None
) -> list[Sentence]:
    """``per_section`` sentences drawn at random from each section's files of ``half`` (among those ``keep``
    accepts, when given)."""
    by_section: dict[str, list[Sentence]] = {}
    for sentence in corpus_sentences(bbc, half):
        if keep is None or keep(sentence):
            by_section.setdefault(sentence.file.split("/")[0], []).append(sentence)
    rng = random.Random(f"{seed}:{half}")
    drawn: list[Sentence] = []
    for section in SECTIONS:
        pool = by_section.get(section, [])
        if len(pool) < per_section:
            raise SilverError(
                f"{bbc}: {section} has {len(pool)} sentence(s) to draw from in the {half} half, "
                f"fewer than --per-section {per_section}"
            )
        drawn += rng.sample(pool, per_section)
    rng.shuffle(drawn)
    return drawn


DEFAULT_SEED = 14


def packet_rows(
    sentences: Iterable[Sentence], half: str, seed: int = DEFAULT_SEED, select: str = "all"
) -> list[dict[str, Any]]:
    """What an annotator sees: an id, the headline, the sentence (nothing Dateline produced).

    Ids are ``<half>-NNNN`` for the first sample of a half (seed 14), ``<half>-s<seed>-NNNN`` for later ones,
    ``<half>-c<seed>-NNNN`` for samples of candidate sentences."""
    prefix = (
        f"{half}-c{seed}" if select == "candidates" else half if seed == DEFAULT_SEED else f"{half}-s{seed}"
    )
    return [
        {"id": f"{prefix}-{i:04d}", "headline": s.headline, "sentence": s.text}
        for i, s in enumerate(sentences)
    ]


def _span(sentence: str, value: Any, what: str, where: str) -> list[int] | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise SilverError(f"{where}: {what} must be text copied from the sentence or null, not {value!r}")
    at = sentence.find(value)
    if at < 0:
        at = sentence.lower().find(value.lower())
    if at < 0:
        raise SilverError(f"{where}: {what} {value!r} is not in the sentence")
    return [at, at + len(value)]


def label_event(sentence: str, event: dict[str, Any], where: str) -> dict[str, Any]:
    """One annotated event in the committed form (spans as offsets within the sentence)."""
    kind = str(event.get("type", "")).upper()
    kind = {"DEMAND": "REQUEST", "DISAPPROVE": "ACCUSE", "INVESTIGATE": "ACCUSE"}.get(kind, kind)
    if kind not in EVENT_TYPES:
        raise SilverError(f"{where}: unknown event type {event.get('type')!r}")
    polarity = event.get("polarity") or "asserted"
    status = event.get("status") or "occurred"
    if polarity not in POLARITIES or status not in STATUSES:
        raise SilverError(f"{where}: polarity {polarity!r} / status {status!r} not in the codebook")
    return {
        "type": kind,
        "trigger": _span(sentence, event.get("trigger"), "trigger", where),
        "source": _span(sentence, event.get("source"), "source", where),
        "target": _span(sentence, event.get("target"), "target", where),
        "polarity": polarity,
        "status": status,
    }


def committed_labels(
    sentences: dict[str, Sentence], answers: Iterable[dict[str, Any]], annotator: str
) -> list[dict[str, Any]]:
    """Annotators' answers keyed by packet id -> committed label rows (file, offsets, digest, events)."""
    rows = []
    for answer in answers:
        sentence = sentences.get(answer.get("id", ""))
        if sentence is None:
            raise SilverError(f"{annotator}: answer for unknown sentence id {answer.get('id')!r}")
        where = f"{annotator} {answer['id']}"
        events = [label_event(sentence.text, e, where) for e in answer.get("events") or []]
        rows.append(
            {
                "id": answer["id"],
                "file": sentence.file,
                "start": sentence.start,
                "end": sentence.end,
                "sha": sentence.sha,
                "annotator": annotator,
                "events": events,
            }
        )
    return sorted(rows, key=lambda r: r["id"])


def agreement(first: list[dict[str, Any]], second: list[dict[str, Any]]) -> dict[str, Any]:
    """Agreement of two annotators on the sentences both labelled.

    ``event_kappa``: Cohen's kappa of "the sentence holds an event". ``typed_f1``: events matched by type
    within a sentence (a multiset), F1 of one annotator's events against the other's (symmetric).
    """
    other = {r["id"]: r for r in second}
    shared = [(r, other[r["id"]]) for r in first if r["id"] in other]
    n = len(shared)
    if not n:
        return {"sentences": 0}
    a = [bool(x["events"]) for x, _ in shared]
    b = [bool(y["events"]) for _, y in shared]
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    kappa = (observed - expected) / (1 - expected) if expected < 1 else 1.0
    matched = total_a = total_b = 0
    for x, y in shared:
        types_a = Counter(e["type"] for e in x["events"])
        types_b = Counter(e["type"] for e in y["events"])
        matched += sum((types_a & types_b).values())
        total_a += sum(types_a.values())
        total_b += sum(types_b.values())
    f1 = 2 * matched / (total_a + total_b) if total_a + total_b else 1.0
    return {
        "sentences": n,
        "with_event": {"first": sum(a), "second": sum(b)},
        "event_agreement": round(observed, 3),
        "event_kappa": round(kappa, 3),
        "events": {"first": total_a, "second": total_b, "matched_by_type": matched},
        "typed_f1": round(f1, 3),
    }


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise SilverError(f"{path}:{number}: not JSON ({e.msg})") from None
    return rows


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _candidate_filter(args: argparse.Namespace) -> Callable[[Sentence], bool] | None:
    """The ``--select`` filter: None for ``all``; for ``candidates``, sentences with a lexicon match that no
    committed label file under ``--labelled`` holds yet."""
    if args.select == "all":
        return None
    if args.half != "train":
        raise SilverError("--select candidates is for the train half only: the test half is a random sample")
    from dateline.resources.reference import load_reference
    from transforms.verbs import build_verb_lexicon

    reference = load_reference()
    verbs = build_verb_lexicon(reference["verb_forms"], reference["verb_patterns"])
    labelled = {(r["file"], r["start"]) for path in args.labelled for r in _read_jsonl(path)}
    return lambda s: (s.file, s.start) not in labelled and has_candidate(s.text, verbs)


def _drawn(args: argparse.Namespace) -> list[Sentence]:
    return sample_sentences(args.bbc, args.half, args.per_section, args.seed, _candidate_filter(args))


def _packets_cmd(args: argparse.Namespace) -> None:
    drawn = _drawn(args)
    rows = packet_rows(drawn, args.half, args.seed, args.select)
    name = (
        f"{args.half}_c{args.seed}"
        if args.select == "candidates"
        else (args.half if args.seed == DEFAULT_SEED else f"{args.half}_s{args.seed}")
    )
    for i in range(0, len(rows), args.packet_size):
        _write_jsonl(args.out / f"{name}_{i // args.packet_size}.jsonl", rows[i : i + args.packet_size])
    print(f"{len(rows)} sentences of the {args.half} half in {args.out}")


def _labels_cmd(args: argparse.Namespace) -> None:
    drawn = _drawn(args)
    rows_of = packet_rows(drawn, args.half, args.seed, args.select)
    by_id = {row["id"]: s for row, s in zip(rows_of, drawn, strict=True)}
    rows = committed_labels(by_id, _read_jsonl(args.answers), args.annotator)
    _write_jsonl(args.out, rows)
    print(f"{len(rows)} labelled sentences, {sum(len(r['events']) for r in rows)} events -> {args.out}")


def _agreement_cmd(args: argparse.Namespace) -> None:
    print(json.dumps(agreement(_read_jsonl(args.first), _read_jsonl(args.second)), indent=2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dateline.evaluation.silver", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("packets", "labels"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--bbc", type=Path, required=True, help="the BBC corpus folder (five sections)")
        cmd.add_argument("--half", choices=("train", "test"), required=True)
        cmd.add_argument("--per-section", type=int, default=80)
        cmd.add_argument("--seed", type=int, default=DEFAULT_SEED)
        cmd.add_argument(
            "--select",
            choices=("all", "candidates"),
            default="all",
            help="all sentences, or (train half) only sentences with a lexicon match not labelled yet",
        )
        cmd.add_argument(
            "--labelled",
            type=Path,
            nargs="*",
            default=[],
            help="committed label files whose sentences --select candidates leaves out",
        )
    packets = sub.choices["packets"]
    packets.add_argument("--out", type=Path, required=True, help="folder for the packets (outside the repo)")
    packets.add_argument("--packet-size", type=int, default=100)
    labels = sub.choices["labels"]
    labels.add_argument("--answers", type=Path, required=True, help="an annotator's answers (JSONL)")
    labels.add_argument("--annotator", required=True)
    labels.add_argument("--out", type=Path, required=True)
    agree = sub.add_parser("agreement")
    agree.add_argument("first", type=Path)
    agree.add_argument("second", type=Path)
    args = parser.parse_args(argv)
    try:
        {"packets": _packets_cmd, "labels": _labels_cmd, "agreement": _agreement_cmd}[args.command](args)
    except (SilverError, OSError) as e:
        print(f"silver: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
