"""The configuration of Dateline: the one place that says where things are and what every
setting's default is.

* :class:`Config` holds every key of ``dateline.toml``; its field defaults are the only defaults
  (the command-line options default to None and fall back to a loaded Config; library functions
  take their values from the caller).
* :func:`load` resolves a Config. Lookup order for every key, first wins: the command-line option
  (applied by the CLI), the environment variable ``DATELINE_<SECTION>_<KEY>``
  (``DATELINE_WAREHOUSE`` before it for the warehouse), the file named by ``$DATELINE_CONFIG`` or
  ``dateline.toml`` in the repository, the built-in default. It is resolved at the edge (a
  command, the flow) and passed on.
* :func:`warehouse_path` resolves the warehouse the same way without reading the file when an
  option or ``$DATELINE_WAREHOUSE`` names it.
* :data:`REPO_ROOT` is the repository; :func:`shared_data` the evaluation and reference sources
  outside it (``$DATELINE_SHARED_DATA``), :func:`missing_shared` the line saying they are missing.

Process-wide settings of the libraries (telemetry off, quiet logs) are not configuration: they
live in :mod:`dateline.environment`.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = REPO_ROOT / "dateline.toml"
ON_LOCKED = ("wait", "fail")
MAX_JSON_DEPTH = 500  # well below Python's recursion limit (1000), which json.loads would hit


#: What ``../shared/data`` is, for the commands that need it and do not find it.
SHARED_DATA_HINT = (
    "the evaluation and reference sources (CoNLL-2003, the PLOVER gold records, the Phoenix "
    "dictionaries, the BBC corpus) are not part of this repository: see 'Evaluation and reference "
    "data' in README.md, and set DATELINE_SHARED_DATA to the folder that holds them"
)


class ConfigError(ValueError):
    """The configuration file or an override is invalid (exit code 2)."""


@dataclass(frozen=True)
class Config:
    """Every setting of a run, a query and ``serve``; the defaults here are the only defaults.

    ``source`` says where the values came from (the file read, or ``defaults``)."""

    warehouse: Path = REPO_ROOT / "warehouse" / "dateline.duckdb"
    input: Path = REPO_ROOT / "seeds" / "articles"
    max_bytes: int = 5_000_000
    default_year: int | None = None
    on_locked: str = "wait"
    lock_timeout_seconds: float = 900.0
    workers: int = 0
    parallel_min_articles: int = 200
    reextract: bool = False
    max_json_depth: int = 100
    max_records_per_file: int = 100_000
    max_article_chars: int = 500_000
    article_timeout_seconds: float = 30.0
    near_duplicate_threshold: float = 0.8
    near_duplicate_num_perm: int = 128
    query_wait_seconds: float = 3.0
    snapshot: bool = True
    serve_cron: str = "*/15 * * * *"
    serve_deployment: str = "ingest"
    serve_host: str = "127.0.0.1"
    serve_port: int = 4200
    serve_prefect_home: Path = REPO_ROOT / ".prefect"
    source: str = "defaults"


# (section, key) in the file -> Config field
_KEYS: dict[tuple[str, str], str] = {
    ("paths", "warehouse"): "warehouse",
    ("paths", "input"): "input",
    ("run", "max_bytes"): "max_bytes",
    ("run", "default_year"): "default_year",
    ("run", "on_locked"): "on_locked",
    ("run", "lock_timeout_seconds"): "lock_timeout_seconds",
    ("run", "workers"): "workers",
    ("run", "parallel_min_articles"): "parallel_min_articles",
    ("run", "reextract"): "reextract",
    ("limits", "max_json_depth"): "max_json_depth",
    ("limits", "max_records_per_file"): "max_records_per_file",
    ("limits", "max_article_chars"): "max_article_chars",
    ("limits", "article_timeout_seconds"): "article_timeout_seconds",
    ("dedup", "near_duplicate_threshold"): "near_duplicate_threshold",
    ("dedup", "num_perm"): "near_duplicate_num_perm",
    ("query", "wait_seconds"): "query_wait_seconds",
    ("query", "snapshot"): "snapshot",
    ("serve", "cron"): "serve_cron",
    ("serve", "deployment"): "serve_deployment",
    ("serve", "host"): "serve_host",
    ("serve", "port"): "serve_port",
    ("serve", "prefect_home"): "serve_prefect_home",
}
_PATHS = {"warehouse", "input", "serve_prefect_home"}

#: Variables ``DATELINE_*`` that are not ``DATELINE_<SECTION>_<KEY>`` overrides of a key, and what
#: each is for. Any other ``DATELINE_*`` variable is an error (:func:`check_environment`): a typo
#: in an override would otherwise be ignored without a word. Add a variable here (or to
#: :data:`TEST_VARIABLES`) when code starts reading one: tests/unit/test_cli_messages.py checks that
#: every one the code reads is known.
OTHER_VARIABLES: dict[str, str] = {
    "DATELINE_CONFIG": "the configuration file to read instead of dateline.toml",
    "DATELINE_WAREHOUSE": "the DuckDB file (before [paths] warehouse)",
    "DATELINE_SHARED_DATA": "the evaluation and reference sources (default ../shared/data)",
}
#: Test hooks and test-suite switches: valid, never suggested for a misspelt variable.
TEST_VARIABLES: dict[str, str] = {
    "DATELINE_CRASH_AT": "SIGKILL the run at a stage (dateline/runtime/faults.py)",
    "DATELINE_PAUSE_AT": "pause the run at a stage (dateline/runtime/faults.py)",
    "DATELINE_FAIL_ARTICLE": "extraction fails on marked articles (dateline/runtime/faults.py)",
    "DATELINE_SLOW_ARTICLE": "extraction stalls on marked articles (dateline/runtime/faults.py)",
    "DATELINE_SLOW": "run the slow NER score (tests/integration/test_ner.py)",
    "DATELINE_SCREENSHOT_DIR": "keep the report's screenshots (tests/system/test_report.py)",
    "DATELINE_TEST_MARK": "marks the processes of a run (tests/system/test_parallel.py)",
}
_TYPES = {f.name: f.type for f in fields(Config)}


def _coerce(name: str, value: Any, base: Path, where: str) -> Any:
    kind = _TYPES[name]
    try:
        if name in _PATHS:
            path = Path(os.path.expanduser(str(value)))
            return path if path.is_absolute() else (base / path)
        if name == "default_year":
            year = int(value) if value not in (None, "") else 0
            return year or None
        if kind in ("int", int):
            return int(value)
        if kind in ("float", float):
            return float(value)
        if kind in ("bool", bool):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"not a boolean: {value!r}")
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: bad value {value!r} for {name}: {exc}") from None


def env_name(section: str, key: str) -> str:
    """The environment variable that overrides ``[section] key``: ``DATELINE_<SECTION>_<KEY>``."""
    return f"DATELINE_{section}_{key}".upper()


def _unknown_key(section: str, key: str) -> str:
    """``unknown key [section] key`` and the closest known key (a misspelt key or section)."""
    known = [f"[{s}] {k}" for s, k in _KEYS]
    close = difflib.get_close_matches(f"[{section}] {key}", known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else f"; the keys are {', '.join(known)}"
    return f"unknown key [{section}] {key}{hint}"


def check_environment(environ: Mapping[str, str] | None = None) -> None:
    """:class:`ConfigError` naming the closest valid variable if a ``DATELINE_*`` variable of the
    environment is neither the override of a key nor one of :data:`OTHER_VARIABLES` and
    :data:`TEST_VARIABLES`.

    The same typo in dateline.toml is an error; in the environment it would otherwise be
    ignored, leaving the user to wonder why their setting has no effect.
    """
    environ = os.environ if environ is None else environ
    overrides = {env_name(section, key): f"[{section}] {key}" for section, key in _KEYS}
    suggested = [*overrides, *OTHER_VARIABLES]
    valid = {*suggested, *TEST_VARIABLES}
    for variable in sorted(environ):
        if not variable.startswith("DATELINE_") or variable in valid:
            continue
        # a high cutoff: every name shares "DATELINE_", which alone makes two names look alike
        close = difflib.get_close_matches(variable, suggested, n=1, cutoff=0.8)
        if close:
            key = overrides.get(close[0])
            hint = f"; did you mean {close[0]}" + (f" ({key})?" if key else "?")
        else:
            hint = (
                ": neither the override of a key of dateline.toml (DATELINE_<SECTION>_<KEY>, e.g. "
                f"DATELINE_RUN_MAX_BYTES) nor one of {', '.join(OTHER_VARIABLES)}"
            )
        raise ConfigError(f"unknown environment variable {variable}{hint}")


def load(path: Path | None = None) -> Config:
    """The configuration: built-in defaults, then the file, then environment overrides.

    ``path``: the file to read (default: ``$DATELINE_CONFIG``, else dateline.toml in the
    repository; a missing default file means the built-in defaults). :class:`ConfigError` for
    a file that cannot be read, an unknown key or variable, or a value out of range."""
    if path is None:
        named = os.environ.get("DATELINE_CONFIG")
        path = Path(named) if named else DEFAULT_CONFIG
    values: dict[str, Any] = {}
    source = "defaults"
    if path.is_file():
        values = _read_file(path)
        source = str(path)
    elif "DATELINE_CONFIG" in os.environ:
        raise ConfigError(f"config file {path} (from $DATELINE_CONFIG) does not exist")
    check_environment()
    for (section, key), name in _KEYS.items():
        variable = env_name(section, key)
        if variable in os.environ:
            values[name] = _coerce(name, os.environ[variable], Path.cwd(), f"${variable}")
    warehouse = _warehouse_variable()
    if warehouse:
        values["warehouse"] = _coerce("warehouse", warehouse, Path.cwd(), "$DATELINE_WAREHOUSE")
    loaded = Config(**values, source=source)
    _check_ranges(loaded)
    return loaded


def _read_file(path: Path) -> dict[str, Any]:
    """The values of the configuration file ``path`` by :class:`Config` field (relative paths
    taken from the file's folder)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from None
    values: dict[str, Any] = {}
    for section, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{section}] must be a table")
        for key, value in table.items():
            name = _KEYS.get((section, key))
            if name is None:
                raise ConfigError(f"{path}: {_unknown_key(section, key)}")
            values[name] = _coerce(name, value, path.parent, f"{path} [{section}] {key}")
    return values


def _check_ranges(loaded: Config) -> None:
    """:class:`ConfigError` for a value of the right type but out of its range."""
    if loaded.workers < 0 or loaded.parallel_min_articles < 1:
        raise ConfigError(
            f"[run] workers must be >= 0 (0 = one per CPU) and parallel_min_articles >= 1, "
            f"not {loaded.workers} and {loaded.parallel_min_articles}"
        )
    if not 1 <= loaded.max_json_depth <= MAX_JSON_DEPTH:
        # deeper than Python's recursion limit, json.loads itself would fail (RecursionError)
        raise ConfigError(
            f"[limits] max_json_depth must be in 1..{MAX_JSON_DEPTH}, not {loaded.max_json_depth}"
        )
    limits = (loaded.max_records_per_file, loaded.max_article_chars, loaded.article_timeout_seconds)
    if not all(limit > 0 for limit in limits):  # NaN is not > 0 either
        raise ConfigError(
            "[limits] max_records_per_file, max_article_chars and article_timeout_seconds must be > 0"
        )
    if not 0.0 < loaded.near_duplicate_threshold <= 1.0 or loaded.near_duplicate_num_perm < 16:
        raise ConfigError(
            f"[dedup] near_duplicate_threshold must be in (0, 1] and num_perm >= 16, not "
            f"{loaded.near_duplicate_threshold} and {loaded.near_duplicate_num_perm}"
        )
    if loaded.on_locked not in ON_LOCKED:
        raise ConfigError(f"on_locked must be one of {', '.join(ON_LOCKED)}, not {loaded.on_locked!r}")


def _warehouse_variable() -> str:
    """``$DATELINE_WAREHOUSE`` ('' when unset): the warehouse, before ``[paths] warehouse``."""
    return os.environ.get("DATELINE_WAREHOUSE", "")


def warehouse_path(option: Path | None = None, loaded: Config | None = None) -> Path:
    """The warehouse of a command: ``option`` (its --warehouse), else ``$DATELINE_WAREHOUSE`` (as
    written), else ``[paths] warehouse`` of ``loaded`` (default: :func:`load`).

    The file is read only when neither names it: a command given --warehouse works beside a
    broken dateline.toml it does not need."""
    if option is not None:
        return option
    warehouse = _warehouse_variable()
    if warehouse:
        return Path(warehouse)
    return (loaded or load()).warehouse


def shared_data() -> Path:
    """``$DATELINE_SHARED_DATA``, else ``../shared/data`` beside the repository: where the
    evaluation, training and reference sources live (never needed by ``dateline run``). A
    relative value is taken from the repository root."""
    folder = Path(os.environ.get("DATELINE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
    return folder if folder.is_absolute() else (REPO_ROOT / folder).resolve()


def missing_shared(what: str, path: Path) -> str:
    """One line for a command whose ``what`` (a file or folder of the shared data) is missing."""
    return f"{what} {path} not found: {SHARED_DATA_HINT}"


__all__ = [
    "OTHER_VARIABLES",
    "REPO_ROOT",
    "SHARED_DATA_HINT",
    "TEST_VARIABLES",
    "Config",
    "ConfigError",
    "check_environment",
    "env_name",
    "load",
    "missing_shared",
    "shared_data",
    "warehouse_path",
]
