"""transforms.parse and transforms.route over the whole BBC corpus (shared data)."""

from __future__ import annotations

import polars as pl
import pytest

from dateline.config import shared_data
from tests.unit.test_parse import EMPTY_KNOWN, by_name, parse_dir
from transforms.route import route_units

# --- the BBC corpus --------------------------------------------------------------------------


BBC = shared_data() / "corpus" / "bbc"


@pytest.mark.skipif(not BBC.is_dir(), reason=f"BBC corpus not found at {BBC} (set DATELINE_SHARED_DATA)")
def test_bbc_corpus() -> None:
    units = parse_dir(BBC)
    assert units.height == 2225
    assert units["quarantine_reason"].null_count() == 2225
    assert set(units["format"]) == {"bbc"}
    assert (units["language"] == "en").all()
    assert units["title"].null_count() == 0 and units["body"].null_count() == 0
    routed = route_units(units, EMPTY_KNOWN)
    counts = dict(routed.group_by("route").len().iter_rows())
    assert counts == {"article": 2127, "duplicate": 98}
    assert routed.filter(pl.col("route") == "article")["article_id"].n_unique() == 2127
    enc = by_name(units, "sport/199.txt")["encoding"].to_list()
    assert enc in (["latin-1"], ["cp1252"])
    assert set(units["encoding"]) <= {"utf-8", "latin-1", "cp1252"}
