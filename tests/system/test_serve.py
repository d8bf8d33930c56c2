"""`dateline serve` for real: a Prefect server, the served `ingest` deployment, a run triggered
through the API, rows in the warehouse, the run's summary line in the serve terminal and its
data-quality report, and a clean stop on Ctrl-C (SIGINT)."""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from tests.conftest import dateline_env
from tests.paths import SAMPLES

#: The summary line a served run prints (flows/served.py), as a user reads it.
LINE = re.compile(
    r"^dateline serve: run (?P<run_id>\S+) (?P<status>\w+)(?: in [\d.]+ s)? \| "
    r"files seen (?P<seen>\S+), new or changed (?P<new>\S+), quarantined \S+ \| "
    r"articles loaded (?P<articles>\S+), rows written (?P<rows>\S+) \| "
    r"data quality: (?P<verdict>[^|]+?)(?: \| (?P<message>.*?))? \| report (?P<report>\S+)$",
    re.M,
)


async def _deployment_id(api_url: str, name: str, timeout: float) -> str:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        async with get_client() as client:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    dep = await client.read_deployment_by_name(name)
                    return str(dep.id)
                except ObjectNotFound:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(1)


def test_serve_runs_the_deployment_and_stops_cleanly(prefect_server: str, tmp_path: Path) -> None:
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    inp = tmp_path / "in"
    shutil.copytree(SAMPLES, inp)
    wh = tmp_path / "w.duckdb"
    log = (tmp_path / "serve.log").open("w+")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dateline",
            "serve",
            "--cron",
            "0 0 1 1 *",
            "--input",
            str(inp),
            "--warehouse",
            str(wh),
        ],
        env=dateline_env(prefect_server),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        asyncio.run(_deployment_id(prefect_server, "ingest/ingest", timeout=240))
        with temporary_settings(updates={PREFECT_API_URL: prefect_server}):
            flow_run = run_deployment("ingest/ingest", timeout=600, poll_interval=2)
        assert flow_run.state is not None and flow_run.state.is_completed(), (
            flow_run.state,
            Path(log.name).read_text(),
        )
        con = duckdb.connect(str(wh), read_only=True)
        try:
            articles = con.execute("SELECT count(*) FROM articles").fetchone()[0]
            runs = con.execute("SELECT status, articles_loaded FROM runs").fetchall()
        finally:
            con.close()
        assert articles > 0
        assert runs == [("success", articles)]
        deadline = time.monotonic() + 30  # the line is streamed from the run's process
        while not LINE.search(Path(log.name).read_text()) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        log.close()
    out = Path(log.name).read_text()
    assert rc == 0, out
    assert "serving deployment ingest/ingest on cron '0 0 1 1 *'" in out
    assert "from PREFECT_API_URL" in out
    assert out.rstrip().endswith("stopped"), out
    # the triggered run printed its summary line in the serve terminal and wrote its report
    [line] = [m.groupdict() for m in LINE.finditer(out)]
    assert (line["status"], line["seen"], line["new"], line["verdict"]) == ("success", "5", "5", "warn")
    assert int(line["articles"]) == articles
    assert Path(line["report"]) == wh.parent / "reports" / f"run-{line['run_id']}.html"
    assert line["run_id"] in Path(line["report"]).read_text()
