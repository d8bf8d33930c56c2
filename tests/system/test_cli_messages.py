"""What the `dateline` command says, read as a user reads it: real subprocesses, stdout a pipe.

Messages keep their bracketed words (`[run] max_bytes`), misspelt keys and environment variables
name the closest valid one, a bad cron is one line with an example, `-h` and `--version` work,
`query` and `status` write whole lines when piped, and `status` shows full run ids and times
with their zone and age. None of these starts `dateline run` (Prefect's start-up costs seconds).
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from dateline import config
from dateline.warehouse import connection, runs, schema
from tests.conftest import dateline_env
from tests.paths import REPO
from tests.system.conftest import start_serve

RUN_IDS = ("20261130T105102Z-a1b2c3", "20261130T111500Z-d4e5f6")
STARTED_UTC = ("2026-11-30 10:51:02", "2026-11-30 11:15:00")


def dateline(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m dateline *args`` with this checkout, stdout and stderr captured (pipes)."""
    return subprocess.run(
        [sys.executable, "-m", "dateline", *args],
        env=dateline_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


def one_line(p: subprocess.CompletedProcess[str]) -> str:
    """The single line a failing command printed on stderr (and nothing on stdout)."""
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and not p.stdout, (p.stdout, p.stderr)
    return lines[0]


@pytest.fixture(scope="module")
def runs_wh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with two finished runs with real-looking ids, started at known instants."""
    path = tmp_path_factory.mktemp("wh") / "w.duckdb"
    con = connection.connect(path)
    try:
        schema.init_schema(con)
        for run_id, started in zip(RUN_IDS, STARTED_UTC, strict=True):
            runs.start_run(con, run_id, "in")
            runs.finish_run(con, run_id, "success", {"files_seen": 3, "rows_written": 10}, "pass", None)
            con.execute(
                "UPDATE runs SET started_at = CAST(? AS TIMESTAMPTZ), "
                "finished_at = CAST(? AS TIMESTAMPTZ) + INTERVAL 2 SECOND WHERE run_id = ?",
                [started + "+00", started + "+00", run_id],
            )
    finally:
        con.close()
    return path


# --- messages printed literally ----------------------------------------------------------------


def test_help_keeps_bracketed_words_and_h_is_help() -> None:
    for flag in ("-h", "--help"):
        p = dateline("run", flag)
        assert p.returncode == 0, p.stderr
        words = " ".join(p.stdout.split())  # help lines wrap anywhere
        assert "(default: [paths] input)" in words
        assert "(default: [run] max_bytes)" in words
        assert "(default: [run] on_locked)" in words
    helps = {  # all at once: each is a second of start-up
        tuple(command): subprocess.Popen(
            [sys.executable, "-m", "dateline", *command, "-h"],
            env=dateline_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in _every_command()
    }
    for command, proc in helps.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and out.startswith("Usage:"), (command, err)


def _every_command() -> list[list[str]]:
    """The app, and each of its commands and sub-commands, as argument lists."""
    import typer

    from dateline.cli.main import app

    found: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        found.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def test_version_is_the_package_version() -> None:
    p = dateline("--version")
    assert (p.returncode, p.stdout, p.stderr) == (0, f"dateline {version('dateline')}\n", "")


def test_errors_and_results_keep_their_brackets(tmp_path: Path, runs_wh: Path) -> None:
    missing = tmp_path / "[draft]" / "w.duckdb"
    p = dateline("status", "-w", str(missing))
    assert p.returncode == 2
    assert one_line(p) == f"dateline: error: warehouse {missing} does not exist yet: run 'dateline run' first"

    p = dateline("query", 'SELECT * FROM "[x]"', "-w", str(runs_wh))
    assert p.returncode == 2 and "Table with name [x] does not exist" in p.stderr

    # a value that looks like markup is shown as it is, in every cell
    p = dateline("query", "SELECT '[bold]alert[/bold] :warning:' AS t", "-w", str(runs_wh))
    assert p.returncode == 0, p.stderr
    assert "[bold]alert[/bold] :warning:" in p.stdout


def test_busy_port_names_the_key_to_set(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        p = dateline("serve", "--port", str(port), "--input", str(tmp_path), "-w", str(tmp_path / "w.duckdb"))
    assert p.returncode == 1
    assert one_line(p) == (
        f"dateline: port {port} on 127.0.0.1 is in use: set [serve] port (0 = any free port) "
        "or PREFECT_API_URL to use a running server"
    )


# --- misspelt keys and environment variables ---------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "said"),
    [
        ("[run]\nmax_byte = 10\n", "unknown key [run] max_byte; did you mean [run] max_bytes?"),
        (
            "[querry]\nwait_seconds = 1\n",
            "unknown key [querry] wait_seconds; did you mean [query] wait_seconds?",
        ),
    ],
)
def test_misspelt_key_in_the_file_names_the_closest(tmp_path: Path, toml: str, said: str) -> None:
    cfg = tmp_path / "dateline.toml"
    cfg.write_text(toml)
    p = dateline("query", "SELECT 1", "-w", str(tmp_path / "w.duckdb"), DATELINE_CONFIG=str(cfg))
    assert p.returncode == 2
    assert one_line(p) == f"dateline: error: {cfg}: {said}"


@pytest.mark.parametrize(
    ("variable", "said"),
    [
        ("DATELINE_RUN_MAX_BYTE", "; did you mean DATELINE_RUN_MAX_BYTES ([run] max_bytes)?"),
        (
            "DATELINE_QUERRY_WAIT_SECONDS",
            "; did you mean DATELINE_QUERY_WAIT_SECONDS ([query] wait_seconds)?",
        ),
        ("DATELINE_WAREHOUS", "; did you mean DATELINE_WAREHOUSE?"),
        ("DATELINE_COLOUR", ": neither the override of a key of dateline.toml"),
    ],
)
def test_misspelt_environment_variable_is_an_error(runs_wh: Path, variable: str, said: str) -> None:
    # status reads no key of the file when given -w: the variable is refused all the same
    p = dateline("status", "-w", str(runs_wh), **{variable: "10"})
    assert p.returncode == 2
    assert one_line(p).startswith(f"dateline: error: unknown environment variable {variable}{said}")


def test_documented_variables_that_are_not_keys_stay_valid(tmp_path: Path, runs_wh: Path) -> None:
    cfg = tmp_path / "dateline.toml"
    cfg.write_text("[query]\nwait_seconds = 1\n")
    p = dateline(
        "query",
        "SELECT count(*) AS n FROM runs",
        "-f",
        "csv",
        DATELINE_CONFIG=str(cfg),
        DATELINE_WAREHOUSE=str(runs_wh),
        DATELINE_SHARED_DATA=str(tmp_path),
        DATELINE_QUERY_SNAPSHOT="false",
        **dict.fromkeys(config.TEST_VARIABLES, "unused"),
    )
    assert (p.returncode, p.stdout) == (0, "n\n2\n"), p.stderr


# --- cron ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", ["--cron", "$DATELINE_SERVE_CRON", "[serve] cron"])
def test_bad_cron_is_one_line_with_an_example(tmp_path: Path, origin: str) -> None:
    cfg = tmp_path / "dateline.toml"
    cfg.write_text('[serve]\ncron = "every tuesday"\n' if origin == "[serve] cron" else "")
    args = ["serve", "--input", str(tmp_path), "-w", str(tmp_path / "w.duckdb")]
    env = {"DATELINE_CONFIG": str(cfg)}
    if origin == "--cron":
        args += ["--cron", "every tuesday"]
    elif origin == "$DATELINE_SERVE_CRON":
        env["DATELINE_SERVE_CRON"] = "every tuesday"
    p = dateline(*args, **env)
    assert p.returncode == 2
    where = f"[serve] cron of {cfg}" if origin == "[serve] cron" else origin
    assert one_line(p) == (
        f"dateline: error: invalid cron expression 'every tuesday' ({where}): a schedule is five fields "
        '(minute hour day-of-month month day-of-week), e.g. "*/15 * * * *" (every 15 minutes) or '
        '"0 6 * * 1-5" (06:00 on weekdays)'
    )


# --- serve's address ----------------------------------------------------------------------------


def test_serve_names_the_free_port_it_picked(tmp_path: Path) -> None:
    proc = start_serve(tmp_path)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # until the server is up: stopping it then is the clean path
            lines.append(line)
            if line.startswith(("Prefect UI:", "dateline:")):
                break
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    said = "".join(lines) + rest
    starting = re.search(r"starting a local Prefect server on 127\.0\.0\.1:(\S+) ", said)
    assert starting is not None, said
    assert starting.group(1).isdigit() and int(starting.group(1)) > 0, said
    assert f"Prefect UI: http://127.0.0.1:{starting.group(1)} " in said, said


# --- output for pipes: query and status ---------------------------------------------------------


def test_piped_query_table_keeps_long_cells_whole(runs_wh: Path) -> None:
    evidence = (
        "Protesters gathered outside the ministry on Tuesday, demanding the release of the detained "
        "journalists, and the police said that forty people had been arrested by the evening."
    )
    sql = f"SELECT 'e1' AS event_id, '{evidence}' AS evidence_text, 'PROTEST' AS event_type"
    p = dateline("query", sql, "-w", str(runs_wh), COLUMNS="80")
    assert p.returncode == 0, p.stderr
    row = [line for line in p.stdout.splitlines() if "e1" in line]
    assert len(row) == 1 and evidence in row[0] and "PROTEST" in row[0], p.stdout


def test_status_shows_full_run_ids_and_zoned_times_with_age(runs_wh: Path) -> None:
    for tz, zone, shown in (
        ("UTC", "UTC", STARTED_UTC),
        ("Asia/Kolkata", "IST", ("2026-11-30 16:21:02", "2026-11-30 16:45:00")),
    ):
        p = dateline("status", "-w", str(runs_wh), TZ=tz, COLUMNS="80")
        assert p.returncode == 0, p.stderr
        for run_id, started in zip(RUN_IDS, shown, strict=True):
            row = [line for line in p.stdout.splitlines() if run_id in line]
            assert len(row) == 1, p.stdout
            assert re.search(rf"{started} {zone} \(\d+ (s|min|h|days) ago\)", row[0]), row[0]

    p = dateline("status", "-w", str(runs_wh), "-f", "json")
    doc = json.loads(p.stdout)
    assert set(doc) == {
        "warehouse",
        "read_from",
        "run_in_progress",
        "snapshot",
        "extractor_version",
        "articles_from_older_extractors",
        "runs",
    }
    assert [r["run_id"] for r in doc["runs"]] == list(reversed(RUN_IDS))
    for r in doc["runs"]:
        assert {"run_id", "status", "started_at", "finished_at", "seconds", "dq_verdict", "message"} <= set(r)
