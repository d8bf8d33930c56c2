"""The sandbox of a connection that runs an analyst's SQL (``dateline query``, ``status``,
``report``): its locked DuckDB settings, the private folder it spills to, and the one-line refusal
when the sandbox stops a query."""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
import threading

import duckdb

#: DuckDB settings of a connection that runs an analyst's SQL (``dateline query``, ``status``,
#: ``report``): it reads the warehouse file it was opened on (and DuckDB's own WAL and spill
#: files next to it) and nothing else. No file, URL or other database can be read or written
#: (COPY TO/FROM, read_csv/read_text/read_parquet/glob..., ATTACH, EXPORT DATABASE), no extension
#: can be installed or loaded, and ``lock_configuration`` makes every setting, these included,
#: unchangeable by SET/RESET/PRAGMA. Given at connect time, so they hold from the first statement.
SANDBOX_CONFIG: dict[str, bool] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}

#: Says why :func:`sandbox_refusal` refused a query that reads or writes outside the warehouse.
REFUSED_OUTSIDE = (
    "query refused: it reads or writes outside the warehouse (COPY TO, read_* of files, ATTACH, "
    "INSTALL/LOAD and URLs are not allowed; use --out to export results)"
)
#: ... and one that tries to change a setting.
REFUSED_SETTINGS = (
    "query refused: it changes a DuckDB setting (SET, RESET and setting PRAGMAs are not allowed: "
    "the settings of a query's connection are locked)"
)
#: ... and one that calls a function of an extension (which queries cannot install or load).
REFUSED_EXTENSION = (
    "query refused: it uses a function of a DuckDB extension that is not loaded, and queries cannot "
    "install or load extensions"
)


class SpillFolder:
    """A private folder for DuckDB's spill files (mode 0700), made on first use, removed at exit.

    With external access off DuckDB still lets a query read and write inside its temp directory;
    by default that is ``<warehouse>.tmp/`` next to the warehouse, where other processes spill
    too. A sandboxed connection spills here instead: large queries still spill, and nothing a
    query writes there outlives the process or reaches anything else.
    """

    def __init__(self, prefix: str = "dateline-query-") -> None:
        self._prefix = prefix
        self._path: str | None = None
        self._making = threading.Lock()

    def path(self) -> str:
        """The folder, made (and its removal at exit registered) on the first call."""
        with self._making:
            if self._path is None:
                self._path = tempfile.mkdtemp(prefix=self._prefix)
                atexit.register(shutil.rmtree, self._path, ignore_errors=True)
            return self._path


#: The spill folder of this process's sandboxed connections. One per process, not one per
#: connection: DuckDB requires every open connection of a process to one file to have the same
#: configuration, ``temp_directory`` included. The binding never changes; the folder is the
#: object's own state.
PROCESS_SPILL_FOLDER = SpillFolder()


def sandbox_config(spill: SpillFolder = PROCESS_SPILL_FOLDER) -> dict[str, str | bool]:
    """The DuckDB config of a sandboxed connection: :data:`SANDBOX_CONFIG` spilling to ``spill``."""
    return {**SANDBOX_CONFIG, "temp_directory": spill.path()}


def sandbox_refusal(exc: duckdb.Error) -> str | None:
    """The one-line refusal when ``exc`` is the sandbox (:data:`SANDBOX_CONFIG`) stopping a
    query, else None (an ordinary SQL error)."""
    message = str(exc)
    if isinstance(exc, duckdb.PermissionException):
        # "Cannot access file ... file system operations are disabled by configuration",
        # "Loading external extensions is disabled through configuration"
        return REFUSED_OUTSIDE
    if isinstance(exc, duckdb.InvalidInputException) and "configuration has been locked" in message:
        return REFUSED_SETTINGS
    if isinstance(exc, duckdb.BinderException) and "belongs to an attached database" in message:
        return REFUSED_OUTSIDE  # COPY ... TO the warehouse's own file
    if isinstance(exc, duckdb.CatalogException) and re.search(r"but it exists in the \w+ extension", message):
        return REFUSED_EXTENSION  # DuckDB would suggest INSTALL, which the sandbox refuses
    return None
