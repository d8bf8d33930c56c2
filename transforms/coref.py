"""Within-article coreference of names: a short form names the full name met in the same article.

* A person's surname ("Howard", "Mr Howard"), or a first name after a title that keeps it ("Sir
  Menzies"), is the full name in the article that ends (or starts) with it: "Michael Howard". A mention
  the NER typed otherwise ("Akazawa" as an organisation) becomes that person too.
* An acronym ("OFHEO", "the DOT") is the organisation in the article whose initials it spells: "the
  Office of Federal Housing Enterprise Oversight".

A surname the NER did not mark ("Iwaya and Cho will meet again") is found by searching the article for
it once a full or titled name gives it: a capitalised word on its own (no capitalised word right before
or after it: "Cherie Blair", "Blair House" are other names), that the article never writes lower-case
("May", "Brown" as words) and that is not a month, a weekday or an English stop word (spaCy's list).

The short form takes the full name's entity (id, name, country, actor) and keeps its own offsets and
title. A short form two different full names of the article end with ("Brown": Gordon Brown and
Nick Brown) is left alone: which one it is, the names do not say. Mentions resolved to a reference
actor by the gazetteer keep that actor.
"""

from __future__ import annotations

import re
from collections import defaultdict

from spacy.lang.en.stop_words import STOP_WORDS

from transforms.entities import _NOT_A_NAME, _NOT_NAME_START, Mention, slug
from transforms.gazetteer import norm_key

_FIRST_NAME_TITLES = frozenset({"sir", "dame", "lord", "lady", "prince", "princess", "king", "queen", "pope"})
_FUNCTION_WORDS = frozenset({"of", "the", "for", "and", "on", "in", "to", "&"})
_NOT_FIRST_NAMES = _NOT_NAME_START | {"Mr", "Mrs", "Ms", "Miss", "Dr", "Sir", "Dame", "Lord", "Lady", "Prof"}
_FAMILY_FIRST = re.compile(r"[A-Z][a-z]{1,5} [A-Z][a-z]+-[a-z]+")  # "Lee Jae-myung", not "Robert Kilroy-Silk"
_ACRONYM = re.compile(r"[A-Z][A-Za-z]?[A-Z]{1,6}s?")


def link_names(ms: list[Mention], bodies: dict[str, str]) -> None:
    """Link the short forms in ``ms`` (all articles) to their article's full names, in place.
    ``bodies``: article_id -> body, to read the title before a mention."""
    by_article: dict[str, list[Mention]] = defaultdict(list)
    for m in ms:
        by_article[m.article_id].append(m)
    for aid, mentions in by_article.items():
        body = bodies.get(aid, "")
        _link_persons(mentions, body)
        found = _surnames_in_text(mentions, body)
        _link_acronyms(mentions)
        ms.extend(found)


def _surnames_in_text(ms: list[Mention], body: str) -> list[Mention]:
    """New mentions of the article's people at the bare surnames the other detectors missed."""
    forms: dict[str, set[str]] = defaultdict(set)  # surname -> the entity keys it could name
    named: dict[str, Mention] = {}
    for m in ms:
        if m.entity_type != "PERSON" or m.extra.get("role_conflict"):
            continue
        words = _words(m.text)
        if not all(_NAME_WORD.fullmatch(w) for w in words) or words[0] in _NOT_FIRST_NAMES:
            continue  # not a name's shape: "Maria Full of Grace", "Early HSDPA", "icon Barclays"
        if len(words) >= 2:
            short = words[0] if _FAMILY_FIRST.fullmatch(" ".join(words)) else words[-1]
        elif len(words) == 1 and (
            m.actor_id or (m.role_title and not _SENTENCE_END.search(body, max(0, m.start - 6), m.start))
        ):
            # "Foreign Minister Iwaya": the title says it is a person (not "... Brown. Prior")
            short = words[0]
        else:
            continue
        forms[short].add(m.key)
        named.setdefault(m.key, m)
    taken = sorted((m.start, m.end) for m in ms)
    lowered = set(re.findall(r"\b[a-z][\w-]*\b", body))
    out: list[Mention] = []
    for short, keys in forms.items():
        if (
            len(keys) != 1
            or len(short) < 2
            or not short[0].isupper()
            or short in _NOT_FIRST_NAMES
            or short.lower() in _NOT_A_NAME
            or short.lower() in STOP_WORDS  # "No" of a misread "East Says No"
            or short.lower() in lowered
        ):
            continue
        full = named[next(iter(keys))]
        for hit in re.finditer(rf"(?<![\w'’-]){re.escape(short)}(?![\w-])", body):
            s, e = hit.span()
            if any(a < e and s < b for a, b in taken):
                continue
            before = _CAPITALISED_BEFORE.search(body, max(0, s - 40), s)
            if (before and before.group(1) not in _NOT_NAME_START) or _CAPITALISED_AFTER.match(body, e):
                continue
            m = Mention(full.article_id, s, e, short, "PERSON", full.key, full.canonical)
            m.resolution = "surname-in-text"
            _take(m, full)
            out.append(m)
    return out


# a word of a person's name: capitalised, letters with inner hyphens or apostrophes ("O'Neill",
# "Jae-myung"), an initial ("J."), or a lower-case particle ("van", "de", "bin")
_NAME_WORD = re.compile(
    r"[A-Z](?:[a-z]+(?:['’-][A-Za-z][a-z]+)*|['’][A-Z][a-z]+|[a-z]*[A-Z][a-z]+|\.)|van|von|der|de|du|da|di|del|la|le|bin|al|el"
)
_SENTENCE_END = re.compile(r"[.!?]['’\"”)]*\s*$")
# a capitalised word right before (other than a function word or title: "In", "President") or right
# after: the surname is part of another name
_CAPITALISED_BEFORE = re.compile(r"\b([A-Z][\w'’-]*(?:\.[\w'’-]+)*)\s+$")
_CAPITALISED_AFTER = re.compile(r"\s+(?:[A-Z]\w|&|of\b)|-[A-Z]")  # "Archbishop of Canterbury"


def _words(text: str) -> list[str]:
    return [w for w in re.sub(r"['’]s$", "", text.strip()).split() if w]


def _link_persons(ms: list[Mention], body: str) -> None:
    # entity key -> a mention of it with two words or more, and its normalised name
    full: dict[str, tuple[Mention, str]] = {}
    for m in ms:
        if m.entity_type == "PERSON" and len(_words(m.text)) >= 2 and not m.extra.get("role_conflict"):
            full.setdefault(m.key, (m, norm_key(" ".join(_words(m.text)))))
    for m in ms:
        if m.entity_type not in ("PERSON", "ORG", "LOC", "MISC") or m.actor_id:
            continue
        words = _words(m.text)
        short = norm_key(" ".join(words))
        # the full names that end with the short form ("Howard", "Kilroy Silk": "Robert Kilroy-Silk"), or
        # start with it when the family name comes first ("Lee": "Lee Jae-myung")
        keys = {
            key
            for key, (f, name) in full.items()
            if key != m.key
            and len(name) > len(short)
            and (
                name.endswith(" " + short)
                or (len(words) == 1 and _FAMILY_FIRST.fullmatch(f.text) and name.startswith(short + " "))
            )
        }
        if len(words) != 1 or (m.entity_type != "PERSON" and not keys):
            if len(keys) == 1:
                _take(m, full[next(iter(keys))][0])
            continue
        before = body[max(0, m.start - 12) : m.start].split()
        if not keys and before and before[-1].lower().rstrip(".") in _FIRST_NAME_TITLES:
            keys = {key for key, (_, name) in full.items() if name.startswith(short + " ")}
        if len(keys) == 1:
            _take(m, full[next(iter(keys))][0])
        elif not keys and m.entity_type == "PERSON":
            _name_in_text(m, body)


def _name_in_text(m: Mention, body: str) -> None:
    """A surname no mention gives in full ("Mr Yoran") takes the full name the text writes once ("Amit
    Yoran"), when it writes only one."""
    surname = _words(m.text)[0]
    firsts = {
        f.group(1)
        for f in re.finditer(rf"\b([A-Z][a-z]+)\s+{re.escape(surname)}\b", body)
        if f.group(1) not in _NOT_FIRST_NAMES and f.group(1).lower() not in _NOT_A_NAME
    }
    if len(firsts) == 1:
        name = f"{firsts.pop()} {surname}"
        m.key, m.canonical = f"person:{slug(name)}", name
        m.resolution = (m.resolution or "") + "+full-name-in-text"


def _initials(text: str) -> tuple[str, str]:
    """Initials of a name's words, without and with its function words ("Department of Transport":
    "DT", "DOT")."""
    words = [w for w in re.split(r"[\s-]+", text) if w]
    if words and words[0].lower() == "the":
        words = words[1:]
    content = "".join(w[0] for w in words if w.lower() not in _FUNCTION_WORDS and w[0].isalpha())
    every = "".join(w[0] for w in words if w[0].isalpha() and w.lower() != "the")
    return content.upper(), every.upper()


def _link_acronyms(ms: list[Mention]) -> None:
    orgs: dict[str, set[str]] = defaultdict(set)
    full: dict[str, Mention] = {}
    for m in ms:
        if m.entity_type == "ORG" and len(_words(m.text)) >= 2:
            full.setdefault(m.key, m)
            for initials in set(_initials(m.text)):
                if len(initials) >= 2:
                    orgs[initials].add(m.key)
    for m in ms:
        text = re.sub(r"^the\s+", "", m.text.strip(), flags=re.I)
        if m.actor_id or not _ACRONYM.fullmatch(text) or m.entity_type not in ("ORG", "MISC", "LOC"):
            continue
        keys = orgs.get(text.rstrip("s").upper(), set())
        if len(keys) == 1:
            _take(m, full[next(iter(keys))])


def _take(m: Mention, full: Mention) -> None:
    m.key, m.canonical, m.entity_type = full.key, full.canonical, full.entity_type
    m.actor_id, m.sector = full.actor_id, full.sector
    m.country, m.country_source = full.country, full.country_source
    m.resolution = (m.resolution or "") + "+coref"
