"""Importing the data-quality checks (which import Great Expectations) in a clean interpreter sets no
process-wide setting: only dateline.environment.configure() does.
"""

from __future__ import annotations

import os
import subprocess
import sys

from dateline import environment
from dateline.config import REPO_ROOT


def test_importing_the_checks_sets_no_process_wide_setting() -> None:
    """Only dateline.environment.configure() changes the environment: importing the data-quality
    checks (which import Great Expectations) leaves it as it was."""
    code = (
        "import os, schemas.expectations\n"
        "before = os.environ.get('GX_ANALYTICS_ENABLED')\n"
        "from dateline import environment\n"
        "environment.configure()\n"
        "print(before, os.environ['GX_ANALYTICS_ENABLED'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in environment.OFFLINE_DEFAULTS}
    env["PYTHONPATH"] = str(REPO_ROOT)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["None", "false"]
