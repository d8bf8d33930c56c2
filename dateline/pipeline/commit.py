"""The gate between a batch's checks and its load's commit.

The load runs on its own thread while the checks run (DuckDB works on the CPU the checks leave),
in one transaction that is committed only once they pass: its last step, just before the commit,
waits at the gate (:meth:`CommitGate.wait`), and a batch that fails them is rolled back, never seen.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future

import polars as pl

from dateline.warehouse import load


class CommitGate:
    """Whether the load, on its own thread, may commit the batch: once its checks passed, and only
    if the run was not stopped meanwhile.

    The load asks (:meth:`wait`) last, after writing every row and just before its commit; the
    run's thread opens the gate with the checks' results or closes it (checks failed, an error, an
    interrupt). Closing wins unless the load is already committing, and says which happened.
    """

    def __init__(self) -> None:
        self._checked: Future[pl.DataFrame] = Future()
        self._lock = threading.Lock()
        self._closed = False
        self._committing = False

    def open(self, dq: pl.DataFrame) -> None:
        """The checks passed: the load commits with ``dq`` (unless closed before it asks)."""
        self._checked.set_result(dq)

    def close(self, why: Exception) -> bool:
        """No commit from now on (``why`` rolls the load back); False if too late: the load had
        already passed the gate, so its batch is committed or about to be."""
        with self._lock:
            if self._committing:
                return False
            self._closed = True
        if not self._checked.done():
            self._checked.set_exception(why)
        return True

    def wait(self) -> pl.DataFrame:
        """In the load: the checks' results once they passed; raises to roll the batch back."""
        dq = self._checked.result()  # BatchRejected when they failed
        with self._lock:
            if self._closed:
                raise load.BatchRejected("the run was stopped before the commit")
            self._committing = True
        return dq
