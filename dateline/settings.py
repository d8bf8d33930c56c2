"""Process-wide settings: offline, quiet Prefect and GX, and where things live.

``configure()`` must run before prefect or great_expectations is imported; the CLI calls it first.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from dateline.config import REPO_ROOT

DEFAULT_WAREHOUSE = REPO_ROOT / "warehouse" / "dateline.duckdb"
SAMPLE_ARTICLES = REPO_ROOT / "seeds" / "articles"

#: What ``../shared/data`` is, for the commands that need it and do not find it.
SHARED_DATA_HINT = (
    "the evaluation and reference sources (CoNLL-2003, the PLOVER gold records, the Phoenix "
    "dictionaries, the BBC corpus) are not part of this repository: see 'Evaluation and reference "
    "data' in README.md, and set DATELINE_SHARED_DATA to the folder that holds them"
)

_OFFLINE_DEFAULTS = {
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
    """Set offline/quiet defaults without overriding what the user exported."""
    for key, value in _OFFLINE_DEFAULTS.items():
        os.environ.setdefault(key, value)
    # GX logs an INFO line per ephemeral context ("Created temporary directory ...")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


def shared_data() -> Path:
    """$DATELINE_SHARED_DATA, else ``../shared/data`` beside the repository: where the evaluation,
    training and reference sources live (never needed by ``dateline run``)."""
    p = Path(os.environ.get("DATELINE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
    return p if p.is_absolute() else (REPO_ROOT / p).resolve()


def missing_shared(what: str, path: Path) -> str:
    """One line for a command whose ``what`` (a file or folder of the shared data) is missing."""
    return f"{what} {path} not found: {SHARED_DATA_HINT}"


def warehouse_path(cli_value: Path | None = None) -> Path:
    """--warehouse, else $DATELINE_WAREHOUSE, else ``[paths] warehouse`` of dateline.toml."""
    if cli_value is not None:
        return cli_value
    env = os.environ.get("DATELINE_WAREHOUSE")
    if env:
        return Path(env)
    from dateline import config

    return config.load().warehouse
