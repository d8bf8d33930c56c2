"""A Prefect server of our own: the local server ``dateline serve`` starts when no
``$PREFECT_API_URL`` is set (:class:`LocalServer`: SQLite under its home, loopback only), and the
helpers the temporary API of ``dateline run`` shares with it (free ports, health polling)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

SERVER_START_TIMEOUT = 180.0


class ServeError(RuntimeError):
    """The Prefect server could not be started or reached (exit code 1)."""


def die_with_parent() -> None:
    """In a child process: get SIGTERM when the process that started it dies, even by SIGKILL
    (Linux prctl PR_SET_PDEATHSIG; elsewhere nothing)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)


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
    ``home/server.log``. ``port`` 0 picks a free one. Use as a context manager, or call
    :meth:`start` and :meth:`stop`.
    """

    def __init__(self, home: Path, host: str, port: int, ui: bool = True) -> None:
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
                preexec_fn=die_with_parent,  # a `serve` killed outright does not leave it behind
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


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


__all__ = ["LocalServer", "ServeError", "die_with_parent", "free_port", "port_free", "wait_healthy"]
