"""The extraction stage over a whole batch of articles: sentences, entities, events, quantities."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from spacy.language import Language

from transforms.coref import link_names
from transforms.dates import infer_publication_dates
from transforms.entities import (
    as_nationalities,
    detect_mentions,
    entities_from_mentions,
    mentions_frame,
    resolve_persons,
    slug,
    with_ner_confidence,
)
from transforms.event_classifier import EventClassifier
from transforms.events import extract_events
from transforms.gazetteer import Gazetteer, build_gazetteer, norm_key
from transforms.ner import ner_spans
from transforms.pymap import map_py
from transforms.quantities import extract_quantities
from transforms.sentences import sentences as split_sentences
from transforms.verbs import VerbLexicon, build_verb_lexicon


def extract(
    articles: pl.DataFrame,
    reference: dict[str, pl.DataFrame],
    *,
    today: date,
    default_year: int | None = None,
    gazetteer: Gazetteer | None = None,
    verbs: VerbLexicon | None = None,
    nlp: Language | None = None,
    parser: Language | None = None,
    classifier: EventClassifier | None = None,
    candidates: bool = False,
) -> dict[str, pl.DataFrame]:
    """Run every extractor over ``articles`` (parsed units routed as new articles).

    ``nlp``, when given, is the statistical NER model (dateline.resources.ner_model.load_ner): its spans join
    the gazetteer and the title rules as mention candidates. ``parser``, when given, is the dependency
    parser (dateline.resources.parser_model.load_parser) event coding checks its candidates with
    (transforms.events); ``classifier`` (dateline.resources.event_classifier.load_event_classifier), with
    the parser, decides which candidates are events. ``candidates`` returns every candidate undecided, with
    its features (training: dateline.evaluation.train_events). ``gazetteer`` and ``verbs`` may be
    passed prebuilt from ``reference`` (a caller running many batches builds them once).

    Articles are independent of each other: ``merge_extracted`` of the results over disjoint
    chunks of ``articles`` equals the result over all of them.

    Returns frames keyed by table name: articles (publication dates completed), sentences,
    entities, entity_mentions, events, quantities. Columns follow schemas.tables; run_id is
    added by the caller.
    """
    gaz = gazetteer or build_gazetteer(reference)
    for col, dtype in (("dateline_month", pl.Int8), ("dateline_day", pl.Int8), ("outlet", pl.String)):
        if col not in articles.columns:
            articles = articles.with_columns(pl.lit(None, dtype=dtype).alias(col))
    sents = split_sentences(articles)
    ner = None
    if nlp is not None:
        ner = ner_spans(articles.select(pl.col("article_id").alias("id"), pl.col("body").alias("text")), nlp)
        ner = ner.rename({"id": "article_id"})
    ms = detect_mentions(articles, gaz, ner)
    articles = infer_publication_dates(
        articles, mentions_frame(ms), reference["actor_roles"], today=today, default_year=default_year
    )
    resolve_persons(ms, dict(articles.select("article_id", "published_date").iter_rows()), gaz)
    link_names(ms, dict(articles.select("article_id", "body").iter_rows()))
    mentions = with_ner_confidence(_with_sentence_idx(mentions_frame(ms), sents), ner)
    keys = mentions.select(
        pl.concat_str(["article_id", "start_char", "end_char", "entity_id"], separator="|")
    ).to_series()
    mentions = mentions.with_columns(
        map_py(keys, lambda k: hashlib.sha256(k.encode()).hexdigest()[:16], pl.String).alias("mention_id")
    ).unique("mention_id", keep="first", maintain_order=True)
    if verbs is None and "verb_forms" in reference:
        verbs = build_verb_lexicon(reference["verb_forms"], reference["verb_patterns"])
    events = extract_events(
        articles, sents, mentions, reference["event_taxonomy"], verbs, parser, classifier, candidates
    )
    mentions = as_nationalities(mentions)
    entities = entities_from_mentions(mentions)
    entities = _add_referenced_actors(entities, events, reference["actors"])
    articles, entities = _outlets(articles, entities, gaz)
    quantities = extract_quantities(articles, sents)
    return {
        "articles": articles,
        "sentences": sents,
        "entities": entities,
        "entity_mentions": mentions,
        "events": events,
        "quantities": quantities,
    }


def merge_extracted(parts: Sequence[dict[str, pl.DataFrame]]) -> dict[str, pl.DataFrame]:
    """One result from ``extract`` results over disjoint chunks of articles.

    Row tables are concatenated in chunk order. Entities are the one table that spans articles:
    those named in mentions are rebuilt from all mentions (``entities_from_mentions``: the most
    frequent country over the whole batch), then the chunks' other entities (actors referenced
    by events, outlets) are added once each.
    """
    if not parts:
        raise ValueError("merge_extracted needs at least one extract() result")
    if len(parts) == 1:
        return dict(parts[0])
    out = {name: pl.concat([p[name] for p in parts], how="vertical_relaxed") for name in parts[0]}
    named = entities_from_mentions(out["entity_mentions"])
    others = (
        out["entities"]
        .filter(~pl.col("entity_id").is_in(named.get_column("entity_id").implode()))
        .unique("entity_id", keep="first", maintain_order=True)
    )
    out["entities"] = pl.concat([named, others.select(named.columns)], how="vertical_relaxed")
    return out


def _with_sentence_idx(mentions: pl.DataFrame, sents: pl.DataFrame) -> pl.DataFrame:
    if mentions.height == 0:
        return mentions.with_columns(pl.lit(None, dtype=pl.Int64).alias("sentence_idx"))
    starts = sents.select("article_id", "sentence_idx", pl.col("start_char").alias("s_start")).sort(
        "article_id", "s_start"
    )
    return (
        mentions.sort("article_id", "start_char")
        .join_asof(
            starts,
            left_on="start_char",
            right_on="s_start",
            by="article_id",
            strategy="backward",
            check_sortedness=False,
        )
        .with_columns(pl.col("sentence_idx").fill_null(0))
        .drop("s_start")
    )


def _actor_entities(actors: pl.DataFrame) -> pl.DataFrame:
    """Reference actors as entity rows."""
    return actors.select(
        pl.col("actor_id").alias("entity_id"),
        "canonical_name",
        "entity_type",
        "country_iso3",
        pl.lit("reference").alias("country_source"),
        "sector",
        "actor_id",
    )


def _add_referenced_actors(
    entities: pl.DataFrame, events: pl.DataFrame, actors: pl.DataFrame
) -> pl.DataFrame:
    """Events may name an actor only through another mention (e.g. a government): add those."""
    ids = pl.concat([events["source_entity_id"], events["target_entity_id"]]).drop_nulls().unique()
    missing = ids.filter(~ids.is_in(entities["entity_id"].implode()))
    if missing.len() == 0:
        return entities
    extra = _actor_entities(actors.filter(pl.col("actor_id").is_in(missing.implode())))
    return pl.concat([entities, extra.select(entities.columns)], how="vertical_relaxed")


def _outlets(
    articles: pl.DataFrame, entities: pl.DataFrame, gaz: Gazetteer
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Link each article's outlet (metadata, not body text) to an entity: a known actor or a new ORG."""
    outlets = articles.select("outlet").drop_nulls().unique()
    if outlets.height == 0:
        return articles.with_columns(pl.lit(None, dtype=pl.String).alias("outlet_entity_id")), entities
    keyed = outlets.with_columns(map_py(outlets.get_column("outlet"), norm_key, pl.String).alias("pattern"))
    known = keyed.join(gaz.aliases.select("pattern", "actor_id"), on="pattern", how="left")
    new_ids = map_py(known.get_column("outlet"), lambda o: f"org:{slug(o)}", pl.String)
    known = known.with_columns(pl.coalesce(pl.col("actor_id"), pl.lit(new_ids)).alias("outlet_entity_id"))
    actors = gaz.actors.filter(pl.col("actor_id").is_in(known["actor_id"].drop_nulls().implode()))
    new = pl.concat(
        [
            _actor_entities(actors),
            known.filter(pl.col("actor_id").is_null()).select(
                pl.col("outlet_entity_id").alias("entity_id"),
                pl.col("outlet").alias("canonical_name"),
                pl.lit("ORG").alias("entity_type"),
                pl.lit(None, dtype=pl.String).alias("country_iso3"),
                pl.lit("unknown: outlet not in the actors table").alias("country_source"),
                pl.lit("MED").alias("sector"),
                pl.lit(None, dtype=pl.String).alias("actor_id"),
            ),
        ],
        how="vertical_relaxed",
    )
    entities = pl.concat([entities, new.select(entities.columns)], how="vertical_relaxed").unique(
        "entity_id", keep="first", maintain_order=True
    )
    articles = articles.join(known.select("outlet", "outlet_entity_id"), on="outlet", how="left")
    return articles, entities
