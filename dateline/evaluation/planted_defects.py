"""Acceptance check of the data-quality checks: the BBC corpus plus planted defects.

Runs the pipeline's stages (discover, parse, route, extract -- the functions the Prefect tasks
call, without Prefect) over ``$DATELINE_SHARED_DATA/corpus/bbc`` plus a folder of bad files, and
writes three runs into a warehouse:

1. ``clean``    -- the first part of the articles, loaded (the history the later runs compare with);
2. ``planted``  -- the next part plus the bad files, with defects planted in the extracted frames:
   a duplicated event_id, CAMEO codes ``13y`` and ``120]--``, a placeholder event repeated across
   articles (in events and event_mentions), an offset beyond the body, evidence that is not the body slice, a dangling entity
   foreign key, an article without sentences;
3. ``empty``    -- the rest, as if extraction had silently produced no events (nor event mentions).

Then it writes the HTML report of each run and prints which checks failed with their rows.

    .venv/bin/python -m dateline.evaluation.planted_defects                  # all 2,225 BBC files (~1 min)
    .venv/bin/python -m dateline.evaluation.planted_defects --limit 90 --out /tmp/dq

``tests/system/test_report.py`` runs the same on a small part of the corpus.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from dateline import environment
from dateline.config import REPO_ROOT as REPO
from dateline.config import Config, missing_shared, shared_data
from dateline.pipeline.discover import discover
from dateline.pipeline.frames import build_frames
from dateline.pipeline.run import Run, connected
from dateline.pipeline.summary import count_files
from dateline.quality.validate import validate_run, verdict
from dateline.report.html import ReportPaths, write_report
from dateline.resources.reference import load_reference
from dateline.warehouse import load, lookups, reference_tables, runs, schema
from transforms.extract import extract
from transforms.parse import parse_files
from transforms.route import route_units

BAD_FILES = REPO / "tests" / "fixtures" / "bad"
CAMEO_BAD = ("13y", "120]--")
PLACEHOLDER_ARTICLES = 12
DANGLING_ENTITY = "person:nobody-dangling"

#: (table, check) each planted defect must fail, and a value its example rows must contain.
EXPECTED: dict[str, tuple[str, str]] = {
    "duplicated event_id": ("events", "pk_unique"),
    "invalid CAMEO codes": ("events", "cameo_code_in_taxonomy"),
    "placeholder event": ("events", "not_placeholder"),
    "offset beyond the body": ("quantities", "end_within_body"),
    "evidence not the body slice": ("events", "evidence_text_equals_body_slice"),
    "dangling entity foreign key": ("entity_mentions", "fk_entity_id"),
    "article without sentences": ("articles", "has_sentences"),
    "zero events from a non-empty batch": ("events", "rows_not_empty"),
}


@dataclass
class Planted:
    """What was planted: defect -> values its example rows must show (article ids, codes, ...)."""

    values: dict[str, list[str]] = field(default_factory=dict)


def batch_frames(
    units: pl.DataFrame, reference: dict[str, pl.DataFrame], run_id: str, today: date
) -> dict[str, pl.DataFrame]:
    """The fact-table frames of one batch (as the flow makes them: ``build_frames``)."""
    articles = units.filter(pl.col("route") == "article")
    extracted = extract(articles, reference, today=today, default_year=None)
    return build_frames(units, extracted, run_id)


def route(paths: list[Path]) -> pl.DataFrame:
    """Discover + parse + route the files under ``paths`` (an empty warehouse: nothing known)."""
    files = pl.concat([_discover(p) for p in paths], how="vertical_relaxed")
    known = pl.DataFrame(
        schema={
            "source_path": pl.String,
            "source_record": pl.Int64,
            "content_sha256": pl.String,
            "article_id": pl.String,
            "place": pl.String,
        }
    )
    return route_units(parse_files(files), known)


def _discover(path: Path) -> pl.DataFrame:
    found = discover(path, max_bytes=Config.max_bytes)
    return getattr(found, "files", found)  # Discovery (newer dateline.pipeline.discover) or the frame itself


def _set(df: pl.DataFrame, idx: int, column: str, value: object) -> pl.DataFrame:
    return df.with_columns(
        pl.when(pl.int_range(pl.len()) == idx).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    )


def plant(frames: dict[str, pl.DataFrame]) -> tuple[dict[str, pl.DataFrame], Planted]:
    """Plant one of each defect into a copy of ``frames``; say which rows carry them."""
    f = dict(frames)
    planted = Planted()
    ev = f["events"]
    # distinct articles' events carry the defects, so each defect is its own row
    firsts = ev.with_row_index("_i").group_by("article_id", maintain_order=True).first().head(6)
    rows = firsts.get_column("_i").to_list()
    if len(rows) < 6:
        raise ValueError("the batch needs events in at least 6 articles to plant the defects")
    ids = ev.get_column("event_id")
    ev = _set(ev, rows[1], "event_id", ids[rows[0]])
    planted.values["duplicated event_id"] = [ids[rows[0]]]
    ev = _set(ev, rows[2], "cameo_code", CAMEO_BAD[0])
    ev = _set(ev, rows[3], "cameo_code", CAMEO_BAD[1])
    planted.values["invalid CAMEO codes"] = list(CAMEO_BAD)
    ev = _set(ev, rows[4], "evidence_text", "Officials met in secret, the placeholder said.")
    planted.values["evidence not the body slice"] = [ev.get_column("article_id")[rows[4]]]
    # a hard-coded event: the same words, type and actors in many articles (real slices of each body)
    arts = f["articles"].filter(pl.col("body").str.contains(" said "))
    arts = arts.head(PLACEHOLDER_ARTICLES)
    placeholder = []
    template = ev.row(rows[5], named=True)
    for k, a in enumerate(arts.iter_rows(named=True)):
        start = a["body"].index(" said ") + 1
        placeholder.append(
            {
                **template,
                "event_id": f"placeholder-{k:03d}",
                "article_id": a["article_id"],
                "sentence_idx": 0,
                "start_char": start,
                "end_char": start + 4,
                "evidence_text": "said",
                "trigger_text": "said",
                "event_type": "CONSULT",
                "cameo_code": "040",
                "quad_class": 1,
                "goldstein": 1.0,
                "source_entity_id": None,
                "target_entity_id": None,
                "event_date": None,
            }
        )
    ev = pl.concat([ev, pl.DataFrame(placeholder, schema=ev.schema)])
    planted.values["placeholder event"] = [p["event_id"] for p in placeholder[:1]]
    f["events"] = ev
    # ... and its reports (without actors or date, each is its own event)
    em = f["event_mentions"]
    reports = [{**p, "mention_id": p["event_id"]} for p in placeholder]
    f["event_mentions"] = pl.concat([em, pl.DataFrame(reports).select(em.columns).cast(em.schema)])
    # an offset beyond the body
    q = f["quantities"]
    art = f["articles"].filter(pl.col("article_id") == q.get_column("article_id")[0])
    body_len = len(art.get_column("body")[0])
    f["quantities"] = _set(q, 0, "end_char", body_len + 50)
    planted.values["offset beyond the body"] = [q.get_column("quantity_id")[0]]
    # a mention of an entity that exists nowhere
    f["entity_mentions"] = _set(f["entity_mentions"], 0, "entity_id", DANGLING_ENTITY)
    planted.values["dangling entity foreign key"] = [DANGLING_ENTITY]
    # an article whose sentences went missing
    last = f["articles"].get_column("article_id")[-1]
    f["sentences"] = f["sentences"].filter(pl.col("article_id") != last)
    planted.values["article without sentences"] = [last]
    return f, planted


def _record(
    warehouse: Path,
    run_id: str,
    input_dir: str,
    batch: tuple[pl.DataFrame, dict[str, pl.DataFrame]],
    reference: dict[str, pl.DataFrame],
    today: date,
) -> pl.DataFrame:
    """Validate a batch (its routed units and its frames) against the history and record the run
    as the flow does (:class:`dateline.pipeline.run.Run`): loaded if its checks pass, else
    rejected. Returns its check results."""
    units, frames = batch
    with Run(warehouse, run_id, input_dir) as run:
        with connected(warehouse) as con:
            run.start(con)
            history = runs.dq_history(con, run_id)
            existing = lookups.existing_keys(con)
        run.count(count_files(units, read=units["source_path"].n_unique(), skipped=0, deleted=0))
        dq, metrics = validate_run(frames, reference, existing, history, run_id=run_id, today=today)
        if run.checked(dq) == "fail":
            run.rejected(dq, metrics)
        else:
            with connected(warehouse) as con:
                rows = load.load_batch(con, run_id, frames, dq)
            run.loaded(rows, metrics, checkpoint=False)
    return dq


def _parts(bbc: Path, limit: int | None) -> list[pl.DataFrame]:
    """The routed units of the first ``limit`` BBC files in three parts that each span the
    corpus' sections; a duplicate goes with the article it duplicates (else its foreign key
    would dangle), inputs without an article to the first part."""
    units = route([bbc]).sort("source_path")
    paths = units.get_column("source_path").unique(maintain_order=True)
    if limit is not None:
        paths = paths.head(limit)
    units = units.filter(pl.col("source_path").is_in(paths.implode()))
    ids = units.get_column("article_id").drop_nulls().unique(maintain_order=True)
    part_of = pl.DataFrame({"article_id": ids, "_part": pl.int_range(len(ids), eager=True) % 3})
    units = units.join(part_of, on="article_id", how="left").with_columns(pl.col("_part").fill_null(0))
    return [units.filter(pl.col("_part") == i).drop("_part") for i in range(3)]


def run_acceptance(
    bbc: Path, warehouse: Path, out_dir: Path, limit: int | None = None, bad: Path = BAD_FILES
) -> tuple[dict[str, pl.DataFrame], dict[str, ReportPaths], Planted]:
    """The three runs; returns each run's dq_results, report paths and what was planted."""
    reference = load_reference()
    today = datetime.now(UTC).date()
    clean_units, planted_units, empty_units = _parts(bbc, limit)
    planted_units = pl.concat([planted_units, route([bad])], how="vertical_relaxed")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    run_ids = {name: f"{stamp}Z-{name}" for name in ("clean", "planted", "empty")}
    with connected(warehouse) as con:
        schema.init_schema(con)
        reference_tables.load_reference(con, reference)
    results: dict[str, pl.DataFrame] = {}
    clean = batch_frames(clean_units, reference, run_ids["clean"], today)
    results["clean"] = _record(warehouse, run_ids["clean"], str(bbc), (clean_units, clean), reference, today)
    planted_frames, planted = plant(batch_frames(planted_units, reference, run_ids["planted"], today))
    results["planted"] = _record(
        warehouse, run_ids["planted"], f"{bbc} + {bad}", (planted_units, planted_frames), reference, today
    )
    empty = batch_frames(empty_units, reference, run_ids["empty"], today)
    empty["events"] = empty["events"].clear()
    empty["event_mentions"] = empty["event_mentions"].clear()
    results["empty"] = _record(warehouse, run_ids["empty"], str(bbc), (empty_units, empty), reference, today)
    reports = {name: write_report(warehouse, rid, out_dir) for name, rid in run_ids.items()}
    return results, reports, planted


def main(argv: list[str] | None = None) -> int:
    environment.configure()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bbc", type=Path, default=shared_data() / "corpus" / "bbc")
    ap.add_argument("--bad", type=Path, default=BAD_FILES)
    ap.add_argument("--limit", type=int, default=None, help="use only the first N BBC files")
    ap.add_argument("--warehouse", type=Path, default=None, help="default: a new temporary file")
    ap.add_argument("--out", type=Path, default=None, help="report folder (default: next to the warehouse)")
    args = ap.parse_args(argv)
    if not args.bbc.is_dir():
        print(f"planted_defects: {missing_shared('BBC corpus', args.bbc)}", file=sys.stderr)
        return 2
    warehouse = args.warehouse or Path(tempfile.mkdtemp(prefix="dateline-dq-")) / "dq.duckdb"
    out = args.out or warehouse.parent / "reports"
    started = time.perf_counter()
    results, reports, planted = run_acceptance(args.bbc, warehouse, out, args.limit, args.bad)
    print(f"warehouse {warehouse}  ({time.perf_counter() - started:.1f} s)")
    for name, dq in results.items():
        failed = dq.filter(~pl.col("success"))
        print(f"\nrun {name}: verdict {verdict(dq)}, {failed.height} failed of {dq.height} checks")
        for r in failed.sort("severity", "table_name", "check_name").iter_rows(named=True):
            print(f"  {r['severity']:8} {r['table_name']}.{r['check_name']}: {r['observed_value']}")
        print(f"  report: {reports[name].run_html}")
    missing = []
    dq = pl.concat([results["planted"], results["empty"]])
    for defect, (table, check) in EXPECTED.items():
        hit = dq.filter(
            (pl.col("table_name") == table) & (pl.col("check_name") == check) & ~pl.col("success")
        )
        examples = hit.get_column("unexpected_examples").to_list()
        wanted = planted.values.get(defect, [])
        shown = all(any(w in e for e in examples) for w in wanted) if wanted else hit.height > 0
        print(f"{'ok ' if hit.height and shown else 'MISSING'} {defect}: {table}.{check}")
        if not (hit.height and shown):
            missing.append(defect)
    print(f"\nindex: {reports['empty'].index_html}")
    if results["clean"].filter(~pl.col("success") & (pl.col("severity") == "critical")).height:
        print("the clean run failed a critical check", file=sys.stderr)
        return 1
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["EXPECTED", "plant", "run_acceptance"]
