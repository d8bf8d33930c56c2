"""Shared by every tier: the tier markers, the reference data, the shared data, the environment of a
``python -m dateline`` subprocess, and the fixtures that tests of several tiers use.

Tiers (one folder each; ``pytest -m unit`` selects the same tests as ``pytest tests/unit``):

- ``unit``: pure code in process on the repository's own data: transforms, schemas, config,
  parsing, discovery of a temporary folder. No warehouse file, no Prefect, no process started, no
  Great Expectations run, no shared data (corpora); a test takes a few seconds at most and the
  whole tier under a minute (``make test-fast``).
- ``integration``: the application in process against real resources: DuckDB warehouse files and
  their locks, the ``ingest`` flow under a temporary Prefect API (``prefect_harness``), worker
  process pools, the checks run by Great Expectations, the extraction time limit stage by stage,
  the CLI called in process on a warehouse, the shared corpora.
- ``system``: the product as a user runs it: ``python -m dateline`` subprocesses on a Prefect
  server, concurrent runs, crash recovery and signals, ``serve``, the report in a real browser,
  the planted-defects acceptance.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from dateline import environment

environment.configure()

# after the process-wide settings (telemetry off, offline):
from dateline.warehouse import connection, runs, schema  # noqa: E402
from schemas.tables import DQ_RESULTS  # noqa: E402
from tests.paths import REPO, SAMPLES, shared_data  # noqa: E402

TIERS = ("unit", "integration", "system")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with its tier, the folder it lives in (tests/unit, tests/integration, tests/system)."""
    tests = REPO / "tests"
    for item in items:
        tier = item.path.relative_to(tests).parts[0] if item.path.is_relative_to(tests) else None
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def shared() -> Path:
    p = shared_data()
    if not p.is_dir():
        pytest.skip(f"shared data not found at {p} (set DATELINE_SHARED_DATA to run this test)")
    return p


@pytest.fixture(scope="session")
def reference() -> dict[str, pl.DataFrame]:
    from dateline.resources.reference import load_reference

    return load_reference()


def dateline_env(api_url: str | None = None, **extra: str) -> dict[str, str]:
    """Environment for a ``python -m dateline`` subprocess: this checkout first, the given server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATELINE_CRASH", "DATELINE_PAUSE"))}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    if api_url:
        env["PREFECT_API_URL"] = api_url
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def nlp() -> Any:  # a spacy Language
    """The committed NER model (tests that need it skip when it is not built)."""
    from dateline.resources.ner_model import load_ner

    return load_ner()


# --- the sample articles, routed (test_isolation, test_parallel) -----------------------------------


@pytest.fixture(scope="module")
def articles() -> pl.DataFrame:
    from dateline.pipeline.discover import discover
    from transforms.parse import parse_files
    from transforms.route import KNOWN_SCHEMA, route_units

    units = route_units(parse_files(discover(SAMPLES)), pl.DataFrame(schema=KNOWN_SCHEMA))
    arts = units.filter(pl.col("route") == "article")
    assert arts.height >= 5
    return arts


# --- an input folder with a secret beside it (test_boundary) ---------------------------------------

SENTINEL = b"SENTINEL-root:x:0:0-outside-the-landing-folder"


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """(input folder, a sibling folder outside it holding secret.txt with the sentinel)."""
    root, outside = tmp_path / "in", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SENTINEL)
    (outside / "nested").mkdir()
    (outside / "nested" / "more.txt").write_bytes(SENTINEL)
    return root, outside


# --- a small warehouse written by hand for the report (test_report) --------------------------------


def _dq_results(run_id: str, fail: bool) -> pl.DataFrame:
    """Two check results of a run: a critical one that fails if ``fail``, with an example row to escape."""
    examples = [
        {
            "event_id": "ev1",
            "article_id": "a" * 16,
            "start_char": 5,
            "end_char": 12,
            "evidence_text": "<script>alert(1)</script> & co",
            "cameo_code": "13y",
            "article_source_path": "/data/in/story one.txt",
        }
    ]
    return DQ_RESULTS.conform(
        pl.DataFrame(
            {
                "run_id": [run_id] * 2,
                "table_name": ["events", "articles"],
                "expectation": ["expect_column_values_to_be_in_set", "expect_column_values_to_not_be_null"],
                "column_name": ["cameo_code", "body"],
                "check_name": ["cameo_code_in_taxonomy", "body_not_null"],
                "severity": ["critical", "critical"],
                "success": [not fail, True],
                "observed_value": ["1 of 10 unexpected (10.00%)" if fail else "0 of 10", "0 of 3"],
                "element_count": [10, 3],
                "unexpected_count": [1 if fail else 0, 0],
                "unexpected_examples": [json.dumps(examples if fail else []), "[]"],
            }
        )
    )


@pytest.fixture(scope="module")
def small_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three runs (the last one failed) with their check results and metrics, no flow."""
    path = tmp_path_factory.mktemp("report") / "w.duckdb"
    con = connection.connect(path)
    try:
        schema.init_schema(con)
        for i, fail in enumerate([False, False, True]):
            rid = f"2025010{i + 1}T000000Z-r{i}"
            runs.start_run(con, rid, "/data/in")
            con.execute(
                "UPDATE runs SET started_at = ? WHERE run_id = ?", [datetime(2025, 1, 1 + i, tzinfo=UTC), rid]
            )
            runs.write_dq_results(con, rid, _dq_results(rid, fail))
            runs.write_dq_runs(
                con,
                rid,
                pl.DataFrame(
                    {
                        "table_name": ["run", "articles", "events"],
                        "metric": ["new_articles", "rows", "rows"],
                        "value": [3.0, 3.0, 10.0 - 4 * i],
                    }
                ),
            )
            runs.finish_run(
                con, rid, "failed" if fail else "success", {"files_seen": 3}, "fail" if fail else "pass", None
            )
    finally:
        con.close()
    return path
