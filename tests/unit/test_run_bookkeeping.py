"""Run bookkeeping (dateline/pipeline/summary.py): the summary counts files by what became of them,
a pure function over the units.
"""

from __future__ import annotations

import polars as pl

from dateline.pipeline.summary import count_files


def _unit(path: str, route: str, record: int | None = None, reason: str | None = None) -> dict:
    return {
        "source_path": path,
        "source_record": record,
        "route": route,
        "quarantine_reason": reason,
        "quarantine_detail": f"{reason} detail" if reason else None,
    }


def test_count_files_counts_files_by_what_became_of_them() -> None:
    units = pl.DataFrame(
        [
            _unit("/in/a.txt", "article"),
            _unit("/in/copy.txt", "duplicate"),
            _unit("/in/same.txt", "unchanged"),
            _unit("/in/feed.jsonl", "article", 0),
            _unit("/in/feed.jsonl", "quarantine", 1, "malformed"),
            _unit("/in/feed.jsonl", "quarantine", 2, "too_long"),
            _unit("/in/gone.txt", "kept", None, "unreadable"),
        ]
    )
    counts = count_files(units, read=5, skipped=3, deleted=2)
    assert counts.counters() == {
        "files_seen": 8,
        "files_new": 3,  # a, copy, feed: not the unchanged (1 read + 3 skipped) nor the kept one
        "files_unchanged": 4,
        "files_duplicate": 1,
        "files_quarantined": 1,  # one file, two of its records
        "files_kept": 1,
        "files_deleted": 2,
    }
    assert counts.quarantined == (
        ("/in/feed.jsonl (record 1)", "malformed: malformed detail"),
        ("/in/feed.jsonl (record 2)", "too_long: too_long detail"),
    )
    assert counts.kept == (("/in/gone.txt", "unreadable: unreadable detail"),)
