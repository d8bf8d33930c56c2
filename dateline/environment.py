"""Process-wide settings: the one place that changes this process's environment.

Dateline runs offline and quietly: no usage statistics or telemetry from Great Expectations or
Prefect, Prefect logging only warnings, no result persistence, no UI of the temporary API server,
a patient start of that server. These are settings of the libraries, read from environment
variables (some when the library is imported), so :func:`configure` must run before prefect or
great_expectations is imported. It is called once at each edge of the application: the command
line (:func:`dateline.cli.main.main`), the extraction worker processes, the scripts with their own
``main`` (the benchmark, the planted-defects acceptance run) and the test suite (tests/conftest.py).
Child processes (the temporary API server, Prefect's runs of a served deployment) inherit it.
The one module that imports Great Expectations (:mod:`dateline.quality.validate`) calls it too,
before that import, so that no way into GX can miss it.

A variable the user exported wins: :func:`configure` only fills in what is unset. What a run does
(limits, paths, schedules) is configuration instead: :mod:`dateline.config`.
"""

from __future__ import annotations

import logging
import os

#: Environment variables set unless the user exported them, and why.
OFFLINE_DEFAULTS = {
    # Great Expectations: no usage statistics
    "GX_ANALYTICS_ENABLED": "false",
    # Prefect: no telemetry, quiet logs, patient start of the temporary local API server
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOG_PRINTS": "false",
    "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
    "PREFECT_UI_ENABLED": "false",
}


def configure() -> None:
    """Set the offline and quiet defaults (:data:`OFFLINE_DEFAULTS`) without overriding what the
    user exported, and quiet Great Expectations' logger. Idempotent."""
    for variable, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(variable, value)
    # GX logs an INFO line per ephemeral context ("Created temporary directory ...")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


__all__ = ["OFFLINE_DEFAULTS", "configure"]
