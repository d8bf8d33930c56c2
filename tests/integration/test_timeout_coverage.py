"""The time limit per article covers every stage of extraction (dateline/runtime/isolation.py).

Each case makes one stage's Python work per text stall on one article, in a catastrophically
backtracking regular expression, and checks that :func:`dateline.runtime.isolation.extract_isolated`
interrupts it: the article is set aside as ``extract_timeout`` with the stage named in the detail,
the other articles are extracted as if it had never been there, and the stall never ran to its
end. Work that polars runs on its own threads (``map_elements`` next to other expressions) is not
interrupted, as a signal handler runs on the main thread only: there the stall would run to its end.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from dateline.runtime import isolation
from tests.paths import SAMPLES
from transforms.extract import extract
from transforms.gazetteer import build_gazetteer
from transforms.route import KNOWN_SCHEMA, route_units

TODAY = date(2026, 11, 28)
MARK = "Zqxstallmarker"
TIMEOUT = 1.0
#: How long a stall lasts when nothing interrupts it: well over TIMEOUT, so that a stall that the
#: timer reached never ends by itself, yet bounded, so that an uncovered stage fails the test
#: instead of hanging it.
STALL_SECONDS = 4.0


def _stall(finished: list[float]) -> None:
    """Backtrack catastrophically (2**20 ways per match, ~60 ms) for :data:`STALL_SECONDS`; note
    in ``finished`` when it was not interrupted."""
    started = time.monotonic()
    while time.monotonic() - started < STALL_SECONDS:
        re.match(r"(a+)+!", "a" * 20)
    finished.append(time.monotonic() - started)


def _stalls_on_marker(fn: Callable[..., Any], finished: list[float]) -> Callable[..., Any]:
    """``fn``, stalling first when a string argument holds :data:`MARK`."""

    def stalling(*args: Any, **kwargs: Any) -> Any:
        if any(isinstance(a, str) and MARK in a for a in (*args, *kwargs.values())):
            _stall(finished)
        return fn(*args, **kwargs)

    return stalling


def _stalls_always(fn: Callable[..., Any], finished: list[float]) -> Callable[..., Any]:
    def stalling(*args: Any, **kwargs: Any) -> Any:
        _stall(finished)
        return fn(*args, **kwargs)

    return stalling


def _mark_body(arts: pl.DataFrame, aid: str) -> pl.DataFrame:
    marked = pl.col("body") + pl.lit(f" Officials named it {MARK} on Monday.")
    return arts.with_columns(
        pl.when(pl.col("article_id") == aid).then(marked).otherwise("body").alias("body")
    )


def _mark_outlet(arts: pl.DataFrame, aid: str) -> pl.DataFrame:
    mine = pl.col("article_id") == aid
    return arts.with_columns(pl.when(mine).then(pl.lit(f"{MARK} Times")).otherwise("outlet").alias("outlet"))


def _undate(arts: pl.DataFrame, aid: str) -> pl.DataFrame:
    """Only ``aid`` needs its publication date inferred (its dateline has month and day)."""
    mine = pl.col("article_id") == aid
    return arts.with_columns(
        pl.when(mine).then(None).otherwise("published_date").alias("published_date"),
        pl.when(mine).then(pl.lit(7, pl.Int8)).otherwise("dateline_month").alias("dateline_month"),
        pl.when(mine).then(pl.lit(14, pl.Int8)).otherwise("dateline_day").alias("dateline_day"),
    )


@dataclass(frozen=True)
class Stage:
    """Where to make a stage stall: ``module.attr`` wrapped by ``wrap``, the batch prepared by
    ``mark`` so that the stall hits one article; ``where`` is the file the detail names."""

    module: str
    attr: str
    mark: Callable[[pl.DataFrame, str], pl.DataFrame]
    where: str
    wrap: Callable[[Callable[..., Any], list[float]], Callable[..., Any]] = _stalls_on_marker


STAGES = {
    # map_elements next to other expressions before: ran on a polars thread
    "sentences": Stage("transforms.sentences", "split_sentences", _mark_body, "transforms/sentences.py"),
    "gazetteer": Stage("transforms.gazetteer", "_norm_for_match", _mark_body, "transforms/gazetteer.py"),
    # the role titles' keys, computed only for a batch with an article to date
    "dates": Stage("transforms.dates", "norm_key", _undate, "transforms/dates.py", _stalls_always),
    "outlets": Stage("transforms.extract", "slug", _mark_outlet, "transforms/extract.py"),
    # Python loops
    "entities": Stage("transforms.entities", "fold", _mark_body, "transforms/entities.py"),
    "events": Stage("transforms.events", "_article_events", _mark_body, "transforms/events.py"),
    "quantities": Stage("transforms.quantities", "finditer", _mark_body, "transforms/quantities.py"),
}


@pytest.fixture(scope="module")
def articles() -> pl.DataFrame:
    """Three sample articles with a publication date, an outlet and a dateline."""
    from dateline.pipeline.discover import discover
    from transforms.parse import parse_files

    units = route_units(parse_files(discover(SAMPLES)), pl.DataFrame(schema=KNOWN_SCHEMA))
    arts = units.filter(
        (pl.col("route") == "article")
        & pl.col("published_date").is_not_null()
        & pl.col("outlet").is_not_null()
    ).head(3)
    assert arts.height == 3
    return arts


@pytest.fixture(scope="module")
def gazetteer(reference: dict) -> object:
    return build_gazetteer(reference)


def _check_set_aside_alone(
    batch: pl.DataFrame, aid: str, extractor: isolation.Extractor, finished: list[float], where: str
) -> None:
    started = time.monotonic()
    frames, failed = isolation.extract_isolated(batch, extractor, timeout=TIMEOUT)
    elapsed = time.monotonic() - started
    assert not finished, f"a stall ran to its end ({finished} s): not interrupted"
    assert failed["article_id"].to_list() == [aid]
    assert failed["reason"].to_list() == ["extract_timeout"]
    detail = failed["detail"][0]
    assert detail.startswith(f"extraction took longer than {TIMEOUT:g} s (at {where}:"), detail
    # the batch, then its single articles: two limits, and the others' extraction
    assert elapsed < 2 * TIMEOUT + 5
    others = extractor(batch.filter(pl.col("article_id") != aid))
    assert frames.keys() == others.keys()
    for name, frame in frames.items():
        assert frame.sort(frame.columns).equals(others[name].sort(frame.columns)), name


@pytest.mark.parametrize("stage", list(STAGES), ids=list(STAGES))
def test_a_stalling_stage_is_interrupted(
    stage: str, articles: pl.DataFrame, reference: dict, gazetteer: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    spec = STAGES[stage]
    module = importlib.import_module(spec.module)
    finished: list[float] = []
    monkeypatch.setattr(module, spec.attr, spec.wrap(getattr(module, spec.attr), finished))
    aid = articles["article_id"][1]
    batch = spec.mark(articles, aid)

    def plain(group: pl.DataFrame) -> dict[str, pl.DataFrame]:
        return extract(group, reference, today=TODAY, gazetteer=gazetteer)

    _check_set_aside_alone(batch, aid, plain, finished, spec.where)


_FINISHED: list[float] = []


@Language.component("dateline_test_stall")
def _stall_component(doc: Doc) -> Doc:
    """A pipeline component that stalls on the marked text (as a tokenizer's regex could)."""
    if MARK in doc.text:
        _stall(_FINISHED)
    return doc


def test_a_stalling_ner_pipeline_is_interrupted(
    articles: pl.DataFrame, reference: dict, gazetteer: object
) -> None:
    """spaCy's ``nlp.pipe`` (one process) runs on the calling thread: the limit covers it."""
    nlp = spacy.blank("en")
    nlp.add_pipe("dateline_test_stall")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "ORG", "pattern": "Kyodo News"}])
    _FINISHED.clear()
    aid = articles["article_id"][1]

    def with_ner(group: pl.DataFrame) -> dict[str, pl.DataFrame]:
        return extract(group, reference, today=TODAY, gazetteer=gazetteer, nlp=nlp)

    _check_set_aside_alone(_mark_body(articles, aid), aid, with_ner, _FINISHED, "transforms/ner.py")
