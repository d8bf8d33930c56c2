"""The paired sample (dateline.evaluation.sample.differences): mentions only one of two coders found."""

from __future__ import annotations

from dateline.evaluation.sample import differences


def rows(*keys: tuple[str, int, int, str]) -> dict:
    return {k: {"source_path": k[0], "trigger_text": f"w{k[1]}", "event_type": k[3]} for k in keys}


def test_each_side_gives_up_to_n_mentions_the_other_lacks_shuffled_and_repeatable() -> None:
    shared = ("a.txt", 0, 4, "CONSULT")
    mine = rows(shared, *[("a.txt", i, i + 4, "ACCUSE") for i in range(10, 20)])
    theirs = rows(shared, ("b.txt", 5, 9, "AGREE"), ("a.txt", 10, 14, "REJECT"))  # same word, other type
    drawn = differences(mine, theirs, 3, seed=7)
    assert [r["only_in"] for r in drawn].count("warehouse") == 3
    assert sorted((r["source_path"], r["event_type"]) for r in drawn if r["only_in"] == "against") == [
        ("a.txt", "REJECT"),
        ("b.txt", "AGREE"),
    ]
    assert all(r["trigger_text"] != "w0" for r in drawn)  # what both found is never drawn
    assert drawn == differences(mine, theirs, 3, seed=7)
    assert differences(mine, mine, 3, seed=7) == []
