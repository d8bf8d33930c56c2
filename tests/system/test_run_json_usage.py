"""`dateline run --json` and bad configuration: exit 2 and no JSON, as for any bad usage.

The README: "Bad usage (exit 2) prints no JSON", and a printed object's `exit_code` is the
command's. A misspelt key in the configuration file is bad usage (exit 2) although it is not
raised as the CLI's own UsageError.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import dateline_env
from tests.paths import SAMPLES


def test_run_json_with_a_misspelt_config_key_prints_no_json(tmp_path: Path) -> None:
    cfg = tmp_path / "dateline.toml"
    cfg.write_text("[run]\nmax_byte = 10\n", encoding="utf-8")
    args = ["run", "--json", "--input", str(SAMPLES), "--warehouse", str(tmp_path / "w.duckdb")]
    proc = subprocess.run(
        [sys.executable, "-m", "dateline", *args],
        env=dateline_env(None, DATELINE_CONFIG=str(cfg)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "", proc.stdout  # no object claiming another exit code
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "unknown key [run] max_byte; did you mean [run] max_bytes?" in proc.stderr
