"""The ``dateline`` command line: run, query.

Expected failures (bad input folder, locked warehouse, bad reference data, bad SQL) print one
readable line and exit non-zero, without a traceback: 1 = the run failed, 2 = bad usage/input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from flows import settings

settings.configure()

app = typer.Typer(
    name="dateline",
    help="Dateline: news articles -> events and entities in DuckDB, checked by data-quality rules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class UsageError(Exception):
    """Bad input or configuration: exit code 2."""


class RunFailed(Exception):
    """The run ran but failed: exit code 1."""


WarehouseOpt = Annotated[
    Path | None,
    typer.Option(
        "--warehouse", "-w", help="DuckDB file (default: $DATELINE_WAREHOUSE or warehouse/dateline.duckdb)."
    ),
]


@app.command()
def run(
    input_dir: Annotated[
        Path, typer.Option("--input", "-i", help="Folder of article files to ingest.")
    ] = settings.SAMPLE_ARTICLES,
    warehouse: WarehouseOpt = None,
    default_year: Annotated[
        int | None, typer.Option(help="Year for datelines without one when the text gives no evidence.")
    ] = None,
    max_bytes: Annotated[int, typer.Option(help="Files larger than this are quarantined.")] = 5_000_000,
) -> None:
    """Ingest every new or changed file under --input into the warehouse."""
    from flows.discover import InputError

    if not input_dir.exists() or not input_dir.is_dir():
        raise UsageError(f"input folder {input_dir} does not exist or is not a folder")
    path = settings.warehouse_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    from flows.ingest import ingest

    try:
        summary = ingest(input_dir.resolve(), path.resolve(), default_year=default_year, max_bytes=max_bytes)
    except InputError as e:
        raise UsageError(str(e)) from None
    _print_summary(summary)
    if summary.status != "success":
        raise RunFailed(summary.message or "run failed")


def _print_summary(s) -> None:
    console.print(f"[bold]run {s.run_id}[/bold]  {s.status}  ({s.seconds:.1f} s)")
    console.print(f"input      {s.input_dir}\nwarehouse  {s.warehouse}")
    console.print(
        f"files      seen {s.files_seen} / new {s.files_new} / unchanged {s.files_unchanged} / "
        f"duplicate {s.files_duplicate} / quarantined {s.files_quarantined}"
    )
    if s.rows:
        t = RichTable("table", "rows written", box=None)
        for name, n in sorted(s.rows.items()):
            t.add_row(name, str(n))
        console.print(t)
    for path, why in s.quarantined[:20]:
        console.print(f"quarantined  {path}: {why}")
    if len(s.quarantined) > 20:
        console.print(f"... and {len(s.quarantined) - 20} more (see the quarantine table)")
    console.print(f"data quality  {s.dq_verdict}")
    for line in s.dq_failed[:20]:
        console.print(f"  {line}")
    if s.message:
        console.print(s.message)


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL to run (read-only).")],
    warehouse: WarehouseOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | csv | json")] = "table",
    limit: Annotated[int, typer.Option(help="Rows to show in table format.")] = 200,
) -> None:
    """Run a read-only SQL query against the warehouse."""
    import duckdb

    from flows import warehouse as wh

    path = settings.warehouse_path(warehouse)
    if not path.exists():
        raise UsageError(f"warehouse {path} does not exist yet: run 'dateline run' first")
    if fmt not in ("table", "csv", "json"):
        raise UsageError(f"--format must be table, csv or json, not {fmt!r}")
    con = wh.connect(path, read_only=True)
    try:
        try:
            df = con.sql(sql).pl()
        except duckdb.Error as e:
            raise UsageError(f"query failed: {str(e).splitlines()[0]}") from None
    finally:
        con.close()
    if fmt == "csv":
        sys.stdout.write(df.write_csv())
    elif fmt == "json":
        sys.stdout.write(df.write_json() + "\n")
    else:
        t = RichTable(*df.columns)
        for row in df.head(limit).iter_rows():
            t.add_row(*["" if v is None else str(v) for v in row])
        console.print(t)
        if df.height > limit:
            console.print(f"({df.height} rows, {limit} shown)")


@app.command("train-ner")
def train_ner_cmd(
    train: Annotated[Path, typer.Option("--train", help="CoNLL-2003 training file (e.g. eng.train).")],
    dev: Annotated[Path, typer.Option("--dev", help="CoNLL-2003 dev file for model selection (eng.testa).")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the best model to.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    config: Annotated[
        Path | None, typer.Option(help="spaCy training config (default: seeds/models/ner_config.cfg).")
    ] = None,
    max_steps: Annotated[int | None, typer.Option(help="Override training.max_steps.")] = None,
) -> None:
    """Train the NER model (spaCy tok2vec + ner) on CoNLL-2003 and write the best one to --out."""
    import json

    from flows.ner_train import DEFAULT_CONFIG, train_ner

    cfg = config or DEFAULT_CONFIG
    for label, path in (("--train", train), ("--dev", dev), ("--config", cfg)):
        if not path.is_file():
            raise UsageError(f"{label} file {path} does not exist")
    facts = train_ner(train, dev, out, seed=seed, config=cfg, max_steps=max_steps)
    sys.stdout.write(json.dumps(facts) + "\n")


eval_app = typer.Typer(help="Measure extraction against gold data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("ner")
def eval_ner_cmd(
    conll: Annotated[Path, typer.Option("--conll", help="CoNLL-2003 file (4 columns, IOB1 or IOB2).")],
    model: Annotated[
        Path | None, typer.Option(help="spaCy NER model folder (default: seeds/models/ner_conll).")
    ] = None,
) -> None:
    """Score the pipeline's NER on a CoNLL file; the last stdout line is the JSON result."""
    import json

    from flows.evaluate import evaluate_ner
    from flows.ner_model import NerModelMissing

    if not conll.is_file():
        raise UsageError(f"--conll file {conll} does not exist")
    try:
        result = evaluate_ner(conll, model)
    except NerModelMissing as e:
        raise UsageError(str(e)) from None
    except ValueError as e:
        raise UsageError(f"{conll}: {e}") from None
    sys.stdout.write(json.dumps(result) + "\n")


@eval_app.command("ner-speed")
def eval_ner_speed_cmd(
    corpus: Annotated[Path, typer.Option("--corpus", help="Folder of article text files (any depth).")],
    model: Annotated[Path | None, typer.Option(help="spaCy NER model folder.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many files.")] = 0,
    n_process: Annotated[int, typer.Option(help="Processes for nlp.pipe.")] = 1,
    batch_size: Annotated[int, typer.Option(help="Batch size for nlp.pipe.")] = 64,
) -> None:
    """Time the NER alone on article texts; the last stdout line is JSON (articles/s, tokens/s)."""
    import json

    from flows.evaluate import ner_speed

    if not corpus.is_dir():
        raise UsageError(f"--corpus folder {corpus} does not exist")
    result = ner_speed(corpus, model, limit=limit, n_process=n_process, batch_size=batch_size)
    sys.stdout.write(json.dumps(result) + "\n")


@eval_app.command("events")
def eval_events_cmd(
    plover: Annotated[Path, typer.Option("--plover", help="PLOVER gold records (JSON array).")],
) -> None:
    """Score event coding against PLOVER gold records; the last stdout line is the JSON result."""
    import json

    from flows.eval_events import EvalDataError, evaluate_events, read_plover
    from flows.reference import load_reference

    try:
        records = read_plover(plover)
    except EvalDataError as e:
        raise UsageError(str(e)) from None
    result = evaluate_events(records, load_reference())
    sys.stdout.write(json.dumps(result) + "\n")


@app.command()
def report(
    run_id: Annotated[
        str | None, typer.Option("--run", help="Run to report (default: the latest run).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder for the HTML files (default: reports/ next to the warehouse)."
        ),
    ] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Write the self-contained HTML data-quality report of a run, and the index over all runs."""
    from flows.report import ReportError, write_report

    path = settings.warehouse_path(warehouse)
    if not path.exists():
        raise UsageError(f"warehouse {path} does not exist yet: run 'dateline run' first")
    try:
        paths = write_report(path, run_id=run_id, out_dir=out)
    except ReportError as e:
        raise UsageError(str(e)) from None
    console.print(f"data-quality report of run {paths.run_id}: {paths.run_html}")
    console.print(f"all runs: {paths.index_html}")


def main() -> None:
    """Entry point: run the typer app and turn expected failures into one line and an exit code."""
    from flows.reference import ReferenceDataError
    from flows.warehouse import WarehouseError

    try:
        app(standalone_mode=False)
    except (UsageError, ReferenceDataError) as e:
        err.print(f"dateline: error: {e}")
        raise SystemExit(2) from None
    except (RunFailed, WarehouseError) as e:
        err.print(f"dateline: {e}")
        raise SystemExit(1) from None
    except typer.Abort:
        err.print("dateline: aborted")
        raise SystemExit(130) from None
    except SystemExit:
        raise
    except Exception as e:  # click usage errors arrive here in standalone_mode=False
        import click

        if isinstance(e, click.ClickException):
            e.show()
            raise SystemExit(2) from None
        raise


if __name__ == "__main__":
    main()
