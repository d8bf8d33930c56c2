"""Tests for the committed reference data (seeds/reference) and its loader / build script."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from tests.paths import REPO, shared_data

SHARED = shared_data()


def test_build_reproduces_committed_csvs(tmp_path: Path) -> None:
    if not (SHARED / "reference" / "phoenix").is_dir():
        pytest.skip(f"shared data not found at {SHARED} (set DATELINE_SHARED_DATA)")
    from seeds import build_reference

    out = tmp_path / "reference"
    build_reference.main(
        [
            "--phoenix", str(SHARED / "reference" / "phoenix"),
            "--cameo", str(SHARED / "reference" / "cameo"),
            "--plover", str(SHARED / "eval" / "plover"),
            "--out", str(out),
        ]
    )  # fmt: skip
    committed = REPO / "seeds" / "reference"
    names = sorted(p.name for p in committed.glob("*.csv"))
    assert names == sorted(p.name for p in out.glob("*.csv"))
    for name in names:
        assert filecmp.cmp(committed / name, out / name, shallow=False), f"{name} differs from a fresh build"
