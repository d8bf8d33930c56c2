"""transforms.parse: what one input may cost ([limits]) and error isolation per file, record and unit."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest

from dateline.config import Config
from dateline.pipeline.discover import DISCOVER_SCHEMA
from transforms import parse as parse_mod
from transforms.parse import ParseLimits, parse_files

GOOD_BODY = "The foreign ministers met in Vienna on Monday and agreed to hold further talks on trade."
DEEP_5000 = "[" * 5000 + "]" * 5000


def files_frame(files: dict[str, str | bytes]) -> pl.DataFrame:
    """discover()'s frame for in-memory files (name -> content), without touching the disk."""
    raws = [c.encode("utf-8") if isinstance(c, str) else c for c in files.values()]
    return pl.DataFrame(
        {
            "source_path": [f"/in/{name}" for name in files],
            "size_bytes": [len(r) for r in raws],
            "mtime": [datetime(2026, 1, 1, tzinfo=UTC)] * len(raws),
            "raw": raws,
            "read_error": [None] * len(raws),
        },
        schema=DISCOVER_SCHEMA,
    )


def parse(files: dict[str, str | bytes], limits: ParseLimits | None = None) -> list[dict[str, Any]]:
    return parse_files(files_frame(files), limits).to_dicts()


def unit(files: dict[str, str | bytes], limits: ParseLimits | None = None) -> dict[str, Any]:
    (only,) = parse(files, limits)
    return only


# --- the limits ------------------------------------------------------------------------------


def test_limits_default_to_the_config_defaults_and_must_be_positive() -> None:
    cfg = Config()
    assert ParseLimits() == ParseLimits(cfg.max_json_depth, cfg.max_records_per_file, cfg.max_article_chars)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="max_json_depth must be a positive integer"):
            ParseLimits(max_json_depth=bad)


@pytest.mark.parametrize(
    "content",
    [DEEP_5000, '{"a":' * 5000 + "1" + "}" * 5000, '[{"a": ' * 2500 + "0" + "}]" * 2500],
    ids=["arrays", "objects", "mixed"],
)
def test_json_nested_5000_deep_is_too_deep_not_a_recursion_error(content: str) -> None:
    u = unit({"deep.json": content})
    assert (u["quarantine_reason"], u["format"]) == ("too_deep", "json")
    assert u["quarantine_detail"] == (
        "JSON nested 5000 levels deep; the limit is 100 ([limits] max_json_depth)"
    )


def test_json_depth_limit_is_exact_and_ignores_brackets_in_strings() -> None:
    limits = ParseLimits(max_json_depth=3)
    at_limit = json.dumps({"body": GOOD_BODY, "tags": [["x"]]})  # object > array > array: 3
    over = json.dumps({"body": GOOD_BODY, "tags": [[["x"]]]})
    in_strings = json.dumps({"body": GOOD_BODY + ' [[[[{{{{ \\" [[[[', "t": "\\\\"})
    units = parse({"a.json": at_limit, "b.json": over, "c.json": in_strings}, limits)
    assert [u["quarantine_reason"] for u in units] == [None, "too_deep", None]
    assert units[1]["quarantine_detail"].startswith("JSON nested 4 levels deep; the limit is 3")


def test_jsonl_too_deep_line_is_quarantined_alone() -> None:
    lines = [
        json.dumps({"body": GOOD_BODY}),
        "[" * 300 + "]" * 300,
        json.dumps({"body": GOOD_BODY + " Again."}),
    ]
    units = parse({"feed.jsonl": "\n".join(lines)})
    assert [(u["source_record"], u["quarantine_reason"]) for u in units] == [
        (1, None),
        (2, "too_deep"),
        (3, None),
    ]
    assert units[1]["quarantine_detail"] == (
        "line 2: JSON nested 300 levels deep; the limit is 100 ([limits] max_json_depth)"
    )


def test_json_lines_in_a_json_file_are_checked_line_by_line() -> None:
    text = json.dumps({"body": GOOD_BODY}) + "\n" + '{"a": ' * 200 + "1" + "}" * 200 + "\n"
    units = parse({"feed.json": text})
    assert [(u["format"], u["quarantine_reason"]) for u in units] == [("jsonl", None), ("jsonl", "too_deep")]


def test_text_that_starts_with_brackets_is_still_text() -> None:
    text = "[" * 150 + f" Breaking] Ministers meet\n\n{GOOD_BODY}\n"
    u = unit({"note.txt": text})
    assert (u["quarantine_reason"], u["format"], u["body"]) == (None, "bbc", GOOD_BODY)


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("feed.json", json.dumps([{"body": f"{GOOD_BODY} {i}"} for i in range(4)]), "JSON array"),
        (
            "feed.jsonl",
            "\n".join(json.dumps({"body": f"{GOOD_BODY} {i}"}) for i in range(4)),
            "JSON Lines file",
        ),
    ],
)
def test_too_many_records_quarantines_the_whole_file_as_one_unit(name: str, content: str, kind: str) -> None:
    u = unit({name: content}, ParseLimits(max_records_per_file=3))
    assert (u["quarantine_reason"], u["source_record"]) == ("too_many_records", None)
    assert u["quarantine_detail"] == (
        f"{kind} holds 4 records; the limit is 3 ([limits] max_records_per_file): the whole file is quarantined"
    )
    assert u["content_sha256"] == u["file_sha256"]
    at_limit = parse({name: content}, ParseLimits(max_records_per_file=4))
    assert [u["quarantine_reason"] for u in at_limit] == [None] * 4


def test_too_long_article_body() -> None:
    limits = ParseLimits(max_article_chars=len(GOOD_BODY))
    files = {
        "a.txt": f"Headline\n\n{GOOD_BODY}\n",
        "b.txt": f"Headline\n\n{GOOD_BODY}!\n",  # one character more
        "c.json": json.dumps({"title": "Title", "body": GOOD_BODY + "!"}),
        "d.html": f"<html><body><article><p>{GOOD_BODY}!</p></article></body></html>",
    }
    units = parse(files, limits)
    assert [u["quarantine_reason"] for u in units] == [None, "too_long", "too_long", "too_long"]
    n = len(GOOD_BODY)
    assert units[1]["quarantine_detail"] == (
        f"article body has {n + 1} characters; the limit is {n} ([limits] max_article_chars)"
    )
    # the title and dateline do not count: only the body is limited
    assert (
        unit({"e.txt": f"Headline\n\nSEOUL, July 10 (Yonhap) - {GOOD_BODY}\n"}, limits)["quarantine_reason"]
        is None
    )


# --- error isolation -------------------------------------------------------------------------


def test_an_integer_json_cannot_decode_quarantines_its_line_only() -> None:
    lines = [
        json.dumps({"body": GOOD_BODY}),
        '{"body": "x", "n": ' + "1" * 5000 + "}",
        json.dumps({"body": "Ok."}),
    ]
    units = parse({"feed.jsonl": "\n".join(lines), "whole.json": '{"body": "x", "n": ' + "9" * 5000 + "}"})
    assert [(u["source_record"], u["quarantine_reason"]) for u in units] == [
        (1, None),
        (2, "malformed"),
        (3, None),
        (None, "malformed"),
    ]
    assert units[1]["quarantine_detail"].startswith(
        "line 2: unexpected error while decoding JSON: ValueError: Exceeds the limit (4300 digits)"
    )
    assert units[3]["quarantine_detail"].startswith("unexpected error while decoding JSON: ValueError:")


def test_lone_surrogate_in_json_is_replaced_not_fatal() -> None:
    u = unit({"s.json": '{"title": "T \\udc00", "body": "The talks \\ud800 went on until late at night."}'})
    assert u["quarantine_reason"] is None
    assert (u["title"], u["body"]) == ("T \ufffd", "The talks \ufffd went on until late at night.")


def test_huge_epoch_date_is_unparseable_metadata_not_an_error() -> None:
    u = unit({"d.json": json.dumps({"body": GOOD_BODY, "date": 10**400})})
    assert u["quarantine_reason"] is None and u["published_date"] is None


def test_unforeseen_error_in_one_record_quarantines_that_record(monkeypatch: pytest.MonkeyPatch) -> None:
    real = parse_mod._record_unit

    def flaky(obj: Any, where: str, base: dict[str, Any]) -> dict[str, Any]:
        if isinstance(obj, dict) and obj.get("body") == "boom":
            raise RuntimeError("something nobody foresaw")
        return real(obj, where, base)

    monkeypatch.setattr(parse_mod, "_record_unit", flaky)
    records = [{"body": GOOD_BODY}, {"body": "boom"}, {"body": GOOD_BODY + " More."}]
    units = parse({"batch.json": json.dumps(records), "feed.jsonl": "\n".join(map(json.dumps, records))})
    assert [(u["source_record"], u["quarantine_reason"]) for u in units] == [
        (0, None),
        (1, "malformed"),
        (2, None),
        (1, None),
        (2, "malformed"),
        (3, None),
    ]
    assert units[1]["quarantine_detail"] == (
        "element 1: unexpected error while reading the JSON record: RuntimeError: something nobody foresaw"
    )
    assert units[4]["quarantine_detail"].startswith("line 2: unexpected error while reading the JSON record")


def test_unforeseen_error_in_one_file_quarantines_that_file(monkeypatch: pytest.MonkeyPatch) -> None:
    real = parse_mod._decode

    def flaky(raw: bytes) -> tuple[str, str]:
        if raw.startswith(b"BOOM"):
            raise MemoryError("pretend the file was too much")
        return real(raw)

    monkeypatch.setattr(parse_mod, "_decode", flaky)
    units = parse({"a.txt": f"Title\n\n{GOOD_BODY}\n", "b.txt": "BOOM\n\nwhatever"})
    assert [u["quarantine_reason"] for u in units] == [None, "malformed"]
    assert units[1]["quarantine_detail"] == (
        "unexpected error while parsing the file: MemoryError: pretend the file was too much"
    )
    assert units[1]["content_sha256"] == units[1]["file_sha256"] is not None


def test_a_unit_polars_cannot_store_is_quarantined_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    real = parse_mod._record_unit

    def odd(obj: Any, where: str, base: dict[str, Any]) -> dict[str, Any]:
        out = real(obj, where, base)
        return {**out, "title": object()} if obj.get("title") == "odd" else out

    monkeypatch.setattr(parse_mod, "_record_unit", odd)
    records = [{"title": "fine", "body": GOOD_BODY}, {"title": "odd", "body": GOOD_BODY + " Odd."}]
    units = parse({"batch.json": json.dumps(records), "c.txt": f"Title\n\n{GOOD_BODY}\n"})
    assert [(u["source_record"], u["quarantine_reason"]) for u in units] == [
        (0, None),
        (1, "malformed"),
        (None, None),
    ]
    assert units[1]["quarantine_detail"].startswith("unexpected error while storing the parsed unit: ")
    assert units[0]["title"] == "fine"


def test_stage_two_failure_quarantines_only_the_unit_at_fault(monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"{i:02d}.txt": f"Title {i}\n\n{GOOD_BODY} Number {i}.\n" for i in range(9)}
    files["05.txt"] = "Poisoned\n\nPOISON in the text makes stage two raise.\n"
    clean = {u["source_path"]: u for u in parse({k: v for k, v in files.items() if k != "05.txt"})}
    real = parse_mod._dates

    def fragile(df: pl.DataFrame) -> pl.DataFrame:
        if df["text"].str.contains("POISON").any():
            raise pl.exceptions.ComputeError("a polars error on one row")
        return real(df)

    monkeypatch.setattr(parse_mod, "_dates", fragile)
    units = parse(files)
    assert [u["source_path"] for u in units] == [f"/in/{i:02d}.txt" for i in range(9)]
    bad = units.pop(5)
    assert bad["quarantine_reason"] == "malformed" and bad["body"] is None
    assert bad["quarantine_detail"] == (
        "unexpected error while structuring the text and dates: ComputeError: a polars error on one row"
    )
    assert {u["source_path"]: u for u in units} == clean  # the others exactly as without the poison


def test_stage_two_failure_on_every_unit_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(df: pl.DataFrame) -> pl.DataFrame:
        raise RuntimeError("a bug, not bad data")

    monkeypatch.setattr(parse_mod, "_dates", broken)
    with pytest.raises(RuntimeError, match="a bug, not bad data"):
        parse({"a.txt": f"Title\n\n{GOOD_BODY}\n"})


# --- pathological HTML stays linear ----------------------------------------------------------

_PATHOLOGICAL_HTML = {
    "unclosed start tags": "<a" * 100_000,
    "unclosed comments": "<!--" * 50_000,
    "comments closed by '>' only": "<!-->" * 40_000,
    "unclosed end tags": "</" * 100_000,
    "marked sections without end": "<![CDATA[ ]>" * 16_000,
    "deep divs, stray end tags": "<div>" * 20_000 + "</td>" * 20_000,
}


@pytest.mark.parametrize("html", _PATHOLOGICAL_HTML.values(), ids=_PATHOLOGICAL_HTML.keys())
def test_pathological_html_parses_in_linear_time(html: str) -> None:
    # ~200 KB each: seconds to minutes with the quadratic retries of Python 3.11's HTMLParser
    started = time.perf_counter()
    u = unit({"page.html": "<html><body><p>" + GOOD_BODY + "</p>" + html})
    assert time.perf_counter() - started < 5.0
    assert u["quarantine_reason"] in (None, "no_text")


def test_html_sniff_does_not_backtrack_on_runs_of_comments() -> None:
    started = time.perf_counter()
    u = unit(
        {"page": "<!---->" * 26 + "<html><body><article><p>" + GOOD_BODY + "</p></article></body></html>"}
    )
    assert time.perf_counter() - started < 2.0  # exponential before: about 10 s for 26 comments
    assert (u["format"], u["body"]) == ("html", GOOD_BODY)


def test_unclosable_markup_reads_as_text() -> None:
    html = "<html><body><article><p>Prices rose 3% (a < b) and <!-- no end</p></article></body></html> 1 < 2"
    assert parse_mod._defuse_html(html).endswith("</html> 1 &lt; 2")
    u = unit({"page.html": html})
    assert u["quarantine_reason"] is None and u["body"].startswith("Prices rose 3% (a < b) and <!-- no end")
    # an unknown marked section keyword made HTMLParser raise AssertionError: now it is text
    u = unit({"page.html": "<html><body><p>Before <![foo[ after.</p></body></html>"})
    assert (u["quarantine_reason"], u["body"]) == (None, "Before <![foo[ after.")
