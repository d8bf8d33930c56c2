"""`dateline run --reextract` as a user runs it: after an upgrade of the extractor, the loaded
articles are re-extracted from the warehouse, even when their landing files are gone; the summary
says how many; a run killed before its batch committed changed nothing; a second run finds
nothing left, and `status` no longer reports older articles.

Four `dateline run` subprocesses on the session's Prefect server (a first load, a re-extracting run
killed before its first batch commits, two re-extracting runs) and one `dateline status`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.conftest import dateline_env
from tests.paths import SAMPLES


def dateline(*args: str | Path, api: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m dateline ARGS` in a subprocess; stdout and stderr kept apart."""
    return subprocess.run(
        [sys.executable, "-m", "dateline", *map(str, args)],
        env=dateline_env(api, **env),
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_run_reextract_through_the_cli(prefect_server: str, tmp_path: Path) -> None:
    landing, warehouse = tmp_path / "in", tmp_path / "w.duckdb"
    shutil.copytree(SAMPLES, landing)
    first = dateline("run", "--json", "-i", landing, "-w", warehouse, api=prefect_server)
    assert first.returncode == 0, first.stderr
    loaded = json.loads(first.stdout)["articles_loaded"]
    assert loaded >= 5
    con = duckdb.connect(str(warehouse))
    try:  # as after an upgrade of the models or rules
        con.execute("UPDATE runs SET extractor_version = 'old'")
    finally:
        con.close()
    # killed (SIGKILL) while its first re-extraction batch is about to commit: nothing of it is in
    killed = dateline(
        "run",
        "--reextract",
        "-i",
        landing,
        "-w",
        warehouse,
        api=prefect_server,
        DATELINE_CRASH_AT="load_before_commit",
    )
    assert killed.returncode == -9, killed.stderr
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT DISTINCT run_id FROM articles").fetchall() == [
            (json.loads(first.stdout)["run_id"],)
        ]
    finally:
        con.close()
    # the landing files are gone: re-extraction reads the warehouse's text
    shutil.move(landing, tmp_path / "archived")
    landing.mkdir()

    proc = dateline("run", "--reextract", "-i", landing, "-w", warehouse, api=prefect_server)
    assert proc.returncode == 0, proc.stderr
    out = " ".join(proc.stdout.split())
    assert f"re-extracted {loaded} loaded article(s) an older extractor wrote" in out, proc.stdout
    assert f"{loaded} loaded article(s) re-extracted by this run's extractor" in out, proc.stdout
    assert re.search(r"deleted \d+", out), proc.stdout  # the landing folder's own processing, as ever
    run_id = re.match(r"run (\S+)", proc.stdout).group(1)  # type: ignore[union-attr]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT DISTINCT run_id FROM articles").fetchall() == [(run_id,)]
        assert con.execute("SELECT count(*) FROM event_mentions").fetchone()[0] > 0
    finally:
        con.close()

    again = dateline("run", "--reextract", "--json", "-i", landing, "-w", warehouse, api=prefect_server)
    assert again.returncode == 0, again.stderr
    doc = json.loads(again.stdout)
    assert (doc["articles_reextracted"], doc["reextract_failed"], doc["rows_written"]) == (0, [], 0)

    status = dateline("status", "-w", warehouse, "-f", "json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["articles_from_older_extractors"] == 0
