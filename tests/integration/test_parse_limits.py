"""The flow loads the good articles and quarantines a too-deep JSON file (transforms.parse limits)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.paths import REPO
from tests.unit.test_parse_limits import DEEP_5000

SEED = REPO / "seeds" / "articles" / "000_a012fc040dd23e81.txt"


# --- through the flow: config -> limits -> quarantine ----------------------------------------


def test_flow_loads_the_good_articles_and_quarantines_the_deep_json(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.ingest import ingest

    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(SEED, inp / SEED.name)
    (inp / "deep.json").write_text(DEEP_5000)
    long_body = "The negotiators met again on Tuesday. " * 2000  # 76,000 characters
    (inp / "long.json").write_text(json.dumps({"title": "Long", "body": long_body}))
    monkeypatch.setenv("DATELINE_LIMITS_MAX_ARTICLE_CHARS", "50000")  # wired from the config
    wh = tmp_path / "w.duckdb"
    summary = ingest(inp, wh)
    assert summary.status == "success" and summary.articles_loaded == 1

    con = duckdb.connect(str(wh), read_only=True)
    try:
        articles = con.execute("SELECT source_path FROM articles").fetchall()
        quarantine = con.execute("SELECT source_path, reason, detail FROM quarantine ORDER BY 1").fetchall()
    finally:
        con.close()
    assert [Path(p).name for (p,) in articles] == [SEED.name]
    assert [(Path(p).name, reason) for p, reason, _ in quarantine] == [
        ("deep.json", "too_deep"),
        ("long.json", "too_long"),
    ]
    assert quarantine[0][2] == "JSON nested 5000 levels deep; the limit is 100 ([limits] max_json_depth)"
