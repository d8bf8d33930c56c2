"""End-to-end benchmark: the full `dateline run` on a copy of a corpus into a fresh warehouse.

Usage: .venv/bin/python -m dateline.evaluation.bench [--corpus DIR] [--runs N]   (make bench)

Prints, per run and as the last line, ``N articles/s`` (articles loaded / wall-clock seconds of the
whole command, start-up included) and the peak resident memory of the command: the largest sum of
the RSS of the command and all its descendants (extraction workers, Prefect's API server), sampled
every 0.1 s, and the largest single process (``ru_maxrss``). It is a script, not a test: numbers
are measured, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb

from dateline import environment
from dateline.config import REPO_ROOT, missing_shared, shared_data
from dateline.runtime.interrupts import processes


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


def bench_once(corpus: Path, work: Path) -> dict:
    input_dir = work / "input"
    if input_dir.exists():
        shutil.rmtree(input_dir)
    shutil.copytree(corpus, input_dir)
    warehouse = work / "bench.duckdb"
    for stale in work.glob("bench.duckdb*"):
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


def main(argv: list[str] | None = None) -> None:
    environment.configure()  # the runs it starts inherit the offline, quiet settings
    parser = argparse.ArgumentParser(description="Benchmark `dateline run` end to end.")
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        raise SystemExit(f"bench: {missing_shared('corpus folder', args.corpus)} (or pass --corpus)")
    with tempfile.TemporaryDirectory(prefix="dateline-bench-") as tmp:
        results = []
        for i in range(args.runs):
            result = bench_once(args.corpus, Path(tmp))
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
            f"(all processes of the run; largest single process {best['peak_rss_single_process_mb']} MB)"
        )


if __name__ == "__main__":
    main()
