"""transforms.parse on the BBC corpus (shared data): no article gains a wire dateline."""

from __future__ import annotations

import pytest

from dateline.pipeline.discover import discover
from tests.paths import shared_data
from transforms.parse import parse_files

BBC = shared_data() / "corpus" / "bbc"


@pytest.mark.skipif(not BBC.is_dir(), reason=f"BBC corpus not found at {BBC} (set DATELINE_SHARED_DATA)")
def test_no_bbc_article_gains_a_dateline() -> None:
    units = parse_files(discover(BBC))
    assert units.height == 2225
    assert units["dateline"].null_count() == units.height
    assert units["outlet"].null_count() == units.height
    assert units["dateline_month"].null_count() == units.height
