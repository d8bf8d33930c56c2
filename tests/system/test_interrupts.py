"""Ctrl-C and SIGTERM on ``dateline run`` at every stage, as a terminal sends them.

Real ``dateline run`` processes, each in its own session (its process group is what a terminal's
Ctrl-C reaches), held at a precise point of the run by ``DATELINE_PAUSE_AT=<hook>:@<file>``
(:func:`dateline.runtime.faults.pausepoint` creates ``<file>.paused`` when it gets there), then signalled.
Every case checks what a user sees and what is left: exit code 130 / 143 within 10 s, one line on
stderr saying what was and was not loaded (no traceback, no Prefect crash report, no httpx
error), no child process left (workers, the temporary Prefect API server), and the warehouse:
the run marked failed with ``interrupted by SIG... during <stage>``, and nothing of its batch
loaded unless the interrupt came after the commit.

The runs start together (they wait at their pause points) and are signalled one at a time. Runs
stopped before the flow use their own temporary Prefect API server (the one a user gets); the
others a shared server (each temporary one costs seconds of CPU), except the one stopped while
extraction workers are busy, which has both a temporary server and workers to stop.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from tests.conftest import dateline_env
from tests.paths import SAMPLES

#: A marker in one article's body: DATELINE_SLOW_ARTICLE makes its extraction stall (busy worker).
SLOW = "STALL-EXTRACTION-HERE"


@dataclass(frozen=True)
class Case:
    """One interrupted run: where it is held and how it is stopped."""

    stage: str  # as the line and the runs message name it
    hook: str | None  # pause point (dateline.runtime.faults); None: wait for `ready_line` instead
    signum: int
    temporary_api: bool  # its own temporary Prefect API server (else the shared one)
    loaded: bool | None  # the batch is in the warehouse afterwards (None: no run row at all)
    ready_line: str = ""  # also wait for this stderr text before the signal
    release_after_signal: bool = False  # let the paused load thread go on after the signal
    twice: bool = False  # a second signal while it cleans up
    workers: bool = False  # extraction workers (and a stalling article) in this run
    closed: bool = False  # the run had been closed (its row stays as the run left it)
    json: bool = False  # run --json: its object is printed on stdout too


CASES = [
    Case("start-up", "start_up", signal.SIGINT, True, None),
    Case("API boot", "api_boot", signal.SIGTERM, True, None),
    Case("workers start", "workers_start", signal.SIGINT, True, None, workers=True),
    Case("lock", "after_start_run", signal.SIGTERM, False, False),
    Case("discover", "after_discover", signal.SIGINT, False, False, json=True),
    Case("parse", "after_parse", signal.SIGTERM, False, False),
    Case("extract", None, signal.SIGINT, True, False, ready_line="4/7 extract", workers=True),
    Case("validate", "validating", signal.SIGTERM, False, False, twice=True),
    # the load thread waits before the commit's gate; the run's thread waits for the load
    Case("load", "load_before_commit", signal.SIGINT, False, False, "6/7 load", release_after_signal=True),
    Case("load", "after_commit", signal.SIGTERM, False, True),
    Case("snapshot", "before_snapshot", signal.SIGINT, False, True),
    # the flow has returned (Prefect's engine would swallow an interrupt raised in it then)
    Case("summary", "after_run", signal.SIGTERM, False, True, closed=True),
]
IDS = [f"{c.stage}-{c.hook or 'busy-workers'}-{signal.Signals(c.signum).name}" for c in CASES]


@dataclass
class Outcome:
    """What one interrupted run did and left."""

    case: Case
    code: int | None = None
    seconds: float = 0.0  # from the signal to the exit
    stdout: str = ""
    stderr: list[str] = field(default_factory=list)
    children: list[int] = field(default_factory=list)  # its descendants just before the signal
    alive: list[str] = field(default_factory=list)  # those still running after its exit
    runs: list[tuple[str, str]] = field(default_factory=list)  # (status, message)
    articles: int = 0


def _ppids() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_bytes()
            except OSError:
                continue
            ppid = int(stat[stat.rfind(b")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    return children


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (whatever its process group or session)."""
    tree, found, todo = _ppids(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def running(pids: list[int]) -> list[str]:
    """Those of ``pids`` still running (not zombies), with their command lines."""
    alive = []
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_bytes()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:120]
        except OSError:
            continue
        if stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3] not in (b"Z", b"X"):
            alive.append(f"{pid}: {cmd.decode(errors='replace')}")
    return alive


class Run:
    """A ``dateline run`` in its own session, its stderr read as it comes."""

    def __init__(self, case: Case, folder: Path, inp: Path, api_url: str | None) -> None:
        self.case, self.folder = case, folder
        self.warehouse = folder / "w.duckdb"
        self.release = folder / "release"
        extra = {"DATELINE_RUN_WORKERS": "2", "DATELINE_RUN_PARALLEL_MIN_ARTICLES": "2"}
        if case.workers:
            extra["DATELINE_SLOW_ARTICLE"] = SLOW
        if case.hook:
            extra["DATELINE_PAUSE_AT"] = f"{case.hook}:@{self.release}"
        env = dateline_env(api_url, **extra)
        if api_url is None:
            env.pop("PREFECT_API_URL", None)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dateline",
                "run",
                "--input",
                str(inp),
                "--warehouse",
                str(self.warehouse),
                *(["--json"] if case.json else []),
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: signalled as a terminal does
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def ready(self) -> bool:
        paused = self.case.hook is None or (self.folder / "release.paused").exists()
        seen = not self.case.ready_line or any(self.case.ready_line in line for line in self.lines)
        # a run with workers: wait until they exist (a loaded host spawns them late)
        spawned = not self.case.workers or len(descendants(self.proc.pid)) >= 2 + self.case.temporary_api
        return paused and seen and spawned

    def interrupt(self) -> Outcome:
        case = self.case
        out = Outcome(case, children=descendants(self.proc.pid))
        started = time.monotonic()
        os.killpg(self.proc.pid, case.signum)
        if case.twice:
            time.sleep(0.1)
            os.killpg(self.proc.pid, case.signum)
        if case.release_after_signal:
            time.sleep(0.3)  # the run's thread has closed the gate: the load must roll back
            self.release.touch()
        try:
            out.code = self.proc.wait(timeout=60)
        finally:
            out.seconds = time.monotonic() - started
            self.release.touch()
        assert self.proc.stdout is not None
        out.stdout = self.proc.stdout.read()
        self.reader.join(5)
        out.stderr = list(self.lines)
        deadline = time.monotonic() + 2  # a child SIGKILLed at the end is reaped by init
        while (alive := running(out.children)) and time.monotonic() < deadline:
            time.sleep(0.1)
        out.alive = alive
        for pid in descendants(self.proc.pid) + [int(a.split(":")[0]) for a in alive]:
            with __import__("contextlib").suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if self.warehouse.exists():
            con = duckdb.connect(str(self.warehouse), read_only=True)
            try:
                out.runs = con.execute("SELECT status, message FROM runs").fetchall()
                out.articles = con.execute("SELECT count(*) FROM articles").fetchone()[0]
            finally:
                con.close()
        return out


@pytest.fixture(scope="module")
def outcomes(prefect_server: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every case's run, started together, each signalled once it is where its case wants it."""
    root = tmp_path_factory.mktemp("interrupts")
    inp = root / "in"
    shutil.copytree(SAMPLES, inp)
    # a stalling article: with DATELINE_SLOW_ARTICLE its worker is busy until the run stops it
    (inp / "stall.txt").write_text(f"Stalled story\n\nLONDON, March 3 - A story that {SLOW} stalls.\n")
    runs = {}
    for case_id, case in zip(IDS, CASES, strict=True):
        folder = root / case_id.replace(" ", "_")
        folder.mkdir()
        runs[case_id] = Run(case, folder, inp, None if case.temporary_api else prefect_server)
    results: dict[str, Outcome] = {}
    deadline = time.monotonic() + 240
    try:
        while len(results) < len(runs) and time.monotonic() < deadline:
            for case_id, run in runs.items():
                if case_id in results:
                    continue
                if run.proc.poll() is not None:  # it ended before its pause point: a failure
                    results[case_id] = Outcome(run.case, code=run.proc.returncode, stderr=run.lines)
                elif run.ready():
                    if run.case.hook is None:
                        time.sleep(1.5)  # the workers are busy with their chunks
                    results[case_id] = run.interrupt()
            time.sleep(0.1)
    finally:
        for run in runs.values():
            run.release.touch()
            if run.proc.poll() is None:
                os.killpg(run.proc.pid, signal.SIGKILL)
                run.proc.wait()
    return results


@pytest.mark.parametrize("case_id", IDS)
def test_an_interrupted_run_stops_cleanly_and_says_what_was_loaded(
    outcomes: dict[str, Outcome], case_id: str
) -> None:
    assert case_id in outcomes, f"{case_id}: never got to its pause point"
    out = outcomes[case_id]
    case = out.case
    name = signal.Signals(case.signum).name
    said = "\n".join(out.stderr)
    assert out.code == 128 + case.signum, f"exit {out.code}:\n{said}"
    assert out.seconds < 10, f"took {out.seconds:.1f} s to exit"
    for noise in ("Traceback", "Crash detected", "httpx", "Error", "leaked"):
        assert noise not in said + out.stdout, said
    # the progress lines ("dateline: [  1.2 s] 3/7 parse ...") and then exactly one line
    lines = [line for line in out.stderr if not line.startswith("dateline: [")]
    assert len(lines) == 1, said
    assert lines[0].startswith(f"dateline: interrupted by {name} during {case.stage}: "), lines[0]
    if case.json:  # one JSON object on stdout, saying what the line says
        import json

        doc = json.loads(out.stdout)
        assert doc["status"] == "failed" and doc["exit_code"] == 128 + case.signum
        assert doc["message"] == lines[0].removeprefix("dateline: ") and doc["run_id"]
    if case.closed:
        assert lines[0].endswith("the run had finished (success; its batch was loaded)")
    elif case.loaded:
        assert "the batch had been committed and is loaded" in lines[0]
    else:
        assert "nothing" in lines[0] and "loaded" in lines[0] and "committed" not in lines[0]
    # no child process left: the workers, the temporary Prefect API server
    assert out.children, "the run had started no process: nothing was checked"
    assert out.alive == []
    if case.workers:
        assert len(out.children) >= 2 + case.temporary_api, out.children
    # the warehouse: the run marked failed at once, the batch rolled back unless committed
    if case.loaded is None:
        assert out.runs == []
        return
    assert len(out.runs) == 1
    status, message = out.runs[0]
    if case.closed:
        assert status == "success" and out.articles > 0
        return
    assert status == "failed"
    assert message.startswith(f"interrupted by {name} during {case.stage}: ")
    if case.loaded:
        assert out.articles > 0 and "committed" in message
    else:
        assert out.articles == 0 and "nothing of its batch was loaded" in message


def test_a_clean_up_that_cannot_finish_is_cut_short_by_its_deadline(
    prefect_server: str, tmp_path: Path
) -> None:
    """A reader holding the warehouse file keeps the run from reopening it to mark itself: the
    deadline (dateline.runtime.interrupts.DEADLINE) ends the process anyway, with one line saying so (and,
    with --json, its JSON object on stdout)."""
    import json

    from dateline.runtime.interrupts import DEADLINE

    case = Case("lock", "after_start_run", signal.SIGINT, False, False, json=True)
    run = Run(case, tmp_path, SAMPLES, prefect_server)
    deadline = time.monotonic() + 120
    while not run.ready() and run.proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert run.ready(), "\n".join(run.lines)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            f"con = duckdb.connect({str(run.warehouse)!r}, read_only=True)\n"
            "print('open', flush=True)\ntime.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline() == "open\n"
        out = run.interrupt()
    finally:
        reader.kill()
        reader.wait()
    assert out.code == 130
    assert DEADLINE - 0.5 < out.seconds < 10, out.seconds
    lines = [line for line in out.stderr if not line.startswith("dateline: [")]
    assert lines == [
        "dateline: interrupted by SIGINT during lock: the clean-up did not finish in time; whether "
        "this batch was loaded is unknown ('dateline status' shows the runs)"
    ]
    doc = json.loads(out.stdout)
    assert doc["message"] == lines[0].removeprefix("dateline: ") and doc["exit_code"] == 130
    assert doc["status"] == "failed" and doc["run_id"]
    assert out.alive == []


def test_a_signal_while_the_command_exits_ends_it_quietly(tmp_path: Path) -> None:
    """The run is over and its summary printed; Prefect flushes its logs to the temporary server
    and the server is stopped: a Ctrl-C then ends the process at once, without a traceback, and
    the server does not outlive it."""
    case = Case("exit", "exiting", signal.SIGINT, True, True)
    run = Run(case, tmp_path, SAMPLES, None)
    deadline = time.monotonic() + 180
    while not run.ready() and run.proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert run.ready(), "\n".join(run.lines)
    out = run.interrupt()
    assert out.code == 130
    assert out.seconds < 10
    assert "data quality" in out.stdout  # the summary was printed
    said = "\n".join(out.stderr)
    assert "Traceback" not in said and "Error" not in said, said
    assert [line for line in out.stderr if not line.startswith("dateline: [")] == []
    assert out.children and out.alive == []  # the temporary API server went with it
    assert out.runs == [("success", None)] and out.articles > 0
