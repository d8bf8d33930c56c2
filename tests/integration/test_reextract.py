"""``--reextract``: the loaded articles an older extractor wrote are extracted again, in batches,
from the text the warehouse holds, and their rows become those a fresh warehouse gets.

One warehouse is built once per module; its runs are then made to look older (``UPDATE runs SET
extractor_version = 'old'``), as after an upgrade of the models or rules.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from dateline import config as config_mod
from dateline.cli.status import _older_extractor_articles
from dateline.pipeline.reextract import SET_ASIDE_CHECK
from dateline.pipeline.summary import RunSummary
from schemas.tables import NO_NEW_DATA
from tests.paths import SAMPLES

#: Tables whose rows re-extraction replaces, compared with a fresh warehouse's.
EXTRACTED_TABLES = (
    "articles",
    "sentences",
    "entities",
    "entity_mentions",
    "events",
    "event_mentions",
    "quantities",
    "article_signatures",
)
#: Tables re-extraction leaves as they are.
KEPT_TABLES = ("files", "duplicates", "quarantine")
#: A word of exactly one sample article's body (the injected extraction failure's marker).
MARKER = "strategic reserves"


def _contents(warehouse: Path, tables: tuple[str, ...]) -> dict[str, tuple[int, str]]:
    """Table -> (rows, digest of its sorted rows without the columns that name a run)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out = {}
        for table in tables:
            columns = [
                name
                for (name,) in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                    "ORDER BY ordinal_position",
                    [table],
                ).fetchall()
                if not name.endswith("run_id") and name != "mtime"
            ]
            texts = sorted(
                str(row) for row in con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
            )
            out[table] = (len(texts), hashlib.sha256("\n".join(texts).encode()).hexdigest())
        return out
    finally:
        con.close()


def _query(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _older(warehouse: Path) -> int:
    """What ``dateline status`` reports: loaded articles an older extractor wrote."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return _older_extractor_articles(con)
    finally:
        con.close()


def _age(warehouse: Path) -> None:
    """Make every run of ``warehouse`` look like an older extractor's."""
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("UPDATE runs SET extractor_version = 'old'")
    finally:
        con.close()


@pytest.fixture(scope="module")
def built(
    prefect_harness: None, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, config_mod.Config]:
    """(input folder, a warehouse loaded from it, the configuration: two articles per
    re-extraction batch, so that re-extracting the samples takes several batches)."""
    from flows.ingest import ingest

    root = tmp_path_factory.mktemp("reextract")
    landing = root / "in"
    shutil.copytree(SAMPLES, landing)
    cfg = dataclasses.replace(config_mod.load(), parallel_min_articles=2, workers=1, snapshot=False)
    warehouse = root / "w.duckdb"
    first = ingest(landing, warehouse, config=cfg)
    assert first.status == "success" and first.articles_loaded >= 5
    return landing, warehouse, cfg


def test_reextract_replaces_the_rows_an_older_extractor_wrote(
    built: tuple[Path, Path, config_mod.Config], tmp_path: Path
) -> None:
    """Without --reextract nothing is re-extracted; with it every older article is, in batches,
    and its rows equal a fresh warehouse's; then nothing is left to re-extract."""
    from flows.ingest import ingest

    landing, warehouse, cfg = built
    loaded = _query(warehouse, "SELECT count(*) FROM articles")[0][0]
    kept_before = _contents(warehouse, KEPT_TABLES)
    _age(warehouse)
    assert _older(warehouse) == loaded

    plain = ingest(landing, warehouse, config=cfg)  # a run without --reextract never re-extracts
    assert (plain.articles_reextracted, plain.rows, _older(warehouse)) == (0, {}, loaded)

    summary = ingest(landing, warehouse, config=cfg, reextract=True)
    assert summary.status == "success" and summary.dq_verdict in ("pass", "warn")
    assert (summary.articles_reextracted, summary.articles_loaded, summary.files_new) == (loaded, 0, 0)
    assert summary.reextract_failed == []
    assert f"{loaded} loaded article(s) re-extracted" in summary.message
    assert _query(warehouse, "SELECT DISTINCT run_id FROM articles") == [(summary.run_id,)]
    assert _older(warehouse) == 0
    assert _contents(warehouse, KEPT_TABLES) == kept_before  # manifest, duplicates, quarantine as they were
    # one result per check for the run's batches (more than one: two articles per batch)
    checks = _query(
        warehouse,
        f"SELECT count(*), count(DISTINCT (table_name, check_name)), "
        f"max(element_count) FILTER (WHERE check_name = '{SET_ASIDE_CHECK}') "
        f"FROM dq_results WHERE run_id = '{summary.run_id}'",
    )[0]
    assert checks[0] == checks[1] and checks[2] == loaded

    fresh = tmp_path / "fresh.duckdb"
    assert ingest(landing, fresh, config=cfg).status == "success"
    assert _contents(warehouse, EXTRACTED_TABLES) == _contents(fresh, EXTRACTED_TABLES)

    again = ingest(landing, warehouse, config=cfg, reextract=True)
    assert (again.articles_reextracted, again.rows, again.dq_verdict) == (0, {}, NO_NEW_DATA)
    assert _older(warehouse) == 0


def test_an_article_whose_reextraction_fails_keeps_its_rows(
    built: tuple[Path, Path, config_mod.Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An article whose extraction raises keeps the rows its older extractor wrote, and is reported
    (the summary, a warning in dq_results), never quarantined; a later --reextract tries it again."""
    from flows.ingest import ingest

    landing, warehouse, cfg = built
    _age(warehouse)
    loaded = _older(warehouse)
    marked = _query(warehouse, f"SELECT article_id, run_id FROM articles WHERE body LIKE '%{MARKER}%'")
    assert len(marked) == 1
    (article_id, old_run), quarantined = marked[0], _query(warehouse, "SELECT count(*) FROM quarantine")
    events_before = _query(
        warehouse, f"SELECT count(*) FROM event_mentions WHERE article_id = '{article_id}'"
    )

    monkeypatch.setenv("DATELINE_FAIL_ARTICLE", MARKER)
    summary = ingest(landing, warehouse, config=cfg, reextract=True)
    assert summary.status == "success" and summary.dq_verdict == "warn"
    assert summary.articles_reextracted == loaded - 1
    assert [article for article, _why in summary.reextract_failed] == [
        article for article, _why in summary.reextract_failed if article.startswith(article_id)
    ]
    assert len(summary.reextract_failed) == 1 and "injected failure" in summary.reextract_failed[0][1]
    assert _query(warehouse, f"SELECT run_id FROM articles WHERE article_id = '{article_id}'") == [(old_run,)]
    assert (
        _query(warehouse, f"SELECT count(*) FROM event_mentions WHERE article_id = '{article_id}'")
        == events_before
    )
    assert _query(warehouse, "SELECT count(*) FROM quarantine") == quarantined
    record = _query(
        warehouse,
        f"SELECT severity, success, unexpected_count, unexpected_examples FROM dq_results "
        f"WHERE run_id = '{summary.run_id}' AND check_name = '{SET_ASIDE_CHECK}'",
    )
    assert record[0][:3] == ("warning", False, 1) and article_id in record[0][3]
    assert _older(warehouse) == 1

    monkeypatch.delenv("DATELINE_FAIL_ARTICLE")
    retried: RunSummary = ingest(landing, warehouse, config=cfg, reextract=True)
    assert (retried.articles_reextracted, retried.reextract_failed, _older(warehouse)) == (1, [], 0)


def test_copies_of_a_story_reextracted_one_per_batch_keep_their_shared_events(
    prefect_harness: None, tmp_path: Path
) -> None:
    """Syndicated copies of one story re-extracted one article per batch: every batch's reports join
    the story's loaded ones, so the events the copies share come out as a fresh load's."""
    from flows.ingest import ingest
    from tests.integration.test_syndication import write_copies

    landing = tmp_path / "in"
    landing.mkdir()
    write_copies(landing, range(3))
    shutil.copy(SAMPLES / "004_gulf_energy_dialogue.txt", landing)
    cfg = dataclasses.replace(config_mod.load(), parallel_min_articles=1, workers=1, snapshot=False)
    warehouse, fresh = tmp_path / "w.duckdb", tmp_path / "fresh.duckdb"
    assert ingest(landing, warehouse, config=cfg).status == "success"
    shared = "SELECT count(*) FROM events WHERE article_count > 1"
    assert _query(warehouse, shared)[0][0] > 0  # the copies share events
    _age(warehouse)
    summary = ingest(landing, warehouse, config=cfg, reextract=True)
    assert summary.status == "success" and summary.articles_reextracted == 4
    assert ingest(landing, fresh, config=cfg).status == "success"
    assert _contents(warehouse, EXTRACTED_TABLES) == _contents(fresh, EXTRACTED_TABLES)


def test_a_rejected_reextraction_batch_says_what_stays_loaded(tmp_path: Path) -> None:
    """A re-extraction batch that fails its critical checks is rolled back and fails the run; the
    run says that its earlier batches stay loaded, and its row counts them."""
    from dateline.pipeline.run import Run, connected
    from dateline.warehouse import schema
    from tests.conftest import _dq_results

    warehouse = tmp_path / "w.duckdb"
    run = Run(warehouse, "r1", "in")
    with connected(warehouse) as con:
        schema.init_schema(con)
        run.start(con)
    assert run.checked(_dq_results("r1", fail=False)) == "pass"
    run.reextracted(2, [])
    assert run.checked(_dq_results("r1", fail=True)) == "fail"
    assert run.dq is not None and run.dq.height == 2  # one result per check over the batches
    summary = run.rejected(run.dq, None, committed={"articles": 2, "events": 3})
    assert summary.status == "failed" and summary.dq_verdict == "fail"
    assert "re-extraction batch; it was rolled back" in summary.message
    assert "2 loaded article(s) re-extracted" in summary.message
    row = _query(warehouse, "SELECT status, articles_loaded, rows_written, dq_verdict FROM runs")
    assert row == [("failed", 0, 5, "fail")]
