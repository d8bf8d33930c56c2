"""Property-based tests of transforms.parse: whatever the bytes, parse_files never raises, every file
yields units, every unit is an article candidate or quarantined with a known reason and a detail,
and route_units gives each unit exactly one route.

Hypothesis runs in-process, derandomized (fixed examples from run to run), with a fixed number of
examples per test (EXAMPLES); the files never touch the disk.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dateline.pipeline.discover import DISCOVER_SCHEMA
from schemas.tables import QUARANTINE_REASONS
from transforms.parse import UNIT_SCHEMA, ParseLimits, parse_files
from transforms.route import KNOWN_SCHEMA, route_units

EXAMPLES = {"batches": 100, "deep": 30, "html": 80, "encodings": 60}
EMPTY_KNOWN = pl.DataFrame(schema=KNOWN_SCHEMA)
SMALL = ParseLimits(max_json_depth=20, max_records_per_file=6, max_article_chars=400)


def _settings(name: str) -> settings:
    return settings(
        max_examples=EXAMPLES[name],
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


# --- strategies ------------------------------------------------------------------------------

EXTENSIONS = ("", ".txt", ".json", ".jsonl", ".ndjson", ".html", ".htm", ".xml", ".bin")

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)
records = st.fixed_dictionaries(
    {"body": json_values | st.text(max_size=200)},
    optional={
        "title": json_values,
        "date": json_values | st.sampled_from(["2025-07-10", "10 Jul 2025", "July 10, 2025"]),
        "source": json_values,
        "url": json_values,
        "dateline": json_values | st.sampled_from(["LONDON 1996-12-06", "WASHINGTON (Reuters)"]),
    },
)
json_docs = st.builds(
    lambda value, ascii_only: json.dumps(value, ensure_ascii=ascii_only),
    json_values | records | st.lists(records | json_values, max_size=8),
    st.booleans(),
)
jsonl_docs = st.lists(json_docs | st.text(max_size=40), max_size=8).map("\n".join)


def nested(depth: int, kind: str) -> str:
    """JSON nested ``depth`` levels: arrays, objects, or both in turn."""
    if kind == "array":
        return "[" * depth + "]" * depth
    if kind == "object":
        return '{"a": ' * depth + "1" + "}" * depth
    half = depth // 2
    return '[{"a": ' * half + "0" + "}]" * half


deep_json = st.builds(nested, st.integers(1, 3000), st.sampled_from(["array", "object", "mixed"]))

HTML_TOKENS = [
    "<html>", "<head>", "<body>", "</body>", "<article>", "</article>", "<main>", "</main>", "<div>", "</div>",
    "<div class='share'>", "<p>", "</p>", "<h1>", "</h1>", "<td>", "</td>", "<br/>", "<nav>", "</nav>",
    "<title>", "</title>", "<meta property='og:title' content='T'>", "<time datetime='2025-07-10'>",
    "<script>", "</script>", "<style>", "<!--", "-->", "<![CDATA[", "]]>", "<![if x]>", "<![endif]>", "<![",
    "<!doctype html>", "<?xml ?>", "<a href=\"x\"", "<a b='", ">", "<", "</", "&amp;", "&#", "&#x110000;",
    "&#xD800;", '"', "'", "=", "\n", " ",
]  # fmt: skip
tag_soup = st.lists(st.sampled_from(HTML_TOKENS) | st.text(max_size=20), max_size=80).map("".join)

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1", "cp1252")
texts = st.one_of(
    st.text(max_size=400),
    st.builds(
        lambda title, opening, body: f"{title}\n\n{opening}{body}\n\nOriginal: https://example.org/x\n",
        st.text(max_size=40),
        st.sampled_from(["", "LONDON 1996-12-06 - ", "WASHINGTON (Reuters) - ", "PARIS, Dec 6 (AFP) - "]),
        st.text(max_size=300),
    ),
)
encoded_texts = st.builds(
    lambda text, enc: text.encode(enc, errors="ignore"), texts, st.sampled_from(ENCODINGS)
)

contents = st.one_of(
    st.binary(max_size=600),
    json_docs,
    jsonl_docs,
    deep_json,
    tag_soup,
    encoded_texts,
)
batches = st.lists(st.tuples(st.sampled_from(EXTENSIONS), contents), min_size=1, max_size=5)


# --- the property ----------------------------------------------------------------------------


def files_frame(files: list[tuple[str, str | bytes]]) -> pl.DataFrame:
    raws = [c.encode("utf-8") if isinstance(c, str) else c for _, c in files]
    return pl.DataFrame(
        {
            "source_path": [f"/in/{i:03d}{ext}" for i, (ext, _) in enumerate(files)],
            "size_bytes": [len(r) for r in raws],
            "mtime": [datetime(2026, 1, 1, tzinfo=UTC)] * len(raws),
            "raw": raws,
            "read_error": [None] * len(raws),
        },
        schema=DISCOVER_SCHEMA,
    )


def check_batch(files: list[tuple[str, str | bytes]], limits: ParseLimits | None = None) -> None:
    frame = files_frame(files)
    units = parse_files(frame, limits)  # never raises
    assert units.schema == UNIT_SCHEMA
    assert set(units["source_path"]) == set(frame["source_path"])  # every file yields a unit
    assert units.select("source_path", "source_record").is_unique().all()
    for u in units.iter_rows(named=True):
        if u["quarantine_reason"] is None:
            assert u["body"] and u["body"].strip(), u  # an article candidate has text
        else:
            assert u["quarantine_reason"] in QUARANTINE_REASONS, u
            assert u["quarantine_detail"] and u["quarantine_detail"].strip(), u
    routed = route_units(units, EMPTY_KNOWN)
    assert routed.height == units.height
    assert routed["route"].is_in(["article", "duplicate", "quarantine"]).all()  # exactly one route each
    assert (routed["route"] == "quarantine").to_list() == routed["quarantine_reason"].is_not_null().to_list()


@_settings("batches")
@given(batches, st.booleans())
def test_any_batch_parses_and_routes(files: list[tuple[str, str | bytes]], small_limits: bool) -> None:
    check_batch(files, SMALL if small_limits else None)


@_settings("deep")
@given(deep_json, st.sampled_from([".json", ".jsonl", ".txt", ""]))
def test_deeply_nested_json(doc: str, ext: str) -> None:
    check_batch([(ext, doc), (ext, nested(5000, "array")), (ext, nested(5000, "object"))])


@_settings("html")
@given(tag_soup, st.sampled_from([".html", ".txt", ""]))
def test_tag_soup(html: str, ext: str) -> None:
    check_batch([(ext, html), (".html", "<html><body>" + html)])


@_settings("encodings")
@given(texts, st.sampled_from(ENCODINGS), st.sampled_from([".txt", ".json", ""]))
def test_text_in_any_encoding(text: str, encoding: str, ext: str) -> None:
    check_batch(
        [(ext, text.encode(encoding, errors="ignore")), (ext, text.encode(encoding, errors="replace"))]
    )
