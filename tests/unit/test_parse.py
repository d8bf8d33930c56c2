"""transforms.parse and transforms.route: formats, encodings, bad inputs, routing (the BBC corpus:
tests/integration/test_parse.py).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest

import dateline.pipeline.discover as discover_module
from dateline.pipeline.discover import discover
from schemas.tables import ENCODINGS, FORMATS, QUARANTINE_REASONS
from tests.paths import REPO
from transforms.parse import UNIT_SCHEMA, detect_language, parse_files
from transforms.route import KNOWN_SCHEMA, RETRY_REASONS, route_units

SEEDS = REPO / "seeds" / "articles"
BAD = REPO / "tests" / "fixtures" / "bad"
SEED = SEEDS / "000_a012fc040dd23e81.txt"

EMPTY_KNOWN = pl.DataFrame(schema=KNOWN_SCHEMA)


def parse_dir(folder: Path, **kwargs) -> pl.DataFrame:
    return parse_files(discover(folder, **kwargs))


def parse_one(tmp_path: Path, name: str, content: str | bytes) -> pl.DataFrame:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return parse_dir(tmp_path)


def by_name(units: pl.DataFrame, name: str) -> pl.DataFrame:
    return units.filter(pl.col("source_path").str.ends_with("/" + name))


@pytest.fixture(scope="module")
def seeds() -> pl.DataFrame:
    return parse_dir(SEEDS)


# --- the seed article ------------------------------------------------------------------------


def test_seed_article(tmp_path: Path) -> None:
    shutil.copy(SEED, tmp_path / SEED.name)
    units = parse_dir(tmp_path)
    assert units.schema == UNIT_SCHEMA
    assert units.height == 1
    u = units.row(0, named=True)
    assert u["format"] == "text"
    assert u["encoding"] == "utf-8"
    assert u["source_record"] is None
    assert u["title"].startswith("South Korea's Chosun Ilbo: South Korea Cannot Meet with the US")
    assert u["outlet"] == "Chosun Ilbo"
    assert u["original_url"] == "https://www.toutiao.com/article/1837228329013440/"
    assert u["statement"] == "This article represents the views of the author."
    assert u["dateline"].startswith("South Korea's Chosun Ilbo, July 10: South Korea-US Trade Talks Stuck")
    assert (u["dateline_month"], u["dateline_day"]) == (7, 10)
    assert u["published_date"] is None
    assert u["date_source"].startswith("unknown")
    assert u["body"].startswith("The communication channels between")
    assert u["body"].endswith("even more difficult.")
    assert "Original:" not in u["body"] and "Statement:" not in u["body"]
    assert u["language"] == "en"
    assert u["quarantine_reason"] is None
    assert u["content_sha256"] == u["file_sha256"] and len(u["content_sha256"]) == 64


# --- each format -----------------------------------------------------------------------------


def test_seed_samples_cover_every_format(seeds: pl.DataFrame) -> None:
    assert seeds.schema == UNIT_SCHEMA
    assert seeds["quarantine_reason"].null_count() == seeds.height
    assert set(seeds["format"]) == set(FORMATS)
    assert (seeds["language"] == "en").all()
    assert seeds.filter(pl.col("format") == "jsonl")["source_record"].to_list() == [1, 2, 3]


def test_json_object(seeds: pl.DataFrame) -> None:
    u = seeds.filter(pl.col("format") == "json").row(0, named=True)
    assert u["source_record"] is None
    assert u["title"] == "EU and Japan agree to resume talks on steel tariffs"
    assert u["outlet"] == "Kyodo News"
    assert u["original_url"] == "https://example.org/news/eu-japan-steel-tariffs"
    assert u["published_date"] == date(2025, 7, 14)
    assert (u["date_precision"], u["date_source"]) == ("day", "metadata:published_at")
    # wire-style dateline at the start of the body is split off
    assert u["dateline"] == "TOKYO, July 14 (Kyodo)"
    assert u["body"].startswith("The European Union and Japan agreed")
    obj = json.loads((SEEDS / "001_eu_japan_tariff_talks.json").read_text())
    assert u["content_sha256"] == hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def test_jsonl_field_name_variants(seeds: pl.DataFrame) -> None:
    rows = seeds.filter(pl.col("format") == "jsonl").sort("source_record").to_dicts()
    assert [r["outlet"] for r in rows] == ["Jakarta Globe", "Bangkok Post", "Manila Bulletin"]
    assert [r["published_date"] for r in rows] == [date(2025, 7, 8), date(2025, 7, 9), date(2025, 7, 11)]
    assert [r["date_source"] for r in rows] == ["metadata:date", "metadata:pubDate", "metadata:published_at"]
    assert rows[1]["original_url"] == "https://example.org/asean/thailand-cambodia-border"
    assert rows[2]["title"].startswith("Philippines and Japan")
    assert len({r["content_sha256"] for r in rows}) == 3
    assert len({r["file_sha256"] for r in rows}) == 1


def test_html_article(seeds: pl.DataFrame) -> None:
    u = seeds.filter(pl.col("format") == "html").row(0, named=True)
    assert u["title"] == "Mercosur leaders postpone vote on EU trade pact"
    assert u["outlet"] == "Southern Cone Report"
    assert u["original_url"] == "https://example.org/mercosur/eu-pact-vote-postponed"
    assert u["published_date"] == date(2025, 7, 4)
    assert u["date_source"] == "metadata:article:published_time"
    assert u["body"].startswith("Leaders of the Mercosur trade bloc")
    assert u["body"].endswith("in its current form.")
    assert u["body"].count("\n\n") == 2
    for junk in (
        "Home",
        "analytics",
        "font-family",
        "All rights reserved",
        "Related:",
        "By our correspondent",
    ):
        assert junk not in u["body"]


def test_html_without_article_uses_largest_paragraph_block(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Port deal | Harbour Times</title></head><body>"
        "<div class='menu'><p>Subscribe now</p></div>"
        "<div><p>Officials from both ports signed the agreement on Monday.</p>"
        "<p>The deal covers container traffic &amp; customs checks.</p></div>"
        "<div><time datetime='2024-03-05T10:00:00Z'>5 March</time></div>"
        "</body></html>"
    )
    u = parse_one(tmp_path, "page.htm", html).row(0, named=True)
    assert u["format"] == "html"
    assert u["title"] == "Port deal | Harbour Times"
    assert u["body"] == (
        "Officials from both ports signed the agreement on Monday.\n\nThe deal covers container traffic & customs checks."
    )
    assert (u["published_date"], u["date_source"]) == (date(2024, 3, 5), "metadata:time[datetime]")


def test_bbc_style_text(seeds: pl.DataFrame) -> None:
    u = seeds.filter(pl.col("format") == "bbc").row(0, named=True)
    assert u["title"] == "Gulf states and India launch energy security dialogue"
    assert u["body"].startswith("Saudi Arabia, the United Arab Emirates and India")
    assert u["body"].count("\n\n") == 3
    assert u["dateline"] is None and u["outlet"] is None and u["published_date"] is None


def test_json_array_records_are_zero_based(tmp_path: Path) -> None:
    records = [
        {"title": "First", "body": "The first story is about a summit between two neighbouring countries."},
        {"title": "No text", "body": "   "},
        "not an object",
    ]
    units = parse_one(tmp_path, "batch.json", json.dumps(records))
    assert units["source_record"].to_list() == [0, 1, 2]
    assert units["quarantine_reason"].to_list() == [None, "no_text", "malformed"]
    assert units["quarantine_detail"][1] == "element 1: no non-empty body/text/content field"
    assert units["format"].to_list() == ["json"] * 3


@pytest.mark.parametrize(
    ("dateline", "outlet", "month_day", "published"),
    [
        (
            "SEOUL, July 10 (Yonhap) - South Korea's trade minister left for Washington.",
            "Yonhap",
            (7, 10),
            None,
        ),
        (
            "July 10, 2025 - South Korea's trade minister left for Washington.",
            None,
            (7, 10),
            date(2025, 7, 10),
        ),
        ("Reuters, Sept. 3, 2024: Ministers meet in Geneva", "Reuters", (9, 3), date(2024, 9, 3)),
    ],
)
def test_dateline_forms(tmp_path: Path, dateline: str, outlet: str | None, month_day, published) -> None:
    text = f"A headline\n\n{dateline}\n\nThe talks will continue next week, officials said on Thursday.\n"
    u = parse_one(tmp_path, "story.txt", text).row(0, named=True)
    assert u["format"] == "text"
    assert u["outlet"] == outlet
    assert (u["dateline_month"], u["dateline_day"]) == month_day
    assert u["published_date"] == published
    if published:
        assert (u["date_source"], u["date_precision"]) == ("dateline", "day")
    assert u["body"].startswith(("South Korea's trade minister", "The talks will continue"))


# --- encodings -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_units() -> pl.DataFrame:
    return parse_dir(BAD)


def test_latin1_and_cp1252_decoding(bad_units: pl.DataFrame) -> None:
    latin = by_name(bad_units, "latin1.txt").row(0, named=True)
    assert latin["encoding"] == "latin-1"
    assert latin["title"] == "Café talks in Montréal end without agreement"
    assert "£40 million" in latin["body"]
    cp = by_name(bad_units, "cp1252.txt").row(0, named=True)
    assert cp["encoding"] == "cp1252"
    assert cp["title"] == "Ministers reject \u201cunfair\u201d levy on imports"
    assert "\u20ac2 billion" in cp["body"]


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        ("Título\n\nEl acuerdo comercial fue firmado.".encode("utf-8-sig"), "utf-8-sig"),
        ("Title\n\nThe trade agreement was signed.".encode("utf-16"), "utf-16"),
        (b"Title\n\nThe trade agreement was signed.", "utf-8"),
    ],
)
def test_unicode_encodings(tmp_path: Path, raw: bytes, encoding: str) -> None:
    u = parse_one(tmp_path, "a.txt", raw).row(0, named=True)
    assert u["encoding"] == encoding
    assert u["title"] in ("Título", "Title")
    assert not u["title"].startswith("\ufeff")
    assert encoding in ENCODINGS


# --- bad inputs ------------------------------------------------------------------------------


def test_every_bad_input_goes_to_exactly_one_place(bad_units: pl.DataFrame) -> None:
    routed = route_units(bad_units, EMPTY_KNOWN)
    # one row per unit, each with exactly one route
    assert routed.height == bad_units.height
    assert routed.select("source_path", "source_record").is_duplicated().sum() == 0
    got = {
        (Path(r["source_path"]).name, r["source_record"]): (r["route"], r["quarantine_reason"])
        for r in routed.iter_rows(named=True)
    }
    assert got == {
        ("binary.bin", None): ("quarantine", "binary"),
        ("empty.txt", None): ("quarantine", "empty"),
        ("latin1.txt", None): ("article", None),
        ("cp1252.txt", None): ("article", None),
        ("malformed.json", None): ("quarantine", "malformed"),
        ("mixed.jsonl", 1): ("article", None),
        ("mixed.jsonl", 2): ("quarantine", "malformed"),
        ("mixed.jsonl", 3): ("article", None),
        ("no_text.html", None): ("quarantine", "no_text"),
        ("original.txt", None): ("article", None),
        ("zz_copy_of_original.txt", None): ("duplicate", None),
    }
    q = routed.filter(pl.col("route") == "quarantine")
    assert q["quarantine_detail"].null_count() == 0
    assert set(q["quarantine_reason"]) <= set(QUARANTINE_REASONS)
    dup = by_name(routed, "zz_copy_of_original.txt").row(0, named=True)
    orig = by_name(routed, "original.txt").row(0, named=True)
    assert dup["article_id"] == orig["article_id"] == orig["content_sha256"][:16]


def test_jsonl_bad_line_is_quarantined_with_its_line_number(bad_units: pl.DataFrame) -> None:
    units = by_name(bad_units, "mixed.jsonl").sort("source_record")
    bad = units.filter(pl.col("quarantine_reason").is_not_null()).row(0, named=True)
    assert bad["source_record"] == 2
    assert bad["quarantine_detail"].startswith("line 2: invalid JSON: Unterminated string")
    good = units.filter(pl.col("quarantine_reason").is_null())
    assert good["title"].to_list() == ["Ministers meet in Geneva", "Talks to resume in autumn"]
    assert good["body"][1].startswith("Negotiators said")  # 'text' field accepted


def test_malformed_json_detail_says_where(bad_units: pl.DataFrame) -> None:
    u = by_name(bad_units, "malformed.json").row(0, named=True)
    assert u["quarantine_detail"] == "invalid JSON: Expecting value at line 3 column 1"


def test_jsonl_detail_format(tmp_path: Path) -> None:
    text = '{"body": "The ministers met in Geneva on Monday to discuss fisheries."}\n\n\n[1, 2'
    units = parse_one(tmp_path, "x.jsonl", text)
    bad = units.filter(pl.col("quarantine_reason") == "malformed").row(0, named=True)
    assert bad["source_record"] == 4  # blank lines still count
    assert bad["quarantine_detail"].startswith("line 4: invalid JSON: Expecting")
    assert units.filter(pl.col("quarantine_reason").is_null()).height == 1


def test_vanished_oversized_and_unreadable_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "big.txt").write_text("Title\n\n" + "word " * 100)
    (tmp_path / "gone.txt").write_text("Title\n\nBody.")
    (tmp_path / "locked.txt").write_text("Title\n\nBody.")
    (tmp_path / "ok.txt").write_text("Title\n\nThe body of the article is here.")
    real_read = discover_module._read

    def flaky_read(path: Path, max_bytes: int) -> bytes:
        if path.name == "gone.txt":
            path.unlink()
        if path.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real_read(path, max_bytes)

    monkeypatch.setattr(discover_module, "_read", flaky_read)
    units = route_units(parse_dir(tmp_path, max_bytes=200), EMPTY_KNOWN)
    got = {Path(r["source_path"]).name: r for r in units.iter_rows(named=True)}
    assert got["big.txt"]["quarantine_reason"] == "oversized"
    assert got["big.txt"]["quarantine_detail"].endswith(" bytes > max 200")  # not 'oversized: ...' again
    assert got["gone.txt"]["quarantine_reason"] == "unreadable"
    assert got["gone.txt"]["quarantine_detail"].startswith("vanished: ")
    assert got["locked.txt"]["quarantine_detail"] == "Permission denied"
    for name in ("big.txt", "gone.txt", "locked.txt"):
        assert got[name]["route"] == "quarantine"
        assert got[name]["content_sha256"] is None and got[name]["file_sha256"] is None
    assert got["ok.txt"]["route"] == "article"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("blank.txt", "  \n\n\t \n", "empty"),
        ("ctrl.dat", bytes(range(1, 32)) * 10, "binary"),
        ("title_only.txt", "Title\n\nOriginal: https://example.org/x\n", "no_text"),
        ("empty_array.json", "[]", "empty"),
        ("scalar.json", '"just a string"', "malformed"),
    ],
)
def test_more_bad_inputs(tmp_path: Path, name: str, content: str | bytes, reason: str) -> None:
    units = parse_one(tmp_path, name, content)
    assert units.height == 1
    assert units["quarantine_reason"][0] == reason
    assert units["quarantine_detail"][0]


def test_text_starting_with_bracket_is_not_json(tmp_path: Path) -> None:
    u = parse_one(tmp_path, "note.txt", "[Updated] Ministers meet\n\nThe ministers met on Monday.").row(
        0, named=True
    )
    assert u["format"] == "bbc" and u["title"] == "[Updated] Ministers meet"


def test_empty_input_frame() -> None:
    empty = pl.DataFrame(schema=discover_module.DISCOVER_SCHEMA)
    assert parse_files(empty).schema == UNIT_SCHEMA


# --- language --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        (
            "en",
            "The minister said that the talks with the delegation would continue and that both sides were"
            " ready to compromise on the main issues.",
        ),
        (
            "de",
            "Der Minister sagte, dass die Gespräche mit der Delegation fortgesetzt werden und dass beide"
            " Seiten zu einem Kompromiss bei den wichtigsten Fragen bereit sind.",
        ),
        (
            "fr",
            "Le ministre a déclaré que les discussions avec la délégation se poursuivraient et que les deux"
            " parties étaient prêtes à un compromis sur les principales questions.",
        ),
        (
            "es",
            "El ministro dijo que las conversaciones con la delegación continuarán y que ambas partes"
            " están dispuestas a llegar a un acuerdo sobre los temas principales.",
        ),
        (
            "it",
            "Il ministro ha detto che i colloqui con la delegazione continueranno e che entrambe le parti"
            " sono pronte a un compromesso sulle questioni principali della trattativa.",
        ),
        (
            "pt",
            "O ministro disse que as conversas com a delegação vão continuar e que os dois lados estão"
            " prontos para um acordo sobre as principais questões da negociação.",
        ),
        (
            "nl",
            "De minister zei dat de gesprekken met de delegatie worden voortgezet en dat beide partijen"
            " bereid zijn tot een compromis over de belangrijkste kwesties van het overleg.",
        ),
        (None, "Talks resume."),
        (None, None),
    ],
)
def test_detect_language(lang: str | None, text: str | None) -> None:
    assert detect_language(pl.Series("t", [text], dtype=pl.String)).to_list() == [lang]


# --- routing ---------------------------------------------------------------------------------


def _unit(path: str, sha: str, record: int | None = None, reason: str | None = None) -> dict:
    return {"source_path": path, "source_record": record, "content_sha256": sha, "quarantine_reason": reason}


def _units(*rows: dict) -> pl.DataFrame:
    schema = {
        "source_path": pl.String,
        "source_record": pl.Int64,
        "content_sha256": pl.String,
        "quarantine_reason": pl.String,
    }
    return pl.DataFrame(list(rows), schema=schema)


def _known(*rows: tuple) -> pl.DataFrame:
    """Known units; a row without its quarantine reason (the 6th field) has a NULL one."""
    return pl.DataFrame([(*r, None)[:6] for r in rows], schema=KNOWN_SCHEMA, orient="row")


def test_route_new_duplicate_and_quarantine_in_one_batch() -> None:
    a, b = "a" * 64, "b" * 64
    units = _units(
        _unit("/in/z.txt", a),  # later path: the duplicate even though it comes first in the frame
        _unit("/in/a.txt", a),
        _unit("/in/m.jsonl", b, 1),
        _unit("/in/m.jsonl", b, 2),
        _unit("/in/q.bin", "c" * 64, reason="binary"),
    )
    out = route_units(units, EMPTY_KNOWN)
    assert out["source_path"].to_list() == units["source_path"].to_list()  # order kept
    assert out["route"].to_list() == ["duplicate", "article", "article", "duplicate", "quarantine"]
    assert out["article_id"].to_list() == ["a" * 16, "a" * 16, "b" * 16, "b" * 16, None]
    assert not out["replaces"].any()


def test_route_unchanged_duplicate_of_warehouse_and_replaces() -> None:
    a, b, c, d = "a" * 64, "b" * 64, "c" * 64, "d" * 64
    known = _known(
        ("/in/a.txt", None, a, "a" * 16, "article"),
        ("/in/j.jsonl", 1, b, "b" * 16, "article"),
        ("/in/j.jsonl", 2, c, None, "quarantine"),
        ("/in/changed.txt", None, d, "d" * 16, "article"),
    )
    units = _units(
        _unit("/in/a.txt", a),  # same path, record, content -> unchanged
        _unit("/in/j.jsonl", b, 1),  # unchanged
        _unit("/in/j.jsonl", c, 2, reason="malformed"),  # still bad, same bytes -> unchanged
        _unit("/in/new.txt", a),  # same content as a warehouse article at another path
        _unit("/in/changed.txt", "e" * 64),  # changed file: new article replacing the old one
        _unit("/in/moved.txt", d),  # content of the article being replaced -> a new article
    )
    out = route_units(units, known).to_dicts()
    assert [r["route"] for r in out] == [
        "unchanged",
        "unchanged",
        "unchanged",
        "duplicate",
        "article",
        "article",
    ]
    assert [r["article_id"] for r in out] == ["a" * 16, "b" * 16, None, "a" * 16, "e" * 16, "d" * 16]
    assert [r["replaces"] for r in out] == [False, False, False, False, True, False]


def test_route_changed_jsonl_line_and_fixed_quarantine() -> None:
    known = _known(
        ("/in/j.jsonl", 2, "1" * 64, None, "quarantine"),
        ("/in/j.jsonl", 3, "2" * 64, "2" * 16, "article"),
    )
    units = _units(_unit("/in/j.jsonl", "3" * 64, 2), _unit("/in/j.jsonl", "2" * 64, 3))
    out = route_units(units, known)
    # the file changed, so it is routed again as a whole: line 3 (same content) is its article
    # again, since the loader replaces the file's rows as a whole (left 'unchanged' it was lost)
    assert out["route"].to_list() == ["article", "article"]
    assert out["article_id"].to_list() == ["3" * 16, "2" * 16]
    assert out["replaces"].to_list() == [True, True]


def test_route_a_file_that_lost_a_record_is_routed_again() -> None:
    """Lines 1 and 2 unchanged, line 3 gone: the file changed, its remaining lines are routed again."""
    known = _known(
        ("/in/j.jsonl", 1, "1" * 64, "1" * 16, "article"),
        ("/in/j.jsonl", 2, "2" * 64, None, "quarantine"),
        ("/in/j.jsonl", 3, "3" * 64, "3" * 16, "article"),
        ("/in/k.jsonl", 1, "1" * 64, "1" * 16, "duplicate"),
    )
    units = _units(
        _unit("/in/j.jsonl", "1" * 64, 1),
        _unit("/in/j.jsonl", "2" * 64, 2, reason="malformed"),
        _unit("/in/k.jsonl", "1" * 64, 1),
    )
    out = route_units(units, known)
    assert out["route"].to_list() == ["article", "quarantine", "unchanged"]
    assert out["replaces"].to_list() == [True, True, False]


def test_route_a_known_file_that_cannot_be_read_is_kept() -> None:
    """A read failure at a path with recorded rows keeps them (route 'kept', nothing replaced);
    at a new path it is quarantined; a path now seen to be a link outside is replaced."""
    a, b, c = "a" * 64, "b" * 64, "c" * 64
    known = _known(
        ("/in/a.txt", None, a, "a" * 16, "article"),
        ("/in/j.jsonl", 1, b, "b" * 16, "article"),
        ("/in/j.jsonl", 2, c, None, "quarantine", "malformed"),
        ("/in/bin.dat", None, "d" * 64, None, "quarantine", "binary"),
        ("/in/still.txt", None, None, None, "quarantine", "unreadable"),
        ("/in/link.txt", None, c, "c" * 16, "article"),
    )
    units = _units(
        _unit("/in/a.txt", None, reason="unreadable"),  # permission denied this time
        _unit("/in/bin.dat", None, reason="unreadable"),  # vanished between listing and read
        _unit("/in/copy.txt", a),  # a copy of the kept article: its duplicate
        _unit("/in/j.jsonl", None, reason="unreadable"),  # a whole JSON Lines file kept
        _unit("/in/link.txt", None, reason="outside_input"),  # now a link outside: replaced
        _unit("/in/new.txt", None, reason="unreadable"),  # nothing recorded: quarantined
        _unit("/in/still.txt", None, reason="unreadable"),  # unreadable as recorded: unchanged
    )
    out = route_units(units, known)
    assert out["route"].to_list() == [
        "kept",
        "kept",
        "duplicate",
        "kept",
        "quarantine",
        "quarantine",
        "unchanged",
    ]
    assert out["replaces"].to_list() == [False, False, False, False, True, False, False]
    assert out["article_id"].to_list() == [None, None, "a" * 16, None, None, None, None]


def test_route_retry_reasons_route_a_set_aside_file_again() -> None:
    """--rehash: a file with a unit quarantined for a reason to retry is routed again as a
    whole; other quarantined files stay unchanged; without retry_reasons all are unchanged."""
    t, f1, f2, m = "1" * 64, "2" * 64, "3" * 64, "4" * 64
    known = _known(
        ("/in/slow.txt", None, t, None, "quarantine", "extract_timeout"),
        ("/in/f.jsonl", 1, f1, "2" * 16, "article"),
        ("/in/f.jsonl", 2, f2, None, "quarantine", "extract_failed"),
        ("/in/m.json", None, m, None, "quarantine", "malformed"),
    )
    units = _units(
        _unit("/in/f.jsonl", f1, 1),
        _unit("/in/f.jsonl", f2, 2),
        _unit("/in/m.json", m, reason="malformed"),
        _unit("/in/slow.txt", t),
    )
    plain = route_units(units, known)
    assert plain["route"].to_list() == ["unchanged"] * 4
    out = route_units(units, known, retry_reasons=RETRY_REASONS)
    assert out["route"].to_list() == ["article", "article", "unchanged", "article"]
    assert out["replaces"].to_list() == [True, True, False, True]
    assert out["article_id"].to_list() == ["2" * 16, "3" * 16, None, "1" * 16]
    only_timeouts = route_units(units, known, retry_reasons={"extract_timeout"})
    assert only_timeouts["route"].to_list() == ["unchanged", "unchanged", "unchanged", "article"]


def test_crlf_text_and_json_lines_in_a_json_file(tmp_path: Path) -> None:
    (tmp_path / "crlf.txt").write_bytes(
        b"Ministers meet\r\n\r\nThe ministers met in Rome.\r\n\r\nThey agreed to meet again.\r\n\r\nOriginal: https://example.org/a\r\n"
    )
    (tmp_path / "lines.json").write_text(
        '{"title": "One", "body": "The first record of the file."}\n{"title": "Two", "body": "The second record."}\n'
    )
    units = parse_dir(tmp_path)
    crlf = by_name(units, "crlf.txt").row(0, named=True)
    assert crlf["title"] == "Ministers meet"
    assert crlf["body"] == "The ministers met in Rome.\n\nThey agreed to meet again."
    assert crlf["original_url"] == "https://example.org/a"
    lines = by_name(units, "lines.json")
    assert lines["format"].to_list() == ["jsonl", "jsonl"]
    assert lines["source_record"].to_list() == [1, 2]


def test_single_paragraph_without_title(tmp_path: Path) -> None:
    text = (
        "The foreign ministers of the two countries met on Monday in Vienna and agreed to restore direct flights,"
        " reopen consulates and hold a further round of talks on trade before the end of the year."
    )
    u = parse_one(tmp_path, "para.txt", text).row(0, named=True)
    assert u["title"] is None and u["body"] == text and u["format"] == "text"
