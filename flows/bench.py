"""End-to-end benchmark: the full `dateline run` on a copy of a corpus into a fresh warehouse.

Usage: .venv/bin/python -m flows.bench [--corpus DIR] [--runs N]   (make bench)

Prints, per run and as the last line, ``N articles/s`` (articles loaded / wall-clock seconds of the
whole command, start-up included) and the peak resident memory of the command. It is a script, not
a test: numbers are measured, not asserted.
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
import time
from pathlib import Path

import duckdb

from flows.settings import REPO_ROOT


def default_corpus() -> Path:
    base = Path(os.environ.get("DATELINE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
    return base / "corpus" / "bbc"


def bench_once(corpus: Path, work: Path) -> dict:
    inp = work / "input"
    if inp.exists():
        shutil.rmtree(inp)
    shutil.copytree(corpus, inp)
    wh = work / "bench.duckdb"
    for p in work.glob("bench.duckdb*"):
        p.unlink()
    cmd = [sys.executable, "-m", "flows.cli", "run", "--input", str(inp), "--warehouse", str(wh)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-2000:])
        raise SystemExit(f"bench: dateline run failed with exit code {proc.returncode}")
    con = duckdb.connect(str(wh), read_only=True)
    try:
        articles = con.execute("SELECT count(*) FROM articles").fetchall()[0][0]
    finally:
        con.close()
    return {
        "articles": articles,
        "seconds": round(seconds, 2),
        "articles_per_s": round(articles / seconds, 1),
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Benchmark `dateline run` end to end.")
    ap.add_argument("--corpus", type=Path, default=default_corpus())
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args(argv)
    if not args.corpus.is_dir():
        raise SystemExit(
            f"bench: corpus folder {args.corpus} not found (set DATELINE_SHARED_DATA or --corpus)"
        )
    with tempfile.TemporaryDirectory(prefix="dateline-bench-") as tmp:
        results = []
        for i in range(args.runs):
            r = bench_once(args.corpus, Path(tmp))
            results.append(r)
            print(f"run {i + 1}: {r['articles']} articles in {r['seconds']} s", flush=True)
        best = max(results, key=lambda r: r["articles_per_s"])
        print(json.dumps(best))
        print(f"{best['articles_per_s']} articles/s, peak RSS {best['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
