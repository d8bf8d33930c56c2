"""End-to-end runs of the ``ingest`` flow over generated hostile folders (hypothesis, fixed seed).

The trees are those of ``tests/unit/test_discover_properties.py`` (regular, JSON, JSON Lines and gzip
files, random bytes, FIFOs, folders that cannot be listed, symlinks inside and outside the input
folder, dangling links, gzip bombs). Each is ingested by the real flow into a new warehouse:

* the run succeeds (no input can fail a run);
* every path of the tree is in the ``files`` table exactly once, and each unit of it in exactly
  one of ``articles`` / ``duplicates`` / ``quarantine``;
* the sentinel outside the input folder is nowhere in the warehouse;
* a second run over the same tree has nothing to do and takes nothing for deleted.

A few examples only: each is a whole run (extraction, checks, load) of a few seconds.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings

import dateline.pipeline.discover as discover_module
from tests.unit.test_discover_properties import MAX_BYTES, SENTINEL, Tree, build, expected_paths, trees

EXAMPLES = 4


def _ingest_tree(tree: Tree) -> None:
    from flows.ingest import ingest

    with tempfile.TemporaryDirectory() as base:
        root, outside = Path(base).resolve() / "in", Path(base).resolve() / "outside"
        root.mkdir()
        outside.mkdir()
        (outside / "secret.txt").write_bytes(SENTINEL)
        unlistable, _written = build(tree, root, outside)
        real_scandir = discover_module._scandir

        def scandir_refusing(path: Any) -> Any:
            if Path(path) in unlistable:
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        wh = Path(base) / "w.duckdb"
        with mock.patch.object(discover_module, "_scandir", scandir_refusing):
            first = ingest(root, wh, max_bytes=MAX_BYTES, snapshot=False)
            second = ingest(root, wh, max_bytes=MAX_BYTES, snapshot=False)
        assert first.status == "success", first.message
        assert second.status == "success" and second.files_new == 0 and second.files_deleted == 0
        assert second.rows == {}

        expected = expected_paths(root, unlistable)
        con = duckdb.connect(str(wh), read_only=True)
        try:
            files = con.execute("SELECT source_path FROM files").fetchall()
            assert sorted(p for (p,) in files) == sorted(expected)
            placed = con.execute(
                """SELECT source_path, source_record, count(*) FROM (
                       SELECT source_path, source_record FROM articles
                       UNION ALL SELECT source_path, source_record FROM duplicates
                       UNION ALL SELECT source_path, source_record FROM quarantine)
                   GROUP BY ALL"""
            ).fetchall()
            assert all(n == 1 for _p, _r, n in placed), placed
            assert {p for p, _r, _n in placed} == expected
            secret = SENTINEL.decode()
            leaks = con.execute(
                "SELECT count(*) FROM articles WHERE contains(body, ?) OR contains(coalesce(title, ''), ?)",
                [secret, secret],
            ).fetchone()
            assert leaks == (0,)
        finally:
            con.close()


@pytest.mark.usefixtures("prefect_harness")
def test_runs_over_generated_hostile_folders_succeed_and_place_every_path_once() -> None:
    runs: list[int] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(tree=trees())
    def prop(tree: Tree) -> None:
        runs.append(len(tree.ops))
        _ingest_tree(tree)

    prop()
    assert len(runs) == EXAMPLES
