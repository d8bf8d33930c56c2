"""Syndicated news: near-duplicate articles are one story, and a later copy of a loaded story joins
it (transforms.near_dup on a corpus built here from the seed article). Their events, checks and
loads, and the BBC corpus: tests/integration/test_syndication.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from tests.paths import REPO
from transforms import near_dup

SEED = REPO / "seeds" / "articles" / "000_a012fc040dd23e81.txt"
DROPPED = (
    " The U.S. has taken a cold stance toward South Korea, and even Trump did not mention the call "
    "with Lee Jae-myung on social media."
)
NO_STORY = pl.DataFrame(schema={**near_dup.SIGNATURE_SCHEMA, "story_id": pl.String, "story_rank": pl.String})


def copy_of(text: str, k: int) -> str:
    """The k-th outlet's copy of ``text``: a line added, and for some a new headline or a
    sentence dropped (what syndication looks like)."""
    head, rest = text.split("\n", 1)
    if k % 3 == 1:
        head = f"{head} (outlet {k})"
    if k % 3 == 2:
        assert DROPPED in rest
        rest = rest.replace(DROPPED, "")
    line = f"Reprinted as edition number {k}.\n\nOriginal:"
    return f"{head}\n{rest.replace('Original:', line)}"


def signed(bodies: list[str], paths: list[str] | None = None) -> pl.DataFrame:
    """A batch of articles with their signatures (threshold 0.8, 128 permutations)."""
    paths = paths or [f"in/{i:03d}.txt" for i in range(len(bodies))]
    arts = pl.DataFrame(
        {
            "article_id": [f"{i:016x}" for i in range(len(bodies))],
            "source_path": paths,
            "source_record": [None] * len(bodies),
            "body": bodies,
        },
        schema_overrides={"source_record": pl.Int64},
    )
    return arts.join(near_dup.signature_frame(arts, 0.8, 128), on="article_id")


# --- the pure functions ---------------------------------------------------------------------------


def test_copies_with_small_edits_are_one_story() -> None:
    text = SEED.read_text(encoding="utf-8")
    other = (REPO / "seeds" / "articles" / "004_gulf_energy_dialogue.txt").read_text(encoding="utf-8")
    bodies = [copy_of(text, 1), text, copy_of(text, 2), other, copy_of(text, 3)]
    paths = ["in/b.txt", "in/a.txt", "in/c.txt", "in/x.txt", "in/d.txt"]
    batch = signed(bodies, paths)
    stories = near_dup.assign_stories(batch, NO_STORY, 0.8)
    story = dict(stories.iter_rows())
    original = "0000000000000001"  # in/a.txt: the first of the story by source_path
    assert story == {
        original: None,
        "0000000000000000": original,
        "0000000000000002": original,
        "0000000000000004": original,
        "0000000000000003": None,  # another story
    }
    # deterministic: the same texts have the same signatures in every run (fixed seed)
    again = near_dup.signature_frame(batch.select("article_id", "body"), 0.8, 128)
    assert again.equals(batch.select(again.columns))
    assert batch["params"].unique().to_list() == ["w5-s1-p128-b16r8"]


def test_bodies_without_words_are_not_one_story() -> None:
    """Bodies with no word at all (symbols only) used to share one empty shingle: one story."""
    bodies = ["*** --- ***", "!!! ??? !!!", "* * * - - -", "§ § §"]
    stories = near_dup.assign_stories(signed(bodies), NO_STORY, 0.8)
    assert stories["near_duplicate_of"].to_list() == [None, None, None, None]
    # the same symbols (spacing aside) are still one story
    same = near_dup.assign_stories(signed(["*** --- ***", "***  ---   ***"]), NO_STORY, 0.8)
    assert same["near_duplicate_of"].to_list() == [None, "0000000000000000"]


def test_copies_of_a_loaded_story_join_it() -> None:
    text = SEED.read_text(encoding="utf-8")
    loaded = signed([text, copy_of(text, 1)])
    known = loaded.select(
        pl.Series("article_id", ["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"]),
        pl.lit("aaaaaaaaaaaaaaaa").alias("story_id"),
        pl.lit("20250101T000000Z-aaaaaa").alias("story_rank"),
        "minhash",
        "buckets",
    )
    batch = signed([copy_of(text, 4), "An unrelated note about rainfall in the hills this spring."])
    stories = near_dup.assign_stories(batch, known, 0.8)
    assert stories["near_duplicate_of"].to_list() == ["aaaaaaaaaaaaaaaa", None]


def test_the_edit_helpers_edit(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    copies = [copy_of(text, k) for k in range(1, 4)]
    assert len(set(copies)) == 3 and all(c != text for c in copies)
    assert DROPPED not in copies[1] and re.search(r"\(outlet 1\)", copies[0])
