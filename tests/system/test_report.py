"""The HTML data-quality report: content, self-containment, and the planted-defects acceptance.

The acceptance test runs ``dateline/evaluation/planted_defects.py`` on a slice of the BBC corpus (skipped
when ``$DATELINE_SHARED_DATA`` is absent); the full corpus: ``.venv/bin/python
dateline/evaluation/planted_defects.py``. The browser test opens the pages in headless Chromium (Debian's
``chromium``) through the DevTools protocol and fails on any console error, exception, failed
load or request that is not to a local file; it skips when no browser is installed. Set
``DATELINE_SCREENSHOT_DIR`` to keep its screenshots.
"""

from __future__ import annotations

import base64
import contextlib
import html
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from dateline.report.html import write_report
from tests.paths import REPO, shared_data

ACCEPTANCE_LIMIT = 60  # BBC files in the default test run (three runs of 20)


def test_cli_report(small_warehouse: Path, tmp_path: Path) -> None:
    dateline = [sys.executable, "-m", "dateline"]
    out = subprocess.run(
        [*dateline, "report", "--warehouse", str(small_warehouse), "--out", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert str(tmp_path / "r" / "run-20250103T000000Z-r2.html") in out.stdout.replace("\n", "")
    bad = subprocess.run(
        [*dateline, "report", "--warehouse", str(small_warehouse), "--run", "nope"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert bad.returncode == 2 and "run 'nope' is not in the warehouse" in bad.stderr
    assert "Traceback" not in bad.stderr


# --- planted defects on the BBC corpus ----------------------------------------------------------------


@pytest.fixture(scope="module")
def acceptance(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    bbc = shared_data() / "corpus" / "bbc"
    if not bbc.is_dir():
        pytest.skip(f"BBC corpus not found at {bbc} (set DATELINE_SHARED_DATA to run the acceptance test)")
    from dateline.evaluation.planted_defects import EXPECTED, run_acceptance

    tmp = tmp_path_factory.mktemp("acceptance")
    results, reports, planted = run_acceptance(
        bbc, tmp / "dq.duckdb", tmp / "reports", limit=ACCEPTANCE_LIMIT
    )
    return {"results": results, "reports": reports, "planted": planted, "expected": EXPECTED, "tmp": tmp}


def test_planted_defects_fail_the_expected_checks(acceptance: dict[str, Any]) -> None:
    res, reports, planted = acceptance["results"], acceptance["reports"], acceptance["planted"]
    clean = res["clean"]
    assert clean.filter(~pl.col("success") & (pl.col("severity") == "critical")).height == 0
    pages = {name: p.run_html.read_text(encoding="utf-8") for name, p in reports.items()}
    for defect, (table, check) in acceptance["expected"].items():
        run = "empty" if check == "rows_not_empty" else "planted"
        rows = res[run].filter((pl.col("table_name") == table) & (pl.col("check_name") == check))
        assert rows.height == 1 and not rows["success"][0], f"{defect}: {table}.{check} did not fail"
        assert rows["severity"][0] == "critical", defect
        examples = rows["unexpected_examples"][0]
        for value in planted.values.get(defect, []):
            assert value in examples, f"{defect}: {value} not among the example rows of {table}.{check}"
            assert html.escape(json.dumps(value)) in pages[run] or value in pages[run], defect
        assert f'id="check-{table}-{check}"' in pages[run], f"{defect}: not in the report's failures"
    # the planted run also lists the quarantined bad files
    assert "Quarantined inputs" in pages["planted"] and "binary.bin" in pages["planted"]
    assert "Not loaded: critical checks failed" in pages["planted"]


def test_dq_results_hold_the_planted_rows(acceptance: dict[str, Any]) -> None:
    import duckdb

    con = duckdb.connect(str(acceptance["tmp"] / "dq.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "SELECT d.check_name, d.unexpected_examples FROM dq_results d JOIN runs r USING (run_id) "
            "WHERE NOT d.success AND d.severity = 'critical' ORDER BY r.started_at"
        ).fetchall()
        statuses = [r[0] for r in con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()]
    finally:
        con.close()
    assert statuses == ["success", "failed", "failed"]
    failed = {r[0] for r in rows}
    assert {c for _, c in acceptance["expected"].values()} <= failed
    cameo = next(json.loads(ex) for name, ex in rows if name == "cameo_code_in_taxonomy")
    assert {e["cameo_code"] for e in cameo} == {"13y", "120]--"}
    assert all(e["article_id"] and e["start_char"] is not None and e["evidence_text"] for e in cameo)


# --- the pages in a real browser -------------------------------------------------------------------------


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """Headless Chromium driven over the DevTools protocol (websocket on localhost)."""

    def __init__(self, executable: str) -> None:
        from websockets.sync.client import connect

        self.profile = tempfile.mkdtemp(prefix="dateline-chromium-")
        self.proc = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                f"--user-data-dir={self.profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port, ws_path = port_file.read_text().splitlines()[:2]
        self.ws = connect(f"ws://127.0.0.1:{port}{ws_path}", max_size=64 * 2**20, open_timeout=20)
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)

    def call(
        self, method: str, params: dict | None = None, session: bool = False, timeout: float = 30
    ) -> dict:
        msg_id = next(self.ids)
        msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def open(self, url: str, timeout: float = 30) -> list[dict[str, Any]]:
        """Navigate to ``url``, wait for its load event (and a moment after); the events seen."""
        self.events = []
        self.call("Page.navigate", {"url": url}, session=True)
        deadline = time.monotonic() + timeout
        loaded_at = None
        while True:
            now = time.monotonic()
            if loaded_at is not None and now - loaded_at > 0.5:
                return self.events
            if now > deadline:
                raise TimeoutError(f"{url} did not load")
            try:
                msg = json.loads(self.ws.recv(timeout=0.2))
            except TimeoutError:
                continue
            if "method" in msg:
                self.events.append(msg)
                if msg["method"] == "Page.loadEventFired":
                    loaded_at = time.monotonic()

    def evaluate(self, expression: str) -> Any:
        res = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True)
        return res["result"].get("value")

    def screenshot(self, path: Path, width: int = 1280, height: int = 2000) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=True,
        )
        data = self.call("Page.captureScreenshot", {"format": "png"}, session=True)["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            if getattr(self, "ws", None) is not None:
                with contextlib.suppress(Exception):
                    self.call("Browser.close", timeout=5)
                self.ws.close()
        finally:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    exe = find_chromium()
    if exe is None:
        pytest.skip("no Chromium found (Debian: apt-get install chromium; .ci/run installs it)")
    try:
        import websockets.sync.client  # noqa: F401
    except ImportError:
        pytest.skip("the websockets package is not installed (pip install -e '.[dev]')")
    b = Browser(exe)
    try:
        yield b
    finally:
        b.close()


def problems_in(events: list[dict[str, Any]]) -> list[str]:
    """Errors, exceptions, failed loads and non-local requests among DevTools events."""
    out = []
    for ev in events:
        method, params = ev["method"], ev.get("params", {})
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(("file://", "data:", "about:")):
                out.append(f"request to {url}")
        elif method == "Network.loadingFailed":
            out.append(f"failed load: {params.get('errorText')}")
        elif method == "Runtime.exceptionThrown":
            out.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
            out.append(f"console {params['type']}: {params.get('args')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
            out.append(f"log {params['entry']['level']}: {params['entry'].get('text')}")
    return out


def _shots_dir(tmp_path: Path) -> Path:
    d = Path(os.environ.get("DATELINE_SCREENSHOT_DIR", tmp_path))
    d.mkdir(parents=True, exist_ok=True)
    return d


def test_pages_load_in_chromium_without_errors_or_requests(
    browser: Browser, small_warehouse: Path, tmp_path: Path
) -> None:
    paths = write_report(small_warehouse, out_dir=tmp_path / "r")
    for page in (paths.run_html, paths.index_html):
        events = browser.open(page.as_uri())
        assert any(e["method"] == "Page.loadEventFired" for e in events)
        assert problems_in(events) == [], page.name
        requests = [e for e in events if e["method"] == "Network.requestWillBeSent"]
        assert [e["params"]["request"]["url"] for e in requests] == [page.as_uri()]
    # the browser renders the charts and the failure
    browser.open(paths.run_html.as_uri())
    assert browser.evaluate("document.querySelectorAll('svg rect').length") > 10
    assert "cameo_code_in_taxonomy" in browser.evaluate("document.body.innerText")
    # and it would have refused an external request (the page's CSP)
    bad = tmp_path / "bad.html"
    bad.write_text(
        paths.run_html.read_text().replace("</main>", '<img src="https://example.invalid/x.png"></main>')
    )
    assert any(
        "Content Security Policy" in p or "request to" in p for p in problems_in(browser.open(bad.as_uri()))
    )


def test_acceptance_pages_in_chromium(browser: Browser, acceptance: dict[str, Any], tmp_path: Path) -> None:
    shots = _shots_dir(tmp_path)
    for name, paths in acceptance["reports"].items():
        events = browser.open(paths.run_html.as_uri())
        assert problems_in(events) == [], name
        text = browser.evaluate("document.body.innerText")
        assert "Data quality" in text
        browser.screenshot(shots / f"report-{name}.png")
        assert (shots / f"report-{name}.png").stat().st_size > 10_000
    events = browser.open(acceptance["reports"]["empty"].index_html.as_uri())
    assert problems_in(events) == []
    browser.screenshot(shots / "report-index.png", height=1400)
    # the zero-events run says why it failed
    events = browser.open(acceptance["reports"]["empty"].run_html.as_uri())
    assert "events.rows_not_empty" in browser.evaluate("document.body.innerText")
