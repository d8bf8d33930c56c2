"""Where the tests find things: the repository, the sample articles, their own fixture files and
the shared data (one definition, whatever tier folder a test lives in)."""

from __future__ import annotations

from pathlib import Path

from dateline import config

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "seeds" / "articles"
FIXTURES = REPO / "tests" / "fixtures"

shared_data = config.shared_data  # $DATELINE_SHARED_DATA, default ../shared/data next to the repo

__all__ = ["FIXTURES", "REPO", "SAMPLES", "shared_data"]
