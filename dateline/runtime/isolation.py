"""Extraction that one article cannot break or stall: groups split on errors, a time budget per group.

:func:`extract_isolated` runs an extraction function (``transforms.extract.extract`` with its
models bound) on a group of articles. When the call raises, the group is split into up to
:data:`SPLIT` parts and each is extracted again, down to single articles (a bisection, 8 ways);
an article that still fails alone is set aside with reason ``extract_failed`` and a detail
naming the exception and where it was raised. The
results of the groups that succeeded are put together with ``transforms.extract.merge_extracted``
(articles are independent, so that equals one call over the good articles).

Time: Python's ``re`` checks for signals while it matches, so an ``ITIMER_REAL`` timer whose
``SIGALRM`` handler raises interrupts even a catastrophically backtracking regular expression.
A group of ``n`` articles gets ``article_timeout_seconds × ceil(n / GROUP_ARTICLES)``: one
``setitimer`` per call, and a single article gets exactly the limit; an article over it alone is
set aside with reason ``extract_timeout``. A group over its budget is split like a failing one.
Splitting 8 ways rather than in halves: every level of the search costs the budget of the group
that overran, so fewer levels isolate a stalling article sooner (measured on 493 BBC articles with
one that stalls and a 5 s limit: 112 s in halves, 71 s in 8 parts), while the groups that did
not overrun cost one extraction call each (~50 ms of fixed cost).
Signal handlers run on the main thread only: when extraction runs on another thread the budget
is not enforced (errors are still isolated) and ``note`` says so. The ``dateline run`` command,
a served run (Prefect's runner starts ``python -m prefect.engine``) and the worker processes of
dateline/runtime/workers.py all extract on their main thread.

Coverage: all of extraction's Python work per text runs on the thread that called it, so the
budget covers every stage: the sentence splitter, the gazetteer's matching, publication dates,
entity and title rules, the NER pipeline (``nlp.pipe`` with one process), the event coder, the
quantity scanner and the outlet links. polars would run a ``map_elements`` function on one of its
own threads when it is evaluated next to other expressions, where ``re`` does not see signals;
extraction applies its Python functions with ``transforms.pymap.map_py``, a plain loop, instead
(tests/integration/test_timeout_coverage.py stalls each stage in turn). polars' own string expressions need
no interrupt: their regular expressions (Rust's ``regex``) run in linear time. Parsing
(transforms/parse.py) runs before extraction, outside this timer.

The module knows nothing of the worker pool: dateline/runtime/workers.py calls it inside each worker, and the
in-process path of the extract task (flows/tasks.py) calls it directly.
"""

from __future__ import annotations

import math
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from types import FrameType, TracebackType
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from spacy.language import Language

    from transforms.event_classifier import EventClassifier
    from transforms.gazetteer import Gazetteer
    from transforms.verbs import VerbLexicon

#: Articles one article's time limit covers in a group: normal extraction takes ~20-60 ms per
#: article, so 64 of them take a few seconds, well within one limit of 30 s.
GROUP_ARTICLES = 64

#: Columns of the frame of articles set aside.
FAILED_SCHEMA = pl.Schema({"article_id": pl.String, "reason": pl.String, "detail": pl.String})

#: Key of the set-aside articles in the dict that :func:`extract_isolated`'s callers return.
FAILED_KEY = "extract_failed"

#: Parts a failing or overrunning group is split into (at most; fewer for a smaller group).
SPLIT = 8

Extractor = Callable[[pl.DataFrame], dict[str, pl.DataFrame]]

# the project's own code, named in a detail's "where" (innermost frame first)
_PROJECT_DIRS = ("transforms", "flows", "schemas")

# project files a detail's "where" looks through to their caller: this module's timer, and the
# loop that applies a stage's function to each text (the stage is the useful place)
_PASS_THROUGH = ("dateline/runtime/isolation.py", "transforms/pymap.py")


class _Timeout(BaseException):
    """Raised by the SIGALRM handler. A BaseException, so that a broad ``except Exception`` in the
    code it interrupts does not swallow it."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


def budget_seconds(n_articles: int, timeout: float) -> float:
    """Time allowed for one extraction call over ``n_articles``: ``timeout`` per started
    :data:`GROUP_ARTICLES` articles (exactly ``timeout`` for one article)."""
    return timeout * max(1, math.ceil(n_articles / GROUP_ARTICLES))


def can_time_out() -> bool:
    """True where a SIGALRM handler can interrupt extraction: this thread is the main thread."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`_Timeout` in the block after ``seconds`` (main thread only).

    The previous SIGALRM handler is restored and the timer disarmed on every exit; a timer that was
    armed before (by an outer caller) is re-armed with what was left of it.
    """
    started = time.monotonic()

    def on_alarm(_signum: int, frame: FrameType | None) -> None:
        raise _Timeout(_where_in_frames(frame))

    previous = signal.signal(signal.SIGALRM, on_alarm)
    outer_left = 0.0
    try:
        try:
            outer_left, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
            yield
        finally:
            # the timer is one-shot: if it fires right here, the exception leaves this inner block
            # and the outer ``finally`` still restores the handler
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
        if outer_left > 0:
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - (time.monotonic() - started), 1e-3))


def _project_path(filename: str) -> str | None:
    """``transforms/events.py`` for a file of the project's own packages, else None."""
    parts = filename.replace("\\", "/").split("/")
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] in _PROJECT_DIRS:
            return "/".join(parts[i:])
    return None


def _where(frames: list[tuple[str, int, str]]) -> str:
    """``transforms/x.py:12 in f`` for the innermost frame of the project's code among
    ``frames`` (filename, line, function; outermost first), else the innermost frame."""
    if not frames:
        return "unknown place"
    for filename, line, name in reversed(frames):
        path = _project_path(filename)
        if path is not None and path not in _PASS_THROUGH:
            return f"{path}:{line} in {name}"
    filename, line, name = frames[-1]
    return f"{filename}:{line} in {name}"


def _where_in_traceback(tb: TracebackType | None) -> str:
    return _where([(f.filename, f.lineno or 0, f.name) for f in traceback.extract_tb(tb)])


def _where_in_frames(frame: FrameType | None) -> str:
    stack = []
    while frame is not None:
        stack.append((frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
        frame = frame.f_back
    return _where(stack[::-1])


def describe_error(exc: BaseException) -> str:
    """``ExcType: message (at transforms/x.py:12 in f)``: what was raised, and where."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    what = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return f"{what} (at {_where_in_traceback(exc.__traceback__)})"


def extract_isolated(
    articles: pl.DataFrame,
    extract_fn: Extractor,
    *,
    timeout: float,
    note: Callable[[str], None] = lambda _m: None,
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Extract ``articles`` with ``extract_fn``; articles that make it raise or overrun are set aside.

    Returns (the merged extraction of every other article, the set-aside articles: article_id,
    reason ``extract_failed`` | ``extract_timeout``, detail). ``timeout`` is the limit for one
    article in seconds (``[limits] article_timeout_seconds``); see :func:`budget_seconds` for a group.
    KeyboardInterrupt and SystemExit are never taken for an article's failure. An error on an
    empty batch (no article to blame) is raised. Groups are non-empty and split at least in
    two, so the recursion is at most ``log2(len(articles))`` deep.
    """
    from transforms.extract import merge_extracted

    if articles.height == 0:  # no article to blame: an error here is the run's own
        return extract_fn(articles), pl.DataFrame(schema=FAILED_SCHEMA)
    timed = can_time_out()
    if not timed:
        note(
            "extraction is not on the main thread: the time limit per article "
            "([limits] article_timeout_seconds) is not enforced"
        )
    good: list[dict[str, pl.DataFrame]] = []
    failed: list[tuple[str, str, str]] = []

    def attempt(group: pl.DataFrame) -> None:
        limit = budget_seconds(group.height, timeout)
        try:
            if timed:
                with _time_limit(limit):
                    out = extract_fn(group)
            else:
                out = extract_fn(group)
        except _Timeout as exc:
            reason, detail = "extract_timeout", f"extraction took longer than {timeout:g} s (at {exc.where})"
            if group.height > 1:
                note(f"extraction of {group.height} articles took longer than {limit:g} s; splitting them")
        except Exception as exc:
            reason, detail = "extract_failed", describe_error(exc)
        else:
            good.append(out)  # only once the timer is disarmed: a late alarm cannot count it twice
            return
        if group.height == 1:
            failed.append((group.item(0, "article_id"), reason, detail))
            return
        size = math.ceil(group.height / SPLIT)
        for start in range(0, group.height, size):
            attempt(group.slice(start, size))

    attempt(articles)
    if not good:  # every article failed: the frames of an empty batch
        good.append(extract_fn(articles.head(0)))
    return merge_extracted(good), pl.DataFrame(failed, schema=FAILED_SCHEMA, orient="row")


def extract_articles(
    articles: pl.DataFrame,
    reference: dict[str, pl.DataFrame],
    *,
    today: date,
    default_year: int | None,
    timeout: float,
    gazetteer: Gazetteer | None = None,
    verbs: VerbLexicon | None = None,
    nlp: Language | None = None,
    parser: Language | None = None,
    classifier: EventClassifier | None = None,
    note: Callable[[str], None] = lambda _m: None,
) -> dict[str, pl.DataFrame]:
    """``transforms.extract.extract`` of ``articles`` under :func:`extract_isolated`.

    Returns extract's frames plus :data:`FAILED_KEY`: the articles set aside (their rows are in
    no other frame). The gazetteer and verb lexicon are built once here when not given, not once
    per retried group. Honours the test-only faults of :func:`dateline.runtime.faults.article_faults`.
    """
    from dateline.runtime.faults import article_faults
    from transforms.extract import extract
    from transforms.gazetteer import build_gazetteer
    from transforms.verbs import build_verb_lexicon

    if articles.height:
        gazetteer = gazetteer or build_gazetteer(reference)
        if verbs is None and "verb_forms" in reference:
            verbs = build_verb_lexicon(reference["verb_forms"], reference["verb_patterns"])

    def run(group: pl.DataFrame) -> dict[str, pl.DataFrame]:
        article_faults(group)
        return extract(
            group,
            reference,
            today=today,
            default_year=default_year,
            gazetteer=gazetteer,
            verbs=verbs,
            nlp=nlp,
            parser=parser,
            classifier=classifier,
        )

    frames, failed = extract_isolated(articles, run, timeout=timeout, note=note)
    return {**frames, FAILED_KEY: failed}


def merge_isolated(parts: list[dict[str, pl.DataFrame]]) -> dict[str, pl.DataFrame]:
    """:func:`extract_articles` results over disjoint chunks as one (``merge_extracted`` of the
    frames, the set-aside articles concatenated)."""
    from transforms.extract import merge_extracted

    failed = pl.concat([p.get(FAILED_KEY, pl.DataFrame(schema=FAILED_SCHEMA)) for p in parts])
    merged = merge_extracted([{k: v for k, v in p.items() if k != FAILED_KEY} for p in parts])
    return {**merged, FAILED_KEY: failed}
