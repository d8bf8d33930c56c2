"""Extraction in worker processes (dateline/runtime/workers.py) gives exactly what one process gives;
other reference data falls back to the run's process; the warehouse is counted read-only.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dateline.resources.event_classifier import load_event_classifier
from dateline.resources.ner_model import load_ner
from dateline.resources.parser_model import load_parser
from dateline.runtime import workers
from dateline.runtime.isolation import FAILED_KEY
from tests.unit.test_parallel import TODAY, _same
from transforms.extract import extract


def models() -> dict:
    """The models a worker loads (dateline/runtime/workers.py): the NER, the parser and the event classifier."""
    return {"nlp": load_ner(), "parser": load_parser(), "classifier": load_event_classifier()}


def test_worker_processes_give_the_same_rows(articles: pl.DataFrame, reference: dict) -> None:
    calls: list[int] = []

    def in_process(batch: pl.DataFrame) -> dict[str, pl.DataFrame]:
        calls.append(batch.height)
        return extract(batch, reference, today=TODAY, **models())

    with workers.WorkerPool(2) as pool:
        parallel_out = pool.extract(
            articles,
            reference,
            today=TODAY,
            default_year=None,
            min_articles=2,
            in_process=in_process,
            timeout=30,
        )
        assert calls == [], "the batch should have gone to the workers"
        assert not pool.running, "the pool is shut down after the batch"
    # the workers guard each article (dateline/runtime/isolation.py): none was set aside here
    assert parallel_out.pop(FAILED_KEY).height == 0
    _same(extract(articles, reference, today=TODAY, **models()), parallel_out)


def test_other_reference_data_falls_back_to_in_process(articles: pl.DataFrame, reference: dict) -> None:
    changed = dict(reference)
    changed["countries"] = reference["countries"].head(3)
    notes: list[str] = []
    with workers.WorkerPool(2) as pool:
        out = pool.extract(
            articles,
            changed,
            today=TODAY,
            default_year=None,
            min_articles=2,
            in_process=lambda b: {"articles": b},
            timeout=30,
            note=notes.append,
        )
    assert out["articles"].height == articles.height
    assert notes and "other reference data" in notes[0]


def test_files_to_read_looks_at_the_warehouse_read_only(tmp_path: Path) -> None:
    from dateline.cli.run import _files_to_read
    from dateline.warehouse import connection, schema

    inbox = tmp_path / "in"
    inbox.mkdir()
    for i in range(3):
        (inbox / f"{i}.txt").write_text(f"Title {i}\n\nBody {i}.\n")
    db = tmp_path / "w.duckdb"
    assert _files_to_read(inbox, db, rehash=False) == 3  # no warehouse yet
    con = connection.connect(db)
    schema.init_schema(con)
    con.close()
    assert _files_to_read(inbox, db, rehash=False) == 3
    # the read-only connection is closed: the run can open the warehouse for writing
    connection.connect(db).close()
