"""``dateline eval ner|ner-speed|events|sample``, ``dateline train-ner`` and ``train-parser``: quality measured
on gold data, and the models trained on it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from dateline.cli.common import UsageError, app, eval_app
from dateline.config import missing_shared, shared_data


@app.command("train-ner")
def train_ner_cmd(
    train: Annotated[Path, typer.Option("--train", help="CoNLL-2003 training file (e.g. eng.train).")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the best model to.")],
    dev: Annotated[
        Path | None,
        typer.Option("--dev", help="CoNLL file that chooses the checkpoint (default: a slice of --train)."),
    ] = None,
    dev_every: Annotated[
        int, typer.Option(help="Without --dev: every Nth document of --train is held out as the dev set.")
    ] = 10,
    vectors: Annotated[
        Path | None, typer.Option(help="Static vectors folder written by `dateline train-vectors`.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    config: Annotated[
        Path | None, typer.Option(help="spaCy training config (default: seeds/models/ner_config.cfg).")
    ] = None,
    max_steps: Annotated[int | None, typer.Option(help="Override training.max_steps.")] = None,
) -> None:
    """Train the NER model (spaCy tok2vec + ner) on CoNLL-2003 and write the best one to --out."""

    from dateline.evaluation.train_ner import DEFAULT_CONFIG, train_ner

    training_config = config or DEFAULT_CONFIG
    for label, path in (("--train", train), ("--dev", dev)):
        if path is not None and not path.is_file():
            raise UsageError(missing_shared(f"{label} file", path))
    if not training_config.is_file():
        raise UsageError(f"--config file {training_config} does not exist")
    if vectors is not None and not (vectors / "vocab" / "vectors").is_file():
        raise UsageError(
            f"--vectors {vectors}: no spaCy vectors there (write them with `dateline train-vectors`)"
        )
    if dev is None and dev_every < 2:
        raise UsageError(f"--dev-every {dev_every}: must be at least 2")
    facts = train_ner(
        train,
        dev,
        out,
        seed=seed,
        config=training_config,
        vectors=vectors,
        dev_every=dev_every,
        max_steps=max_steps,
    )
    sys.stdout.write(json.dumps(facts) + "\n")


@app.command("train-vectors")
def train_vectors_cmd(
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write the vectors to (a blank spaCy pipeline).")
    ],
    shared: Annotated[
        Path | None,
        typer.Option(help="The shared data folder (default: $DATELINE_SHARED_DATA) with corpus/ and eval/."),
    ] = None,
    dim: Annotated[int, typer.Option(help="Dimensions.")] = 100,
    min_count: Annotated[int, typer.Option(help="Keep words seen at least this often.")] = 3,
) -> None:
    """Count static word vectors for the NER from the BBC corpus, eng.train, UD EWT and PLV_train."""
    import os

    from dateline.evaluation.train_vectors import train_vectors

    root = shared or (
        Path(os.environ["DATELINE_SHARED_DATA"]) if os.environ.get("DATELINE_SHARED_DATA") else None
    )
    if root is None:
        raise UsageError("--shared is not given and DATELINE_SHARED_DATA is not set")
    for part in ("corpus/bbc", "eval/conll2003/eng.train", "eval/ud_english_ewt", "eval/plv/PLV_train.tsv"):
        if not (root / part).exists():
            raise UsageError(missing_shared(f"--shared {part}", root / part))
    facts = train_vectors(root, out, dim=dim, min_count=min_count)
    sys.stdout.write(json.dumps(facts) + "\n")


@app.command("train-parser")
def train_parser_cmd(
    train: Annotated[
        Path, typer.Option("--train", help="UD treebank, training file (en_ewt-ud-train.conllu).")
    ],
    dev: Annotated[Path, typer.Option("--dev", help="UD treebank, dev file for model selection.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the best model to.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    max_steps: Annotated[int | None, typer.Option(help="Override training.max_steps.")] = None,
) -> None:
    """Train the dependency parser (spaCy tok2vec + tagger + lemmatizer + parser) on a UD English treebank."""
    from dateline.evaluation.train_parser import train_parser

    for label, path in (("--train", train), ("--dev", dev)):
        if not path.is_file():
            raise UsageError(missing_shared(f"{label} file", path))
    facts = train_parser(train, dev, out, seed=seed, max_steps=max_steps)
    sys.stdout.write(json.dumps(facts) + "\n")


@app.command("train-events")
def train_events_cmd(
    labels: Annotated[
        list[Path],
        typer.Option("--labels", help="Silver label files of the BBC train half (repeat the option)."),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder to write model.json to.")],
    bbc: Annotated[
        Path | None,
        typer.Option("--bbc", help="The BBC corpus the labels point into (default: shared data)."),
    ] = None,
    plv: Annotated[
        Path | None, typer.Option("--plv", help="PLV_train.tsv: political news sentences, positives only.")
    ] = None,
    plover: Annotated[
        Path | None, typer.Option("--plover", help="PLOVER gold records (JSON array), positives only.")
    ] = None,
    min_precision: Annotated[
        float, typer.Option(help="Least cross-validated precision the chosen decision must reach.")
    ] = 0.3,
    record_weight: Annotated[
        float,
        typer.Option(min=0.0, help="Weight of a gold record's positive example (a silver example weighs 1)."),
    ] = 0.1,
    retype_as: Annotated[
        list[str] | None,
        typer.Option(
            "--retype-as",
            help="A PLOVER type the classifier may give a candidate instead of the lexicon's (repeat the "
            "option; 'all' for every type).",
        ),
    ] = None,
    criterion: Annotated[
        str, typer.Option(help="What the cross-validation maximizes: f1 or f0.5 (precision counts double).")
    ] = "f1",
) -> None:
    """Train the event classifier on silver labels (and gold records): candidates from the pipeline, 5-fold CV
    by article for the decision's thresholds; prints the training facts as JSON."""
    from dateline.evaluation.train_events import TrainEventsError, train_events
    from dateline.resources.ner_model import load_ner
    from dateline.resources.parser_model import load_parser
    from dateline.resources.reference import load_reference

    corpus = bbc or shared_data() / "corpus" / "bbc"
    if not corpus.is_dir():
        raise UsageError(missing_shared("--bbc folder", corpus))
    for path in labels:
        if not path.is_file():
            raise UsageError(f"--labels file {path} does not exist")
    if criterion not in ("f1", "f0.5"):
        raise UsageError(f"--criterion must be f1 or f0.5, not {criterion!r}")
    retype = _retype_types(retype_as or [])
    records = _training_records(plv, plover)
    try:
        facts = train_events(
            labels,
            corpus,
            out,
            load_reference(),
            load_ner(),
            load_parser(),
            records=records,
            min_precision=min_precision,
            record_weight=record_weight,
            retype=retype,
            criterion=criterion,
        )
    except TrainEventsError as e:
        raise UsageError(str(e)) from None
    except ImportError as e:
        raise _needs_sklearn(e) from None
    summary = {k: v for k, v in facts.items() if k != "cross_validation"}
    cv = facts["cross_validation"]
    sys.stdout.write(
        json.dumps(summary | {"cv_chosen": cv["chosen"], "cv_tree_check_alone": cv["tree_check_alone"]})
        + "\n"
    )


def _retype_types(names: list[str]) -> tuple[str, ...]:
    """The PLOVER types ``--retype-as`` names (``all``: every type), or a UsageError naming the unknown one."""
    from dateline.evaluation.train_events import PLOVER_TYPES

    if "all" in names:
        return PLOVER_TYPES
    for name in names:
        if name not in PLOVER_TYPES:
            raise UsageError(
                f"--retype-as {name!r} is not a PLOVER type ({', '.join(PLOVER_TYPES)}) or 'all'"
            )
    return tuple(dict.fromkeys(names))


def _needs_sklearn(error: ImportError) -> UsageError:
    """The one-line error of a training command run without the ``[train]`` extra."""
    return UsageError(f"training needs scikit-learn ({error}); install it with: pip install -e '.[train]'")


def _training_records(plv: Path | None, plover: Path | None) -> dict[str, list[dict]]:
    from dateline.evaluation.events import EvalDataError, read_plover, read_plv

    records: dict[str, list[dict]] = {}
    try:
        if plv is not None:
            records[plv.stem] = read_plv(plv)
        if plover is not None:
            records[plover.stem] = read_plover(plover)
    except EvalDataError as e:
        raise UsageError(str(e)) from None
    return records


app.add_typer(eval_app, name="eval")


@eval_app.command("ner")
def eval_ner_cmd(
    conll: Annotated[Path, typer.Option("--conll", help="CoNLL-2003 file (4 columns, IOB1 or IOB2).")],
    model: Annotated[
        Path | None, typer.Option(help="spaCy NER model folder (default: seeds/models/ner_conll).")
    ] = None,
    case: Annotated[
        str,
        typer.Option(
            help="Score the words as they are (as-is), or all upper- or lower-cased (upper, lower)."
        ),
    ] = "as-is",
) -> None:
    """Score the pipeline's NER on a CoNLL file; the last stdout line is the JSON result."""

    from dateline.evaluation.ner import CASES, evaluate_ner
    from dateline.resources.ner_model import NerModelMissing

    if not conll.is_file():
        raise UsageError(missing_shared("--conll file", conll))
    if case not in CASES:
        raise UsageError(f"--case {case!r}: expected one of {', '.join(CASES)}")
    try:
        result = evaluate_ner(conll, model, case=case)
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

    from dateline.evaluation.ner import ner_speed

    if not corpus.is_dir():
        raise UsageError(missing_shared("--corpus folder", corpus))
    result = ner_speed(corpus, model, limit=limit, n_process=n_process, batch_size=batch_size)
    sys.stdout.write(json.dumps(result) + "\n")


@eval_app.command("events")
def eval_events_cmd(
    plover: Annotated[Path | None, typer.Option("--plover", help="PLOVER gold records (JSON array).")] = None,
    silver: Annotated[
        list[Path] | None,
        typer.Option(
            "--silver",
            help="Silver BBC labels (seeds/silver/*.jsonl): precision on ordinary news. Repeat it to score "
            "several samples as one (a sentence in two files counts once, as the first file labels it).",
        ),
    ] = None,
    bbc: Annotated[
        Path | None,
        typer.Option("--bbc", help="The BBC corpus the silver labels point into (default: shared data)."),
    ] = None,
) -> None:
    """Score event coding against PLOVER gold records (--plover) or silver BBC labels (--silver); the last
    stdout line is the JSON result."""

    from dateline.resources.event_classifier import load_event_classifier
    from dateline.resources.ner_model import load_ner
    from dateline.resources.parser_model import load_parser
    from dateline.resources.reference import load_reference

    if (plover is None) == (not silver):
        raise UsageError("give one of --plover FILE or --silver FILE")
    models = (load_reference(), load_ner(), load_parser(), load_event_classifier())
    if plover is not None:
        result = _plover_result(plover, *models)
    else:
        assert silver
        result = _silver_result(silver, bbc or shared_data() / "corpus" / "bbc", *models)
    sys.stdout.write(json.dumps(result) + "\n")


def _plover_result(plover: Path, reference: dict, nlp: object, parser: object, classifier: object) -> dict:
    from dateline.evaluation.events import EvalDataError, evaluate_events, read_plover

    if not plover.is_file():
        raise UsageError(missing_shared("--plover file", plover))
    try:
        records = read_plover(plover)
    except EvalDataError as e:
        raise UsageError(str(e)) from None
    return evaluate_events(records, reference, nlp, parser, classifier)


def _silver_result(
    silver: list[Path], bbc: Path, reference: dict, nlp: object, parser: object, classifier: object
) -> dict:
    from dateline.evaluation.silver_score import evaluate_silver

    for path in silver:
        if not path.is_file():
            raise UsageError(f"--silver file {path} does not exist")
    if not bbc.is_dir():
        raise UsageError(missing_shared("--bbc folder", bbc))
    return evaluate_silver(silver, bbc, reference, nlp, parser, classifier)


@eval_app.command("events-cv")
def eval_events_cv_cmd(
    labels: Annotated[
        list[Path],
        typer.Option("--labels", help="Silver label files of the BBC train half (repeat the option)."),
    ],
    plv: Annotated[Path | None, typer.Option("--plv", help="PLV_train.tsv.")] = None,
    plover: Annotated[Path | None, typer.Option("--plover", help="PLOVER gold records (JSON array).")] = None,
    bbc: Annotated[
        Path | None,
        typer.Option("--bbc", help="The BBC corpus the labels point into (default: shared data)."),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model", help="The classifier whose settings to retrain per fold (default: the committed)."
        ),
    ] = None,
) -> None:
    """5-fold cross-validation over gold records through the full pipeline: per fold, the event classifier is
    retrained (the committed model's settings) without the fold's records and scores them; prints one JSON
    object per set of records (held-out numbers, unlike --plover on data the classifier trained on)."""
    from dateline.evaluation.train_events import TrainEventsError, records_cross_validation
    from dateline.resources.event_classifier import load_event_classifier
    from dateline.resources.ner_model import load_ner
    from dateline.resources.parser_model import load_parser
    from dateline.resources.reference import load_reference

    records = _training_records(plv, plover)
    if not records:
        raise UsageError("give --plv FILE and/or --plover FILE: the records to cross-validate over")
    corpus = bbc or shared_data() / "corpus" / "bbc"
    if not corpus.is_dir():
        raise UsageError(missing_shared("--bbc folder", corpus))
    try:
        result = records_cross_validation(
            labels, corpus, records, load_reference(), load_ner(), load_parser(), load_event_classifier(model)
        )
    except TrainEventsError as e:
        raise UsageError(str(e)) from None
    except ImportError as e:
        raise _needs_sklearn(e) from None
    sys.stdout.write(json.dumps(result) + "\n")


@eval_app.command("sample")
def eval_sample_cmd(
    what: Annotated[
        str, typer.Argument(help="What to sample: 'events' (event mentions) or 'entities' (entity mentions).")
    ],
    warehouse: Annotated[Path, typer.Option("--warehouse", help="The warehouse to sample from.")],
    n: Annotated[int, typer.Option("--n", min=1, help="How many to draw.")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same sample).")] = 0,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="A second warehouse built from the same files: draw up to N mentions only --warehouse has and "
            "up to N only this one has, shuffled, each with only_in (hide it from judges).",
        ),
    ] = None,
) -> None:
    """Write a random sample of event mentions (sentence, trigger, type, actors, polarity, status) or of
    entity mentions (sentence, span, name, type, country and its source) as JSON Lines, for judging."""
    from dateline.evaluation.sample import sample_differences, sample_entity_mentions, sample_event_mentions
    from dateline.warehouse.connection import connect

    if what not in ("events", "entities"):
        raise UsageError(f"cannot sample {what!r}: only 'events' or 'entities'")
    if what == "entities" and against is not None:
        raise UsageError("--against compares event mentions only")
    for option, path in (("--warehouse", warehouse), ("--against", against)):
        if path is not None and not path.is_file():
            raise UsageError(f"{option} {path} does not exist")
    with connect(warehouse, read_only=True) as con:
        if what == "entities":
            rows = sample_entity_mentions(con, n, seed)
        elif against is None:
            rows = sample_event_mentions(con, n, seed)
        else:
            with connect(against, read_only=True) as other:
                rows = sample_differences(con, other, n, seed)
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")


@eval_app.command("entities")
def eval_entities_cmd(
    warehouse: Annotated[Path, typer.Option("--warehouse", help="The warehouse to measure.")],
    path_like: Annotated[
        str,
        typer.Option("--path-like", help="Only articles whose source path is LIKE this (e.g. '%politics%')."),
    ] = "%",
) -> None:
    """Per entity type: mentions, the share with a country (or sector IGO) and, for people, the share that
    resolve to a full name; the last stdout line is the JSON result."""
    from dateline.evaluation.sample import entity_coverage
    from dateline.warehouse.connection import connect

    if not warehouse.is_file():
        raise UsageError(f"--warehouse {warehouse} does not exist")
    with connect(warehouse, read_only=True) as con:
        rows = entity_coverage(con, path_like)
    for r in rows:
        full = "" if r["full_name"] is None else f", full name {r['full_name']:.3f}"
        sys.stderr.write(
            f"{r['entity_type']:7} {r['mentions']:6} mentions, with a country {r['with_country']:.3f}{full}\n"
        )
    sys.stdout.write(json.dumps(rows) + "\n")
