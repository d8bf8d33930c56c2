"""Near-duplicate articles (syndicated copies of one story): MinHash signatures, LSH, stories.

A wire story carried by several outlets arrives as several articles that differ by a line, a
headline or a dropped sentence. Exact copies (same bytes) are routed to ``duplicates`` earlier
(:mod:`transforms.route`); near-duplicates stay articles, and this module says which story each
one belongs to (``articles.near_duplicate_of``).

* **Shingles**: the body is lower-cased and reduced to its words (``\\w+`` runs: punctuation and
  spacing ignored); its shingles are the runs of :data:`SHINGLE_WORDS` (5) consecutive words, or
  the whole word list for a body shorter than that. Five words are long enough that unrelated
  news stories share few shingles (common phrases such as "said on Monday that" are 4-5 words;
  single words or pairs would make every article about the same topic look alike), and short
  enough that one edit changes only the 5 shingles that overlap it: a line added to a 400-word
  article keeps the estimated Jaccard similarity near 0.95.
* **Signatures**: datasketch's ``MinHash.bulk`` (sha1 of each shingle, ``num_perm`` random
  permutations from the fixed seed :data:`SEED`: the same text has the same signature in every
  run and process), one ``uint32`` row per article.
* **Candidates**: LSH banding, with datasketch's optimal ``(bands, rows)`` for the threshold
  weighted for recall (:data:`LSH_WEIGHTS`; :func:`lsh_params`: 16 bands of 8 rows for 0.8 and
  128 permutations, which proposes 95% of the pairs at similarity 0.8 and 99.4% at 0.85, where
  the unweighted 9 x 13 proposes 40% and 69%): every candidate is verified, so a false
  candidate costs a comparison and a missed one a wrong story. Each band of a signature is
  hashed to a 64-bit bucket key (:func:`band_buckets`); two articles sharing a bucket in any
  band are a candidate pair. The warehouse stores the bucket keys of loaded articles so a
  later batch finds its candidates there with a join.
* **Verification**: a candidate pair is a near-duplicate only when its estimated Jaccard
  similarity (share of equal signature values) is >= the threshold; LSH only proposes.
* **Stories**: near-duplicate pairs are connected (union-find); each connected group is one
  story. Its representative is the earliest loaded article (a story already in the warehouse
  keeps its name), or, for a story new in this batch, the first article by source_path and
  source_record. ``near_duplicate_of`` is the representative's article_id, NULL for the
  representative itself and for an article that is its own story.

Pure functions: frames and arrays in, frames out; parameters passed in; no I/O.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from datasketch import MinHash, MinHashLSH

from schemas.tables import ARTICLE_SIGNATURES

#: Words per shingle.
SHINGLE_WORDS = 5
#: Seed of the MinHash permutations: fixed, so signatures are comparable across runs.
SEED = 1
#: (false positive, false negative) weights of datasketch's choice of LSH bands and rows.
LSH_WEIGHTS = (0.05, 0.95)

#: Columns of a signature frame: the warehouse's ``article_signatures``.
SIGNATURE_SCHEMA = ARTICLE_SIGNATURES.polars_schema()

#: Columns of the stories frame :func:`assign_stories` returns.
STORY_SCHEMA = pl.Schema({"article_id": pl.String, "near_duplicate_of": pl.String})

_WORD = r"\w+"
_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant (golden ratio) of the bucket hash


def shingle_lists(bodies: pl.Series) -> list[list[bytes]]:
    """Each body's distinct word shingles (``SHINGLE_WORDS`` words joined by a space), UTF-8.

    A body of at most ``SHINGLE_WORDS`` words is one shingle; a body without any word (only
    symbols or punctuation) is its own text as one shingle, so that such bodies are near-duplicates
    only of the same text, never of each other as "no words".
    """
    texts = bodies.cast(pl.String).fill_null("")
    words = texts.str.to_lowercase().str.extract_all(_WORD)
    out: list[list[bytes]] = []
    for text, ws in zip(texts.to_list(), words.to_list(), strict=True):
        if not ws:
            out.append([b"\x00" + " ".join(text.split()).encode()])
            continue
        if len(ws) <= SHINGLE_WORDS:
            out.append([" ".join(ws).encode()])
            continue
        out.append(
            list({" ".join(ws[i : i + SHINGLE_WORDS]).encode() for i in range(len(ws) - SHINGLE_WORDS + 1)})
        )
    return out


def signatures(bodies: pl.Series, num_perm: int) -> np.ndarray:
    """MinHash signatures of ``bodies``: an ``(n, num_perm)`` uint32 array (fixed seed)."""
    if bodies.len() == 0:
        return np.zeros((0, num_perm), dtype=np.uint32)
    hashes = MinHash.bulk(shingle_lists(bodies), num_perm=num_perm, seed=SEED)
    # datasketch keeps 32-bit hash values in uint64 arrays
    return np.vstack([h.hashvalues for h in hashes]).astype(np.uint32)


def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) datasketch's LSH picks for ``threshold``, ``num_perm`` and
    :data:`LSH_WEIGHTS`."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=LSH_WEIGHTS)
    return lsh.b, lsh.r


def band_buckets(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """``(n, bands)`` int64 bucket keys: each band's ``rows`` values hashed together.

    Vectorized over articles and bands (a multiply-xorshift mix of the values, with the band
    number mixed in so equal values in different bands are different buckets).
    """
    n = sigs.shape[0]
    if n == 0:
        return np.zeros((0, bands), dtype=np.int64)
    banded = sigs[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    with np.errstate(over="ignore"):
        h = np.broadcast_to(np.arange(1, bands + 1, dtype=np.uint64) * _MIX, (n, bands)).copy()
        for j in range(rows):
            h ^= banded[:, :, j]
            h *= _MIX
            h ^= h >> np.uint64(31)
    return h.view(np.int64)


def signature_params(threshold: float, num_perm: int) -> str:
    """What makes two signatures comparable: shingle words, seed, permutations, bands x rows."""
    bands, rows = lsh_params(threshold, num_perm)
    return f"w{SHINGLE_WORDS}-s{SEED}-p{num_perm}-b{bands}r{rows}"


def signature_frame(articles: pl.DataFrame, threshold: float, num_perm: int) -> pl.DataFrame:
    """``article_id``, ``params``, ``minhash`` (uint32 list) and ``buckets`` (int64 list) per article.

    ``articles`` needs ``article_id`` and ``body``.
    """
    sigs = signatures(articles.get_column("body"), num_perm)
    bands, rows = lsh_params(threshold, num_perm)
    buckets = band_buckets(sigs, bands, rows)
    return pl.DataFrame(
        {
            "article_id": articles.get_column("article_id").cast(pl.String),
            "params": pl.Series([signature_params(threshold, num_perm)] * articles.height, dtype=pl.String),
            "minhash": pl.Series(sigs, dtype=pl.Array(pl.UInt32, num_perm)).cast(pl.List(pl.UInt32)),
            "buckets": pl.Series(buckets, dtype=pl.Array(pl.Int64, bands)).cast(pl.List(pl.Int64)),
        },
        schema=SIGNATURE_SCHEMA,
    )


def bucket_rows(signed: pl.DataFrame) -> pl.DataFrame:
    """One row per (article_id, band, bucket) of a signature frame (what LSH joins on)."""
    return (
        signed.select("article_id", "buckets")
        .with_columns(pl.int_ranges(pl.col("buckets").list.len()).alias("band"))
        .explode("buckets", "band")
        .rename({"buckets": "bucket"})
        .select("article_id", pl.col("band").cast(pl.Int64), "bucket")
    )


def _similarity(sigs: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of rows ``a[i]`` and ``b[i]`` of ``sigs``."""
    if a.size == 0:
        return np.zeros(0)
    agreement: np.ndarray = (sigs[a] == sigs[b]).mean(axis=1)
    return agreement


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` nodes, given edges ``a[i] -- b[i]`` (union-find)."""
    parent = np.arange(n)

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    return np.array([find(x) for x in range(n)], dtype=np.int64)


def assign_stories(batch: pl.DataFrame, known: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """The story of each batch article: ``article_id``, ``near_duplicate_of`` (NULL: its own).

    ``batch``: the batch's articles with ``article_id``, ``source_path``, ``source_record``,
    ``minhash`` and ``buckets`` (:func:`signature_frame`). ``known``: loaded articles that share a
    bucket with one of them (the warehouse's candidates), with ``article_id``, ``story_id`` (its
    story: its ``near_duplicate_of`` or its own id), ``story_rank`` (sorts stories oldest first,
    e.g. the run that loaded the story's first article), ``minhash`` and ``buckets``; may be empty.

    Candidate pairs share a bucket in some band; a pair is kept only when its estimated Jaccard
    similarity is >= ``threshold``. Kept pairs are connected; a group holding loaded articles
    takes the oldest of their stories, otherwise its first article by source_path and
    source_record is the representative. Returns one row per batch article, in source order.
    """
    if batch.height == 0:
        return pl.DataFrame(schema=STORY_SCHEMA)
    cols = ["article_id", "minhash", "buckets"]
    ranked = batch.sort("source_path", "source_record", "article_id", nulls_last=False).select(cols)
    known = known.select(
        *cols, pl.col("story_id").cast(pl.String), pl.col("story_rank").cast(pl.String)
    ).filter(~pl.col("article_id").is_in(ranked.get_column("article_id").implode()))
    # nodes 0..n-1: the batch in source order; n..: the loaded candidates
    nodes = (
        pl.concat([ranked, known.select(cols)])
        .with_row_index("node")
        .with_columns(pl.col("node").cast(pl.Int64))
    )
    n = ranked.height
    num_perm = len(ranked.get_column("minhash")[0])
    sigs = np.asarray(nodes.get_column("minhash").to_list(), dtype=np.uint32).reshape(-1, num_perm)
    # candidates: pairs sharing a bucket in some band, at least one of them in the batch
    rows = bucket_rows(nodes).join(nodes.select("article_id", "node"), on="article_id")
    pairs = (
        rows.filter(pl.col("node") < n)
        .join(rows, on=["band", "bucket"], suffix="_b")
        .filter(pl.col("node") < pl.col("node_b"))
        .select(a="node", b="node_b")
        .unique()
    )
    a = pairs.get_column("a").to_numpy()
    b = pairs.get_column("b").to_numpy()
    keep = _similarity(sigs, a, b) >= threshold
    groups = pl.DataFrame({"node": np.arange(len(nodes), dtype=np.int64)}).with_columns(
        pl.Series("group", _components(len(nodes), a[keep], b[keep]))
    )
    # the oldest loaded story of each group, if any
    loaded = (
        groups.filter(pl.col("node") >= n)
        .join(known.with_row_index("node", offset=n).with_columns(pl.col("node").cast(pl.Int64)), on="node")
        .sort("story_rank", "story_id", nulls_last=True)
        .unique("group", keep="first", maintain_order=True)
        .select("group", loaded_story="story_id")
    )
    mine = groups.filter(pl.col("node") < n).join(nodes.select("node", "article_id"), on="node")
    # otherwise the group's first batch article (batch nodes are numbered in source order)
    first = (
        mine.sort("node")
        .unique("group", keep="first", maintain_order=True)
        .select("group", first_article="article_id")
    )
    story = pl.coalesce("loaded_story", "first_article")
    return (
        mine.join(loaded, on="group", how="left")
        .join(first, on="group", how="left")
        .sort("node")
        .select(
            "article_id",
            pl.when(story == pl.col("article_id")).then(None).otherwise(story).alias("near_duplicate_of"),
        )
        .cast(STORY_SCHEMA)
    )


__all__ = [
    "LSH_WEIGHTS",
    "SEED",
    "SHINGLE_WORDS",
    "SIGNATURE_SCHEMA",
    "STORY_SCHEMA",
    "assign_stories",
    "band_buckets",
    "bucket_rows",
    "lsh_params",
    "shingle_lists",
    "signature_frame",
    "signature_params",
    "signatures",
]
