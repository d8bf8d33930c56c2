"""Splitting a batch for the extraction workers (dateline/runtime/workers.py): chunks, merging,
in-process fallbacks, the reference fingerprint, when the pool starts early; no worker process is
started.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dateline.resources.event_classifier import load_event_classifier
from dateline.resources.ner_model import load_ner
from dateline.resources.parser_model import load_parser
from dateline.runtime import prefect_api, workers
from transforms.extract import extract, merge_extracted

TODAY = date(2026, 11, 28)


def _same(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        x, y = a[name], b[name]
        assert x.columns == y.columns, name
        assert x.sort(x.columns).equals(y.sort(y.columns)), f"{name} differs"


def test_chunks_cover_every_article_once_in_order(articles: pl.DataFrame) -> None:
    for n in (1, 2, 3, 100):
        parts = workers.chunks(articles, n)
        assert 1 <= len(parts) <= min(n, articles.height)
        assert pl.concat(parts)["article_id"].to_list() == articles["article_id"].to_list()
    assert workers.chunks(articles.head(0), 4)[0].height == 0


def test_chunks_balance_text_not_rows() -> None:
    df = pl.DataFrame({"article_id": [str(i) for i in range(6)], "body": ["x" * 1000] + ["y" * 10] * 5})
    parts = workers.chunks(df, 2)
    assert [p.height for p in parts] == [1, 5]


def test_merge_of_chunks_equals_one_call(articles: pl.DataFrame, reference: dict) -> None:
    models = {"nlp": load_ner(), "parser": load_parser(), "classifier": load_event_classifier()}
    whole = extract(articles, reference, today=TODAY, **models)
    parts = [extract(p, reference, today=TODAY, **models) for p in workers.chunks(articles, 3)]
    _same(whole, merge_extracted(parts))
    # entities named in several chunks appear once
    merged = merge_extracted(parts)["entities"]
    assert merged["entity_id"].n_unique() == merged.height


def test_small_batches_and_one_worker_stay_in_process(articles: pl.DataFrame, reference: dict) -> None:
    calls: list[int] = []

    def in_process(batch: pl.DataFrame) -> dict[str, pl.DataFrame]:
        calls.append(batch.height)
        return {"articles": batch}

    for size, min_articles in ((2, 1000), (1, 1)):
        with workers.WorkerPool(size) as pool:
            pool.extract(
                articles,
                reference,
                today=TODAY,
                default_year=None,
                min_articles=min_articles,
                in_process=in_process,
                timeout=30,
            )
            assert not pool.running
    assert calls == [articles.height, articles.height]


def test_reference_fingerprint_sees_content(reference: dict) -> None:
    fp = workers.reference_fingerprint(reference)
    assert fp == workers.reference_fingerprint(dict(reference))
    edited = dict(reference)
    edited["actors"] = reference["actors"].with_columns(pl.col("canonical_name").str.to_uppercase())
    assert workers.reference_fingerprint(edited) != fp


def test_start_early_leaves_a_configured_server_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    assert prefect_api.start_early() is None


def test_prestart_early_waits_then_applies_the_batch_size_rule() -> None:
    import threading

    started: list[int] = []

    class RecordingPool(workers.WorkerPool):
        """Records its starts instead of starting processes."""

        def start(self) -> None:
            started.append(self.size)

    booted = threading.Event()
    counted = threading.Event()

    def count() -> int:
        counted.set()
        return 500

    thread = RecordingPool(2).start_early(count, min_articles=200, after=booted)
    assert not counted.wait(0.2)  # waits for the server's boot
    booted.set()
    thread.join(5)
    assert started == [2]
    # a small batch, one worker, or a failing count: no early start, and no error
    for files, size in ((199, 2), (500, 1)):
        RecordingPool(size).start_early(lambda n=files: n, min_articles=200).join(5)

    def broken() -> int:
        raise OSError("warehouse busy")

    RecordingPool(2).start_early(broken, min_articles=200).join(5)
    assert started == [2]


def test_a_closed_pool_starts_no_workers() -> None:
    """close() (an interrupted `dateline run`) stops the pool for good: the early start's thread,
    still on its way, starts nothing."""
    pool = workers.WorkerPool(2)
    pool.close()
    pool.start_early(lambda: 500, min_articles=200).join(5)
    pool.start()
    assert not pool.running
