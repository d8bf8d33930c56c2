"""What the `dateline` command says, checked without starting it: the progress bar prints notes
literally, every DATELINE_* variable the code names is known, no quarantine detail repeats its
reason. The messages of real subprocesses: tests/system/test_cli_messages.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dateline import config
from tests.paths import REPO


def test_progress_bar_prints_notes_and_stages_literally(capsys: pytest.CaptureFixture[str]) -> None:
    """The terminal's progress bar: a note or stage detail naming a key keeps its section."""
    from dateline.runtime import progress

    bar = progress.BarReporter()
    try:
        bar.note("waiting for the lock ([run] on_locked = 'wait')")
        bar.stage("lock", "/data/[2026]/w.duckdb")
        task = bar.progress.tasks[0]
        described = bar.progress.columns[0].render(task)
    finally:
        bar.close()
    assert "waiting for the lock ([run] on_locked = 'wait')" in capsys.readouterr().err
    assert described.plain == "lock: /data/[2026]/w.duckdb"


def test_every_dateline_variable_the_code_names_is_known() -> None:
    """A variable read by the code (or set by a test) that check_environment() did not know would
    make every command fail: each DATELINE_* name in the sources is a key's override or listed."""
    known = {config.env_name(section, key) for section, key in config._KEYS}
    known |= set(config.OTHER_VARIABLES) | set(config.TEST_VARIABLES)
    from transforms import parse

    names: dict[str, str] = {}
    for folder in ("dateline", "flows", "transforms", "schemas", "seeds", "tests"):
        for path in (REPO / folder).rglob("*.py"):
            if path.name == Path(__file__).name:  # this file spells names wrong on purpose
                continue
            for name in re.findall(r"(?<![A-Za-z0-9_])DATELINE_[A-Z][A-Z0-9_]*[A-Z0-9]", path.read_text()):
                names.setdefault(name, str(path.relative_to(REPO)))
    unknown = {
        name: where
        for name, where in names.items()
        if name not in known
        and not hasattr(parse, name)  # the dateline regexes of transforms/parse.py
        and not any(k.startswith(name + "_") for k in known)  # a prefix, as in tests/conftest.py
    }
    assert unknown == {}


# --- quarantine details -------------------------------------------------------------------------


def test_no_quarantine_detail_repeats_its_reason(tmp_path: Path) -> None:
    """The run summary prints ``reason: detail`` and the quarantine table has both columns: a
    detail that starts with its reason reads ``binary: binary content: ...``."""
    import gzip
    import os

    from dateline.pipeline.discover import discover
    from transforms.parse import ParseLimits, parse_files

    files = {
        "empty.txt": b"",
        "nul.bin": b"text\x00more text",
        "control.txt": b"\x01\x02\x03\x04\x05\x06\x07\x08 a few words" * 3,
        "bom.txt": b"\xef\xbb\xbfok \xff\xfe",
        "broken.json": b'{"body": ',
        "fake.txt.gz": b"not gzip",
        "bomb.txt.gz": gzip.compress(b"a" * 5000),
        "big.txt": b"x" * 1500,
        "deep.json": b"[[[[[[[[[[1]]]]]]]]]]",
        "feed.json": json.dumps([{"body": f"Story {i}."} for i in range(3)]).encode(),
        "title.json": b'{"title": "only a title"}',
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "out").symlink_to("/etc/hostname")
    units = parse_files(
        discover(tmp_path, max_bytes=1000),
        ParseLimits(max_json_depth=5, max_records_per_file=2),
    )
    bad = units.filter(units["quarantine_reason"].is_not_null())
    said = dict(zip(bad["quarantine_reason"], bad["quarantine_detail"], strict=True))
    expected = {"empty", "binary", "undecodable", "malformed", "oversized", "too_deep"}
    expected |= {"too_many_records", "no_text", "not_a_regular_file", "outside_input"}
    assert expected <= set(said), said
    for reason, detail in zip(bad["quarantine_reason"], bad["quarantine_detail"], strict=True):
        assert detail and not detail.lower().startswith((reason, reason.replace("_", " "))), (reason, detail)
