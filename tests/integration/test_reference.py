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


def test_verb_code_overrides_change_the_default_code_and_refuse_a_stale_row(tmp_path: Path) -> None:
    from seeds.build_verbs import with_overrides

    forms = [
        {"form": "convicted", "lemma": "convict", "block": "blame", "cameo_code": "173"},
        {"form": "arrested", "lemma": "arrest", "block": "apprehend", "cameo_code": "173"},
    ]
    table = tmp_path / "overrides.csv"
    table.write_text("lemma,from_code,cameo_code,reason\nconvict,173,116,find guilty\n")
    assert [f["cameo_code"] for f in with_overrides(forms, table)] == ["116", "173"]
    assert forms[0]["cameo_code"] == "173"  # the input is not changed
    table.write_text("lemma,from_code,cameo_code,reason\nconvict,112,116,stale\n")
    with pytest.raises(ValueError, match="no form of 'convict' has the code 112"):
        with_overrides(forms, table)
