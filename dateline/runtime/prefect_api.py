"""The temporary Prefect API server of a ``dateline run``, started early.

Without ``$PREFECT_API_URL`` Prefect starts a temporary local API server the first time a flow
needs it: it imports its whole server package into the run's process (~6 s here) and then waits
for a uvicorn subprocess to boot (~8 s), all before the first task. ``dateline run`` instead
starts the same server (the same uvicorn command and ephemeral settings Prefect uses) at its very
first line, points ``PREFECT_API_URL`` at it, and imports its own libraries while the server boots
on the other core. The run then waits for ``/health`` before the flow starts, and the server is
stopped when the command ends.

Nothing changes when ``PREFECT_API_URL`` is set (a real server, e.g. ``dateline serve``'s) or when
Prefect's ephemeral mode is switched off.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from dateline.runtime.prefect_server import ServeError, die_with_parent, free_port, wait_healthy

# the settings Prefect's own temporary server (prefect.server.api.server.SubprocessASGIServer)
# runs with: no UI, ephemeral mode
_EPHEMERAL_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}

# and without the ephemeral server's event services, which serve nothing while one command runs:
# automations (triggers and their actions), storing events for the UI's event feed, and streaming
# events and logs to subscribers (the UI). Flow runs, task runs and their logs are still recorded.
# Measured here: the server answered /health after 7.3-7.9 s instead of 9.1 s, and used 1.2-1.3
# instead of 1.5-1.8 CPU-seconds per 20 s while idle (its polling competes with the extraction).
# Set any of them in the environment to keep that service.
_QUIET_SERVICES_ENV = {
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "false",
    "PREFECT_API_EVENTS_STREAM_OUT_ENABLED": "false",
    "PREFECT_SERVER_LOGS_STREAM_OUT_ENABLED": "false",
}

# how long the warm-up request waits for the server (it gives up silently)
WARM_UP_TIMEOUT = 60.0


class TemporaryApi:
    """A Prefect API server subprocess on a free loopback port, for one command."""

    def __init__(self, proc: subprocess.Popen, api_url: str, log: IO[bytes]) -> None:
        self.proc: subprocess.Popen | None = proc
        self.api_url = api_url
        self.log = log
        # set once the server answers /health (or the warm-up gave up): its boot no longer needs a CPU
        self.booted = threading.Event()
        atexit.register(self.stop)
        threading.Thread(target=self._warm_up, name="dateline-prefect-api-warm-up", daemon=True).start()

    def _warm_up(self) -> None:
        """Once the server answers ``/health``, send it one API request.

        A fresh server spends ~1 s on its first API request (it sets up its database session and
        routes then); the flow's first request (the client's version check) would wait for that.
        The server boots faster than the run imports its libraries, so it does this while the run
        is still importing. Failures are ignored: :meth:`wait_ready` reports a server that is not up.
        """
        healthy = False
        try:
            with contextlib.suppress(ServeError, OSError, urllib.error.URLError):
                wait_healthy(self.api_url, WARM_UP_TIMEOUT, self.proc)
                healthy = True
        finally:
            self.booted.set()
        if not healthy:
            return
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(f"{self.api_url}/admin/version", timeout=WARM_UP_TIMEOUT) as r,
        ):
            r.read()

    def wait_ready(self, timeout: float) -> None:
        """Block until the server answers ``/health``; ServeError (with the end of the server's
        output) if it dies or times out."""
        try:
            wait_healthy(self.api_url, timeout, self.proc)
        except ServeError as exc:
            self.stop()
            self.log.seek(0)
            tail = self.log.read().decode("utf-8", "replace").strip().splitlines()[-5:]
            detail = (": " + " | ".join(tail)) if tail else ""
            raise ServeError(f"the temporary Prefect API server did not start: {exc}{detail}") from None

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server and forget its URL (idempotent): SIGTERM to its process group (the
        server and anything it started), SIGKILL if it is not gone within ``timeout`` seconds."""
        if os.environ.get("PREFECT_API_URL") == self.api_url:
            del os.environ["PREFECT_API_URL"]
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


def _prefect_parent() -> Path | None:
    spec = importlib.util.find_spec("prefect")  # does not import prefect
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).parent


def start_early() -> TemporaryApi | None:
    """Start the temporary API server now and set ``PREFECT_API_URL`` for this process, unless an
    API URL is already configured or ephemeral mode is off. Call before prefect is imported."""
    if "prefect" in sys.modules or os.environ.get("PREFECT_API_URL"):
        return None
    if os.environ.get("PREFECT_SERVER_EPHEMERAL_ENABLED", "").lower() in ("0", "false", "no", "off"):
        return None
    app_dir = _prefect_parent()
    if app_dir is None:
        return None
    port = free_port()
    # the server's output, shown if it fails to start; closed (deleted) with this process
    log = tempfile.TemporaryFile(prefix="dateline-prefect-api-")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(app_dir),
            "--factory",
            "prefect.server.api.server:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "error",
            "--lifespan",
            "on",
        ],
        env={**_QUIET_SERVICES_ENV, **os.environ, **_EPHEMERAL_ENV},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        # its own session: a Ctrl-C in the terminal (SIGINT to the foreground process group)
        # reaches the run, which stops the server once it has stopped using it, not the server
        # while Prefect still reports to it; it still dies with the run (die_with_parent)
        start_new_session=True,
        preexec_fn=die_with_parent,
    )
    api = TemporaryApi(proc, f"http://127.0.0.1:{port}/api", log)
    os.environ["PREFECT_API_URL"] = api.api_url
    return api
