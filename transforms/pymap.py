"""A Python function over a column, run on the calling thread.

polars runs a ``map_elements`` function on one of its own threads when the expression is evaluated
next to others in one ``select`` / ``with_columns`` (polars 2.1, also with
``POLARS_MAX_THREADS=1``). Python runs signal handlers on the main thread only, so the time limit
per article of dateline/runtime/isolation.py (a ``SIGALRM`` timer) cannot interrupt a regular expression that
stalls there: the main thread waits inside polars. Extraction therefore applies its Python
functions with :func:`map_py`, a plain loop on the thread that called it, and the time limit covers
all of extraction. The loop costs what ``map_elements`` costs (that is a Python loop too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl


def map_py(series: pl.Series, fn: Callable[[Any], Any], dtype: pl.DataType | type[pl.DataType]) -> pl.Series:
    """``fn`` of each value of ``series`` as a Series of ``dtype`` named like ``series``; nulls
    stay null and ``fn`` never sees them. The same values as
    ``series.map_elements(fn, return_dtype=dtype)``, computed on the calling thread."""
    return pl.Series(series.name, [None if v is None else fn(v) for v in series.to_list()], dtype=dtype)
