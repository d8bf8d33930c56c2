"""Commands that need ../shared/data (evaluation, training, benchmark, reference builds) say what
it is when it is missing: one line naming the missing path, the README section and the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO


def _run(args: list[str], shared: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATELINE_SHARED_DATA": str(shared), "PYTHONPATH": str(REPO)}
    return subprocess.run(args, capture_output=True, text=True, cwd=REPO, env=env, timeout=120)


@pytest.mark.parametrize(
    ("args", "missing"),
    [
        ([sys.executable, "-m", "dateline.evaluation.bench"], "corpus/bbc"),
        ([sys.executable, "-m", "dateline.evaluation.planted_defects"], "corpus/bbc"),
        ([sys.executable, "-m", "seeds.build_reference"], "reference/phoenix"),
        ([sys.executable, "-m", "seeds.build_verbs"], "CAMEO.2.0.txt"),
        (
            [sys.executable, "-m", "dateline", "eval", "events", "--plover", "{shared}/gold.json"],
            "gold.json",
        ),
    ],
    ids=["bench", "planted_defects", "build_reference", "build_verbs", "eval-events"],
)
def test_missing_shared_data_is_explained(tmp_path: Path, args: list[str], missing: str) -> None:
    shared = tmp_path / "no-shared-data"
    proc = _run([a.replace("{shared}", str(shared)) for a in args], shared)
    assert proc.returncode != 0
    said = [line for line in proc.stderr.splitlines() if "not found" in line]
    assert len(said) == 1, proc.stderr
    assert str(shared) in said[0] and missing in said[0]
    assert "not part of this repository" in said[0]
    assert "Evaluation and reference data" in said[0] and "DATELINE_SHARED_DATA" in said[0]
    assert "Traceback" not in proc.stderr
