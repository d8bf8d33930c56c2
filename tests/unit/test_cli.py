"""The `dateline` CLI without a warehouse: help for every command, the run summary, configuration
and progress lines - all in process, without starting Prefect.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dateline import config
from dateline.runtime import progress


def dateline(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    from dateline.cli.main import main

    monkeypatch.setattr(sys, "argv", ["dateline", *args])
    try:
        main()
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_every_command_has_help(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = dateline(monkeypatch, capsys, "--help")
    assert code == 0
    for command in ("run", "serve", "query", "status", "eval"):
        assert command in out
        code, sub, _ = dateline(monkeypatch, capsys, command, "--help")
        assert code == 0 and "Usage" in sub, command


def test_run_help_says_rehash_retries_set_aside_articles(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one help line per option
    code, out, _ = dateline(monkeypatch, capsys, "run", "--help")
    assert code == 0
    assert "extract_timeout" in out and "extract_failed" in out


def test_run_summary_names_the_kept_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """A known file that could not be read is counted and named, apart from the quarantined ones."""
    import io

    from rich.console import Console

    from dateline.cli import run as cli
    from dateline.pipeline.summary import RunSummary

    buf = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=buf, width=300))
    summary = RunSummary("r1", "success", "/in", "/w.duckdb", files_seen=3, files_unchanged=1)
    summary.files_kept = 2
    summary.kept = [("/in/a.txt", "unreadable: Permission denied"), ("/in/b.txt", "unreadable: vanished")]
    summary.message = "2 known file(s) could not be read this time: their rows are kept"
    cli._print_summary(summary)
    out = buf.getvalue()
    assert "could not be read, rows kept 2" in out
    assert "kept         /in/a.txt: unreadable: Permission denied" in out
    assert "/in/b.txt: unreadable: vanished" in out
    assert "quarantined  /in/a.txt" not in out


def test_config_file_and_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg_file = tmp_path / "dateline.toml"
    cfg_file.write_text(
        '[paths]\nwarehouse = "wh/x.duckdb"\n[run]\non_locked = "fail"\n[query]\nwait_seconds = 7\n'
    )
    monkeypatch.delenv("DATELINE_WAREHOUSE", raising=False)
    cfg = config.load(cfg_file)
    assert (
        cfg.warehouse == tmp_path / "wh" / "x.duckdb"
        and cfg.on_locked == "fail"
        and cfg.query_wait_seconds == 7
    )
    monkeypatch.setenv("DATELINE_RUN_ON_LOCKED", "wait")
    monkeypatch.setenv("DATELINE_QUERY_SNAPSHOT", "false")
    monkeypatch.setenv("DATELINE_WAREHOUSE", str(tmp_path / "env.duckdb"))
    cfg = config.load(cfg_file)
    assert cfg.on_locked == "wait" and cfg.snapshot is False and cfg.warehouse == tmp_path / "env.duckdb"
    monkeypatch.setenv("DATELINE_RUN_ON_LOCKED", "sometimes")
    with pytest.raises(config.ConfigError, match="on_locked"):
        config.load(cfg_file)
    cfg_file.write_text("[run]\nbogus = 1\n")
    monkeypatch.delenv("DATELINE_RUN_ON_LOCKED")
    with pytest.raises(config.ConfigError, match="unknown key"):
        config.load(cfg_file)
    assert config.load().source.endswith("dateline.toml")  # the repository's file parses


def test_progress_is_plain_lines_without_a_terminal(tmp_path: Path) -> None:
    stream = (tmp_path / "log.txt").open("w+")
    reporter = progress.for_terminal(stream)
    assert isinstance(reporter, progress.LineReporter)
    reporter.stage("discover", "in/")
    reporter.note("hello")
    reporter.close()
    stream.seek(0)
    lines = stream.read().splitlines()
    assert "2/7 discover: in/" in lines[0] and lines[1].endswith("hello")
