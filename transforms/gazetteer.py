"""Alias gazetteer built from the reference tables, matched with Aho-Corasick over whole batches."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import polars as pl

from transforms.pymap import map_py

SOURCE_RANK = {"curated": 0, "pycountry": 1, "phoenix": 2}
# the last word of a two-word title that every country or company has ("vice president", "trade
# minister"): the roles table holding it in one country says nothing of the others
_RANK_HEADS = frozenset(
    """president minister chairman chairwoman chair director chief leader spokesman spokeswoman
    spokesperson adviser advisor ambassador envoy governor premier ceo executive manager officer
    negotiator representative commissioner general""".split()
)
ALIAS_KIND_RANK = {"name": 0, "abbreviation": 1, "demonym": 2, "capital": 3, "institution": 4}

# Lower-case words that Phoenix lists as aliases but that are ordinary English in news text.
_STOP_ALIASES = frozenset(
    """the a an of and in on at to for by with from it its he she they we you i our this that these those
    senate congress parliament government ministry army police court president minister""".split()
)


_DASHES_TO_SPACE = str.maketrans(dict.fromkeys("-_‐–", " "))


def norm_text(s: str) -> str:
    """Lower-case and turn hyphens/underscores into spaces, keeping the string's length."""
    low = s.lower()
    # the whole-string lower() equals the per-character one when no character changes length
    # and no final sigma depends on its context
    if len(low) == len(s) and "Σ" not in s:
        return low.translate(_DASHES_TO_SPACE)
    out = []
    for ch in s:
        low = ch.lower()
        if len(low) != 1:
            low = ch
        if low in "-_‐–":
            low = " "
        out.append(low)
    return "".join(out)


def norm_key(s: str) -> str:
    """Normalised lookup key: lower case, hyphens as spaces, single spaces, no 'the '."""
    k = " ".join(norm_text(s).split())
    return k[4:] if k.startswith("the ") else k


@dataclass(frozen=True)
class Gazetteer:
    """Unique alias -> actor map plus the data needed to resolve names and titles."""

    aliases: (
        pl.DataFrame
    )  # pattern, alias, actor_id, entity_type, country_iso3, sector, alias_kind, exact_case
    actors: pl.DataFrame
    roles: pl.DataFrame
    surnames: pl.DataFrame  # surname(norm), actor_id (PERSON actors)
    title_country: dict[str, str]  # role title (norm) -> country when unambiguous
    title_words: frozenset[str]
    alias_actor: dict[str, str]  # pattern -> actor_id, for lookups of single names
    # pattern -> the national institutions (actor ids) a short name may stand for ("labour" -> the
    # parties of GBR, IRL, NZL, ...): aliases of kind 'institution', resolved by the article's evidence
    institutions: dict[str, tuple[str, ...]]
    # pattern -> (country, kind) of the city or region a place name stands for ("london" -> ("GBR",
    # "city"), "texas" -> ("USA", "region")): seeds/reference/places.csv; empty without it
    places: dict[str, tuple[str, str]]

    # Lookups built from the frames on first use and kept with the gazetteer: a worker process
    # builds its gazetteer once and extracts several chunks with it.

    @cached_property
    def actor_info(self) -> dict[str, tuple]:
        """actor_id -> (canonical_name, entity_type, country_iso3, sector)."""
        cols = ("actor_id", "canonical_name", "entity_type", "country_iso3", "sector")
        return {r[0]: r[1:] for r in self.actors.select(cols).iter_rows()}

    @cached_property
    def alias_rows(self) -> dict[str, tuple]:
        """pattern -> (pattern, actor_id, entity_type, country_iso3, sector, alias_kind)."""
        cols = ("pattern", "actor_id", "entity_type", "country_iso3", "sector", "alias_kind")
        return {r[0]: r for r in self.aliases.select(cols).iter_rows()}

    @cached_property
    def alias_surface(self) -> dict[str, str]:
        """pattern -> the alias as written (for the case-sensitive ones)."""
        return dict(zip(self.aliases["pattern"].to_list(), self.aliases["alias"].to_list(), strict=True))

    @cached_property
    def exact_case(self) -> frozenset[str]:
        """Patterns that must match with the alias's exact case (short all-caps abbreviations)."""
        return frozenset(self.aliases.filter(pl.col("exact_case"))["pattern"].to_list())

    @cached_property
    def pattern_heads(self) -> pl.DataFrame:
        """pattern, head: the pattern's first word (its first run of letters and digits), or
        None when it starts with another character (such a pattern is always tried)."""
        return self.aliases.select("pattern").with_columns(
            map_py(self.aliases.get_column("pattern"), _head_word, pl.String).alias("head")
        )


def build_gazetteer(reference: dict[str, pl.DataFrame]) -> Gazetteer:
    actors = reference["actors"]
    aliases = reference["actor_aliases"].join(
        actors.select(
            "actor_id", "entity_type", "country_iso3", "sector", pl.col("source").alias("actor_source")
        ),
        on="actor_id",
        how="inner",
    )
    aliases = (
        aliases.with_columns(
            map_py(aliases.get_column("alias"), norm_key, pl.String).alias("pattern"),
            pl.col("actor_source")
            .replace_strict(SOURCE_RANK, default=9, return_dtype=pl.Int64)
            .alias("src_rank"),
            pl.col("alias_kind")
            .replace_strict(ALIAS_KIND_RANK, default=5, return_dtype=pl.Int64)
            .alias("kind_rank"),
        )
        .filter(
            (pl.col("pattern").str.len_chars() >= 2)
            & (~pl.col("pattern").is_in(list(_STOP_ALIASES)) | (pl.col("alias_kind") == "institution"))
            & pl.col("pattern").str.contains(r"[a-z0-9]")
        )
        .sort(["pattern", "src_rank", "kind_rank", "actor_id"])
        .unique(subset="pattern", keep="first", maintain_order=True)
        .with_columns(
            # short all-caps abbreviations ("US", "UN") must match case-sensitively
            (
                (pl.col("alias").str.len_chars() <= 5)
                & (pl.col("alias") == pl.col("alias").str.to_uppercase())
                & pl.col("alias").str.contains(r"[A-Z]")
            ).alias("exact_case")
        )
        .select(
            "pattern",
            "alias",
            "actor_id",
            "entity_type",
            "country_iso3",
            "sector",
            "alias_kind",
            "exact_case",
        )
    )
    roles = reference["actor_roles"]
    persons = actors.filter(pl.col("entity_type") == "PERSON")
    # East Asian order: family name first ("Lee Jae-myung")
    family_first = persons.filter(pl.col("canonical_name").str.contains(r"^\S+ \S+-\S+$"))
    surnames = pl.concat(
        [
            persons.select("actor_id", "source").with_columns(
                map_py(persons.get_column("canonical_name"), lambda n: norm_key(n.split()[-1]), pl.String)
            ),
            family_first.select("actor_id", "source").with_columns(
                map_py(family_first.get_column("canonical_name"), lambda n: norm_key(n.split()[0]), pl.String)
            ),
        ]
    ).select(pl.col("canonical_name").alias("surname"), "actor_id", "source")
    titled = roles.filter(pl.col("role_title").is_not_null() & pl.col("country_iso3").is_not_null())
    title_country: dict[str, str] = {}
    if titled.height:
        per_title = (
            titled.with_columns(map_py(titled.get_column("role_title"), norm_key, pl.String).alias("t"))
            .group_by("t")
            .agg(pl.col("country_iso3").unique())
        )
        for t, countries in per_title.iter_rows():
            # a named office ("chancellor of the exchequer", "treasury secretary"), not a rank every
            # country or company has ("vice president", "foreign minister") that the roles table
            # happens to hold in one country only
            if len(countries) == 1 and (len(t.split()) >= 3 or t.split()[-1] not in _RANK_HEADS):
                title_country[t] = countries[0]
    words = set(_TITLE_HEADS)
    if "agents" in reference:
        for term in reference["agents"]["term"].to_list():
            if term and " " not in term and term.isalpha() and len(term) > 3:
                words.add(term.lower())
    institutions: dict[str, tuple[str, ...]] = {}
    named = reference["actor_aliases"].filter(pl.col("alias_kind") == "institution")
    for alias, actor_id in named.select("alias", "actor_id").sort("actor_id").iter_rows():
        institutions[norm_key(alias)] = (*institutions.get(norm_key(alias), ()), actor_id)
    alias_actor = dict(
        aliases.filter(pl.col("alias_kind") != "institution").select("pattern", "actor_id").iter_rows()
    )
    places: dict[str, tuple[str, str]] = {}
    if "places" in reference:
        for name, iso3, kind in reference["places"].select("name", "country_iso3", "kind").iter_rows():
            places[norm_key(name)] = (iso3, kind)
    return Gazetteer(
        aliases, actors, roles, surnames, title_country, frozenset(words), alias_actor, institutions, places
    )


_TITLE_HEADS = (
    "president",
    "vice president",
    "prime minister",
    "premier",
    "chancellor",
    "minister",
    "secretary",
    "secretary-general",
    "ambassador",
    "envoy",
    "director",
    "director-general",
    "chairman",
    "chairwoman",
    "chair",
    "governor",
    "senator",
    "congressman",
    "congresswoman",
    "representative",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "king",
    "queen",
    "prince",
    "princess",
    "emperor",
    "general",
    "commander",
    "admiral",
    "mayor",
    "judge",
    "justice",
    "chief",
    "ceo",
    "head",
    "leader",
    "adviser",
    "advisor",
    "negotiator",
    "lawmaker",
    "mp",
    "officer",
    "official",
    "deputy",
    "speaker",
    "pope",
    "cardinal",
    "archbishop",
    "coach",
    "manager",
    "striker",
    "captain",
)


def match_aliases(texts: pl.DataFrame, gaz: Gazetteer) -> pl.DataFrame:
    """All gazetteer hits in ``texts`` (columns article_id, body).

    Returns article_id, start_char, end_char, mention_text, pattern. Matching is done with polars'
    Aho-Corasick over normalised text; hits are then filtered for word boundaries and case and
    resolved leftmost-longest, non-overlapping.
    """
    if gaz.aliases.height == 0 or texts.height == 0:
        return pl.DataFrame(
            schema={
                "article_id": pl.String,
                "start_char": pl.Int64,
                "end_char": pl.Int64,
                "mention_text": pl.String,
                "pattern": pl.String,
            }
        )
    normed = texts.select("article_id", "body").with_columns(
        map_py(texts.get_column("body"), _norm_for_match, pl.String).alias("norm")
    )
    # Only patterns whose first word occurs in these texts can give a hit (a hit starts and ends
    # on word boundaries, so its first word is a whole word of the text): the Aho-Corasick
    # automata are built for those (~0.2 s each for all 34k patterns, per call).
    words: set[str] = set()
    for norm in normed.get_column("norm").to_list():
        words.update(_WORD.findall(norm))
    heads = gaz.pattern_heads
    patterns = heads.filter(pl.col("head").is_null() | pl.col("head").is_in(list(words)))["pattern"].to_list()
    if not patterns:
        patterns = heads["pattern"].head(1).to_list()  # find_many needs at least one pattern
    hits = normed.with_columns(
        pl.col("norm").str.find_many(patterns, overlapping=True).alias("pos"),
        pl.col("norm").str.extract_many(patterns, overlapping=True).alias("pat"),
    )
    exact = gaz.alias_surface
    exact_case = gaz.exact_case
    rows: list[dict] = []
    for article_id, body, norm, pos, pat in hits.iter_rows():
        ascii_body = body.isascii()
        cands = []
        for bpos, p in zip(pos, pat, strict=True):
            start = bpos if ascii_body else len(norm.encode("utf-8")[:bpos].decode("utf-8", "ignore"))
            end = start + len(p)
            if not _boundary(norm, start, end):
                continue
            surface = body[start:end]
            if not (surface[0].isupper() or surface[0].isdigit()):
                continue
            if p in exact_case and surface != exact[p]:
                continue
            cands.append((start, end, p))
        cands.sort(key=lambda c: (c[0], -(c[1] - c[0])))
        last_end = -1
        for start, end, p in cands:
            if start < last_end:
                continue
            rows.append(
                {
                    "article_id": article_id,
                    "start_char": start,
                    "end_char": end,
                    "mention_text": body[start:end],
                    "pattern": p,
                }
            )
            last_end = end
    return pl.DataFrame(
        rows,
        schema={
            "article_id": pl.String,
            "start_char": pl.Int64,
            "end_char": pl.Int64,
            "mention_text": pl.String,
            "pattern": pl.String,
        },
    )


def _norm_for_match(s: str) -> str:
    # same length as s; lets "U.S." match pattern "u.s." and "Lee Jae-myung" match "lee jae myung"
    return norm_text(s)


# a run of letters and digits (str.isalnum), as _boundary sees words
_WORD = re.compile(r"[^\W_]+")


def _head_word(pattern: str) -> str | None:
    m = _WORD.match(pattern)
    return m.group() if m else None


def _boundary(norm: str, start: int, end: int) -> bool:
    if start > 0 and (norm[start - 1].isalnum()):
        return False
    return not (end < len(norm) and norm[end].isalnum())
