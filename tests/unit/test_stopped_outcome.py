"""What `dateline run`'s one line says when a signal comes after the flow returned its summary.

A batch that failed its critical checks was rolled back: the line must not say the run "had
nothing to load" (that is a run with no new data). The end-to-end case of a successful run is in
tests/system/test_interrupts.py (stage "summary").
"""

from __future__ import annotations

from pathlib import Path

from dateline.cli.run import _Started, _stopped_outcome
from dateline.pipeline.summary import RunSummary


def _finished(status: str, rows: dict[str, int]) -> _Started:
    summary = RunSummary("r1", status, "in", "w.duckdb")
    summary.rows = rows
    return _Started(warehouse=Path("w.duckdb"), run_id="r1", flow=True, summary=summary)


def test_a_failed_batch_was_not_loaded() -> None:
    said = _stopped_outcome("interrupted by SIGINT during summary", _finished("failed", {}))
    assert said == "the run had finished (failed; nothing of its batch was loaded)"


def test_a_loaded_batch_and_a_run_with_nothing_new() -> None:
    loaded = _stopped_outcome("x", _finished("success", {"articles": 3}))
    assert loaded == "the run had finished (success; its batch was loaded)"
    nothing = _stopped_outcome("x", _finished("success", {}))
    assert nothing == "the run had finished (success; it had nothing to load)"
