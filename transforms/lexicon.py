"""Event trigger lexicon (rule-based first pass), cue words for polarity and status.

Each trigger maps a surface pattern to a CAMEO code; the PLOVER type, mode, QuadClass and
Goldstein score come from the pinned ``event_taxonomy`` table, so the codes stay consistent.
``mode`` here only overrides the taxonomy's mode where the surface form says more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from transforms.quantities import NUMBER_WORDS as QUANTITY_NUMBER_WORDS


@dataclass(frozen=True)
class Trigger:
    name: str
    pattern: re.Pattern[str]
    cameo: str
    nominal: bool = False  # a noun ("meeting", "tariff"): may be anaphoric, has modifiers
    mode: str | None = None
    context: str | None = None
    affected_before: bool = False  # actors before a nominal trigger are affected (tariff on X)
    plover: str | None = None  # PLOVER type where the CAMEO code has none (CAMEO 02 APPEAL -> REQUEST)


def _t(name: str, rx: str, cameo: str, **kw: Any) -> Trigger:
    return Trigger(name, re.compile(rx, re.I), cameo, **kw)


_NOT_MEET = r"(?!\s+(?:(?:its|their|the|his|her|these|those|our|all|any|such)\s+)?(?:\w+\s+)?(?:demands?|requirements?|targets?|expectations?|needs|deadlines?|criteria|standards?|goals?|obligations?|costs?|conditions?)\b)"

TRIGGERS: tuple[Trigger, ...] = (
    _t(
        "phone",
        r"\b(?:(?:tele)?phone\s+(?:call|conversation|talks?)s?|phoned|telephoned|spoke\s+by\s+(?:tele)?phone)\b",
        "041",
        mode="phone",
    ),
    _t("call", r"\bcall\b(?=\s+with\b)", "041", nominal=True, mode="phone"),
    _t("summit", r"\bsummit(?:\s+(?:meeting|talks))?s?\b", "040", nominal=True),
    _t("meet", rf"\b(?:met|meets?|meeting){_NOT_MEET}\b(?!\s+(?:of|room|place|point)\b)", "040"),
    _t("meetings", r"\bmeetings\b", "040", nominal=True),
    _t("visit", r"\b(?:visit(?:ed|s|ing)?|trip|travell?ed\s+to)\b", "042", mode="visit"),
    _t("host", r"\bhost(?:ed|s|ing)\b", "043", mode="visit"),
    _t(
        "talks",
        r"\b(?:talks|negotiations?|negotiat(?:e|ed|es|ing)|dialogue|consultations?)\b",
        "046",
        nominal=True,
    ),
    _t(
        "hearing",
        r"\b(?:confirmation|personnel|parliamentary|congressional)?\s*hearings?\b",
        "040",
        nominal=True,
        context="legislative",
    ),
    _t(
        "demand",
        r"\b(?:insist(?:s|ed|ing)?|demand(?:ed|ing)|demands?(?=\s+(?:that|the|a|an|to)\b))\b",
        "100",
    ),
    _t(
        "appeal",
        r"\b(?:urg(?:e|es|ed|ing)|call(?:s|ed|ing)?\s+(?:on|upon)|appeal(?:s|ed|ing)?\s+to|ask(?:s|ed)?(?=\s+\w+\s+to\b))\b",
        "020",
        plover="REQUEST",
    ),
    _t(
        "tariff",
        r"\b(?:(?:impos|levy|levi|slap|rais|hik|announc|introduc)\w*\s+(?:\w+\s+){0,3}(?:tariffs?|duties|levies)"
        r"|tariffs?(?=\s+(?:on|against)\b)"
        r"|tariffs?(?=\s+(?:comes?|came|will\s+come|takes?|took|will\s+take|goes?|went|will\s+go)\s+(?:into\s+)?effect))",
        "163",
        nominal=True,
        mode="restrict",
        context="economic",
        affected_before=True,
    ),
    _t(
        "sanction",
        r"\b(?:impos\w*\s+(?:\w+\s+){0,2}sanctions|sanction(?:s|ed)?(?=\s+(?:on|against)\b))",
        "163",
        nominal=True,
        mode="restrict",
        affected_before=True,
    ),
    # reducing or breaking relations and stopping aid (CAMEO 161, 162: PLOVER SANCTION)
    _t(
        "break_ties",
        r"\b(?:suspen(?:ds?|ded|ding|sion)|sever(?:s|ed|ing)?|break(?:s|ing)?|broke(?:n)?|cut(?:s|ting)?"
        r"|downgrad(?:e|es|ed|ing))\s+(?:(?:of|off)\s+)?(?:[\w-]+\s+){0,3}?(?:ties|relations|links)\b",
        "161",
    ),
    _t(
        "cut_aid",
        r"\b(?:reduc(?:e|es|ed|ing|tion)|cut(?:s|ting)?|halt(?:s|ed|ing)?|suspen(?:ds?|ded|ding|sion)"
        r"|stop(?:s|ped|ping)?|freez(?:e|es|ing)|froze(?:n)?|withh[eo]ld(?:s|ing)?)\s+(?:of\s+)?(?:[\w-]+\s+){0,3}?"
        r"(?:aid|assistance|supplies|funding)\b",
        "162",
    ),
    # military withdrawal, surrender and resignation: material concessions (PLOVER RETREAT)
    _t(
        "withdraw_forces",
        r"\b(?:withdr(?:aw|aws|awing|awal|awn|ew)|pull(?:s|ed|ing)?\s+(?:out|back)|pull-?out)\s+(?:of\s+)?"
        r"(?:[\w-]+\s+){0,3}?(?:troops|forces|soldiers|units|contingents?|peacekeepers)\b",
        "0874",
    ),
    _t("surrender", r"\bsurrender(?:s|ed|ing)?\b(?!\s+(?:to\s+(?:the\s+)?police|himself|herself)\b)", "0874"),
    _t(
        "resign",
        r"\b(?:resign(?:s|ed|ing)?|st(?:ep|eps|epped|epping)\s+down)\b",
        "0831",
        plover="RETREAT",
        mode="resign",
    ),
    _t(
        "reach_agreement",
        r"\breach(?:ed|es|ing)?\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+)?(?:consensus|agreement|deal|accord|understanding|compromise|settlement)\b",
        "030",
    ),
    _t("agree", r"\b(?:agree[ds]?|agreeing)\b(?!\s+that\b)", "030"),
    _t(
        "sign",
        r"\bsign(?:ed|s|ing)?\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+){0,2}(?:deal|agreement|accord|treaty|pact|memorandum)\b",
        "057",
    ),
    _t(
        "reject",
        r"\b(?:reject(?:s|ed|ing)?|refus(?:e|es|ed|ing)|turned\s+down|vetoe?(?:s|d)?|vetoing)\b",
        "120",
    ),
    # accepting a proposal or plan is agreeing to it (CAMEO 03); accepting otherwise is yielding
    _t(
        "accept_proposal",
        r"\baccept(?:s|ed|ing)?\s+(?:an?\s+|the\s+|its\s+|their\s+|\w+(?:'s|’s)\s+)?(?:[\w-]+\s+){0,2}?"
        r"(?:proposals?|plans?|offers?|formula|deal|agreement|accord|terms|compromise|settlement|invitation"
        r"|ceasefire|cease-fire|truce|mediation)\b",
        "030",
    ),
    _t("accept", r"\baccept(?:s|ed|ing)?\b", "080"),
    _t(
        "investigate",
        r"\b(?:investigat(?:e|es|ed|ing|ion|ions)|probe[ds]?|probing|inquir(?:y|ies))\b",
        "090",
        nominal=True,
        mode="investigate",
    ),
    _t(
        "arrest",
        r"\b(?:arrest(?:s|ed|ing)?|detain(?:s|ed|ing)?|jailed|imprisoned|taken\s+into\s+custody)\b",
        "173",
        mode="arrest",
    ),
    _t(
        "abuse",
        r"\b(?:beat(?:en)?\s+up|beating|tortur(?:e|ed|es|ing)|abus(?:ed|ing)|raped|assaulted)\b",
        "180",
    ),
    _t("sue", r"\b(?:su(?:e|es|ed|ing)|lawsuits?)\b", "115"),
    _t("accuse", r"\b(?:accus(?:e|es|ed)|blam(?:e|es|ed))\b", "112"),
    _t(
        "criticize",
        r"\b(?:criticis(?:e|es|ed)|criticiz(?:e|es|ed)|condemn(?:s|ed)?|denounc(?:e|es|ed))\b",
        "111",
    ),
    _t("threaten", r"\bthreaten(?:s|ed)?\b", "130"),
    # a vow is a commitment; "vowed to fight" is folded with its complement into a threat
    _t("vow", r"\b(?:vow(?:s|ed|ing)?|swore|sworn|swear(?:s|ing)?)\b(?=\s+(?:not\s+)?to\b)", "030"),
    _t("praise", r"\b(?:prais(?:e|es|ed)|endors(?:e|es|ed)|welcom(?:e|es|ed))\b", "051"),
    _t("aid", r"\b(?:provid|giv|gave|sen[dt]|pledg|donat)\w*\s+(?:\w+\s+){0,4}(?:aid|assistance)\b", "070"),
    _t(
        "block",
        r"\bblock(?:ed|s|ing)?\s+(?:the\s+|main\s+|major\s+|several\s+)*(?:roads?|streets?|highways?|traffic|bridges?|railways?|entrances?|access)\b",
        "144",
        mode="obstruct",
    ),
    _t(
        "expel",
        r"\b(?:expel(?:s|led|ling)?|ordered\s+out)\s+(?:[\w-]+\s+){0,3}(?:diplomats?|ambassadors?|envoys?|inspectors?|observers?|monitors?|peacekeepers?)\b",
        "166",
    ),
    _t("hunger_strike", r"\bhunger[\s-]strikes?\b", "142", nominal=True),
    _t(
        "strike",
        r"\b(?:general\s+strikes?|(?:went|go|goes|going)\s+on\s+strike|walk-?outs?|sit-ins?)\b",
        "143",
        nominal=True,
    ),
    _t("rally", r"\b(?:rall(?:y|ies|ied)|marched|demonstrat(?:e|ed|es|ing|ion|ions))\b", "141", nominal=True),
    _t("protest", r"\b(?:protest(?:s|ed|ing)?|demonstrat(?:ion|ions|ed))\b", "140", nominal=True),
    _t("attack", r"\b(?:attack(?:s|ed)?|bomb(?:ed|ing)|shell(?:ed|ing)|air\s?strikes?)\b", "190"),
    _t("deploy", r"\b(?:deploy(?:s|ed|ment)?|mobili[sz](?:e|es|ed|ation))\b", "150"),
)

NEG_BEFORE = re.compile(
    r"\b(?:fail(?:ed|s)?\s+to|did\s+not|didn't|does\s+not|doesn't|do\s+not|don't|has\s+not|hasn't|have\s+not|"
    r"haven't|had\s+not|hadn't|will\s+not|won't|never|not|no|refused\s+to|declined\s+to|without|lack\s+of|"
    r"absence\s+of|excluded\s+from)\s+(?:[\w-]+\s+){0,2}$",
    re.I,
)
NOT_TAKE_PLACE = re.compile(
    r"^\W*(?:[\w-]+\s+){0,2}?(?:did\s+not|didn't|never|failed\s+to|was\s+not|were\s+not)\s+"
    r"(?:take\s+place|took\s+place|happen|occur|materiali[sz]e|go\s+ahead|held)\b",
    re.I,
)
HEDGE = re.compile(
    r"\b(?:may|might|could|would|reportedly|allegedly|possibly|likely|if|unless|rumou?red)\b", re.I
)
CANCELLED = re.compile(
    r"\b(?:cancell?ed|called\s+off|scrapped|abandoned|did\s+not\s+take\s+place|never\s+took\s+place)\b", re.I
)
POSTPONED = re.compile(r"\b(?:postponed|delayed|pushed\s+back|rescheduled|put\s+off|deferred)\b", re.I)
PLANNED = re.compile(
    r"\b(?:planned|scheduled|will|shall|to\s+be\s+held|upcoming|set\s+to|plans?\s+to|expected\s+to|due\s+to|(?:is|are)\s+to|"
    r"intends?\s+to|comes?\s+into\s+effect|takes?\s+effect)\b",
    re.I,
)
PRESENT_VERB = re.compile(
    r"^(?:insists|demands|urges|calls|asks|appeals|meets|visits|hosts|says|threatens|rejects|accuses|criticizes|criticises|condemns|praises|welcomes|agrees)\b",
    re.I,
)
COUNT_RE = re.compile(
    r"^\W*(?:[\w.-]+\s+){0,6}?(?P<n>once|twice|thrice|(?:two|three|four|five|six|\d+)\s+times)\b", re.I
)
COUNT_BEFORE = re.compile(
    r"\b(?P<n>two|three|four|five|six|seven|eight|nine|ten|\d+)\s+(?:rounds\s+of\s+|separate\s+|more\s+)?$",
    re.I,
)
NUMBER_WORDS = {"once": 1, "twice": 2, "thrice": 3, **QUANTITY_NUMBER_WORDS}
CLAUSE_BREAK = re.compile(
    r",\s+(?:but|and|while|whereas|although|though|yet|making)\s+|;\s+|\s+but\s+"
    r"|,\s+(?=(?:the|no|a|an)\s+(?!(?:[\w-]+\s+){0,2}(?:president|minister|secretary|director|ambassador|chairman|"
    r"head|chief|leader|spokesman|spokeswoman|envoy|governor|mayor|general)\b))",
    re.I,
)
PRONOUNS = re.compile(r"\b(?:he|she|his|her|him)\b", re.I)
PREP_BEFORE = re.compile(
    r"\b(?:with|to|toward|towards|against|from|by|between|on|at|and)\s+(?:the\s+)?$", re.I
)
