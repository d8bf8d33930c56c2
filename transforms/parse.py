"""Parse discovered files into article units.

:func:`parse_files` takes :func:`dateline.pipeline.discover.discover`'s frame (one row per file, raw bytes)
and returns one row per *unit*: an article candidate, or a unit that goes to quarantine.

It works in two stages:

1. Per file, in Python (unavoidable: bytes have to be decoded and JSON / HTML parsed):
   decode, detect binary / empty input, sniff the format, and split JSON arrays and JSON Lines
   into records. Structured formats (JSON, JSON Lines, HTML) yield their fields here; plain
   text yields its decoded text.
2. On the whole frame, with polars expressions: split plain text into title, dateline,
   body and trailing ``Original:`` / ``Statement:`` metadata; find datelines (wire-service ones
   included); parse dates; detect the language (stopword profiles); quarantine units without
   text or with too long a body.

A bad input never stops the batch: any exception while parsing one file, record or unit
quarantines that unit (``malformed``, the exception and the stage in the detail), and
:class:`ParseLimits` bound what one unit may cost (``too_deep``, ``too_many_records``,
``too_long``).
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from itertools import accumulate
from pathlib import PurePosixPath
from typing import Any

import polars as pl

from schemas.tables import QUARANTINE_REASONS

__all__ = ["UNIT_SCHEMA", "ParseLimits", "detect_language", "parse_files"]


@dataclass(frozen=True)
class ParseLimits:
    """What one input unit may cost; a unit over a limit is quarantined (reason in brackets).

    The defaults are those of ``[limits]`` in dateline.toml (dateline/config.py ``Config``).

    * ``max_json_depth``: nesting of arrays/objects in a JSON file or JSON Lines record
      [``too_deep``]. Checked by a linear scan before decoding, so a deep file costs no recursion.
      Keep it well below Python's recursion limit (1000): deeper JSON than that cannot be decoded
      and would be quarantined as ``malformed``.
    * ``max_records_per_file``: records in one JSON array or JSON Lines file
      [``too_many_records``]. The whole file becomes one quarantined unit: loading only part of a
      feed would be a surprise.
    * ``max_article_chars``: characters of one article's body [``too_long``].
    """

    max_json_depth: int = 100
    max_records_per_file: int = 100_000
    max_article_chars: int = 500_000

    def __post_init__(self) -> None:
        for name in ("max_json_depth", "max_records_per_file", "max_article_chars"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"ParseLimits.{name} must be a positive integer, got {value!r}")


UNIT_SCHEMA = pl.Schema(
    {
        "source_path": pl.String(),
        "source_record": pl.Int64(),
        "content_sha256": pl.String(),
        "file_sha256": pl.String(),
        "size_bytes": pl.Int64(),
        "mtime": pl.Datetime("us", "UTC"),
        "format": pl.String(),
        "encoding": pl.String(),
        "title": pl.String(),
        "outlet": pl.String(),
        "original_url": pl.String(),
        "dateline": pl.String(),
        "statement": pl.String(),
        "body": pl.String(),
        "published_date": pl.Date(),
        "date_precision": pl.String(),
        "date_source": pl.String(),
        "dateline_month": pl.Int8(),
        "dateline_day": pl.Int8(),
        "language": pl.String(),
        "quarantine_reason": pl.String(),
        "quarantine_detail": pl.String(),
    }
)

# What stage 1 hands to stage 2, one struct per unit.
_RAW_UNIT = pl.Struct(
    {
        "source_record": pl.Int64,
        "content_sha256": pl.String,
        "file_sha256": pl.String,
        "format": pl.String,  # NULL for plain text: stage 2 decides 'text' or 'bbc'
        "encoding": pl.String,
        "text": pl.String,  # decoded plain text (plain files only)
        "title": pl.String,
        "outlet": pl.String,
        "original_url": pl.String,
        "dateline": pl.String,
        "statement": pl.String,
        "body": pl.String,
        "date_raw": pl.String,
        "date_field": pl.String,
        "quarantine_reason": pl.String,
        "quarantine_detail": pl.String,
    }
)

# --------------------------------------------------------------------------------------------
# Stage 1: decoding and format sniffing (per file)
# --------------------------------------------------------------------------------------------

_ALLOWED_CTRL = b"\t\n\r\x0b\x0c"
_TEXT_BYTES = bytes(b for b in range(256) if (b >= 0x20 and b != 0x7F) or b in _ALLOWED_CTRL)
_C1_RANGE = re.compile(rb"[\x80-\x9f]")
_BINARY_CTRL_RATIO = 0.05
_SNIFF_BYTES = 8192
_MAX_ERROR_CHARS = 300  # of an exception's message in a quarantine detail
_JSON_ESCAPE = re.compile(r"\\.", re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Reject(Exception):
    """Internal control flow: this unit goes to quarantine for ``reason``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _decode(raw: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)`` or raise :class:`_Reject` ('empty' / 'binary' / 'undecodable')."""
    if not raw:
        raise _Reject("empty", "file is empty (0 bytes)")
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _Reject(
                "undecodable", f"UTF-8 byte-order mark but invalid UTF-8 at byte {exc.start}"
            ) from exc
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise _Reject(
                "undecodable", f"UTF-16 byte-order mark but invalid UTF-16 at byte {exc.start}"
            ) from exc
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise _Reject("binary", f"NUL byte at offset {nul}")
    sample = raw[:_SNIFF_BYTES]
    ctrl = len(sample.translate(None, _TEXT_BYTES))
    if ctrl / len(sample) > _BINARY_CTRL_RATIO:
        raise _Reject("binary", f"{ctrl} control bytes in the first {len(sample)} bytes")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _C1_RANGE.search(raw):
        try:
            return raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1"), "latin-1"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical_sha(obj: Any) -> str:
    return _sha(json.dumps(obj, sort_keys=True).encode("utf-8"))


# (the comment run is possessive: a run of '<!---->' would otherwise backtrack exponentially)
_HTML_SNIFF = re.compile(
    r"\s*(?:<!--.*?-->\s*)*+<(?:!doctype\s+html|html|head|body|article|meta|title)\b", re.I | re.S
)
_HTML_EXT = frozenset({".html", ".htm", ".xhtml"})
_JSONL_EXT = frozenset({".jsonl", ".ndjson", ".jsonlines"})


def _unit(**fields: Any) -> dict[str, Any]:
    return fields


def _bad(reason: str, detail: str, **fields: Any) -> dict[str, Any]:
    return _unit(quarantine_reason=reason, quarantine_detail=detail, **fields)


def _read_failure(read_error: str | None) -> tuple[str, str]:
    """(quarantine reason, detail) of a file discovery did not read; the detail does not repeat
    the reason. An error without a known reason prefix is 'unreadable', its text the detail."""
    reason, sep, detail = (read_error or "").partition(": ")
    if sep and reason in QUARANTINE_REASONS and detail:
        return reason, detail
    return "unreadable", read_error or "no bytes"


def _file_units(
    path: str, raw: bytes | None, read_error: str | None, limits: ParseLimits
) -> list[dict[str, Any]]:
    """Stage 1 for one file: the units it holds (each a dict of ``_RAW_UNIT`` fields)."""
    if raw is None:
        return [_bad(*_read_failure(read_error))]
    file_sha = _sha(raw)
    try:
        text, encoding = _decode(raw)
    except _Reject as rej:
        return [_bad(rej.reason, rej.detail, content_sha256=file_sha, file_sha256=file_sha)]
    common = {"file_sha256": file_sha, "encoding": encoding}
    if not text.strip():
        return [_bad("empty", "file holds only whitespace", content_sha256=file_sha, format=None, **common)]

    # the format is sniffed from the name without '.gz' (discovery decompressed the content)
    ext = PurePosixPath(re.sub(r"\.gz$", "", path, flags=re.I)).suffix.lower()
    head = text.lstrip()[:1]
    if ext in _JSONL_EXT:
        return _jsonl_units(text, common, limits)
    if ext == ".json" or head in ("{", "["):
        units = _json_file_units(text, ext == ".json", common, limits)
        if units is not None:
            return units
    if ext in _HTML_EXT or _HTML_SNIFF.match(text[:2000]):
        return [_html_unit(text, file_sha, common)]
    return [_unit(content_sha256=file_sha, format=None, text=text, **common)]


def _describe(exc: BaseException) -> str:
    """``Type: message`` of an unforeseen exception, for a quarantine detail (message cut short)."""
    message = " ".join(str(exc).split())
    if len(message) > _MAX_ERROR_CHARS:
        message = message[:_MAX_ERROR_CHARS] + "..."
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _json_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text``, found without decoding it (no recursion).

    One linear pass: escapes are dropped first (so an escaped quote cannot end a string), the text
    between double quotes is dropped, and the running count of the remaining brackets is taken.
    Invalid JSON gets a number too; the decoder says what is wrong with it afterwards.
    """
    outside_strings = "".join(_JSON_ESCAPE.sub("", text).split('"')[::2])
    brackets = _NOT_BRACKET.sub("", outside_strings)
    return max(0, max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0))


def _too_deep(text: str, limits: ParseLimits) -> str | None:
    """The quarantine detail when ``text`` nests deeper than ``limits.max_json_depth``, else None."""
    depth = _json_depth(text)
    if depth <= limits.max_json_depth:
        return None
    return f"JSON nested {depth} levels deep; the limit is {limits.max_json_depth} ([limits] max_json_depth)"


def _too_many(kind: str, n: int, limits: ParseLimits) -> str:
    return (
        f"{kind} holds {n} records; the limit is {limits.max_records_per_file} "
        "([limits] max_records_per_file): the whole file is quarantined"
    )


def _json_file_units(
    text: str, dot_json: bool, common: dict[str, Any], limits: ParseLimits
) -> list[dict[str, Any]] | None:
    """Units of a ``.json`` file or of a file that starts with a bracket.

    None when such a file turns out not to be JSON (a text that merely starts with a bracket).
    JSON Lines content in a ``.json`` file is read line by line.
    """
    fields = {"content_sha256": common["file_sha256"], "format": "json", **common}
    too_deep = _too_deep(text, limits)
    if too_deep is not None:
        if _looks_like_jsonl(text, limits):
            return _jsonl_units(text, common, limits)  # each line is checked on its own
        if not dot_json and text.rstrip()[-1:] not in ("]", "}"):
            return None  # cannot be JSON: a text that merely starts with brackets
        return [_bad("too_deep", too_deep, **fields)]
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        if _looks_like_jsonl(text, limits):
            return _jsonl_units(text, common, limits)
        if dot_json:
            return [_bad("malformed", f"invalid JSON: {_json_error(exc, with_line=True)}", **fields)]
        return None
    except Exception as exc:  # e.g. ValueError: an integer of more than 4300 digits
        return [_bad("malformed", f"unexpected error while decoding JSON: {_describe(exc)}", **fields)]
    return _json_units(obj, common, limits)


def _json_error(exc: json.JSONDecodeError, *, with_line: bool) -> str:
    where = f"line {exc.lineno} column {exc.colno}" if with_line else f"column {exc.colno}"
    return f"{exc.msg} {where}" if exc.msg.endswith(" at") else f"{exc.msg} at {where}"


def _looks_like_jsonl(text: str, limits: ParseLimits) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2 or _too_deep(lines[0], limits) is not None:
        return False
    try:
        return isinstance(json.loads(lines[0]), dict)
    except Exception:  # not JSON (or JSON the decoder cannot take): not JSON Lines either
        return False


def _jsonl_units(text: str, common: dict[str, Any], limits: ParseLimits) -> list[dict[str, Any]]:
    """One unit per non-blank line (``source_record`` = line number); a bad line is quarantined
    alone. A file of more than ``limits.max_records_per_file`` lines is one quarantined unit."""
    lines = text.split("\n")
    n_records = sum(1 for line in lines if line.strip())
    if n_records > limits.max_records_per_file:
        detail = _too_many("JSON Lines file", n_records, limits)
        return [
            _bad("too_many_records", detail, content_sha256=common["file_sha256"], format="jsonl", **common)
        ]
    units: list[dict[str, Any]] = []
    for lineno, line in enumerate(lines, start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        sha = _sha(line.encode("utf-8"))
        base = {"source_record": lineno, "content_sha256": sha, "format": "jsonl", **common}
        too_deep = _too_deep(line, limits)
        if too_deep is not None:
            units.append(_bad("too_deep", f"line {lineno}: {too_deep}", **base))
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            detail = f"line {lineno}: invalid JSON: {_json_error(exc, with_line=False)}"
            units.append(_bad("malformed", detail, **base))
            continue
        except Exception as exc:  # e.g. ValueError: an integer of more than 4300 digits
            detail = f"line {lineno}: unexpected error while decoding JSON: {_describe(exc)}"
            units.append(_bad("malformed", detail, **base))
            continue
        units.append(_record_unit_isolated(obj, f"line {lineno}", base))
    if not units:
        units.append(_bad("empty", "JSON Lines file holds no records", format="jsonl", **common))
    return units


def _json_units(obj: Any, common: dict[str, Any], limits: ParseLimits) -> list[dict[str, Any]]:
    """Units of a decoded JSON file: one object, or an array of records (``source_record`` = index).

    An array of more than ``limits.max_records_per_file`` records is one quarantined unit.
    """
    file_fields = {"content_sha256": common["file_sha256"], "format": "json", **common}
    if isinstance(obj, dict):
        return [_record_unit_isolated(obj, "JSON object", {"format": "json", **common})]
    if isinstance(obj, list):
        if not obj:
            return [_bad("empty", "JSON array holds no records", **file_fields)]
        if len(obj) > limits.max_records_per_file:
            return [_bad("too_many_records", _too_many("JSON array", len(obj), limits), **file_fields)]
        return [
            _record_unit_isolated(item, f"element {i}", {"source_record": i, "format": "json", **common})
            for i, item in enumerate(obj)
        ]
    kind = type(obj).__name__
    return [
        _bad("malformed", f"top-level JSON value is a {kind}, expected an object or an array", **file_fields)
    ]


# Field names accepted in JSON records, in order of preference (matched case-insensitively).
TITLE_KEYS = ("title", "headline")
BODY_KEYS = ("body", "text", "content", "article_body", "articlebody", "full_text", "fulltext", "maintext")
URL_KEYS = ("url", "link", "original_url", "source_url", "canonical_url")
DATE_KEYS = (
    "published_at",
    "published",
    "date",
    "pubdate",
    "published_date",
    "publish_date",
    "date_published",
    "datepublished",
)
OUTLET_KEYS = ("source", "outlet", "publisher", "site_name", "source_name", "publication")


def _pick(obj: dict[str, Any], keys: tuple[str, ...]) -> tuple[str | None, Any]:
    lowered = {str(k).lower(): k for k in obj}
    for key in keys:
        if key in lowered:
            value = obj[lowered[key]]
            if value not in (None, "", [], {}):
                return lowered[key], value
    return None, None


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        # JSON escapes can spell lone UTF-16 surrogates ("\\ud800"), which are no text (and which
        # polars cannot store): each becomes U+FFFD, the replacement character
        return _SURROGATE.sub("\ufffd", value).strip() or None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n\n".join(v.strip() for v in value if v.strip()) or None
    if isinstance(value, dict):
        return _as_text(value.get("name") or value.get("title"))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _as_date_text(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            seconds = value / 1000 if value > 1e11 else value  # epoch milliseconds or seconds
            return datetime.fromtimestamp(seconds, tz=UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    return _as_text(value)


def _record_unit_isolated(obj: Any, where: str, base: dict[str, Any]) -> dict[str, Any]:
    """:func:`_record_unit` with its content hash, and any exception it raises quarantining this
    record alone (``malformed``, the exception in the detail) instead of the file or the batch."""
    try:
        return _record_unit(obj, where, {"content_sha256": _canonical_sha(obj), **base})
    except Exception as exc:
        detail = f"{where}: unexpected error while reading the JSON record: {_describe(exc)}"
        return _bad("malformed", detail, **base)


def _record_unit(obj: Any, where: str, base: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(obj, dict):
        return _bad("malformed", f"{where}: expected a JSON object, got {type(obj).__name__}", **base)
    _, body = _pick(obj, BODY_KEYS)
    body = _as_text(body)
    if body is None:
        return _bad("no_text", f"{where}: no non-empty body/text/content field", **base)
    date_key, date_value = _pick(obj, DATE_KEYS)
    return _unit(
        title=_as_text(_pick(obj, TITLE_KEYS)[1]),
        outlet=_as_text(_pick(obj, OUTLET_KEYS)[1]),
        original_url=_as_text(_pick(obj, URL_KEYS)[1]),
        dateline=_as_text(_pick(obj, ("dateline",))[1]),
        statement=_as_text(_pick(obj, ("statement",))[1]),
        body=body,
        date_raw=_as_date_text(date_value),
        date_field=date_key,
        **base,
    )


# --- HTML ------------------------------------------------------------------------------------

_DROP = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "object", "canvas"})
_BOILERPLATE = frozenset({"nav", "footer", "header", "aside", "form", "figcaption", "button", "select"})
# class / id values of elements that hold page furniture, not article text
_BOILER_CLASS = re.compile(
    r"(?i)(?:^|[\s_-])(?:byline|author|dateline|share|social|related|promo|caption|credit|advert|ads?"
    r"|newsletter|subscribe|cookie|breadcrumbs?|comments?|tags?)(?:$|[\s_-])"
)
_CONTAINERS = frozenset({"body", "div", "section", "article", "main", "td", "blockquote"})
_BLOCKS = _CONTAINERS | frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "pre", "dt", "dd", "tr", "table", "br", "hr"}
)
_PARAGRAPHS = frozenset({"p", "blockquote", "pre", "h2", "h3", "h4", "li"})
_DATE_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "date",
    "pubdate",
    "publishdate",
    "publish-date",
    "dc.date",
    "dc.date.issued",
    "dcterms.date",
    "parsely-pub-date",
    "sailthru.date",
)


_COMMENT_CLOSE = re.compile(r"--\s*>")  # html.parser's ends of a comment and of marked sections
_SECTION_CLOSE = re.compile(r"]\s*>")
_CDATA_CLOSE = re.compile(r"]\s*]\s*>")
_OPENERS = re.compile(r"<!(?:--|\[([a-zA-Z][-_.a-zA-Z0-9]*)?)")  # comments and marked sections
_CDATA_SECTIONS = frozenset({"temp", "cdata", "ignore", "include", "rcdata"})
_MS_SECTIONS = frozenset({"if", "else", "endif"})


class _HTMLText(HTMLParser):
    """Collect title, meta fields and text blocks (with where each block sits)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title_parts: list[str] = []
        self.in_title = False
        self.drop = 0
        self.boiler = 0
        self.article = -1  # index of the <article> we are in, -1 outside
        self.n_articles = 0
        self.article_stack: list[int] = []
        self.main = 0
        self.containers: list[tuple[str, int]] = [("root", 0)]
        self.open_containers: dict[str, int] = {}  # tag -> how many of ``containers`` it is
        self.n_containers = 0
        self.block_tag = "root"
        self.buf: list[str] = []
        self.blocks: list[tuple[str, str, int, bool, int, bool]] = []
        self.time_dates: list[tuple[bool, str]] = []
        self.canonical: str | None = None
        self.boiler_tags: list[str] = []  # open elements whose class/id marks them as boilerplate

    def _flush(self) -> None:
        text = " ".join("".join(self.buf).split())
        self.buf = []
        if text:
            self.blocks.append(
                (self.block_tag, text, self.article, self.main > 0, self.containers[-1][1], self.boiler > 0)
            )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key and "content" in a and key not in self.meta:
                self.meta[key] = a["content"].strip()
            return
        if tag == "link" and "canonical" in a.get("rel", "").lower():
            self.canonical = self.canonical or a.get("href")
            return
        if tag == "time" and a.get("datetime"):
            self.time_dates.append((self.article >= 0, a["datetime"].strip()))
        if tag == "title":
            self.in_title = True
            return
        if tag in _DROP:
            self.drop += 1
            return
        if tag in _BLOCKS:
            self._flush()
            if tag in ("br", "hr"):
                return
            self.block_tag = tag
        if tag in _BOILERPLATE:
            self.boiler += 1
        elif _BOILER_CLASS.search(a.get("class", "") + " " + a.get("id", "")):
            self.boiler += 1
            self.boiler_tags.append(tag)
        if tag == "article":
            self.article_stack.append(self.article)
            self.article = self.n_articles
            self.n_articles += 1
        if tag == "main":
            self.main += 1
        if tag in _CONTAINERS:
            self.n_containers += 1
            self.containers.append((tag, self.n_containers))
            self.open_containers[tag] = self.open_containers.get(tag, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
            return
        if tag in _DROP:
            self.drop = max(0, self.drop - 1)
            return
        if tag in _BLOCKS:
            self._flush()
        if tag in _BOILERPLATE:
            self.boiler = max(0, self.boiler - 1)
        elif self.boiler_tags and self.boiler_tags[-1] == tag:
            self.boiler_tags.pop()
            self.boiler = max(0, self.boiler - 1)
        if tag == "article" and self.article_stack:
            self.article = self.article_stack.pop()
        if tag == "main":
            self.main = max(0, self.main - 1)
        if tag in _CONTAINERS and self.open_containers.get(tag):
            # close the innermost open <tag> and all inside it; only searched for when one is open,
            # so each container is looked at once (a stray end tag under deep nesting costs nothing)
            for i in range(len(self.containers) - 1, 0, -1):
                if self.containers[i][0] == tag:
                    for closed, _ in self.containers[i:]:
                        self.open_containers[closed] -= 1
                    del self.containers[i:]
                    break
        if tag in _BLOCKS:
            self.block_tag = self.containers[-1][0]

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
        elif not self.drop:
            self.buf.append(data)

    def result(self) -> dict[str, Any]:
        self._flush()
        blocks = [b for b in self.blocks if not b[5]]
        h1 = next((b[1] for b in self.blocks if b[0] == "h1"), None)
        title = self.meta.get("og:title") or h1 or " ".join("".join(self.title_parts).split()) or None

        def paragraphs(selected: list[tuple]) -> list[str]:
            paras = [b[1] for b in selected if b[0] in _PARAGRAPHS]
            return paras or [b[1] for b in selected if b[0] != "h1"]

        body_parts: list[str] = []
        if any(b[2] >= 0 for b in blocks):
            by_article: dict[int, list[tuple]] = {}
            for b in blocks:
                if b[2] >= 0:
                    by_article.setdefault(b[2], []).append(b)
            body_parts = max((paragraphs(v) for v in by_article.values()), key=lambda ps: sum(map(len, ps)))
        elif any(b[3] for b in blocks):
            body_parts = paragraphs([b for b in blocks if b[3]])
        else:
            groups: dict[int, list[str]] = {}
            for b in blocks:
                if b[0] == "p":
                    groups.setdefault(b[4], []).append(b[1])
            if groups:
                body_parts = max(groups.values(), key=lambda ps: sum(map(len, ps)))
            else:
                body_parts = [b[1] for b in blocks if b[0] != "h1"]

        date_key = next((k for k in _DATE_META if self.meta.get(k)), None)
        date_raw = self.meta.get(date_key) if date_key else None
        if date_raw is None and self.time_dates:
            in_article = [d for inside, d in self.time_dates if inside]
            date_raw = (in_article or [d for _, d in self.time_dates])[0]
            date_key = "time[datetime]"
        return {
            "title": title,
            "outlet": self.meta.get("og:site_name") or None,
            "original_url": self.meta.get("og:url") or self.canonical or None,
            "body": "\n\n".join(body_parts) or None,
            "date_raw": date_raw,
            "date_field": date_key,
        }


def _last_start(pattern: re.Pattern[str], text: str) -> int:
    """Start of the last match of ``pattern`` in ``text``; -1 when there is none."""
    return max((m.start() for m in pattern.finditer(text)), default=-1)


def _defuse_html(text: str) -> str:
    """``text`` with the ``<`` of markup that can never be closed escaped as ``&lt;``.

    Python 3.11's HTMLParser, at ``close()``, retries every unclosed construct by searching the
    rest of the page for its end: time quadratic in their number (a megabyte of ``<a`` or ``<!--``
    takes hours). A ``<`` after the page's last ``>``, a comment opened after the last ``-->``,
    a marked section (``<![``) after the last end it needs: none of them can be closed, and
    escaped they are read as the same text, in linear time. A marked section with an unknown
    keyword (which HTMLParser rejects with an AssertionError) is text as well.
    """
    last_gt = text.rfind(">")
    ends = {
        "comment": _last_start(_COMMENT_CLOSE, text),
        "section": _last_start(_SECTION_CLOSE, text),
        "cdata": _last_start(_CDATA_CLOSE, text),
    }

    def defuse(m: re.Match[str]) -> str:
        if m.group(0) == "<!--":  # html.parser looks for its end from 4 characters on
            closable = m.start() + 4 <= ends["comment"]
        else:
            name = (m.group(1) or "").lower()
            kind = "cdata" if name in _CDATA_SECTIONS else "section" if name in _MS_SECTIONS else None
            closable = kind is not None and m.start() + 3 <= ends[kind]
        return m.group(0) if closable else "&lt;" + m.group(0)[1:]

    head = _OPENERS.sub(defuse, text[: last_gt + 1])
    return head + text[last_gt + 1 :].replace("<", "&lt;")


def _html_unit(text: str, file_sha: str, common: dict[str, Any]) -> dict[str, Any]:
    parser = _HTMLText()
    try:
        parser.feed(_defuse_html(text))
        parser.close()
        fields = parser.result()
    except Exception as exc:  # html.parser is lenient; anything it still raises is a malformed page
        return _bad(
            "malformed",
            f"unexpected error while parsing HTML: {_describe(exc)}",
            content_sha256=file_sha,
            format="html",
            **common,
        )
    base = {"content_sha256": file_sha, "format": "html", **common}
    if not fields["body"]:
        return _bad("no_text", "HTML page has no main text (article/main/paragraphs)", **base)
    return _unit(**fields, **base)


def _units_of_file(
    path: str, raw: bytes | None, read_error: str | None, limits: ParseLimits
) -> list[dict[str, Any]]:
    """:func:`_file_units`, where any exception it did not foresee quarantines this file alone."""
    try:
        return _file_units(path, raw, read_error, limits)
    except Exception as exc:
        sha = _sha(raw) if raw is not None else None
        detail = f"unexpected error while parsing the file: {_describe(exc)}"
        return [_bad("malformed", detail, content_sha256=sha, file_sha256=sha)]


def _storable(units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``units`` with any unit polars cannot store as a ``_RAW_UNIT`` replaced by a quarantined one.

    Only used when storing the whole batch failed, to find the unit(s) at fault.
    """
    out = []
    for unit in units:
        try:
            pl.Series([unit], dtype=_RAW_UNIT)
            out.append(unit)
        except (Exception, pl.exceptions.PanicException) as exc:
            keep = {k: unit.get(k) for k in ("source_record", "content_sha256", "file_sha256", "format")}
            detail = f"unexpected error while storing the parsed unit: {_describe(exc)}"
            out.append(
                _bad("malformed", detail, **{k: v for k, v in keep.items() if isinstance(v, str | int)})
            )
    return out


def _stage1(files: pl.DataFrame, limits: ParseLimits) -> pl.DataFrame:
    """One row per unit: the file's source_path, size_bytes and mtime, and the ``_RAW_UNIT`` fields."""
    per_file = [
        _units_of_file(path, raw, error, limits)
        for path, raw, error in zip(files["source_path"], files["raw"], files["read_error"], strict=True)
    ]
    try:
        units = pl.Series("_units", per_file, dtype=pl.List(_RAW_UNIT))
    except (Exception, pl.exceptions.PanicException):
        units = pl.Series("_units", [_storable(u) for u in per_file], dtype=pl.List(_RAW_UNIT))
    return (
        files.select("source_path", "size_bytes", "mtime")
        .with_columns(units)
        .explode("_units")
        .unnest("_units")
    )


# --------------------------------------------------------------------------------------------
# Stage 2: whole-frame text structure, datelines, dates, language
# --------------------------------------------------------------------------------------------

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_MONTH_NUMBER = {
    m: f"{i:02d}"
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_YEAR = r"(?:19|20)\d\d"
_DL_DATE = (
    rf"(?:(?P<mon>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>{_YEAR}))?"
    rf"|(?P<day2>\d{{1,2}})\s+(?P<mon2>{_MONTH})\.?(?:,?\s+(?P<year2>{_YEAR}))?)"
)
_PAREN = r"(?:\s*\((?P<paren>[^()\n]{1,60})\))?"
# A dateline on a line of its own: "South Korea's Chosun Ilbo, July 10: headline", "July 10, 2025",
# "SEOUL, July 10 (Yonhap) -".
DATELINE_LINE = rf"^(?:(?P<prefix>[^\n:]{{1,80}}?),\s+)?{_DL_DATE}{_PAREN}\s*(?:[:\-–—]|$)"
# Wire-service datelines open the body: an upper-case place, optionally with a region
# ("WASHINGTON", "NEW YORK", "SPRINGFIELD, Ill."), then a date and/or an agency in brackets.
_PLACE = r"[A-Z][A-Z.'’ -]{1,40}(?:,\s+[A-Z][A-Za-z.'’ -]{1,30})?"
_WIRE_DASH = r"\s*(?:--|[-–—])\s+"
# a dash, or the end of the dateline's line (these forms are distinctive enough to stand alone)
_WIRE_END = rf"(?:{_WIRE_DASH}|[ \t]*(?:\n\s*|$))"
# ... place (or none), month and day (year optional), optional (agency), a dash:
# "SEOUL, July 10 (Yonhap) - South Korea said ...", "WASHINGTON, Dec. 6 (Reuters) -- ...".
DATELINE_INLINE = rf"^(?:(?P<prefix>{_PLACE}),\s+)?{_DL_DATE}{_PAREN}{_WIRE_DASH}"
# ... place and a full ISO date (Reuters archive / RCV1 style): "LONDON 1996-12-06 - The pound ..."
DATELINE_ISO = (
    rf"^(?P<prefix>{_PLACE}),?\s+(?P<iso_y>{_YEAR})-(?P<iso_m>[01]\d)-(?P<iso_d>[0-3]\d){_PAREN}{_WIRE_END}"
)
# ... place and agency, no date: "WASHINGTON (Reuters) - ...", "SPRINGFIELD, Ill. (AP) - ...".
# The agency starts upper-case and the dash follows it, so "US (and UK) officials - said" is none.
DATELINE_AGENCY = rf"^(?P<prefix>{_PLACE})\s*\((?P<paren>[A-Z][^()\n]{{0,59}})\){_WIRE_END}"
# Forms tried, first match wins: opening the body, and for a dateline given on its own (JSON field)
_WIRE_FORMS = (DATELINE_INLINE, DATELINE_ISO, DATELINE_AGENCY)
_GIVEN_FORMS = (DATELINE_LINE, DATELINE_ISO, DATELINE_AGENCY)
_MAX_DATELINE_CHARS = 300
_HEADLINE_WORDS = 25  # a plain file that is one line shorter than this is a headline, not a story
_META_TAIL = r"(?:\s*\n[ \t]*(?:Original|Statement)[ \t]*:[^\n]*)+\s*$"
_TITLE_HEAD = r"^[ \t]*([^\n]*\S)[ \t]*\n[ \t]*\n"
_FIRST_PARA = r"^([^\n]+)\n[ \t]*\n"
_POSSESSIVE = r"^(?:[A-Z][\w.\-]*\s+){0,3}[A-Z][\w.\-]*['’]s\s+"

# Dates in metadata: ISO 8601 (or a prefix of it), RFC 822 ('Thu, 10 Jul 2025 ...'), 'July 10, 2025'.
_ISO_DATE = r"^\s*(?P<y>\d{4})(?:[-/](?P<m>\d{1,2})(?:[-/](?P<d>\d{1,2}))?)?(?:[T\s]|$)"
_TEXT_DATE = (
    rf"(?i)(?:(?P<d1>\d{{1,2}})\s+(?P<m1>{_MONTH})\.?,?\s+(?P<y1>\d{{4}})"
    rf"|(?P<m2>{_MONTH})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}}))"
)


def _month_number(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.slice(0, 3)
        .str.to_lowercase()
        .replace_strict(_MONTH_NUMBER, default=None, return_dtype=pl.String)
    )


def _make_date(y: pl.Expr, m: pl.Expr, d: pl.Expr) -> pl.Expr:
    text = pl.concat_str(
        [y, pl.lit("-"), m.fill_null("01").str.zfill(2), pl.lit("-"), d.fill_null("01").str.zfill(2)]
    )
    return text.str.to_date("%Y-%m-%d", strict=False)


def _date_from_text(col: str) -> list[pl.Expr]:
    """``_meta_date`` and ``_meta_precision`` parsed from a metadata date string column."""
    iso = pl.col(col).str.extract_groups(_ISO_DATE)
    txt = pl.col(col).str.extract_groups(_TEXT_DATE)
    iso_y, iso_m, iso_d = iso.struct.field("y"), iso.struct.field("m"), iso.struct.field("d")
    t_y = pl.coalesce(txt.struct.field("y1"), txt.struct.field("y2"))
    t_m = _month_number(pl.coalesce(txt.struct.field("m1"), txt.struct.field("m2")))
    t_d = pl.coalesce(txt.struct.field("d1"), txt.struct.field("d2"))
    use_iso = iso_y.is_not_null()
    y = pl.when(use_iso).then(iso_y).otherwise(t_y)
    m = pl.when(use_iso).then(iso_m).otherwise(t_m)
    d = pl.when(use_iso).then(iso_d).otherwise(t_d)
    y_ok = y.cast(pl.Int32, strict=False).is_between(1900, 2100)
    date = pl.when(y_ok).then(_make_date(y, m, d))
    precision = (
        pl.when(date.is_null())
        .then(None)
        .when(d.is_not_null())
        .then(pl.lit("day"))
        .when(m.is_not_null())
        .then(pl.lit("month"))
        .otherwise(pl.lit("year"))
    )
    return [date.alias("_meta_date"), precision.alias("_meta_precision")]


def given_dateline(text: pl.Expr) -> dict[str, pl.Expr]:
    """A dateline given on its own (a JSON ``dateline`` field, or one stored in ``articles.dateline``), read
    the way parsing reads one: :func:`_dateline_match`'s parts (``match``, ``prefix``, ``paren``, ``month``,
    ``day``, ``year``)."""
    return _dateline_match(text, _GIVEN_FORMS)


def _dateline_match(text: pl.Expr, forms: tuple[str, ...]) -> dict[str, pl.Expr]:
    """The first of the dateline ``forms`` (anchored regexes) that matches ``text``, and its parts.

    ``match``: the matched text (NULL: no dateline); ``prefix``: the place (or outlet) before the
    date; ``paren``: the agency in brackets; ``month`` ('01'-'12'), ``day``, ``year``: the date's
    parts, each NULL when the form does not give it.
    """
    fields = ("match", "prefix", "paren", "month", "day", "year")
    picked: dict[str, pl.Expr] = {}
    for form in reversed(forms):  # built inside out, so that the first form is tried first
        names = set(re.findall(r"\(\?P<(\w+)>", form))
        groups = text.str.extract_groups(form)

        def group(name: str, groups: pl.Expr = groups, names: set[str] = names) -> pl.Expr:
            return groups.struct.field(name) if name in names else pl.lit(None, pl.String)

        parts = {
            "match": text.str.extract(f"({form})", 1),
            "prefix": group("prefix"),
            "paren": group("paren"),
            "month": pl.coalesce(_month_number(pl.coalesce(group("mon"), group("mon2"))), group("iso_m")),
            "day": pl.coalesce(group("day"), group("day2"), group("iso_d")),
            "year": pl.coalesce(group("year"), group("year2"), group("iso_y")),
        }
        found = parts["match"].is_not_null()
        picked = {
            f: pl.when(found).then(parts[f]).otherwise(picked[f] if picked else pl.lit(None, pl.String))
            for f in fields
        }
    return picked


def _structure(units: pl.DataFrame) -> pl.DataFrame:
    """Split plain text into title / metadata / dateline / body, and find datelines everywhere."""
    plain = pl.col("format").is_null() & pl.col("quarantine_reason").is_null()
    text = pl.col("text").str.replace_all(r"\r\n?", "\n").str.strip_chars()
    df = units.with_columns(_t=pl.when(plain).then(text))

    # trailing "Original: URL" / "Statement: ..." block
    df = df.with_columns(_meta=pl.col("_t").str.extract(f"({_META_TAIL})", 1))
    df = df.with_columns(
        original_url=pl.coalesce(
            "original_url", pl.col("_meta").str.extract(r"(?m)^[ \t]*Original[ \t]*:[ \t]*(\S+)", 1)
        ),
        statement=pl.coalesce(
            "statement", pl.col("_meta").str.extract(r"(?m)^[ \t]*Statement[ \t]*:[ \t]*(.*\S)", 1)
        ),
        _t=pl.when(pl.col("_meta").is_not_null())
        .then(pl.col("_t").str.replace(_META_TAIL, ""))
        .otherwise(pl.col("_t")),
    )
    # title = first line when a blank line follows it
    # a lone short line is a headline without a story: title only, so the body stays empty
    lone_headline = ~pl.col("_t").str.contains("\n") & (
        pl.col("_t").str.count_matches(r"\S+") < _HEADLINE_WORDS
    )
    df = df.with_columns(
        _title=pl.when(lone_headline).then("_t").otherwise(pl.col("_t").str.extract(_TITLE_HEAD, 1)),
        _t=pl.when(lone_headline).then(pl.lit("")).otherwise("_t"),
    )
    df = df.with_columns(
        title=pl.coalesce("title", "_title"),
        _rest=pl.when(pl.col("_title").is_not_null())
        .then(pl.col("_t").str.replace(_TITLE_HEAD, "").str.strip_chars())
        .otherwise(pl.col("_t")),
    )
    df = df.with_columns(_rest=pl.when(plain).then("_rest").otherwise(pl.col("body")))

    # datelines: given (JSON field), on a line of their own, or opening the first paragraph
    first_para = pl.col("_rest").str.extract(_FIRST_PARA, 1)
    no_given = pl.col("dateline").is_null()
    given = given_dateline(pl.col("dateline"))
    line = _dateline_match(
        pl.when(no_given & (first_para.str.len_chars() <= _MAX_DATELINE_CHARS)).then(first_para),
        (DATELINE_LINE,),
    )
    inline = _dateline_match(pl.when(no_given).then(pl.col("_rest")), _WIRE_FORMS)
    # wire style ("SEOUL, July 10 (Yonhap) - text") wins over a dateline line of its own
    is_inline = inline["match"].is_not_null()
    is_line = ~is_inline & line["match"].is_not_null()

    def pick(field: str) -> pl.Expr:
        return (
            pl.when(~no_given)
            .then(given[field])
            .when(is_line)
            .then(line[field])
            .when(is_inline)
            .then(inline[field])
        )

    df = df.with_columns(
        dateline=pl.when(is_line)
        .then(first_para.str.strip_chars())
        .when(is_inline)
        .then(inline["match"].str.replace(r"[\s:\-–—]+$", ""))
        .otherwise(pl.col("dateline")),
        _rest=pl.when(is_line)
        .then(pl.col("_rest").str.replace(_FIRST_PARA, ""))
        .when(is_inline)
        .then(pl.col("_rest").str.slice(inline["match"].str.len_chars()))
        .otherwise(pl.col("_rest")),
        _dl_prefix=pick("prefix").str.strip_chars(),
        _dl_paren=pick("paren").str.strip_chars(),
        _dl_month=pick("month"),
        _dl_day=pick("day"),
        _dl_year=pick("year"),
    )
    # body: paragraphs separated by exactly one blank line, surrounding whitespace stripped
    body = (
        pl.col("_rest")
        .str.replace_all(r"[ \t]+\n", "\n")
        .str.replace_all(r"\n[ \t]*\n\s*", "\n\n")
        .str.strip_chars()
    )
    # a prefix is an outlet ("South Korea's Chosun Ilbo, July 10:"), unless it is an upper-case
    # place (up to its first comma: "SPRINGFIELD, Ill., Dec. 6 -")
    prefix_head = pl.col("_dl_prefix").str.extract(r"^([^,]*)", 1)
    prefix_outlet = (
        pl.when(prefix_head != prefix_head.str.to_uppercase())
        .then(pl.col("_dl_prefix").str.replace(_POSSESSIVE, ""))
        .str.strip_chars()
    )
    has_text_meta = pl.any_horizontal(
        pl.col("dateline").is_not_null(),
        pl.col("original_url").is_not_null(),
        pl.col("statement").is_not_null(),
    )
    return df.with_columns(
        body=pl.when(body.str.len_chars() > 0).then(body),
        outlet=pl.coalesce("outlet", "_dl_paren", prefix_outlet),
        format=pl.when(pl.col("format").is_not_null())
        .then("format")
        .when(~plain)
        .then(None)
        .when(has_text_meta | pl.col("title").is_null())
        .then(pl.lit("text"))
        .otherwise(pl.lit("bbc")),
    )


def _dates(df: pl.DataFrame) -> pl.DataFrame:
    df = df.with_columns(_date_from_text("date_raw"))
    month = pl.col("_dl_month").cast(pl.Int8, strict=False)
    day = pl.col("_dl_day").cast(pl.Int8, strict=False)
    valid_md = month.is_between(1, 12) & day.is_between(1, 31)
    dl_date = pl.when(pl.col("_dl_year").is_not_null() & valid_md).then(
        _make_date(pl.col("_dl_year"), pl.col("_dl_month"), pl.col("_dl_day"))
    )
    df = df.with_columns(
        _dl_date=dl_date,
        dateline_month=pl.when(valid_md).then(month),
        dateline_day=pl.when(valid_md).then(day),
    )
    has_meta = pl.col("_meta_date").is_not_null()
    has_dl = pl.col("_dl_date").is_not_null()
    source = (
        pl.when(has_meta)
        .then(pl.lit("metadata:") + pl.col("date_field"))
        .when(has_dl)
        .then(pl.lit("dateline"))
        .when(pl.col("date_raw").is_not_null())
        .then(pl.lit("unknown: unparseable metadata:") + pl.col("date_field"))
        .when(pl.col("dateline_month").is_not_null())
        .then(pl.lit("unknown: dateline gives month/day without year"))
        .when(pl.col("dateline").is_not_null())
        .then(pl.lit("unknown: no date in metadata; the dateline gives none"))
        .otherwise(pl.lit("unknown: no date in metadata or dateline"))
    )
    return df.with_columns(
        published_date=pl.coalesce("_meta_date", "_dl_date"),
        date_precision=pl.when(has_meta).then("_meta_precision").when(has_dl).then(pl.lit("day")),
        date_source=pl.when(pl.col("quarantine_reason").is_null()).then(source),
    )


# --- language --------------------------------------------------------------------------------

_STOPWORDS = {
    "en": "the and of to is that it with for was on are as have be at this from by not but which has were they"
    " their been would will an or he she said its who had there after than more",
    "de": "der die das und ist nicht mit sich auf den dem des ein eine einer zu von im auch es wird werden wurde"
    " hat haben sie bei nach für über als dass oder aus sind noch nur wie",
    "fr": "le la les et des est une un du que qui dans pour pas sur au aux avec par ce cette il elle sont ont été"
    " mais leur ses selon plus a",
    "es": "el la los las y del que en un una es por con para se su sus al lo como más pero fue ha han este esta"
    " según entre sobre también",
    "it": "il la le gli di e che della del dei delle un una è per con non sono nel nella alla al anche ha hanno"
    " come più questo questa tra sul stato",
    "pt": "o a os as e do da dos das que em um uma para com não no na nos por se mais foi são ao seu sua também"
    " pelo pela entre",
    "nl": "de het een en van is dat niet op te in met voor zijn er die aan ook als bij door werd worden wordt naar"
    " heeft hebben maar om nog over uit",
}
LANGUAGES = tuple(_STOPWORDS)
_MIN_WORDS = 12
_MIN_SCORE = 3.0
_MARGIN = 1.5
_MAX_WORDS = 400


def _stopword_frame() -> pl.DataFrame:
    pairs = [(w, lang) for lang, words in _STOPWORDS.items() for w in dict.fromkeys(words.split())]
    df = pl.DataFrame(pairs, schema={"word": pl.String, "lang": pl.String}, orient="row")
    return df.with_columns(weight=1.0 / pl.len().over("word"))


_STOP = _stopword_frame()


def detect_language(text: pl.Series) -> pl.Series:
    """ISO 639-1 code per text (en, de, fr, es, it, pt, nl) by stopword scores; NULL when unsure.

    Each stopword found scores 1 / (number of profiled languages that share it) for those
    languages. A text needs at least 12 words, a best score of 3, and a best score 1.5 times the
    runner-up; otherwise the language is NULL (too short or too mixed to tell).
    """
    words = pl.DataFrame({"_t": text}).select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
        pl.col("_t").str.to_lowercase().str.extract_all(r"\p{L}+").list.head(_MAX_WORDS).alias("w"),
    )
    n_words = words.select("_row", n=pl.col("w").list.len().fill_null(0))
    scores = (
        words.explode("w")
        .join(_STOP, left_on="w", right_on="word", how="inner")
        .group_by("_row", "lang")
        .agg(score=pl.col("weight").sum())
        .sort(["_row", "score", "lang"], descending=[False, True, False])
        .group_by("_row", maintain_order=True)
        .agg(
            lang=pl.col("lang").first(),
            best=pl.col("score").first(),
            second=pl.col("score").get(1, null_on_oob=True),
        )
    )
    decided = n_words.join(scores, on="_row", how="left", maintain_order="left").select(
        pl.when(
            (pl.col("n") >= _MIN_WORDS)
            & (pl.col("best") >= _MIN_SCORE)
            & (pl.col("best") >= _MARGIN * pl.col("second").fill_null(0.0))
        )
        .then("lang")
        .alias("language")
    )
    return decided.get_column("language").rename(text.name or "language")


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def parse_files(files: pl.DataFrame, limits: ParseLimits | None = None) -> pl.DataFrame:
    """Units (article candidates and quarantined units) of discovered files; see ``UNIT_SCHEMA``.

    ``files`` has discover()'s columns: source_path, size_bytes, mtime, raw, read_error.
    ``limits`` bound what one unit may cost (default: ``ParseLimits()``, the config defaults).
    Rows are ordered by source_path, then source_record.

    Never raises because of what a file holds: every file yields at least one unit, and an
    exception while parsing one file, record or unit quarantines that unit (``malformed``, with the
    exception and the stage in the detail) and the batch goes on.
    """
    limits = limits or ParseLimits()
    if files.height == 0:
        return pl.DataFrame(schema=UNIT_SCHEMA)
    out = _isolating(_stage1(files, limits), lambda units: _stage2(units, limits))
    return out.sort(["source_path", "source_record"], nulls_last=False, maintain_order=True)


def _stage2(units: pl.DataFrame, limits: ParseLimits) -> pl.DataFrame:
    """Stage 2 on a frame of units: structure, dates, the no_text / too_long checks, language."""
    df = _dates(_structure(units))
    good = pl.col("quarantine_reason").is_null()
    no_text = good & pl.col("body").is_null()
    n_chars = pl.col("body").str.len_chars()
    too_long = good & (n_chars > limits.max_article_chars)
    too_long_detail = pl.format(
        "article body has {} characters; the limit is {} ([limits] max_article_chars)",
        n_chars,
        pl.lit(limits.max_article_chars),
    )
    df = df.with_columns(
        quarantine_reason=pl.when(no_text)
        .then(pl.lit("no_text"))
        .when(too_long)
        .then(pl.lit("too_long"))
        .otherwise("quarantine_reason"),
        quarantine_detail=pl.when(no_text)
        .then(pl.lit("no body text after the title, dateline and metadata"))
        .when(too_long)
        .then(too_long_detail)
        .otherwise("quarantine_detail"),
        format=pl.when(pl.col("format").is_null() & pl.col("text").is_not_null())
        .then(pl.lit("text"))
        .otherwise("format"),
    )
    lang_text = pl.when(good).then(
        pl.concat_str([pl.col("title").fill_null(""), pl.col("body")], separator="\n")
    )
    df = df.with_columns(language=detect_language(df.select(lang_text.alias("t")).to_series()))
    df = df.with_columns(
        [
            pl.when(good).then(c).alias(c)
            for c in ("published_date", "date_precision", "dateline_month", "dateline_day")
        ]
    )
    return df.select([pl.col(name).cast(dtype) for name, dtype in UNIT_SCHEMA.items()])


# What stage 2 drops from a unit it failed on before quarantining it: the unit's text.
_TEXT_FIELDS = (
    "text",
    "title",
    "outlet",
    "original_url",
    "dateline",
    "statement",
    "body",
    "date_raw",
    "date_field",
)


def _isolating(units: pl.DataFrame, stage: Callable[[pl.DataFrame], pl.DataFrame]) -> pl.DataFrame:
    """``stage(units)``; should it raise, the units at fault are quarantined and the rest kept.

    Stage 2 is polars expressions, row by row: regexes (linear time, no backtracking), non-strict
    casts and date parsing, nothing that raises on data we know of. Should a unit still make it
    raise (a polars bug, a panic), the frame is split in halves until the failing units are
    alone: each is quarantined ``malformed`` with the error, its text dropped. Only a failure that
    does not depend on the data (it happens even on a unit without text) is raised.
    """
    try:
        return stage(units)
    except (Exception, pl.exceptions.PanicException) as exc:
        if units.height > 1:
            half = units.height // 2
            return pl.concat([_isolating(units.head(half), stage), _isolating(units.tail(-half), stage)])
        detail = f"unexpected error while structuring the text and dates: {_describe(exc)}"
        failed = units.with_columns(
            *[pl.lit(None, pl.String).alias(c) for c in _TEXT_FIELDS],
            quarantine_reason=pl.lit("malformed"),
            quarantine_detail=pl.lit(detail),
        )
        return stage(failed)
