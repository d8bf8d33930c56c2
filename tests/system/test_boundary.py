"""The input folder as a boundary (issue #11), through ``dateline run`` as a user runs it: a hostile
landing folder (a symlink leading outside, a FIFO, a gzip bomb) is recorded, nothing outside is
read. The discovery cases one by one: tests/unit/test_boundary.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb

from tests.conftest import SENTINEL, dateline_env
from tests.integration.test_boundary import quarantine_of, warehouse_text
from tests.unit.test_boundary import ARTICLE, bomb, gz


def test_cli_run_over_a_hostile_landing_folder(prefect_server: str, layout: tuple[Path, Path]) -> None:
    import subprocess

    root, outside = layout
    (root / "sub").mkdir()
    (root / "sub" / "pw.txt").symlink_to(outside / "secret.txt")
    os.mkfifo(root / "pipe.txt")
    (root / "story.txt.gz").write_bytes(gz(ARTICLE))
    bomb_bytes = bomb(50 << 20)
    (root / "bomb.txt.gz").write_bytes(bomb_bytes)
    wh = root.parent / "w.duckdb"
    args = [sys.executable, "-m", "dateline", "run", "--input", str(root), "--warehouse", str(wh)]
    p = subprocess.run(
        [*args, "--max-bytes", "1000000"],
        env=dateline_env(prefect_server),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Traceback" not in p.stderr
    q = quarantine_of(wh)
    assert {name: reason for name, (reason, _) in q.items()} == {
        "pw.txt": "outside_input",
        "pipe.txt": "not_a_regular_file",
        "bomb.txt.gz": "oversized",
    }
    assert q["bomb.txt.gz"][1].startswith("decompresses to more than 1000000 bytes")
    con = duckdb.connect(str(wh), read_only=True)
    try:
        articles = con.execute("SELECT source_path FROM articles").fetchall()
    finally:
        con.close()
    assert [Path(p).name for (p,) in articles] == ["story.txt.gz"]
    assert not any(SENTINEL.decode() in text for text in warehouse_text(wh))
