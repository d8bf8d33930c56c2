"""``dateline serve``: the ingest deployment on a cron schedule."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from dateline import config
from dateline.cli.common import RunFailed, UsageError, WarehouseOpt, app, console


@app.command()
def serve(
    cron: Annotated[
        str | None, typer.Option(help='Cron schedule, e.g. "*/15 * * * *" (default: [serve] cron).')
    ] = None,
    input_dir: Annotated[
        Path | None, typer.Option("--input", "-i", help="Folder of article files (default: [paths] input).")
    ] = None,
    warehouse: WarehouseOpt = None,
    port: Annotated[
        int | None,
        typer.Option(
            help="Port of the local Prefect server if one is started (0 = any free port; "
            "default: [serve] port)."
        ),
    ] = None,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Run the deployment once, then exit with the run's exit code (0 success, 1 failed).",
        ),
    ] = False,
) -> None:
    """Serve the `ingest` deployment on a cron schedule (needs a Prefect server: $PREFECT_API_URL,
    else a local one is started and its UI address printed). Ctrl-C stops everything.

    Each run prints a summary line here and writes its data-quality report (reports/ next to
    the warehouse), as `make run` does."""
    from dateline.runtime.prefect_server import ServeError
    from flows import deploy

    configuration = config.load()
    input_dir = input_dir or configuration.input
    if not input_dir.is_dir():
        raise UsageError(f"input folder {input_dir} does not exist or is not a folder")
    if cron is not None:
        where = "--cron"
    else:
        variable = config.env_name("serve", "cron")
        where = f"${variable}" if variable in os.environ else f"[serve] cron of {configuration.source}"
        cron = configuration.serve_cron
    _check_cron(cron, where)
    path = config.warehouse_path(warehouse, configuration)
    try:
        code = deploy.serve(
            input_dir.resolve(),
            path.resolve(),
            cron,
            deployment=configuration.serve_deployment,
            host=configuration.serve_host,
            port=configuration.serve_port if port is None else port,
            prefect_home=configuration.serve_prefect_home,
            default_year=configuration.default_year,
            max_bytes=configuration.max_bytes,
            echo=lambda line: console.print(line, markup=False),
            once=once,
        )
    except ServeError as e:
        raise RunFailed(str(e)) from None
    if code:
        raise SystemExit(code)


CRON_EXAMPLE = '"*/15 * * * *" (every 15 minutes) or "0 6 * * 1-5" (06:00 on weekdays)'


def _check_cron(cron: str, where: str) -> None:
    """:class:`UsageError` in one line, with an example, if Prefect would refuse ``cron``
    (its own check, so that the schedule serve() then creates is accepted); ``where`` names
    the option or key it came from. Prefect's error is a multi-line pydantic report."""
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=cron)
    except ValueError:
        raise UsageError(
            f"invalid cron expression {cron!r} ({where}): a schedule is five fields (minute hour "
            f"day-of-month month day-of-week), e.g. {CRON_EXAMPLE}"
        ) from None
