"""`dateline eval events` on a small hand-written PLOVER-style sample (no gold data needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dateline.evaluation.events import EvalDataError, evaluate_events, main_event, read_plover
from tests.paths import FIXTURES

SAMPLE = FIXTURES / "plover" / "sample.json"


def test_scores_sample(reference: dict) -> None:
    result = evaluate_events(read_plover(SAMPLE), reference)
    assert result["records"] == 5
    assert set(result) >= {"event_type_accuracy", "detection", "source_accuracy", "target_accuracy"}
    assert set(result["detection"]) == {"precision", "recall"}
    # the four clear events are coded with their PLOVER type, the weather report is not an event
    assert result["event_type_accuracy"] == 1.0
    assert result["detection"] == {"precision": 1.0, "recall": 1.0}
    assert result["source_accuracy"] == 1.0
    assert result["target_accuracy"] >= 2 / 3


def test_cli_prints_json_last(tmp_path: Path) -> None:
    from dateline.cli.main import app

    res = CliRunner().invoke(app, ["eval", "events", "--plover", str(SAMPLE)])
    assert res.exit_code == 0, res.output
    last = json.loads(res.output.strip().splitlines()[-1])
    assert last["records"] == 5


def test_bad_gold_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"text": "not a list"}')
    with pytest.raises(EvalDataError, match="JSON array"):
        read_plover(bad)
    with pytest.raises(EvalDataError, match="no such file"):
        read_plover(tmp_path / "missing.json")


def test_main_event_prefers_main_clause() -> None:
    text = "Chad accused Sudan of aggression after rebels attacked a border town."
    events = [
        {"trigger_start": 5, "source_entity_id": "TCD", "event_type": "ACCUSE"},
        {"trigger_start": 50, "source_entity_id": "X", "event_type": "ASSAULT"},
    ]
    assert main_event(events, text)["event_type"] == "ACCUSE"
    assert main_event([], text) is None
