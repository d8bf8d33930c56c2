"""Quantities (transforms/quantities.py): money with currency and scale, percentages and
percentage points, durations, counts - each with what it measures where the text says it."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.quantities import extract_quantities
from transforms.sentences import sentences


def quantities(text: str) -> dict[str, tuple]:
    arts = pl.DataFrame(
        {"article_id": ["a"], "body": [text], "published_date": [None]},
        schema_overrides={"published_date": pl.Date},
    )
    q = extract_quantities(arts, sentences(arts))
    return {r[0]: r[1:] for r in q.select("quantity_text", "value", "unit", "currency", "metric").iter_rows()}


@pytest.mark.parametrize(
    ("text", "span", "value", "unit", "currency"),
    [
        ("Toyota earned ¥1.2bn last year.", "¥1.2bn", 1.2e9, "money", "JPY"),
        ("Samsung invested 3 trillion won in chips.", "3 trillion won", 3e12, "money", "KRW"),
        ("The club paid €5m for him.", "€5m", 5e6, "money", "EUR"),
        ("The club paid £300,000 for him.", "£300,000", 3e5, "money", "GBP"),
        ("The fine was 400m yen.", "400m yen", 4e8, "money", "JPY"),
        ("Sales were 2.5 billion euros.", "2.5 billion euros", 2.5e9, "money", "EUR"),
        ("Exports hit $55.6 billion.", "$55.6 billion", 5.56e10, "money", "USD"),
        ("Prices rose 15% in May.", "15%", 15.0, "percent", None),
        ("Prices rose 3.5 per cent.", "3.5 per cent", 3.5, "percent", None),
        ("The rate fell 0.3 percentage points.", "0.3 percentage points", 0.3, "percentage point", None),
        ("They held a 20-minute call.", "20-minute", 20.0, "minute", None),
        ("The talks lasted three days.", "three days", 3.0, "day", None),
        ("Some 40,000 workers protested.", "40,000 workers", 4e4, "count", None),
        ("The plant cut 1.2 million jobs.", "1.2 million jobs", 1.2e6, "count", None),
    ],
)
def test_quantity(text: str, span: str, value: float, unit: str, currency: str | None) -> None:
    got = quantities(text)
    assert span in got, got
    assert got[span][:3] == (pytest.approx(value), unit, currency)


def test_metric_is_the_measure_not_the_words_before_it() -> None:
    got = quantities("Inflation rose 2% while unemployment fell by 0.3 percentage points.")
    assert got["2%"][3] == "inflation"
    assert got["0.3 percentage points"][3] == "unemployment"
    assert quantities("Some 40,000 workers protested.")["40,000 workers"][3] == "workers"


def test_not_quantities() -> None:
    got = quantities("He ran 5m in the 2004 games. She was born in 1990.")
    assert got == {}, got
