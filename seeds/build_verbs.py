"""Convert the PETRARCH2 verb dictionary (CAMEO.2.0.txt) into seeds/reference/verb_*.csv.

Usage (from the repository root): .venv/bin/python -m seeds.build_verbs [--phoenix DIR] [--out DIR]
(``python -m seeds.build_reference`` runs it too).

The dictionary groups synonymous verbs into blocks (``--- AGREE [050] ---``); each verb line may
carry its own CAMEO code and irregular forms (``DEAL {DEALS DEALING DEALT}``); pattern lines
(``- * (TO &CEASEFIRE)  [0356]``) refine the code by the words that follow (or precede, before
the ``*``) the verb. Synsets (``&CURRENCY``) are expanded to their members.

Outputs: ``verb_forms.csv`` (form: inflected verb, lower case, words separated by spaces;
lemma; block; cameo_code: the verb's default code, '' when it has none, or the code
``seeds/curated/verb_code_overrides.csv`` gives it, each departure with its reason) and
``verb_patterns.csv`` (block; before / after: pattern words before / after the verb as
space-separated slots, each slot '|'-separated alternatives, multi-word alternatives joined by
'_'; cameo_code). A block's patterns apply to every verb of the block.
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

from dateline.config import REPO_ROOT, missing_shared, shared_data

CODE = re.compile(r"\[([^\]]*)\]")


def _clean_code(raw: str | None) -> str:
    if not raw:
        return ""
    code = raw.split(":")[0].strip()
    return "" if code.startswith("-") or not code.isdigit() else code


def _forms(lemma: str, irregular: list[str]) -> list[str]:
    """Regular English inflections of a (possibly multi-word) verb, plus the listed irregular forms."""
    words = lemma.split()
    head, rest = words[0], words[1:]

    def with_head(h: str) -> str:
        return " ".join([h, *rest])

    out = {lemma}
    if head.endswith(("s", "x", "z", "ch", "sh")):
        out.add(with_head(head + "es"))
    elif head.endswith("y") and len(head) > 2 and head[-2] not in "aeiou":
        out.add(with_head(head[:-1] + "ies"))
    else:
        out.add(with_head(head + "s"))
    if head.endswith("e"):
        out |= {with_head(head + "d"), with_head(head[:-1] + "ing")}
    elif head.endswith("y") and len(head) > 2 and head[-2] not in "aeiou":
        out |= {with_head(head[:-1] + "ied"), with_head(head + "ing")}
    else:
        out |= {with_head(head + "ed"), with_head(head + "ing")}
        if re.search(r"[^aeiou][aeiou][bdgklmnprt]$", head) and len(head) <= 5:
            out |= {with_head(head + head[-1] + "ed"), with_head(head + head[-1] + "ing")}
    out |= {f.lower().replace("_", " ").strip("+ ") for f in irregular}
    return sorted(f for f in out if f)


def _words(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").split())


def parse(path: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    synsets: dict[str, list[str]] = {}
    current: str | None = None
    for line in lines:
        s = line.split("#")[0].rstrip()
        if s.startswith("&"):
            current = s.strip().rstrip("_").upper()
            synsets[current] = []
        elif current and s.startswith("+"):
            synsets[current].append(_words(s[1:]))
        elif not s.strip() or s.startswith("---"):
            current = None

    def slots(text: str) -> str:
        out = []
        for phrase in re.findall(r"\{[^}]*\}|\([^)]*\)|\S+", text):
            phrase = phrase.strip("{}()")
            for tok in re.findall(r"\{[^}]*\}|\S+", phrase):
                tok = tok.strip("{}")
                if tok.startswith("&"):
                    members = synsets.get(tok.rstrip("_").upper(), [])
                    if members:
                        out.append("|".join(sorted({m for m in members if m})))
                elif tok and tok not in ("*", "-", "%", "$", "+", "^", "="):
                    out.append(_words(tok))
        return " ".join(x.replace(" ", "_") for x in out)

    forms: list[dict[str, str]] = []
    pats: list[dict[str, str]] = []
    block, block_code = "", ""
    in_block = False
    for line in lines:
        raw = line.split("#")[0].rstrip()
        head = re.match(r"^---\s+(\S+)\s+\[([^\]]*)\]\s+---", raw)
        if head:
            block, block_code = _words(head.group(1)), _clean_code(head.group(2))
            in_block = True
            continue
        if not in_block or not raw.strip() or raw.startswith("&"):
            continue
        if raw.startswith("-"):
            m = CODE.search(raw)
            pcode = _clean_code(m.group(1)) if m else ""
            body = CODE.sub("", raw[1:]).strip()
            if "*" not in body or not pcode:
                continue
            pre, post = body.split("*", 1)
            before, after = slots(pre), slots(post)
            if before or after:
                pats.append({"block": block, "before": before, "after": after, "cameo_code": pcode})
            continue
        m = CODE.search(raw)
        code = _clean_code(m.group(1)) if m else block_code
        text = CODE.sub("", raw)
        irregular = re.findall(r"\{([^}]*)\}", text)
        lemma = _words(re.sub(r"\{[^}]*\}", "", text).strip().lstrip("+"))
        if not re.fullmatch(r"[a-z][a-z'-]*(?: [a-z][a-z'-]*)*", lemma):
            continue
        for form in _forms(lemma, irregular[0].split() if irregular else []):
            if re.fullmatch(r"[a-z][a-z'-]*(?: [a-z][a-z'-]*)*", form):
                forms.append({"form": form, "lemma": lemma, "block": block, "cameo_code": code})
    return forms, pats


def with_overrides(forms: list[dict[str, str]], path: Path) -> list[dict[str, str]]:
    """``forms`` with the documented departures from the dictionary's default codes in ``path``
    (seeds/curated/verb_code_overrides.csv: lemma, from_code, cameo_code, reason): a form of ``lemma`` whose
    default code is ``from_code`` takes ``cameo_code``. Patterns are not touched. A row that matches no form
    is an error (the dictionary changed under it)."""
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    out = [dict(f) for f in forms]
    for row in rows:
        hits = [f for f in out if f["lemma"] == row["lemma"] and f["cameo_code"] == row["from_code"]]
        if not hits:
            raise ValueError(f"{path}: no form of {row['lemma']!r} has the code {row['from_code']}")
        for f in hits:
            f["cameo_code"] = row["cameo_code"]
    return out


OVERRIDES = REPO_ROOT / "seeds" / "curated" / "verb_code_overrides.csv"
FORM_COLUMNS = ["form", "lemma", "block", "cameo_code"]
PATTERN_COLUMNS = ["block", "before", "after", "cameo_code"]


def write(path: Path, rows: list[dict[str, str]], fields: list[str]) -> None:
    unique = sorted({tuple(r[f] for f in fields) for r in rows})
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(fields)
        w.writerows(unique)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phoenix", type=Path, default=shared_data() / "reference" / "phoenix")
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "seeds" / "reference")
    args = ap.parse_args()
    if not (args.phoenix / "CAMEO.2.0.txt").is_file():
        ap.error(missing_shared("verb dictionary", args.phoenix / "CAMEO.2.0.txt"))
    forms, pats = parse(args.phoenix / "CAMEO.2.0.txt")
    forms = with_overrides(forms, OVERRIDES)
    write(args.out / "verb_forms.csv", forms, FORM_COLUMNS)
    write(args.out / "verb_patterns.csv", pats, PATTERN_COLUMNS)


if __name__ == "__main__":
    main()
