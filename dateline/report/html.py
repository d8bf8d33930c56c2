"""The data-quality report: one self-contained HTML page per run, and an index over all runs.

``dateline report [--run RUN_ID] [--out DIR]`` calls :func:`write_report`. The pages embed
everything they show (styles inline, charts as inline SVG, no scripts, no fonts, no images from
elsewhere) and carry a Content-Security-Policy that forbids any request, so they open offline
from a file. Plain Python string templating (``html.escape`` on every value).

What a run page shows: the verdict; for every failed check its table, severity, observed value
and example rows (the article -- a ``file://`` link to its source file --, offsets and the
evidence text); every check per table with pass/fail, observed value and severity; the
quarantined inputs with their reasons; row counts and failure rates over the runs.

This module renders and writes the pages; what they show is read by :mod:`dateline.report.data`,
the charts are drawn by :mod:`dateline.report.charts`.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from dateline.report.charts import trend_charts
from dateline.report.data import RunData, load_run_data, parse_examples, run_page_data
from dateline.warehouse import connection
from schemas.tables import NO_NEW_DATA

#: Example rows shown per failed check.
MAX_EXAMPLE_ROWS = 10
#: Text columns shown as the evidence of an example row, first found wins.
TEXT_KEYS = ("evidence_text", "mention_text", "quantity_text", "text", "title", "detail")
#: Keys shown in their own column of an example row (the rest go to "values").
REF_KEYS = ("article_id", "start_char", "end_char", "article_source_path", "source_path", "source_record")

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

VERDICT_TEXT = {
    "pass": "All checks passed",
    "warn": "Loaded, with warnings",
    "fail": "Not loaded: critical checks failed",
    NO_NEW_DATA: "No new data: nothing new, changed or deleted to check",
    None: "No checks ran",
}
#: Verdicts that come from checks (the data-quality state of the warehouse after the run).
CHECKED_VERDICTS = ("pass", "warn", "fail")


@dataclass(frozen=True)
class ReportPaths:
    run_html: Path
    index_html: Path
    run_id: str


def _e(value: Any) -> str:
    return "" if value is None else html.escape(str(value), quote=True)


def _safe_name(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", run_id)


def run_file_name(run_id: str) -> str:
    """File name of the page of ``run_id`` inside the report folder."""
    return f"run-{_safe_name(run_id)}.html"


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    return _e(value)


def _file_link(path: str | None, label: str | None = None) -> str:
    """A ``file://`` link to a local source file (navigation only: nothing is fetched on load)."""
    if not path:
        return ""
    shown = _e(label or _short_path(path))
    if path.startswith("/"):
        return f'<a class="src" href="{_e(Path(path).as_uri())}" title="{_e(path)}">{shown}</a>'
    return f'<span class="src" title="{_e(path)}">{shown}</span>'


def _short_path(path: str, parts: int = 2) -> str:
    p = Path(path).parts
    return "/".join(p[-parts:]) if len(p) > parts else path


def _verdict_class(verdict: str | None) -> str:
    return {"pass": "pass", "warn": "warn", "fail": "fail"}.get(verdict or "", "none")


def verdict_label(run: dict[str, Any]) -> str:
    """The run's verdict as every page shows it: ``runs.dq_verdict`` as stored (the value the CLI
    and ``status`` show), or, for a run that stopped before its checks, why there is none."""
    verdict = run.get("dq_verdict")
    if verdict is not None:
        return str(verdict)
    return {"running": "none yet (running)", "failed": "none (run failed)"}.get(
        run.get("status") or "", "none"
    )


def verdict_headline(run: dict[str, Any], checked: bool) -> str:
    """The banner text of a run: what its verdict means, or how it ended without one (its
    message, shown next to it, says what was and was not loaded). ``checked``: checks ran."""
    verdict = run.get("dq_verdict")
    if verdict is not None:
        return VERDICT_TEXT.get(verdict, str(verdict))
    if run.get("status") == "failed":
        return "Run failed after its checks ran" if checked else "Run failed before its checks"
    if run.get("status") == "running":
        return "Run in progress (or never closed): no checks recorded yet"
    return VERDICT_TEXT[None]


def _finished(run: dict[str, Any]) -> str:
    """When the run closed, or why that is unknown (a run marked failed by a later run)."""
    if run.get("finished_at") is not None:
        return f"finished {_when(run['finished_at'])}"
    if run.get("status") == "running":
        return "not finished"
    return "finish time unknown (the run did not close itself)"


STYLE = """
:root { --ok:#1a7f37; --ok-bg:#e8f5ec; --warn:#9a6700; --warn-bg:#fff4d6; --bad:#c0231f; --bad-bg:#fde8e7;
  --ink:#1f2328; --muted:#59636e; --line:#d8dee4; --panel:#f6f8fa; --accent:#2f5f98; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 60px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 4px;
  border-bottom: 1px solid var(--line); } h3 { font-size: 16px; margin: 22px 0 8px; }
.sub { color: var(--muted); margin: 0 0 18px; } .sub code { font-size: 13px; }
nav { font-size: 14px; margin-bottom: 14px; } a { color: var(--accent); }
.banner { border-radius: 10px; padding: 16px 20px; margin: 10px 0 18px; display:flex; gap:18px; align-items:center; }
.banner .big { font-size: 22px; font-weight: 700; }
.banner.pass { background: var(--ok-bg); color: var(--ok); border:1px solid #b7dfc3; }
.banner.warn { background: var(--warn-bg); color: var(--warn); border:1px solid #f0d58a; }
.banner.fail { background: var(--bad-bg); color: var(--bad); border:1px solid #f3b8b5; }
.banner.none { background: var(--panel); color: var(--muted); border:1px solid var(--line); }
.banner .why { color: var(--ink); font-size: 14px; }
.cards { display:grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap:10px; margin: 8px 0 4px; }
.card { background: var(--panel); border:1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .n { font-size: 20px; font-weight: 650; } .card .l { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 6px 0 10px; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { background: var(--panel); font-weight: 600; font-size: 13px; color: var(--muted); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.badge { display:inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600;
  white-space: nowrap; }
.badge.pass { background: var(--ok-bg); color: var(--ok); } .badge.fail { background: var(--bad-bg); color: var(--bad); }
.badge.warn { background: var(--warn-bg); color: var(--warn); } .badge.none { background: var(--panel); color: var(--muted); }
.badge.critical { background: #ffe2e0; color: #8c1a16; } .badge.warning { background: #fff1c7; color: #7a5200; }
.failure { border:1px solid var(--line); border-left: 5px solid var(--bad); border-radius: 8px; padding: 10px 14px;
  margin: 12px 0; background: #fff; }
.failure.warning { border-left-color: #d4a72c; }
.failure h3 { margin: 0 0 4px; } .failure .doc { color: var(--muted); font-size: 13px; margin: 0 0 6px; }
.evidence { background: #fffbe6; border-radius: 4px; padding: 1px 4px; }
.vals { color: var(--muted); font-size: 12.5px; word-break: break-word; }
.src { font-size: 13px; }
td.obs { max-width: 420px; word-break: break-word; }
tr.failed td { background: #fff8f7; }
details summary { cursor: pointer; color: var(--accent); font-size: 14px; margin: 4px 0; }
.charts { display:grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 14px; }
.chart { border:1px solid var(--line); border-radius: 8px; padding: 8px 10px; background:#fff; }
.chart h4 { margin: 0 0 2px; font-size: 14px; } .chart p { margin:0; color: var(--muted); font-size: 12px; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
.legend span { display:inline-block; margin-right: 12px; font-size: 12px; color: var(--muted); }
.legend i { display:inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
"""


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}\n"
        "<footer>Written by <code>dateline report</code>. Self-contained: no scripts, fonts or "
        "requests; file links open the source articles on this machine.</footer>\n"
        "</main>\n</body>\n</html>\n"
    )


# --- run page ------------------------------------------------------------------------------------------


def _example_rows(examples: list[Any], articles: dict[str, dict[str, Any]]) -> str:
    if not examples:
        return '<p class="doc">No example rows recorded.</p>'
    if not all(isinstance(x, dict) for x in examples):
        values = ", ".join(f"<code>{_e(json.dumps(x, ensure_ascii=False))}</code>" for x in examples)
        return f'<p class="vals">unexpected values: {values}</p>'
    head = "<tr><th>article / input</th><th class=num>offsets</th><th>evidence</th><th>values</th></tr>"
    body = []
    for ex in examples[:MAX_EXAMPLE_ROWS]:
        article_id = ex.get("article_id")
        known = articles.get(article_id or "", {})
        path = ex.get("article_source_path") or ex.get("source_path") or known.get("source_path")
        ref = []
        if article_id:
            ref.append(f'<code title="article_id">{_e(article_id)}</code>')
        if known.get("title") and "title" not in ex:
            ref.append(f"<div>{_e(known['title'])}</div>")
        if path:
            rec = ex.get("source_record")
            ref.append(
                _file_link(path) + (f" <span class=vals>record {_e(rec)}</span>" if rec is not None else "")
            )
        offsets = ""
        if ex.get("start_char") is not None or ex.get("end_char") is not None:
            offsets = f"{_e(ex.get('start_char'))}–{_e(ex.get('end_char'))}"
        text_key = next((k for k in TEXT_KEYS if ex.get(k) is not None), None)
        evidence = ""
        if text_key:
            evidence = f'<span class="vals">{_e(text_key)}</span><br><span class="evidence">{_e(ex[text_key])}</span>'
        rest = [
            f"{_e(k)} = <code>{_e(json.dumps(v, ensure_ascii=False))}</code>"
            for k, v in ex.items()
            if k not in REF_KEYS and k != text_key
        ]
        body.append(
            f"<tr><td>{'<br>'.join(ref) or '—'}</td><td class=num>{offsets}</td><td>{evidence}</td>"
            f"<td class=vals>{'<br>'.join(rest)}</td></tr>"
        )
    more = ""
    if len(examples) > MAX_EXAMPLE_ROWS:
        more = f'<p class="vals">… and {len(examples) - MAX_EXAMPLE_ROWS} more example(s) recorded.</p>'
    return f"<table>{head}{''.join(body)}</table>{more}"


def _check_anchor(row: dict[str, Any]) -> str:
    return f"check-{_safe_name(row['table_name'])}-{_safe_name(row['check_name'])}"


def _failures(data: RunData) -> str:
    failed = data.results.filter(~pl.col("success"))
    if failed.height == 0:
        return "<h2>Failed checks</h2><p>None: every check passed.</p>" if data.results.height else ""
    order = {"critical": 0, "warning": 1}
    rows = sorted(
        failed.to_dicts(), key=lambda r: (order.get(r["severity"], 2), r["table_name"], r["check_name"])
    )
    out = [f"<h2>Failed checks ({len(rows)})</h2>"]
    for r in rows:
        examples = parse_examples(r["unexpected_examples"])
        count = r["unexpected_count"]
        observed = str(r["observed_value"] or "")
        count_txt = f"{count} unexpected row(s)" if count is not None and "unexpected" not in observed else ""
        out.append(
            f'<section class="failure {_e(r["severity"])}" id="{_check_anchor(r)}">'
            f'<h3><span class="badge {_e(r["severity"])}">{_e(r["severity"])}</span> '
            f"<code>{_e(r['table_name'])}.{_e(r['check_name'])}</code></h3>"
            f'<p class="doc">{_e(r["expectation"])}'
            + (f" on <code>{_e(r['column_name'])}</code>" if r["column_name"] else "")
            + f" · observed: {_e(r['observed_value'])}"
            + (f" · {count_txt}" if count_txt else "")
            + "</p>"
            + _example_rows(examples, data.articles)
            + "</section>"
        )
    return "".join(out)


def _all_checks(results: pl.DataFrame, run: dict[str, Any]) -> str:
    if results.height == 0:
        if run.get("dq_verdict") == NO_NEW_DATA:
            why = "nothing new, changed or deleted to validate"
        elif run.get("status") == "failed":
            why = "the run failed before its checks"
        elif run.get("status") == "running":
            why = "the run had not reached them"
        else:
            why = "none recorded"
        return f"<h2>Checks by table</h2><p>No checks ran in this run ({_e(why)}).</p>"
    out = ["<h2>Checks by table</h2>"]
    for table in results.get_column("table_name").unique(maintain_order=True).to_list():
        rows = results.filter(pl.col("table_name") == table).to_dicts()
        n_failed = sum(not r["success"] for r in rows)
        status = (
            f'<span class="badge fail">{n_failed} failed</span>'
            if n_failed
            else '<span class="badge pass">all passed</span>'
        )
        body = []
        for r in rows:
            ok = r["success"]
            name = _e(r["check_name"])
            if not ok:
                name = f'<a href="#{_check_anchor(r)}">{name}</a>'
            badge = '<span class="badge pass">pass</span>' if ok else '<span class="badge fail">fail</span>'
            body.append(
                f"<tr{' class=failed' if not ok else ''}>"
                f"<td>{badge}</td>"
                f"<td><code>{name}</code></td>"
                f'<td><span class="badge {_e(r["severity"])}">{_e(r["severity"])}</span></td>'
                f"<td class=obs>{_e(r['observed_value']) or '<span class=vals>—</span>'}</td>"
                f"<td class=num>{_e(r['element_count'])}</td><td class=num>{_e(r['unexpected_count'])}</td></tr>"
            )
        table_html = (
            "<table><tr><th>result</th><th>check</th><th>severity</th><th>observed</th>"
            f"<th class=num>rows checked</th><th class=num>unexpected</th></tr>{''.join(body)}</table>"
        )
        out.append(
            f"<h3><code>{_e(table)}</code> {status}</h3><details{' open' if n_failed else ''}>"
            f"<summary>{len(rows)} checks</summary>{table_html}</details>"
        )
    return "".join(out)


def _quarantined(data: RunData) -> str:
    items = data.quarantine
    source = "the quarantine table"
    if not items:  # a batch that was not loaded: the quarantine-rate check lists its inputs
        hit = data.results.filter(pl.col("check_name") == "quarantine_rate")
        if hit.height:
            items = [x for x in parse_examples(hit.item(0, "unexpected_examples")) if isinstance(x, dict)]
            source = "the quarantine-rate check (this batch was not loaded)"
    if not items:
        return "<h2>Quarantined inputs</h2><p>None in this run.</p>"
    rows = "".join(
        f"<tr><td>{_file_link(q.get('source_path'), _short_path(q.get('source_path') or '', 3))}</td>"
        f'<td class=num>{_e(q.get("source_record"))}</td><td><span class="badge warning">{_e(q.get("reason"))}</span></td>'
        f"<td>{_e(q.get('detail'))}</td></tr>"
        for q in items
    )
    return (
        f"<h2>Quarantined inputs ({len(items)})</h2><p class=sub>From {source}.</p>"
        f"<table><tr><th>input</th><th class=num>record</th><th>reason</th><th>detail</th></tr>{rows}</table>"
    )


def _card(n: Any, label: str) -> str:
    return f'<div class="card"><div class="n">{_e("—" if n is None else n)}</div><div class="l">{_e(label)}</div></div>'


def render_run(data: RunData) -> str:
    """The HTML page of one run."""
    run = data.run
    verdict = run.get("dq_verdict")
    failed = data.results.filter(~pl.col("success"))
    n_crit = failed.filter(pl.col("severity") == "critical").height
    n_warn = failed.height - n_crit
    why = []
    if n_crit:
        why.append(f"{n_crit} critical check(s) failed")
    if n_warn:
        why.append(f"{n_warn} warning(s)")
    if data.results.height and not failed.height:
        why.append(f"{data.results.height} checks, none failed")
    if run.get("message"):
        why.append(str(run["message"]))
    # a run that stopped before its checks is shown as the failure it is
    klass = "fail" if verdict is None and run.get("status") == "failed" else _verdict_class(verdict)
    banner = (
        f'<div class="banner {klass}"><div class="big">{_e(verdict_headline(run, data.results.height > 0))}'
        f'</div><div class="why">{_e("; ".join(why))}</div></div>'
    )
    cards = "".join(
        [
            _card(run.get("status"), "run status"),
            _card(run.get("files_seen"), "files seen"),
            _card(run.get("files_new"), "new / changed files"),
            _card(run.get("files_quarantined"), "files quarantined"),
            _card(run.get("articles_loaded"), "articles loaded"),
            _card(f"{data.results.height - failed.height} / {data.results.height}", "checks passed"),
        ]
    )
    head = (
        '<nav><a href="index.html">← all runs</a></nav>'
        f"<h1>Data quality — run <code>{_e(run['run_id'])}</code></h1>"
        f'<p class="sub">started {_when(run.get("started_at"))} · {_finished(run)}'
        f" · input <code>{_e(run.get('input_dir'))}</code></p>"
    )
    body = (
        head
        + banner
        + f'<div class="cards">{cards}</div>'
        + _failures(data)
        + _all_checks(data.results, run)
        + _quarantined(data)
        + "<h2>Over the runs</h2>"
        + trend_charts(data.runs, data.counts, run["run_id"])
    )
    return _page(f"Dateline data quality — {run['run_id']} — {verdict_label(run)}", body)


def render_index(runs: pl.DataFrame, counts: pl.DataFrame) -> str:
    """The index page: every run, newest first, with links to the run pages, and the trend charts."""
    rows = []
    for r in reversed(runs.to_dicts()):
        rows.append(
            f'<tr><td><a href="{_e(run_file_name(r["run_id"]))}"><code>{_e(r["run_id"])}</code></a></td>'
            f"<td>{_when(r['started_at'])}</td><td>{_e(r['status'])}</td>"
            f'<td><span class="badge {_verdict_class(r["dq_verdict"])}">{_e(verdict_label(r))}</span></td>'
            f"<td class=num>{_e(r['files_new'])}</td><td class=num>{_e(r['articles_loaded'])}</td>"
            f"<td class=num>{_e(r['files_quarantined'])}</td><td class=num>{r['checks']}</td>"
            f"<td class=num>{r['critical_failed']}</td><td class=num>{r['warnings_failed']}</td></tr>"
        )
    body = (
        "<h1>Dateline data quality — all runs</h1>"
        f'<p class="sub">{runs.height} run(s) in the warehouse. Each run\'s page lists its checks, '
        "failures with example rows, and quarantined inputs.</p>"
        + _current_state(runs)
        + "<h2>Over the runs</h2>"
        + trend_charts(runs, counts)
        + "<h2>Runs</h2><table><tr><th>run</th><th>started</th><th>status</th><th>verdict</th>"
        "<th class=num>new files</th><th class=num>articles loaded</th><th class=num>quarantined files</th>"
        "<th class=num>checks</th><th class=num>critical failed</th><th class=num>warnings failed</th></tr>"
        + "".join(rows)
        + "</table>"
    )
    return _page("Dateline data quality — all runs", body)


def _run_link(run: dict[str, Any]) -> str:
    return f'<a href="{_e(run_file_name(run["run_id"]))}"><code>{_e(run["run_id"])}</code></a>'


def _current_state(runs: pl.DataFrame) -> str:
    """The index's banner: the warehouse's data-quality state, i.e. the verdict of the last run
    whose checks ran (a later run with no new data or one that failed before its checks does not
    change what is loaded), and, when a later run exists, how that latest run ended."""
    checked = runs.filter(pl.col("dq_verdict").is_in(CHECKED_VERDICTS)).tail(1).to_dicts()
    latest = runs.tail(1).to_dicts()
    if not checked:
        state = '<div class="banner none"><div class="big">No checks have run yet</div>'
    else:
        c = checked[0]
        why = [f"from run {_run_link(c)} · {_when(c['started_at'])}"]
        if c["warnings_failed"]:
            why.append(f"{c['warnings_failed']} warning(s)")
        if c["critical_failed"]:
            why.append(f"{c['critical_failed']} critical check(s) failed")
        state = (
            f'<div class="banner {_verdict_class(c["dq_verdict"])}"><div class="big">Current data quality: '
            f'{_e(VERDICT_TEXT[c["dq_verdict"]])}</div><div class="why">{" · ".join(why)}</div>'
        )
    state += "</div>"
    if latest and (not checked or latest[0]["run_id"] != checked[0]["run_id"]):
        lr = latest[0]
        said = f" · {_e(lr['message'])}" if lr.get("message") else ""
        state += (
            f'<p class="sub">Latest run: {_run_link(lr)} · {_when(lr["started_at"])} · {_e(lr["status"])} · '
            f"verdict: {_e(verdict_label(lr))}{said}</p>"
        )
    return state


def default_out_dir(warehouse: Path) -> Path:
    """``reports/`` next to the warehouse file."""
    return Path(warehouse).resolve().parent / "reports"


def write_report(warehouse: Path, run_id: str | None = None, out_dir: Path | None = None) -> ReportPaths:
    """Write the page of ``run_id`` (default: the latest run) and the index into ``out_dir``, and
    the page of every other run the index links to that ``out_dir`` does not have yet (pages
    already there are kept: each shows its run as it was when written).

    The warehouse is read through a sandboxed connection (:data:`dateline.warehouse.sandbox.SANDBOX_CONFIG`),
    like ``dateline query``'s. Raises :class:`dateline.report.data.ReportError` when there is no such run,
    :class:`dateline.errors.WarehouseError` when the warehouse cannot be opened.
    """
    out = Path(out_dir) if out_dir is not None else default_out_dir(warehouse)
    con = connection.connect(Path(warehouse), read_only=True, sandbox=True)
    try:
        data = load_run_data(con, run_id)
        out.mkdir(parents=True, exist_ok=True)
        run_html = out / run_file_name(data.run["run_id"])
        run_html.write_text(render_run(data), encoding="utf-8")
        for other in data.runs.get_column("run_id").to_list():
            page = out / run_file_name(other)
            if not page.exists():
                page.write_text(
                    render_run(run_page_data(con, other, data.runs, data.counts)), encoding="utf-8"
                )
    finally:
        con.close()
    index_html = out / "index.html"
    index_html.write_text(render_index(data.runs, data.counts), encoding="utf-8")
    return ReportPaths(run_html=run_html, index_html=index_html, run_id=data.run["run_id"])


__all__ = [
    "ReportPaths",
    "default_out_dir",
    "render_index",
    "render_run",
    "run_file_name",
    "verdict_headline",
    "verdict_label",
    "write_report",
]
