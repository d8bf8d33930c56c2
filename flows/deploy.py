"""``dateline serve``: the ``ingest`` deployment on a cron schedule, on a real Prefect server.

Cron schedules need a Prefect server (the temporary API of a plain ``dateline run`` lives only
as long as that run). :func:`serve` uses ``$PREFECT_API_URL`` when it is set; otherwise it starts
a local server (:class:`LocalServer`: SQLite under ``prefect_home``, loopback only) and stops it
again on Ctrl-C / SIGTERM. Runs of the deployment execute in subprocesses of the serving process
(Prefect's ``Runner``), each taking the warehouse's run lock like any other run. The served flow
is :func:`flows.served.served_ingest`: each run, scheduled or triggered, writes its
data-quality report and prints its summary line into this terminal. ``once=True`` creates one
run of the deployment, lets the same runner execute it, and returns its exit code.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from dateline.runtime.prefect_server import LocalServer, ServeError, port_free

if TYPE_CHECKING:
    from prefect.runner import Runner


def serve(
    input_dir: Path,
    warehouse: Path,
    cron: str,
    *,
    deployment: str,
    host: str,
    port: int,
    prefect_home: Path,
    default_year: int | None,
    max_bytes: int,
    echo: Callable[[str], None] = print,
    once: bool = False,
) -> int:
    """Serve the ``ingest`` flow as deployment ``deployment`` on schedule ``cron`` until stopped.

    Blocks. Ctrl-C (SIGINT) or SIGTERM stops serving (Prefect pauses the schedule) and stops the
    local server if this call started one. With ``once``, runs the deployment once instead and
    returns 0 if that run succeeded, else 1 (0 when serving ends). The settings (``[serve]`` and
    ``[run]`` keys of dateline.toml) come from the caller, which resolved the configuration.
    """
    code = 0
    with contextlib.ExitStack() as cleanup:
        api_url = _prefect_server(host, port, prefect_home, echo, cleanup)
        try:
            with _signals_stop_serving(), _using_api(api_url):
                parameters: dict[str, object] = {
                    "input_dir": str(input_dir),
                    "warehouse": str(warehouse),
                    "default_year": default_year,
                    "max_bytes": max_bytes,
                }
                runner, deployment_id = _deployment(deployment, cron, parameters)
                if once:
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
    echo("stopped")
    return code


def _prefect_server(
    host: str, port: int, prefect_home: Path, echo: Callable[[str], None], cleanup: contextlib.ExitStack
) -> str:
    """The API address of the Prefect server to serve on: ``$PREFECT_API_URL`` when set, else a
    :class:`LocalServer` on ``host:port`` (0: any free port) with its home in ``prefect_home``,
    whose address is then exported as ``$PREFECT_API_URL`` (the runs' subprocesses inherit it).
    The local server's stop is registered on ``cleanup`` before it starts, so that it is stopped
    whatever ends serving, a Ctrl-C during its start included. :class:`ServeError` if ``port``
    is taken."""
    api_url = os.environ.get("PREFECT_API_URL")
    if api_url:
        echo(f"Prefect server: {api_url} (from PREFECT_API_URL)")
        return api_url
    if port and not port_free(host, port):
        raise ServeError(
            f"port {port} on {host} is in use: set [serve] port (0 = any free port) or "
            "PREFECT_API_URL to use a running server"
        )
    server = LocalServer(prefect_home, host, port)  # port 0: it picks a free one, named here

    def stop() -> None:
        echo("stopping the local Prefect server ...")
        server.stop()

    cleanup.callback(stop)
    echo(f"starting a local Prefect server on {host}:{server.port} (home {prefect_home}) ...")
    server.start()
    os.environ["PREFECT_API_URL"] = server.api_url
    echo(f"Prefect UI: {server.ui_url}   API: {server.api_url}   log: {server.home / 'server.log'}")
    return server.api_url


@contextlib.contextmanager
def _signals_stop_serving() -> Iterator[None]:
    """While serving, SIGTERM raises :class:`_Terminated` and SIGINT ``KeyboardInterrupt``
    (a shell starting us in the background may have ignored SIGINT: Ctrl-C / kill -INT must stop
    us); the previous handlers are put back afterwards."""
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])


@contextlib.contextmanager
def _using_api(api_url: str) -> Iterator[None]:
    """Prefect's client talks to ``api_url`` within (whatever its settings were before)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        yield


def _deployment(deployment: str, cron: str, parameters: dict[str, object]) -> tuple[Runner, UUID]:
    """A runner holding the served ingest flow as deployment ``deployment`` on schedule ``cron``
    with the flow's ``parameters``, registered on the current Prefect server, and its id."""
    from prefect.deployments.runner import EntrypointType
    from prefect.runner import Runner

    from flows.served import served_ingest

    runner = Runner(name=deployment, pause_on_shutdown=True)
    deployment_id = runner.add_flow(
        served_ingest,
        name=deployment,
        cron=cron,
        parameters=parameters,
        enforce_parameter_schema=False,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    assert isinstance(deployment_id, UUID)  # add_flow was called synchronously
    return runner, deployment_id


def _run_once(runner: Runner, deployment_id: UUID, deployment: str, echo: Callable[[str], None]) -> int:
    """Create one run of the deployment, let ``runner`` execute it (one poll of its scheduled-run
    loop: the path a scheduled run takes) and return 0 if it completed, else 1."""
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


__all__ = ["serve"]
