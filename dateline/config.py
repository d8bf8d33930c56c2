"""One configuration file (``dateline.toml``) with environment overrides.

Lookup order for every key, first wins: the command-line option (applied by the CLI), the
environment variable ``DATELINE_<SECTION>_<KEY>`` (``DATELINE_WAREHOUSE`` for the warehouse), the
file named by ``$DATELINE_CONFIG`` or ``dateline.toml`` in the repository, the built-in default.
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


class ConfigError(ValueError):
    """The configuration file or an override is invalid (exit code 2)."""


@dataclass(frozen=True)
class Config:
    warehouse: Path = REPO_ROOT / "warehouse" / "dateline.duckdb"
    input: Path = REPO_ROOT / "seeds" / "articles"
    max_bytes: int = 5_000_000
    default_year: int | None = None
    on_locked: str = "wait"
    lock_timeout_seconds: float = 900.0
    workers: int = 0
    parallel_min_articles: int = 200
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
#: :data:`TEST_VARIABLES`) when code starts reading one: tests/test_cli_messages.py checks that
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
    "DATELINE_SLOW": "run the slow NER score (tests/test_ner.py)",
    "DATELINE_SCREENSHOT_DIR": "keep the report's screenshots (tests/test_report.py)",
    "DATELINE_TEST_MARK": "marks the processes of a run (tests/test_parallel.py)",
}
_TYPES = {f.name: f.type for f in fields(Config)}


def _coerce(name: str, value: Any, base: Path, where: str) -> Any:
    kind = _TYPES[name]
    try:
        if name in _PATHS:
            p = Path(os.path.expanduser(str(value)))
            return p if p.is_absolute() else (base / p)
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
    for var in sorted(environ):
        if not var.startswith("DATELINE_") or var in valid:
            continue
        # a high cutoff: every name shares "DATELINE_", which alone makes two names look alike
        close = difflib.get_close_matches(var, suggested, n=1, cutoff=0.8)
        if close:
            key = overrides.get(close[0])
            hint = f"; did you mean {close[0]}" + (f" ({key})?" if key else "?")
        else:
            hint = (
                ": neither the override of a key of dateline.toml (DATELINE_<SECTION>_<KEY>, e.g. "
                f"DATELINE_RUN_MAX_BYTES) nor one of {', '.join(OTHER_VARIABLES)}"
            )
        raise ConfigError(f"unknown environment variable {var}{hint}")


def load(path: Path | None = None) -> Config:
    """The configuration: built-in defaults, then the file, then environment overrides."""
    if path is None:
        env = os.environ.get("DATELINE_CONFIG")
        path = Path(env) if env else DEFAULT_CONFIG
    values: dict[str, Any] = {}
    source = "defaults"
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from None
        for section, table in data.items():
            if not isinstance(table, dict):
                raise ConfigError(f"{path}: [{section}] must be a table")
            for key, value in table.items():
                name = _KEYS.get((section, key))
                if name is None:
                    raise ConfigError(f"{path}: {_unknown_key(section, key)}")
                values[name] = _coerce(name, value, path.parent, f"{path} [{section}] {key}")
        source = str(path)
    elif "DATELINE_CONFIG" in os.environ:
        raise ConfigError(f"config file {path} (from $DATELINE_CONFIG) does not exist")
    check_environment()
    for (section, key), name in _KEYS.items():
        var = env_name(section, key)
        if var in os.environ:
            values[name] = _coerce(name, os.environ[var], Path.cwd(), f"${var}")
    if os.environ.get("DATELINE_WAREHOUSE"):
        values["warehouse"] = _coerce(
            "warehouse", os.environ["DATELINE_WAREHOUSE"], Path.cwd(), "$DATELINE_WAREHOUSE"
        )
    cfg = Config(**values, source=source)
    if cfg.workers < 0 or cfg.parallel_min_articles < 1:
        raise ConfigError(
            f"[run] workers must be >= 0 (0 = one per CPU) and parallel_min_articles >= 1, "
            f"not {cfg.workers} and {cfg.parallel_min_articles}"
        )
    if not 1 <= cfg.max_json_depth <= MAX_JSON_DEPTH:
        # deeper than Python's recursion limit, json.loads itself would fail (RecursionError)
        raise ConfigError(f"[limits] max_json_depth must be in 1..{MAX_JSON_DEPTH}, not {cfg.max_json_depth}")
    if min(cfg.max_records_per_file, cfg.max_article_chars) < 1 or not (cfg.article_timeout_seconds > 0):
        raise ConfigError(
            "[limits] max_records_per_file, max_article_chars and article_timeout_seconds must be > 0"
        )
    if not 0.0 < cfg.near_duplicate_threshold <= 1.0 or cfg.near_duplicate_num_perm < 16:
        raise ConfigError(
            f"[dedup] near_duplicate_threshold must be in (0, 1] and num_perm >= 16, not "
            f"{cfg.near_duplicate_threshold} and {cfg.near_duplicate_num_perm}"
        )
    if cfg.on_locked not in ON_LOCKED:
        raise ConfigError(f"on_locked must be one of {', '.join(ON_LOCKED)}, not {cfg.on_locked!r}")
    return cfg


__all__ = [
    "OTHER_VARIABLES",
    "TEST_VARIABLES",
    "Config",
    "ConfigError",
    "check_environment",
    "env_name",
    "load",
]
