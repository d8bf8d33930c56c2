"""Entity mentions and canonical entities: gazetteer aliases, titles, appositives, name shapes.

Gazetteer aliases and places, title and name patterns, and the NER model's spans when one is given:
every mention keeps its offsets, the title the text gives the person, and how it was resolved. A
country that cannot be determined stays NULL with the reason in ``country_source``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import polars as pl
from spacy.lang.en.stop_words import STOP_WORDS

from schemas.tables import ENTITIES
from transforms.gazetteer import Gazetteer, match_aliases, norm_key
from transforms.rxfilter import finditer, fold, prefilter

_TITLE_HEADS = (
    "Secretary-General|Secretary General|Vice President|Vice-President|Prime Minister|Deputy Prime Minister|"
    "Foreign Minister|Trade Minister|Finance Minister|Defence Minister|Defense Minister|Minister|Secretary|"
    "President|Premier|Chancellor|Ambassador|Envoy|Director-General|Director|Chairman|Chairwoman|Chair|"
    "Governor|Senator|Congressman|Congresswoman|Spokesman|Spokeswoman|Spokesperson|King|Queen|Prince|"
    "Princess|Emperor|General|Commander|Admiral|Mayor|Judge|Justice|Chief Executive|Chief|CEO|Leader|"
    "Adviser|Advisor|Negotiator|Lawmaker|Speaker|Pope|Representative|Trade Representative|Coach|Manager|"
    "Captain|Chief of Staff|Attorney General|MP|MEP|MSP|Commissioner|Constable"
)
_HEADS = "|".join(
    sorted(
        {h for part in _TITLE_HEADS.split("|") for h in (part, part[0].lower() + part[1:])},
        key=len,
        reverse=True,
    )
)
_MOD = r"(?:(?:[Ff]ormer|[Aa]cting|[Dd]eputy|[Vv]ice|[Ss]enior|[Cc]hief|[Tt]hen|[Ii]nterim|[Oo]utgoing|[Ii]ncoming)[\s-]+)"
_QUAL = r"(?:(?:[A-Z]\.(?:[A-Z]\.)+|[A-Z][A-Za-z]+(?:'s|’s)?)\s+)"
_CAPW = r"[A-Z][\w.'’-]*"
_OF = rf"(?:\s+(?:of|for|to|on)\s+(?:the\s+)?{_CAPW}(?:(?:,\s+|,?\s+and\s+|\s+of\s+the\s+|\s+of\s+|\s+){_CAPW})*)"
_TITLE = rf"\b{_MOD}*{_QUAL}{{0,3}}(?:{_HEADS})\b{_OF}?"
_NAMETOK = r"[A-Z][a-zA-Z]*[a-z][a-zA-Z]*(?:-[A-Za-z]+|['’](?!s\b)[A-Za-z]+)*"
# A name token is matched atomically, "(?>...)": its first match runs to the end of the letters
# (and of any "-part" or "'part"), and any shorter one ends before a letter, "-", "'" or "’",
# where no pattern using _NAME can go on (each wants whitespace, "," or its end next), so the
# matches are the same as without; but NAME_TITLE_RE no longer backtracks through every split of
# every capitalised word that is not followed by ", <title>" (0.75 -> 0.17 ms per article).
_NAME = rf"(?:(?>{_NAMETOK})|[A-Z]\.)(?:\s+(?:(?>{_NAMETOK})|[A-Z]\.)){{0,2}}"

_TITLE_ONLY_RE = re.compile(_TITLE)
_LEADING_TITLE_RE = re.compile(rf"(?:{_MOD}*(?:{_HEADS})\s+)+")
TITLE_NAME_RE = re.compile(rf"(?P<title>{_TITLE})\s+(?P<name>{_NAME})")
NAME_TITLE_RE = re.compile(rf"(?P<name>{_NAME}),\s+(?:the\s+)?(?P<title>{_TITLE})(?=\s*[,.;:)]|\s+[a-z])")
# courtesy titles: before a name, never part of it (a peer's or knight's style, "Lord Goldsmith", is)
_COURTESY = "Mr|Mrs|Ms|Miss|Dr|Prof"
HONORIFIC_RE = re.compile(rf"\b(?P<title>Mr|Mrs|Ms|Dr|Sir|Dame|Lord|Lady|Baroness)\.?\s+(?P<name>{_NAME})")
# a peer of the United Kingdom is styled so ("Lord Falconer", "Baroness Scotland")
_PEERAGE = frozenset({"Lord", "Baroness"})
# East Asian romanised names: "Lee Jae-myung", "Kim Seong-ro", "Jo Hyeon-dong"
HYPHEN_NAME_RE = re.compile(r"\b[A-Z][a-z]{1,5} [A-Z][a-z]+-[a-z]+\b")
_ORG_HEADS = (
    "Institute|Ministry|Department|University|Party|Council|Bank|Agency|Committee|Commission|Association|"
    "Organization|Organisation|Corporation|Corp|Inc|Ltd|Group|Company|Foundation|Fund|Union|Assembly|"
    "Parliament|Congress|Court|Office|Authority|Federation|Board|Bureau|Administration|Service|Forces|"
    "Army|Navy|Ilbo|Times|Post|News|Journal|Daily|Club|League|Staff|Centre|Center|Society|Network"
)
ORG_RE = re.compile(
    rf"(?:(?:{_CAPW})\s+){{0,5}}(?:{_ORG_HEADS})\b(?:\s+(?:of|for)\s+(?:the\s+)?{_CAPW}"
    rf"(?:(?:,\s+|,?\s+and\s+|\s+){_CAPW})*)?"
)
GOVT_RE = re.compile(r"\s+(?:administration|government|cabinet|regime)\b")
ENVOY_RE = re.compile(
    r"\b(?:envoys?|delegates?|delegation|emissar(?:y|ies)|representatives?|aides?|officials?)\s+"
    r"(?:sent|dispatched|appointed|named|chosen)\s+by\s+"
)
_NOT_NAME_START = frozenset(
    """The A An This That These Those It Its He She They We I In On At For From By With As But And Or If
    When While Although Since After Before Despite However Meanwhile Currently Experts Analysts More Most
    According Former President Minister Secretary January February March April May June July August
    September October November December Monday Tuesday Wednesday Thursday Friday Saturday Sunday""".split()
)
_MINISTRY_OF = re.compile(r"^(?:the\s+)?ministry\s+(?:of|for)\s+(.+)$")
_MINISTER_OF = re.compile(r"\bminister\s+(?:of|for)\s+(.+)$")


def portfolio_key(portfolio: str) -> str:
    """Order-free key of a ministry's portfolio: 'Trade, Industry and Energy' -> 'energy|industry|trade'."""
    words = re.split(r",\s*|\s+and\s+|\s*&\s*", norm_key(portfolio))
    return "|".join(sorted(w.strip() for w in words if w.strip()))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", norm_key(text)).strip("-")


@dataclass
class Mention:
    article_id: str
    start: int
    end: int
    text: str
    entity_type: str
    key: str  # entity id (actor id or generated)
    canonical: str
    country: str | None = None
    country_source: str | None = None
    sector: str | None = None
    actor_id: str | None = None
    role_title: str | None = None
    title_span: tuple[int, int] | None = None
    resolution: str = ""
    attached: bool = False  # inside another mention's title: not an event argument
    extra: dict = field(default_factory=dict)


def _actor_mention(
    aid: str, s: int, e: int, text: str, actor_id: str, info: dict, resolution: str
) -> Mention:
    """A mention resolved to a reference actor (name, type, country and sector from the actors table)."""
    canonical, etype, country, sector = info[actor_id]
    return Mention(
        aid,
        s,
        e,
        text,
        etype,
        actor_id,
        canonical,
        country,
        "reference",
        sector,
        actor_id,
        resolution=resolution,
    )


# A capital named as a place, not as its government: "a meeting in London", "EU leaders in Lisbon",
# "flew back to Tokyo", "a visit to Beijing", "Washington-based" ("Washington said" stays the US).
_AS_PLACE_BEFORE = re.compile(
    r"(?:\b(?:in|at|near|outside|inside|across|around|throughout|via|visit(?:s|ed|ing)?|tour(?:s|ed|ing)?)"
    r"|\b(?:visits?|trip|tour|journey|travel\w*|flew|fly|flies|flight|arriv\w*|return\w*|move[sd]?|moving"
    r"|went|go|goes|going|came|come|coming|head\w*|way)\s+(?:back\s+)?(?:to|from))"
    r"\s+(?:(?:central|north(?:ern)?|south(?:ern)?|east(?:ern)?|west(?:ern)?|greater|downtown)\s+)?$",
    re.IGNORECASE,
)
# a first name or a courtesy title right before a place's name makes it a surname ("John Houston",
# "Mr Houston"); a direction or "New" does not ("East Kilbride", "Greater Manchester")
_SURNAME_BEFORE = re.compile(
    r"\b(?:(?:Mr|Mrs|Ms|Miss|Dr)\.?|Sir|Dame|Lord|Lady|(?!(?:North|South|East|West|Greater|Central|New|Old"
    r"|Upper|Lower|Great|Little|The|In|At|Of|And|To|From|For|But|On|Near|Port|Fort|Saint|St|San|Santa|Los|Las"
    r"|La|Le|El)\b)[A-Z][a-z]+) +$"
)
_PLACE_SOURCE = {"city": "GeoNames city", "region": "ISO 3166-2 region"}  # where the country came from


def _reads_as_place(body: str, s: int, e: int) -> bool:
    """Whether the capital at ``body[s:e]`` is named as a place rather than as its government."""
    return body[e : e + 6].lower() == "-based" or bool(_AS_PLACE_BEFORE.search(body, max(0, s - 40), s))


def _place_mention(aid: str, s: int, e: int, text: str, how: str, place: tuple[str, str]) -> Mention:
    """A city or region named as a place: its own LOC entity, with the country it lies in.
    ``how`` is the alias kind that found it ('capital', 'place') or 'ner'."""
    country, level = place
    source = "capital of" if how == "capital" else _PLACE_SOURCE.get(level, level) + " in"
    return Mention(
        aid,
        s,
        e,
        text,
        "LOC",
        f"loc:{slug(text)}",
        text,
        country,
        f"place: {source} {country}",
        resolution=f"{'capital' if how == 'capital' else level}-as-place",
    )


def _ministries(gaz: Gazetteer) -> dict[str, str]:
    out: dict[str, str] = {}
    orgs = gaz.aliases.filter(pl.col("entity_type") == "ORG")
    for pattern, actor_id in orgs.select("pattern", "actor_id").iter_rows():
        m = _MINISTRY_OF.match(pattern)
        if m:
            out.setdefault(portfolio_key(m.group(1)), actor_id)
    return out


def detect_mentions(articles: pl.DataFrame, gaz: Gazetteer, ner: pl.DataFrame | None = None) -> list[Mention]:
    """Find entity mentions in ``articles`` (article_id, body, outlet).

    Sources, in order of trust: gazetteer aliases; titled names and appositives; the statistical
    NER's spans (``ner``: article_id, start_char, end_char, label), when given; name and
    organisation shapes for what is left.
    """
    ner_by_article: dict[str, list[tuple[int, int, str]]] = {}
    if ner is not None:
        for aid_, s_, e_, label_ in ner.select("article_id", "start_char", "end_char", "label").iter_rows():
            ner_by_article.setdefault(aid_, []).append((s_, e_, label_))
    info = gaz.actor_info
    ministries = _ministries(gaz)
    alias_rows = gaz.alias_rows
    hits = match_aliases(articles.select("article_id", "body"), gaz)
    by_article: dict[str, list[tuple[int, int, str, str]]] = {}
    for aid, s, e, text, pat in hits.iter_rows():
        by_article.setdefault(aid, []).append((s, e, text, pat))
    surnames: dict[str, list[str]] = {}
    for sn, actor_id, src in gaz.surnames.iter_rows():
        if src == "curated":
            surnames.setdefault(sn, []).append(actor_id)
    out: list[Mention] = []
    for aid, body, outlet in articles.select("article_id", "body", "outlet").iter_rows():
        ms: list[Mention] = []
        short_names: list[tuple[int, int, str, str]] = []
        for s, e, text, pat in by_article.get(aid, []):
            _, actor_id, etype, country, _sector, kind = alias_rows[pat]
            if kind == "institution":
                short_names.append((s, e, text, pat))
                continue
            place = gaz.places.get(pat)
            if kind == "place" and _SURNAME_BEFORE.search(body, max(0, s - 30), s):
                continue  # "John Houston", "Mr Houston": a person's name, left to the name patterns
            if (kind == "place" and place) or (kind == "capital" and _reads_as_place(body, s, e)):
                ms.append(_place_mention(aid, s, e, text, kind, place or (country, "city")))
                continue
            mention = _actor_mention(aid, s, e, text, actor_id, info, kind)
            if etype != "GPE" and _TITLE_ONLY_RE.fullmatch(text):
                continue  # a bare office ("Secretary of State") is a title, not an entity mention
            lead = _LEADING_TITLE_RE.match(text) if etype == "PERSON" else None
            if lead and lead.end() < len(text):
                mention.start, mention.text = s + lead.end(), text[lead.end() :]
                mention.role_title, mention.title_span = lead.group().strip(), (s, s + lead.end())
            ms.append(mention)
        ms.extend(_institutions(aid, short_names, ms, _outlet_country(outlet, gaz, info), gaz, info))
        taken = [(m.start, m.end) for m in ms]

        def free(s: int, e: int, taken: list[tuple[int, int]] = taken) -> bool:
            return all(e <= a or s >= b for a, b in taken)

        persons: list[Mention] = []
        folded = fold(body)
        for rx, is_appositive in ((TITLE_NAME_RE, False), (NAME_TITLE_RE, True), (HONORIFIC_RE, False)):
            for m in finditer(rx, _PREFILTERS[rx], body, folded):  # = rx.finditer(body), or nothing
                ns, ne = m.span("name")
                name = m.group("name")
                title_s, title_e = m.span("title")
                title = m.group("title")
                if rx is TITLE_NAME_RE:
                    known_persons = [(k.start, k.end) for k in ms if k.entity_type == "PERSON"]
                    split = _split_title_name(body, title_s, ne, taken, known_persons)
                    if split is None:
                        continue
                    title_e, ns = split
                    title, name = body[title_s:title_e], body[ns:ne]
                while name.split()[0] in _NOT_NAME_START and len(name.split()) > 1:
                    cut = len(name.split()[0]) + 1
                    ns, name = ns + cut, name[cut:]
                if _SENTENCE_END_INSIDE.search(body, min(title_s, ns), max(title_e, ne)):
                    continue  # "... adviser to Chancellor Gordon Brown. Prior to that": two sentences
                first = name.split()[0]
                if name in _NOT_NAME_AFTER_TITLE:
                    continue  # "General Election", "General Assembly"
                # "Mr", "Dr", "Sir": an honorific marks a person but is not a role
                role = None if rx is HONORIFIC_RE else _clean_title(title)
                if first in _NOT_NAME_START or not free(ns, ne):
                    # a known actor after a title ("President Trump") just gets the title
                    for k in ms:
                        if k.start == ns and k.entity_type == "PERSON" and k.role_title is None and role:
                            k.role_title, k.title_span = role, (title_s, title_e)
                    continue
                same = next((p for p in persons if p.start < ne and ns < p.end), None)
                if same is not None:  # "Chairman Sir Digby Jones" is one mention, found by two patterns
                    if rx is HONORIFIC_RE:
                        same.extra.setdefault("honorific", title)
                    continue
                p = Mention(
                    aid,
                    ns,
                    ne,
                    name,
                    "PERSON",
                    "",
                    name,
                    role_title=role,
                    title_span=(title_s, title_e) if role else None,
                )
                p.resolution = (
                    "appositive-title" if is_appositive else ("honorific" if role is None else "title")
                )
                if rx is HONORIFIC_RE:
                    p.extra["honorific"] = title
                persons.append(p)
        for m in HYPHEN_NAME_RE.finditer(body):
            if free(*m.span()) and not any(p.start <= m.start() < p.end for p in persons):
                first = m.group().split()[0]
                if first not in _NOT_NAME_START:
                    persons.append(
                        Mention(
                            aid,
                            m.start(),
                            m.end(),
                            m.group(),
                            "PERSON",
                            "",
                            m.group(),
                            resolution="name-shape",
                        )
                    )
        title_spans = [k.title_span for k in (*ms, *persons) if k.title_span]
        for s, e, label in ner_by_article.get(aid, []):
            brk = _SPAN_BREAK.search(body, s, e)
            if brk:  # "Gareth Morton - wrongly thought", "Drama - Featherboy": a name ends at a spaced dash
                e = brk.start()
            s, e = _trimmed(body, s, e)
            if e <= s or not _NAME_LIKE.search(body, s, e) or _MONEY.search(body, s, e):
                continue  # "£", "A$", "10.7bn"; "bandwidth", "graphics": no capital, no name
            if body[s:e].endswith("-based"):
                e, label = e - len("-based"), "LOC"  # "Washington-based": the place
            in_title = next((ts for ts, te in title_spans if ts <= s and e <= te), None)
            if in_title is not None or _OFFICE_OF_BEFORE.search(body[max(0, s - 40) : s]):
                # "Middlesbrough mayor" (the NER says ORG): the place the office is of, whatever its
                # label; not a constituency or portfolio after "for" ("MP for Grantham and Stamford")
                place = gaz.places.get(norm_key(body[s:e])) if label != "MISC" else None
                if place and in_title is not None and free(s, e) and not _TITLE_OF.search(body, in_title, s):
                    ms.append(_place_mention(aid, s, e, body[s:e], "ner", place))
                    taken.append((s, e))
                continue  # a portfolio inside a title ("Minister of Strategy and Finance")
            inner: list[Mention] = []
            if label != "PERSON":
                # a place inside a longer name ("Lagos Chamber of Commerce", "Niger Delta") is part of it
                inner = [
                    k
                    for k in ms
                    if s <= k.start
                    and k.end <= e
                    and (k.end - k.start) < (e - s)
                    and k.entity_type in ("GPE", "LOC")
                ]
                for k in inner:
                    ms.remove(k)
                    taken.remove((k.start, k.end))
            if not free(s, e) or any(not (e <= p.start or s >= p.end) for p in persons):
                continue
            text = body[s:e]
            if label == "PERSON" and (_HONORIFIC_ONLY.fullmatch(text) or text.lower() in _NOT_A_NAME):
                continue  # "Mr", "MP", "Shadow" alone are no name
            if label == "PERSON" and _place_not_person(body, s, e, gaz):
                ms.append(_place_mention(aid, s, e, text, "ner", gaz.places[norm_key(text)]))
                taken.append((s, e))
                continue
            if label == "PERSON" and _ORG_WORD_BEFORE.search(body, max(0, s - 30), s):
                label = "ORG"  # "the Japanese gaming giant Nintendo", "search firm Technorati": a company
            if label == "PERSON":
                p = Mention(aid, s, e, text, "PERSON", "", text, resolution="ner")
                window = body[max(0, s - 120) : s]
                tb = next(finditer(_TITLE_BEFORE_RE, _PREFILTERS[_TITLE_BEFORE_RE], window), None)
                ta = _TITLE_AFTER_RE.match(body, e)
                if tb and _SENTENCE_END_INSIDE.search(body, max(0, s - 120) + tb.start("title"), s):
                    tb = None
                if ta and _SENTENCE_END_INSIDE.search(body, e, ta.end("title")):
                    ta = None
                if tb:
                    ts = max(0, s - 120) + tb.start("title")
                    p.role_title, p.title_span = (
                        _clean_title(tb.group("title")),
                        (ts, ts + len(tb.group("title"))),
                    )
                elif ta:
                    p.role_title, p.title_span = _clean_title(ta.group("title")), ta.span("title")
                persons.append(p)
                continue
            found = _ner_mention(aid, s, e, text, label, gaz, info, ministries)
            placed = {k.country for k in inner if k.country}
            if (
                found is not None
                and found.entity_type == "ORG"
                and found.country is None
                and len(placed) == 1
            ):
                # "Bank of England", "Steaua Bucharest", "British Telecom": the country its name holds
                found.country, found.country_source = placed.pop(), f"name: {inner[0].text}"
            if found is not None:
                ms.append(found)
                taken.append((s, e))
        for p in persons:
            _resolve_person(p, gaz, surnames, info)
            ms.append(p)
            taken.append((p.start, p.end))
        # organisations by shape, ministries by portfolio
        for m in finditer(ORG_RE, _PREFILTERS[ORG_RE], body, folded):
            s, e = m.span()
            text = m.group()
            while text.split()[0] in _NOT_NAME_START and len(text.split()) > 1:
                cut = len(text.split()[0]) + 1
                s, text = s + cut, text[cut:]
            if not free(s, e) or text.split()[0] in _NOT_NAME_START:
                continue
            mm = _MINISTRY_OF.match(norm_key(text))
            actor_id = ministries.get(portfolio_key(mm.group(1))) if mm else None
            if actor_id:
                ms.append(_actor_mention(aid, s, e, text, actor_id, info, "ministry-portfolio"))
            else:
                ms.append(Mention(aid, s, e, text, "ORG", f"org:{slug(text)}", text, resolution="org-shape"))
            taken.append((s, e))
        # "Minister of Trade, Industry and Energy" names the ministry too
        for p in persons:
            if p.role_title:
                mm = _MINISTER_OF.search(norm_key(p.role_title))
                actor_id = ministries.get(portfolio_key(mm.group(1))) if mm else None
                if actor_id and p.title_span:
                    ts, te = p.title_span
                    t = body[ts:te]
                    off = t.lower().find("minister")
                    ms.append(_actor_mention(aid, ts + off, te, t[off:], actor_id, info, "title-ministry"))
        # "<person> administration" / "<country> government" -> the country's government
        for k in ms:
            g = GOVT_RE.match(body, k.end)
            if g and k.entity_type == "PERSON" and k.country:
                k.extra["government_of"] = k.country
                k.extra["govt_end"] = g.end()
        _attach_and_country(ms, body, outlet, gaz, info)
        out.extend(ms)
    return out


_SPAN_BREAK = re.compile(r"\s[-–—]\s|\n")
# a name has a capital letter and another letter ("iPod", "al-Qaeda", "US"; not "graphics" or "£")
_NAME_LIKE = re.compile(r"(?=[^\n]*[A-Z])[^\n]*[A-Za-z][^\n]*[A-Za-z]")
_MONEY = re.compile(r"[$£€¥]")
# words for a kind of organisation (not "producer", "publisher" or "broadcaster": people too)
_ORG_KINDS = (
    "firm|company|giant|conglomerate|carmaker|airline|carrier|bank|retailer|manufacturer|network|agency|"
    "operator|insurer|lender|chain|brand|label|studio|club|newspaper|channel|charity|watchdog|regulator|"
    "start-up|startup|website|portal"
)
# right before a name, such a word makes it an organisation: "oil giant Yukos", "security firm Sophos"
_ORG_WORD_BEFORE = re.compile(rf"\b(?:{_ORG_KINDS})s?\s+$")


def _trimmed(body: str, s: int, e: int) -> tuple[int, int]:
    """``s``, ``e`` without the spaces and punctuation an NER span can catch at its ends ("; M Cueto",
    "Alexander Fang -", "Council of Mortgage Lenders ("); a final full stop stays ("Inc.")."""
    while s < e and body[s] in _LEAD_JUNK:
        s += 1
    while e > s and body[e - 1] in _TAIL_JUNK:
        e -= 1
    return s, e


_LEAD_JUNK = frozenset(" \t;:,.-–—(\"'“‘")
_TAIL_JUNK = frozenset(' \t;:,-–—("“‘')
_OFFICE_OF_BEFORE = re.compile(
    r"\b(?:Minister|Ministry|Secretary|Department|Director|Ambassador|Office|Commissioner)s?\s+(?:of|for|to)\s+(?:the\s+)?$"
)
# a word of four letters or more, then a full stop and a space: a sentence ends there ("Gordon Brown. Prior",
# "Order of Bath. Both"), unlike after "U.S." or "Gen." or the abbreviations listed
_SENTENCE_END_INSIDE = re.compile(
    r"\b(?!(?:Capt|Prof|Supt|Insp|Lieut|Cmdr|Dept|Corp|Govt)\.)[A-Za-z][a-z]{3,}\.\s"
)
_TITLE_BEFORE_RE = re.compile(rf"(?P<title>{_TITLE})\s+$")
_TITLE_OF = re.compile(r"\s(?:of|for|to|on)\s")
# what a person does or is right after the name: "Blackpool said" is someone, "not Blackpool," a place
_PERSON_AFTER = re.compile(
    r"\s+(?:[a-z]+ly\s+)?(?:said|says|told|tells|added|adds|argued|claimed|insisted|warned|wrote|writes|"
    r"is|was|has|had|who|whose)\b|['’]s\b|,\s+(?:\d|who|the|a|an)\b"
)


_OF_PLACE_BEFORE = re.compile(r"(?:,\s+(?:\d{1,3},\s+)?(?:of|from)|\bnot)\s+$")


def _place_not_person(body: str, s: int, e: int, gaz: Gazetteer) -> bool:
    """A one-word NER person that is a city or region of the places lexicon, standing where a place
    stands ("in", "from", ", of", "not") and not acting as a person there ("Preston said", "Preston,
    42,"), written nowhere in the article after a capitalised word other than a stop word ("Chris
    Preston", "Mr Preston"; "In Preston" does not count): "in Manchester and not Blackpool", "Tony
    Martin, of Burnley"."""
    text = body[s:e]
    if " " in text or norm_key(text) not in gaz.places:
        return False
    if _PERSON_AFTER.match(body, e) or not (
        _reads_as_place(body, s, e) or _OF_PLACE_BEFORE.search(body, max(0, s - 20), s)
    ):
        return False  # "George" and "Nigel" are towns too: only a word in a place's position is one
    before = (m.group(1) for m in re.finditer(rf"\b([A-Z][a-z]+)\.?\s+{re.escape(text)}\b", body))
    return all(w.lower() in STOP_WORDS for w in before)  # "In Blackpool" is no first name


_TITLE_AFTER_RE = re.compile(rf",\s+(?P<title>{_TITLE})(?=\s*[,.;:)]|\s+[a-z])")
# literal prefilters (transforms.rxfilter) of the patterns scanned over whole bodies (or long
# windows): a pattern whose title words, honorifics or organisation heads are all missing from
# the text is not scanned
_PREFILTERS = {
    rx: prefilter(rx)
    for rx in (TITLE_NAME_RE, NAME_TITLE_RE, HONORIFIC_RE, ORG_RE, ENVOY_RE, _TITLE_BEFORE_RE)
}


_NOT_NAME_AFTER_TITLE = frozenset({"Election", "Elections", "Assembly", "Staff", "Council", "Secretary"})
_HONORIFIC_ONLY = re.compile(r"(?:Mr|Mrs|Ms|Miss|Dr|Sir|Dame|Lord|Lady|Prof)\.?")


def _outlet_country(outlet: str | None, gaz: Gazetteer, info: dict) -> str | None:
    actor_id = gaz.alias_actor.get(norm_key(outlet)) if outlet else None
    return info[actor_id][2] if actor_id else None


def _institutions(
    aid: str,
    found: list[tuple[int, int, str, str]],
    ms: list[Mention],
    outlet_country: str | None,
    gaz: Gazetteer,
    info: dict,
) -> list[Mention]:
    """Short names of national institutions ("Labour", "the Treasury", "Parliament"), resolved by the
    article's evidence: the country of its outlet, else the one country of the candidates the article
    names most (through the gazetteer's names: countries, people, unambiguous institutions). A short
    name whose candidates' countries the article does not name is linked only when it has one
    candidate and the article names no country at all; otherwise it stays an organisation with no
    country, and the reason says why."""
    evidence = Counter(m.country for m in ms if m.country and not m.attached)
    out = []
    for s, e, text, pat in found:
        cands = gaz.institutions.get(pat, ())
        countries = {c: info[c][2] for c in cands}
        best = [c for c in cands if outlet_country and countries[c] == outlet_country]
        why = f"the outlet is in {outlet_country}"
        if not best and evidence:
            most = max((evidence[countries[c]] for c in cands), default=0)
            best = [c for c in cands if most and evidence[countries[c]] == most]
            why = f"the article names {countries[best[0]]}" if best else ""
        elif not best and len(cands) == 1:
            best, why = list(cands), f"only {countries[cands[0]]} has one, and the article names no country"
        if len(best) == 1:
            m = _actor_mention(aid, s, e, text, best[0], info, "institution")
            m.country_source = f"context: {why}"
            out.append(m)
            continue
        named = ", ".join(sorted({c for c in countries.values() if c}))
        m = Mention(aid, s, e, text, "ORG", f"org:{slug(text)}", text, resolution="institution")
        m.country_source = (
            f"unknown: '{text}' names an institution of {named}; the article does not say which"
        )
        out.append(m)
    return out


def _ner_mention(
    aid: str, s: int, e: int, text: str, label: str, gaz: Gazetteer, info: dict, ministries: dict[str, str]
) -> Mention | None:
    """An ORG / place / MISC span of the NER, resolved against the gazetteer where possible."""
    key = norm_key(text)
    actor_id = gaz.alias_actor.get(key)
    if actor_id:
        return _actor_mention(aid, s, e, text, actor_id, info, "ner+alias")
    if label == "ORG":
        mm = _MINISTRY_OF.match(key)
        actor_id = ministries.get(portfolio_key(mm.group(1))) if mm else None
        if actor_id:
            return _actor_mention(aid, s, e, text, actor_id, info, "ner+ministry")
        return Mention(aid, s, e, text, "ORG", f"org:{slug(text)}", text, resolution="ner")
    if label in ("LOC", "GPE"):
        place = gaz.places.get(key)
        if place:
            return _place_mention(aid, s, e, text, "ner", place)
        return Mention(aid, s, e, text, "LOC", f"loc:{slug(text)}", text, resolution="ner")
    if label == "MISC":
        return Mention(aid, s, e, text, "MISC", f"misc:{slug(text)}", text, resolution="ner")
    return None


def _clean_title(title: str) -> str:
    """Drop modifiers and country qualifiers: 'U.S. Secretary of State' -> 'Secretary of State'."""
    t = re.sub(rf"^{_MOD}+", lambda m: m.group(0), title)
    words = t.split()
    while len(words) > 1 and (
        re.fullmatch(r"(?:[A-Z]\.)+|[A-Z][a-z]+(?:'s|’s)|[A-Z][a-z]+(?:ian|an|ese|ish|i)", words[0])
        or words[0] in _COUNTRY_ADJ
    ):
        words = words[1:]
    return " ".join(words) if words else title


_COUNTRY_ADJ = frozenset(
    """US UK EU American British Chinese Japanese Korean South North Russian French German Indian Israeli
    Iranian Ukrainian Canadian Australian Italian Spanish Turkish Saudi""".split()
)


_PORTFOLIO = frozenset(
    """State Treasury Commerce Trade Industry Energy Finance Foreign Affairs Defense Defence Health Justice
    Interior Home Labor Labour Education Agriculture Transport Transportation Environment Economy Economic
    Strategy Planning Security Unification Culture Sports Tourism Science Technology Communications
    Information Development Welfare Employment Housing Land Infrastructure Oceans Fisheries Veterans
    Immigration Budget Revenue Staff House Office Council Department Ministry National Federal General
    Exchequer Commons Lords Parliament Assembly Congress Senate Cabinet Navy Army Forces Police Bank
    Republic Kingdom Union Nations Constitutional Pensions Work Children Families Schools Skills Rural Local
    Government Media Sport Women Equality Prisons Policing""".split()
)
_HEAD_WORDS = frozenset(w.lower() for h in _TITLE_HEADS.split("|") for w in h.split())
_NOT_A_NAME = _HEAD_WORDS | {"shadow"}


def _split_title_name(
    body: str, title_s: int, name_e: int, taken: list[tuple[int, int]], known_persons: list[tuple[int, int]]
) -> tuple[int, int] | None:
    """Split 'Secretary of State Rubio' / 'Ambassador to the U.S. Jo Hyeon-dong' into title and name.

    The name is the longest run (at most three tokens) of name-like capitalised tokens at the end
    of the match that are neither portfolio/title words nor inside a gazetteer mention.
    Returns (title_end, name_start), or None when no name is left.
    """
    toks = list(re.finditer(r"\S+", body[title_s:name_e]))
    name_toks: list[re.Match[str]] = []
    for t in reversed(toks):
        word = t.group().rstrip(",")
        abs_s = title_s + t.start()
        person = next(((a, b) for a, b in known_persons if a <= abs_s < b), None)
        if person and not name_toks:
            # a known person ("Secretary of State Rubio"): the title ends before the mention
            before = [x for x in toks if title_s + x.end() <= person[0]]
            return (title_s + before[-1].end(), person[0]) if before else None
        inside_known = any(a <= abs_s < b for a, b in taken)
        if (
            len(name_toks) >= 3
            or inside_known
            or word in _PORTFOLIO
            or word.lower() in _HEAD_WORDS
            or not re.fullmatch(_NAMETOK + "|[A-Z]\\.", word)
        ):
            break
        name_toks.insert(0, t)
    if not name_toks or len(name_toks) == len(toks):
        return None
    name_s = title_s + name_toks[0].start()
    prev = toks[len(toks) - len(name_toks) - 1]
    return title_s + prev.end(), name_s


def _resolve_person(p: Mention, gaz: Gazetteer, surnames: dict, info: dict) -> None:
    hon = _LEADING_HONORIFIC.match(p.text)
    if hon and hon.end() < len(p.text):  # "spokesman Mr Kemp", an NER span "Mr O'Brien": the name is Kemp
        p.extra.setdefault("honorific", hon.group(1))
        p.start, p.text = p.start + hon.end(), p.text[hon.end() :]
        p.canonical = p.text
    key = norm_key(p.text)
    cands = surnames.get(key, []) if len(key.split()) == 1 else []
    if len(cands) == 1:
        p.extra["surname_candidate"] = cands[0]
    p.key = f"person:{slug(p.text)}"


# a courtesy title inside a name span ("spokesman Mr Kemp"); a style ("Sir John Bourn") stays
_LEADING_HONORIFIC = re.compile(rf"({_COURTESY})\.?\s+")


# the head words of a public body's name: "National Audit Office", "Child Support Agency", "High Court"
_PUBLIC_BODY = re.compile(
    r"\b(?:Agency|Authority|Commission|Office|Department|Council|Court|Service|Board|Inspectorate|"
    r"Ministry|Parliament|Assembly|Executive|Tribunal|Committee|Cabinet|Treasury|Police|Constabulary)\b"
)


# a body above or across nations: "European Court of Human Rights", "International Olympic Committee"
_INTERNATIONAL = re.compile(
    r"\b(?:European|Europe|EU|International|World|Global|United Nations|UN|Commonwealth|Olympic|Asian|African|"
    r"Arab|Atlantic|Pacific|Nordic|Baltic|Caribbean|Latin American|Islamic Development)\b"
)


def _article_country(ms: list[Mention]) -> str | None:
    """The country the article is about: the one that at least 3 and 60% of its country, organisation
    and person mentions with a country have (its places do not count: a trip abroad is no subject)."""
    counts = Counter(m.country for m in ms if m.country and m.entity_type in ("GPE", "ORG", "PERSON"))
    if not counts:
        return None
    ((top, n),) = counts.most_common(1)
    return top if n >= 3 and n >= 0.6 * sum(counts.values()) else None


def _national_bodies(ms: list[Mention]) -> None:
    """A public body the article names without a country ("the National Audit Office", "the High
    Court") is of the country the article is about, as a national institution named without
    qualification is the outlet's; an organisation the gazetteer knows in several countries keeps
    its reason, an international one its sector."""
    home = _article_country(ms)
    if home is None:
        return
    for m in ms:
        if (
            m.entity_type == "ORG"
            and m.country is None
            and m.sector != "IGO"
            and m.resolution != "institution"
            and " " in m.text.strip()  # a name, not a bare "Office" or "Committee" of any country
            and _PUBLIC_BODY.search(m.text)
            and not _INTERNATIONAL.search(m.text)
        ):
            m.country = home
            m.country_source = (
                f"context: a public body named without a country where the article's actors are of {home}"
            )


def _attach_and_country(ms: list[Mention], body: str, outlet: str | None, gaz: Gazetteer, info: dict) -> None:
    _national_bodies(ms)
    for p in ms:
        if p.entity_type != "PERSON" or not p.title_span:
            continue
        ts, te = p.title_span
        inside = [m for m in ms if m is not p and ts <= m.start and m.end <= te]
        for m in inside:
            m.attached = True
        if p.country:
            continue
        title_l = body[ts:te].lower()
        amb = re.search(r"ambassador\s+to\s+", title_l)
        # an actor named in the title before a place ("Tory MP for Grantham and Stamford": the party)
        for m in sorted(inside, key=lambda k: (k.resolution or "").endswith("-as-place")):
            if m.entity_type in ("GPE", "LOC", "ORG") and m.country:  # "Texas Governor"
                if amb and m.start - ts >= amb.end():
                    continue
                p.country, p.country_source = m.country, f"title: {body[m.start : m.end]}"
                break
        if p.country is None and p.role_title:
            c = gaz.title_country.get(norm_key(p.role_title))
            if c:
                p.country, p.country_source = c, f"title: '{p.role_title}' is held only in {c}"
        if p.country is None and amb:
            outlet_m = _outlet_country(outlet, gaz, info)
            target = next((m.country for m in inside if m.start - ts >= amb.end() and m.country), None)
            if outlet_m and outlet_m != target:
                p.country, p.country_source = (
                    outlet_m,
                    f"outlet: ambassador to {target} in a {outlet_m} outlet",
                )
    # envoys sent by X: A and B share X's country
    for envoy in finditer(ENVOY_RE, _PREFILTERS[ENVOY_RE], body):
        sender = next(
            (p for p in ms if p.start == envoy.end() and p.entity_type == "PERSON" and p.country), None
        )
        if not sender:
            continue
        pos = sender.end
        for p in sorted(ms, key=lambda k: k.start):
            if p.start < pos or p.entity_type != "PERSON":
                continue
            gap = body[pos : p.start]
            if not re.fullmatch(r",\s*|,?\s*and\s+|:\s*", gap):
                break
            if p.country is None:
                p.country, p.country_source = sender.country, f"context: envoy sent by {sender.canonical}"
            pos = p.end
    _country_from_context(ms, body)


# between an organisation or country and the person it describes: "Labour's election co-ordinator
# Alan Milburn", "Tory backbencher Bob Marshall-Andrews" (no preposition, verb or conjunction in
# between: "visited Iraq with defence secretary Geoff Hoon" says nothing of Hoon's country)
_BEFORE_PERSON = re.compile(
    r"(?:(?:['’]s|(?<=s)['’])\s+(?:[a-z][\w-]*\s+){0,3}"  # "Labour's election co-ordinator ", "the Liberal Democrats' "
    r"|\s+(?:[a-z][\w-]*\s+)?(?:[a-z][\w-]*(?:er|or|ist|ian|man|woman|person|ent|ant)|chief|head|aide|whip"
    r"|MP|MEP|MSP)\s+)"
    rf"(?:(?:{_COURTESY}|Sir|Dame)\.?\s+)?"
)  # "Tory backbencher ", "Labour MP ", "Downing Street communications chief ", "Labour spokesman Mr ": a
# word for a role last ("a court in Texas granted Yukos" is none; not "boss": "Tigers boss", "Canaries boss"
# are clubs that read as places)
# offices of government: an unqualified one is held in the country of the article's organisations
# (a "manager" or a "captain" is not; nor a "president": in news most are foreign heads of state or of
# international bodies, "European Commission president Jose Manuel Barroso" in an article on British politics)
_NATIONAL_OFFICE = re.compile(
    r"(?i)\b(?:minister|secretary|chancellor|attorney|solicitor|ambassador|envoy|mp|mep|msp|"
    r"senator|governor|mayor|speaker|leader|spokes(?:man|woman|person))\b"
)
_AFTER_PERSON = re.compile(
    r",\s+(?:(?:the|a|an)\s+(?:(?:[a-z][\w-]*\s+){1,3}(?:for|of|at)\s+(?:the\s+)?)?)?"
)  # "Alastair Campbell, Labour's ...", "X, the Tory leader", "X, a spokesman for the Home Office"
# where a person is from, or whom they speak for: "Tony Martin, of Burnley", "Peter Monkhouse, 50, of
# Headingley, Leeds", "Vincent Cable, for the Liberal Democrats", "Brad Adams, from Human Rights Watch"
_FROM_AFTER_PERSON = re.compile(
    r",\s+(?:\d{1,3},\s+)?(?:of|from|for)\s+(?:the\s+)?(?:[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,2},\s+)?"
)
_POSSESSIVE = re.compile(r"['’]s\s")
_APOSTROPHES = ("'", "’")
_NEXT_WORD = re.compile(r" {1,2}")
_GAP_STOP = frozenset(
    """with in to from by at on for of and or as after before than that who which whose said says told
    when while is was are were has had have will would could should may might not""".split()
)


_OPEN_TITLE = re.compile(r"\b(?:for|of|to|at|the|a|an)$", re.IGNORECASE)


def _country_from_context(ms: list[Mention], body: str) -> None:
    """A person with no country takes the country of the organisation or country named right before
    (as a qualifier) or after (as an appositive) it; a person with an unqualified title ("Attorney
    General Lord Goldsmith") takes the country of the organisations the article names when they all
    have the same one, else the country the article is about (:func:`_article_country`; its places
    do not count: "Foreign Secretary Jack Straw visited Iraq")."""
    _org_country_from_qualifier(ms, body)
    named = {m.country for m in ms if m.entity_type == "ORG" and m.country and not m.attached}
    home = _article_country(ms)
    qualifiers = sorted(
        (m for m in ms if m.entity_type in ("ORG", "GPE", "LOC", "PERSON") and m.country),
        key=lambda m: m.start,
    )
    for p in ms:
        if p.entity_type != "PERSON" or p.country:
            continue
        if p.extra.get("honorific") in _PEERAGE:
            p.country, p.country_source = (
                "GBR",
                f"title: '{p.extra['honorific']}' is a peerage of the United Kingdom",
            )
            continue
        for m in qualifiers:
            if p.country:
                break
            if m.entity_type == "PERSON" and not _POSSESSIVE.match(body, m.end):
                continue  # only "Blair's former communications chief X": a person's aide
            if p.start - 60 <= m.end <= p.start:
                gap = _BEFORE_PERSON.fullmatch(body, m.end, p.start) or (
                    m.resolution == "demonym" and _NEXT_WORD.fullmatch(body, m.end, p.start)
                )  # "the Kenyan Eliud Kipchoge", "Namibian Frankie Fredericks"
                if gap and not _GAP_STOP.intersection(body[m.end : p.start].lower().split()):
                    gap_text = body[m.end : p.start].strip()
                    p.country, p.country_source = (
                        m.country,
                        f"context: {m.text}{'' if gap_text[:1] in _APOSTROPHES else ' '}{gap_text}".rstrip(),
                    )
            elif p.end <= m.start <= p.end + 60 and (
                _AFTER_PERSON.fullmatch(body, p.end, m.start) or _from_after(p, m, body)
            ):
                p.country, p.country_source = m.country, f"context: {body[p.end : m.end].strip(', ')}"
        if p.country or not p.role_title or not _NATIONAL_OFFICE.search(p.role_title) or _qualified(p, ms):
            continue
        if home and not _OPEN_TITLE.search(p.role_title):
            # the article's actors, people and countries too, before its organisations alone; not a
            # title cut before whom it is of ("spokeswoman for" Oxford University, typed a person)
            p.country = home
            p.country_source = f"context: '{p.role_title}' where the article's actors are of {home}"
        elif len(named) == 1:
            (only,) = named
            p.country = only
            p.country_source = f"context: '{p.role_title}' where every organisation named is of {only}"


def _org_country_from_qualifier(ms: list[Mention], body: str) -> None:
    """An organisation with no country takes the one of the country, nationality, place or
    organisation that qualifies it: "South Korea's Yonhap News Agency", "US software firm X", "the
    German carmaker X", "Microsoft's MSN" (a few lower-case words between, no verb or preposition)."""
    qualifiers = [m for m in ms if m.entity_type in ("GPE", "LOC", "ORG") and m.country]
    for o in ms:
        if o.entity_type != "ORG" or o.country or o.sector == "IGO" or o.resolution == "institution":
            continue
        for m in qualifiers:
            after = _ORG_APPOSITIVE.fullmatch(body, o.end, m.start) if o.end <= m.start <= o.end + 8 else None
            if after and (what := _ORG_APPOSITIVE_TAIL.match(body, m.end)):
                o.country = m.country  # "Nortel, the Canadian telecoms firm,"
                o.country_source = f"context: {body[o.end : m.end + len(what.group())].strip(', ')}"
                break
            if not o.start - 40 <= m.end <= o.start:
                continue
            gap = body[m.end : o.start]
            words = _GAP_WORD.findall(gap)
            if (
                _BEFORE_ORG.fullmatch(gap)
                and not _ORG_GAP_STOP.intersection(words)
                and (not words or _ORG_NOUN.fullmatch(words[-1]))
            ):
                o.country = m.country
                glue = "" if gap.strip()[:1] in (*_APOSTROPHES, "-") else " "
                o.country_source = f"context: {m.text}{glue}{gap.strip()}".rstrip()
                break


# between a country, nationality or organisation and the organisation it qualifies: "'s ", " software firm "
_BEFORE_ORG = re.compile(r"(?:['’]s|(?<=s)['’]|-based)?\s+(?:[a-z][\w-]*\s+){0,3}")
# the word for what the organisation is, last before its name: "US software firm", "German carmaker";
# not a verb ("the Portuguese side saw off Feyenoord")
_ORG_NOUN = re.compile(
    rf"[a-z-]*(?:{_ORG_KINDS}|group|maker|er|or|side|team|journal|paper|daily|station|university|institute|"
    r"organisation|organization|union|party|body|store|fund|exchange|authority|ministry|council|association|"
    r"federation|league|house|business|subsidiary|unit|arm|division|rival|outfit|operation|venture|"
    r"corporation|multinational|co-operative|cooperative)s?"
)
# "X, the Canadian telecoms firm": the qualifier after the name, then what the organisation is
_ORG_APPOSITIVE = re.compile(r",\s+(?:the|a|an)\s+")
_ORG_APPOSITIVE_TAIL = re.compile(
    rf"(?:-based)?(?:\s+[a-z][\w-]*){{0,2}}\s+[a-z-]*(?:{_ORG_KINDS}|group|maker|producer|publisher|broadcaster|"
    r"supplier|provider|exporter|developer|distributor|union|party|body|team|side)s?\b"
)  # a word for an organisation, not any word in -er ("the German minister said")
# the lower-case words of a gap, not the "s" of "'s" or the "based" of "-based"
_GAP_WORD = re.compile(r"(?<![\w'’-])[a-z][\w-]*")
_ORG_GAP_STOP = _GAP_STOP | {"the", "a", "an", "its", "their", "his", "her", "this", "that", "these", "those"}


def _from_after(p: Mention, m: Mention, body: str) -> bool:
    """``m`` says where ``p`` is from or whom ``p`` speaks for: a place after "of" or "from", an
    organisation after "of", "from" or "for" (not a place after "for": "campaigned for Iraq")."""
    gap = _FROM_AFTER_PERSON.fullmatch(body, p.end, m.start)
    if not gap or m.entity_type == "PERSON":
        return False
    return m.entity_type == "ORG" or " for " not in f" {body[p.end : m.start]} "


def _qualified(p: Mention, ms: list[Mention]) -> bool:
    """The person's title names an organisation or place ("European Commission president", "PCS Union
    spokesman"): the office is that one's, whatever country the article is about."""
    words = re.findall(r"[A-Z][\w-]*", p.role_title or "")
    if any(w not in _PORTFOLIO and w.lower() not in _HEAD_WORDS and w not in _RANKS for w in words):
        return True  # "Commission president", "Euro MP"; not "Shadow Home Secretary"
    if not p.title_span:
        return False
    ts, te = p.title_span
    return any(m is not p and ts <= m.start and m.end <= te for m in ms)


_RANKS = frozenset({"Shadow", "First", "Junior", "Senior", "Deputy", "Acting", "Former", "Vice", "Foreign"})


_TITLE_STOP = frozenset({"of", "the", "for", "and", "to", "us", "u.s.", "u.s", "acting", "deputy"})


def _title_tokens(title: str) -> frozenset[str]:
    return frozenset(w for w in re.split(r"[\s,]+", norm_key(title)) if w and w not in _TITLE_STOP)


def resolve_persons(
    ms: list[Mention], pub_dates: dict[str, date | None], gaz: Gazetteer, info: dict | None = None
) -> None:
    """Check titled persons against the actors' date-bounded roles at the article's date.

    A surname-only mention is linked to the one curated actor with that surname when its title
    (if any) matches a role the actor held at the date. A linked mention whose title disagrees
    with every role the actor held then keeps what the text says: it is unlinked, becomes its own
    entity, and ``role_conflict`` records the disagreement (never silently merged).
    """
    info = info or gaz.actor_info
    titled_roles = gaz.roles.filter(pl.col("role_title").is_not_null())
    known_offices = {_title_tokens(t) for t in titled_roles["role_title"].unique().to_list()}
    roles_of: dict[str, list[tuple]] = {}
    for actor_id, title, start, end in titled_roles.select(
        "actor_id", "role_title", "start_date", "end_date"
    ).iter_rows():
        roles_of.setdefault(actor_id, []).append((title, start, end))
    for p in ms:
        if p.entity_type != "PERSON":
            continue
        cand = p.actor_id or p.extra.get("surname_candidate")
        if not cand:
            continue
        canonical, _etype, country, sector = info[cand]
        d = pub_dates.get(p.article_id)
        conflict = None
        title = p.role_title
        if title and not re.match(r"(?i)former|ex-|then", title):
            r = roles_of.get(cand, [])
            if r:
                if d is not None:
                    r = [x for x in r if (x[1] is None or x[1] <= d) and (x[2] is None or x[2] >= d)]
                want = _title_tokens(title)
                held = [_title_tokens(t) for t, _, _ in r]
                # only an office the actors table knows can conflict ("Labour leader" is not one)
                is_office = any(want == k or (len(k) > 1 and k <= want) for k in known_offices)
                if is_office and not any(want <= h or h <= want for h in held):
                    at = f" at {d}" if d else ""
                    conflict = (
                        f"text calls {p.text} '{title}', but {canonical} ({cand}) held no such role{at}"
                    )
        if conflict:
            p.extra["role_conflict"] = conflict
            p.key, p.actor_id, p.canonical, p.sector = f"person:{slug(p.text)}", None, p.text, None
            c = gaz.title_country.get(norm_key(title)) if title else None
            p.country, p.country_source = (c, f"title: '{title}' is held only in {c}") if c else (None, None)
            p.resolution += "+role-conflict"
        elif not p.actor_id:
            p.key, p.actor_id, p.canonical = cand, cand, canonical
            p.country, p.country_source, p.sector = country, "reference", sector
            p.resolution += "+surname"


def with_ner_confidence(mentions: pl.DataFrame, ner: pl.DataFrame | None) -> pl.DataFrame:
    """``mentions`` (of :func:`mentions_frame`) with a ``confidence`` column: for a mention the NER found
    (``resolution`` ``ner...``), the confidence of the NER span that holds it (``ner``: article_id,
    start_char, end_char, confidence: transforms.ner.ner_spans); NULL for the others, which no model
    decided."""
    # per article, by start (NER spans do not overlap)
    spans: dict[str, list[tuple[int, int, float | None]]] = {}
    if ner is not None:
        for aid, s, e, p in (
            ner.sort("article_id", "start_char")
            .select("article_id", "start_char", "end_char", "confidence")
            .iter_rows()
        ):
            spans.setdefault(aid, []).append((s, e, p))
    starts = {aid: [s for s, _, _ in found] for aid, found in spans.items()}

    def confidence(aid: str, start: int, end: int, resolution: str | None) -> float | None:
        if not (resolution or "").startswith("ner") or aid not in spans:
            return None
        k = bisect_right(starts[aid], start) - 1  # the last span starting at or before the mention
        if k < 0:
            return None
        s, e, p = spans[aid][k]
        return p if s <= start and end <= e else None

    values = [
        confidence(*row)
        for row in mentions.select("article_id", "start_char", "end_char", "resolution").iter_rows()
    ]
    return mentions.with_columns(pl.Series("confidence", values, dtype=pl.Float64))


def mentions_frame(ms: list[Mention]) -> pl.DataFrame:
    rows = [
        {
            "article_id": m.article_id,
            "start_char": m.start,
            "end_char": m.end,
            "mention_text": m.text,
            "entity_id": m.key,
            "canonical_name": m.canonical,
            "entity_type": m.entity_type,
            "country_iso3": m.country,
            "country_source": m.country_source,
            "sector": m.sector,
            "actor_id": m.actor_id,
            "role_title": m.role_title,
            "resolution": m.resolution,
            "attached": m.attached,
            "government_of": m.extra.get("government_of"),
            "role_conflict": m.extra.get("role_conflict"),
        }
        for m in ms
    ]
    schema = {
        "article_id": pl.String,
        "start_char": pl.Int64,
        "end_char": pl.Int64,
        "mention_text": pl.String,
        "entity_id": pl.String,
        "canonical_name": pl.String,
        "entity_type": pl.String,
        "country_iso3": pl.String,
        "country_source": pl.String,
        "sector": pl.String,
        "actor_id": pl.String,
        "role_title": pl.String,
        "resolution": pl.String,
        "attached": pl.Boolean,
        "government_of": pl.String,
        "role_conflict": pl.String,
    }
    return pl.DataFrame(rows, schema=schema).sort(["article_id", "start_char", "end_char"])


def as_nationalities(mentions: pl.DataFrame) -> pl.DataFrame:
    """``mentions`` (of :func:`mentions_frame`) with each nationality word ("British", "South Korean")
    a MISC mention of its own entity, ``nat:<country>``, with that country: a nationality is not
    the state (CoNLL's MISC, spaCy's NORP). Events are coded before, on the mentions as found, so
    "British troops" still act for the United Kingdom."""
    nat = pl.col("resolution") == "demonym"
    return mentions.with_columns(
        pl.when(nat)
        .then(pl.lit("nat:") + pl.col("country_iso3"))
        .otherwise(pl.col("entity_id"))
        .alias("entity_id"),
        pl.when(nat).then(pl.col("mention_text")).otherwise(pl.col("canonical_name")).alias("canonical_name"),
        pl.when(nat).then(pl.lit("MISC")).otherwise(pl.col("entity_type")).alias("entity_type"),
        pl.when(nat)
        .then(pl.lit("nationality: ") + pl.col("mention_text") + pl.lit(" is of ") + pl.col("country_iso3"))
        .otherwise(pl.col("country_source"))
        .alias("country_source"),
        pl.when(nat).then(None).otherwise(pl.col("sector")).alias("sector"),
        pl.when(nat).then(None).otherwise(pl.col("actor_id")).alias("actor_id"),
    )


def entities_from_mentions(mentions: pl.DataFrame) -> pl.DataFrame:
    """Canonical entities: one row per entity_id; country is the most frequent known one."""
    if mentions.height == 0:
        return ENTITIES.empty().drop("run_id")
    countries = (
        mentions.filter(pl.col("country_iso3").is_not_null())
        .group_by("entity_id", "country_iso3")
        .agg(pl.len().alias("n"), pl.col("country_source").first())
        .sort(["entity_id", "n", "country_iso3"], descending=[False, True, False])
        .unique("entity_id", keep="first")
        .select("entity_id", "country_iso3", "country_source")
    )
    ordered = mentions.sort(["entity_id", "article_id", "start_char"])
    # the type most of the entity's mentions have (the first of the most frequent): one mention
    # the NER typed LOC does not make a person a place
    types = (
        ordered.group_by("entity_id", "entity_type", maintain_order=True)
        .agg(pl.len().alias("n"))
        .sort("n", descending=True, maintain_order=True)
        .unique("entity_id", keep="first", maintain_order=True)
        .select("entity_id", "entity_type")
    )
    base = (
        ordered.group_by("entity_id", maintain_order=True)
        .agg(
            pl.col("canonical_name").first(),
            pl.col("sector").drop_nulls().first(),
            pl.col("actor_id").drop_nulls().first(),
            pl.col("country_source")
            .filter(pl.col("country_source").str.starts_with("unknown"))
            .first()
            .alias("why"),
        )
        .join(types, on="entity_id", how="left")
    )
    return (
        base.join(countries, on="entity_id", how="left")
        .with_columns(
            pl.when(pl.col("country_iso3").is_null())
            .then(pl.coalesce("why", pl.lit("unknown: no country evidence in the text")))
            .otherwise(pl.col("country_source"))
            .alias("country_source")
        )
        .select(
            "entity_id",
            "canonical_name",
            "entity_type",
            "country_iso3",
            "country_source",
            "sector",
            "actor_id",
        )
    )
