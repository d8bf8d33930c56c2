"""``dateline serve``: the ``ingest`` deployment on a cron schedule, on a real Prefect server.

Cron schedules need a Prefect server (the temporary API of a plain ``dateline run`` lives only
as long as that run). :func:`serve` uses ``$PREFECT_API_URL`` when it is set; otherwise it starts
a local server (:class:`LocalServer`: SQLite under ``prefect_home``, loopback only) and stops it
again on Ctrl-C / SIGTERM. Runs of the deployment execute in subprocesses of the serving process
(Prefect's ``Runner``), each taking the warehouse's run lock like any other run. The served flow
is :func:`flows.serve_runs.served_ingest`: each run, scheduled or triggered, writes its
data-quality report and prints its summary line into this terminal. ``once=True`` creates one
run of the deployment, lets the same runner execute it, and returns its exit code.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from prefect.runner import Runner

SERVER_START_TIMEOUT = 180.0


class ServeError(RuntimeError):
    """The Prefect server could not be started or reached (exit code 1)."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_healthy(
    api_url: str, timeout: float = SERVER_START_TIMEOUT, proc: subprocess.Popen | None = None
) -> None:
    """Poll ``<api_url>/health`` until it answers, ``proc`` dies, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServeError(f"the Prefect server exited with code {proc.returncode} while starting")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise ServeError(f"the Prefect server at {api_url} did not become healthy within {timeout:.0f} s")


class LocalServer:
    """A Prefect server in a subprocess: ``prefect server start`` on a loopback port.

    Its database (SQLite) and settings live in ``home`` (its ``PREFECT_HOME``); its output goes to
    ``home/server.log``. Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, home: Path, host: str = "127.0.0.1", port: int = 0, ui: bool = True) -> None:
        self.home = Path(home)
        self.host = host
        self.port = port or free_port(host)
        self.ui = ui
        self.proc: subprocess.Popen | None = None

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = SERVER_START_TIMEOUT) -> LocalServer:
        self.home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env.update(
            PREFECT_HOME=str(self.home),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            DO_NOT_TRACK="1",
            PREFECT_UI_ENABLED="true" if self.ui else "false",
            PREFECT_SERVER_UI_ENABLED="true" if self.ui else "false",
            PREFECT_LOGGING_LEVEL="WARNING",
        )
        cmd = [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--ui" if self.ui else "--no-ui",
            "--analytics-off",
        ]
        log = (self.home / "server.log").open("ab")
        try:
            # own session: a Ctrl-C in the terminal reaches `dateline serve`, which stops the
            # runner first (pausing the schedule through the API) and then this server
            self.proc = subprocess.Popen(
                cmd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            log.close()
        try:
            wait_healthy(self.api_url, timeout, self.proc)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the server (SIGTERM to its process group, SIGKILL if it lingers)."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(
    input_dir: Path,
    warehouse: Path,
    cron: str,
    *,
    deployment: str = "ingest",
    host: str = "127.0.0.1",
    port: int = 4200,
    prefect_home: Path = Path(".prefect"),
    default_year: int | None = None,
    max_bytes: int = 5_000_000,
    echo: Callable[[str], None] = print,
    once: bool = False,
) -> int:
    """Serve the ``ingest`` flow as deployment ``deployment`` on schedule ``cron`` until stopped.

    Blocks. Ctrl-C (SIGINT) or SIGTERM stops serving (Prefect pauses the schedule) and stops the
    local server if this call started one. With ``once``, runs the deployment once instead and
    returns 0 if that run succeeded, else 1 (0 when serving ends).
    """
    code = 0
    server: LocalServer | None = None
    api_url = os.environ.get("PREFECT_API_URL")
    if api_url:
        echo(f"Prefect server: {api_url} (from PREFECT_API_URL)")
    else:
        if port and not _port_free(host, port):
            raise ServeError(
                f"port {port} on {host} is in use: set [serve] port (0 = any free port) or "
                "PREFECT_API_URL to use a running server"
            )
        server = LocalServer(prefect_home, host, port)  # port 0: it picks a free one, named here
        echo(f"starting a local Prefect server on {host}:{server.port} (home {prefect_home}) ...")
        server.start()
        api_url = server.api_url
        os.environ["PREFECT_API_URL"] = api_url
        echo(f"Prefect UI: {server.ui_url}   API: {api_url}   log: {server.home / 'server.log'}")

    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    # a shell starting us in the background may have ignored SIGINT: Ctrl-C / kill -INT must stop us
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        import asyncio

        from prefect.deployments.runner import EntrypointType
        from prefect.runner import Runner
        from prefect.settings import PREFECT_API_URL, temporary_settings

        from flows.serve_runs import served_ingest

        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            runner = Runner(name=deployment, pause_on_shutdown=True)
            deployment_id = runner.add_flow(
                served_ingest,
                name=deployment,
                cron=cron,
                parameters={
                    "input_dir": str(input_dir),
                    "warehouse": str(warehouse),
                    "default_year": default_year,
                    "max_bytes": max_bytes,
                },
                enforce_parameter_schema=False,
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
            if once:
                assert isinstance(deployment_id, UUID)  # add_flow was called synchronously
                code = _run_once(runner, deployment_id, deployment, echo)
            else:
                echo(
                    f"serving deployment ingest/{deployment} on cron {cron!r}: "
                    f"{input_dir} -> {warehouse}  (Ctrl-C to stop)"
                )
                asyncio.run(runner.start())
    except KeyboardInterrupt as stopped:
        # serving ends this way (exit 0); a run asked for with --once was interrupted: 130 / 143
        code = (143 if isinstance(stopped, _Terminated) else 130) if once else 0
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
        if server is not None:
            echo("stopping the local Prefect server ...")
            server.stop()
    echo("stopped")
    return code


def _run_once(runner: Runner, deployment_id: UUID, deployment: str, echo: Callable[[str], None]) -> int:
    """Create one run of the deployment, let ``runner`` execute it (one poll of its scheduled-run
    loop: the path a scheduled run takes) and return 0 if it completed, else 1."""
    import asyncio

    from prefect import get_client

    with get_client(sync_client=True) as client:
        flow_run = client.create_flow_run_from_deployment(deployment_id)
    echo(f"running deployment ingest/{deployment} once (flow run {flow_run.name}) ...")
    asyncio.run(runner.start(run_once=True))
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(flow_run.id).state
    name = state.name if state is not None else "unknown"
    echo(f"flow run {flow_run.name}: {name}")
    return 0 if state is not None and state.is_completed() else 1


class _Terminated(KeyboardInterrupt):
    """SIGTERM, stopping ``serve`` as Ctrl-C does (told apart for ``--once``'s exit code)."""


def _sigterm_as_interrupt(signum: int, frame: object) -> None:
    raise _Terminated


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


__all__ = ["LocalServer", "ServeError", "free_port", "serve", "wait_healthy"]
