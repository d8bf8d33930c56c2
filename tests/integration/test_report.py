"""The HTML data-quality report of a small warehouse written by hand: run page content and
escaping, a clean run all green.
"""

from __future__ import annotations

from pathlib import Path

from dateline.report.html import write_report
from tests.unit.test_report import static_problems

# --- a small warehouse written by hand (fast) ----------------------------------------------------


def test_run_page_content_and_escaping(small_warehouse: Path, tmp_path: Path) -> None:
    paths = write_report(small_warehouse, out_dir=tmp_path)
    assert paths.run_id.endswith("-r2") and paths.run_html.name == f"run-{paths.run_id}.html"
    page = paths.run_html.read_text(encoding="utf-8")
    assert static_problems(page) == []
    assert "Not loaded: critical checks failed" in page
    assert "events.cameo_code_in_taxonomy" in page and "&quot;13y&quot;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page  # evidence shown, escaped
    assert 'href="file:///data/in/story%20one.txt"' in page  # link-like reference to the article
    assert page.count("<svg") == 8  # failure rate + seven row-count charts (CHART_TABLES)
    assert "body_not_null" in page and "badge pass" in page
    index = paths.index_html.read_text(encoding="utf-8")
    assert static_problems(index) == []
    for i in range(3):
        assert f'href="run-2025010{i + 1}T000000Z-r{i}.html"' in index


def test_clean_run_is_all_green(small_warehouse: Path, tmp_path: Path) -> None:
    paths = write_report(small_warehouse, run_id="20250101T000000Z-r0", out_dir=tmp_path)
    page = paths.run_html.read_text(encoding="utf-8")
    assert "All checks passed" in page and "badge fail" not in page
    assert "None: every check passed." in page
