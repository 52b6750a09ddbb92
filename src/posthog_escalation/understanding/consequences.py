"""How bad it is, as the ticket says it: scope, depth, revenue, data risk, symptoms."""

from __future__ import annotations

import re

from ..models import Ticket
from .model import DataRiskKind, DataRiskSignal, RevenueSignal, ScopeSignal

_SCOPE_ALL = re.compile(
    r"\b(?:all (?:of )?(?:our |my |the )?(?:[a-z]+ )?(?:users|customers|visitors|sessions|"
    r"recordings|events|devices|orgs|organizations|projects|flags)|"
    r"every (?:user|customer|session|recording|single)|"
    r"everyone|for everybody|100%|across the board|none of (?:our |the )?(?:users|recordings|"
    r"sessions|events))\b",
    re.IGNORECASE,
)
_SCOPE_MANY = re.compile(
    r"\b(?:most (?:of )?(?:our |the )?(?:users|customers|sessions|recordings|events)|many users|"
    r"lots of (?:users|customers)|a lot of (?:users|customers|events)|majority of)\b",
    re.IGNORECASE,
)
_SCOPE_SOME = re.compile(
    r"\b(?:some (?:of (?:our |the )?)?(?:users|customers|sessions|recordings|events|devices)|"
    r"a few (?:users|customers|sessions)|a handful of|only (?:some|certain|a few)|"
    r"a subset of|intermittent(?:ly)?|sometimes|occasionally|randomly|"
    r"a small (?:number|percentage|fraction) of)\b",
    re.IGNORECASE,
)
_SCOPE_SINGLE = re.compile(
    r"\b(?:one (?:user|customer|device|person)|a single (?:user|customer|device)|"
    r"only (?:me|for me|one (?:user|customer|device))|just (?:me|one (?:user|customer)))\b",
    re.IGNORECASE,
)
_SCOPE_FIGURE = re.compile(
    r"(?<!Safari )(?<!Chrome )(?<!Firefox )(?<!iOS )(?<!Android )(?<!Edge )"
    r"(?<![\w.~])(?P<figure>(?:~|about |around |over |more than |roughly )?"
    r"\d[\d,.]*\s*(?:%|k\b|percent)?"
    r"(?:\s+of)?\s+(?:our\s+|the\s+|their\s+)?(?:users|customers|visitors|sessions|recordings|"
    r"events|devices|orgs|organizations|accounts|people|requests|installs|flags|projects))\b",
    re.IGNORECASE,
)


def extract_scope(text: str) -> ScopeSignal:
    levels = [
        ("all", _SCOPE_ALL),
        ("many", _SCOPE_MANY),
        ("some", _SCOPE_SOME),
        ("single", _SCOPE_SINGLE),
    ]
    level = "unknown"
    phrases: list[str] = []
    for name, pattern in levels:
        hits = [m.group(0) for m in pattern.finditer(text)]
        if hits and level == "unknown":
            level = name
        phrases += hits
    figures = [" ".join(m.group("figure").split()) for m in _SCOPE_FIGURE.finditer(text)]
    return ScopeSignal(
        level=level,  # type: ignore[arg-type]
        phrases=list(dict.fromkeys(phrases)),
        figures=list(dict.fromkeys(figures)),
    )


_REVENUE = re.compile(
    r"\b(?:enterprise|renewal|renewing|renew|contract|seats?|annual (?:plan|contract|commitment)|"
    r"paying customer|\bSLA\b|procurement|budget|invoice|\$\d[\d,.]*k?|"
    r"(?:board|leadership|cto|ceo|vp)\b)",
    re.IGNORECASE,
)
_CHURN = re.compile(
    r"\b(?:evaluating (?:other |alternative )?(?:alternatives|options|vendors|tools|competitors)|"
    r"looking at (?:alternatives|other (?:tools|vendors|options))|considering (?:switching|moving|"
    r"leaving|alternatives|other)|switch(?:ing)? (?:back )?to (?:amplitude|mixpanel|heap|"
    r"fullstory|hotjar|launchdarkly|statsig|sentry|logrocket|datadog|pendo|segment)|"
    r"(?:move|moving|migrate|migrating) (?:away|off)(?: from posthog)?|cancel(?:l?ing|l?ed)? "
    r"(?:our|the)? ?(?:subscription|contract|plan|account)|churn\w*|not renew\w*|"
    r"won'?t renew|reconsider\w* (?:our|the) (?:contract|renewal|subscription)|"
    r"losing (?:confidence|trust)|last straw)\b",
    re.IGNORECASE,
)


_RENEWAL_TALK = re.compile(
    r"\b(?:renewal|renewing|renew|contract (?:ends|end|expires|is up|renewal))\b", re.IGNORECASE
)


def extract_revenue(text: str, ticket: Ticket) -> RevenueSignal:
    customer = ticket.customer
    phrases = [m.group(0) for m in _REVENUE.finditer(text)]
    enterprise = bool(
        (customer.plan and "enterprise" in customer.plan.lower())
        or re.search(r"\benterprise\b", text, re.IGNORECASE)
    )
    if customer.plan:
        phrases.insert(0, f"plan: {customer.plan}")
    if customer.renewal_date:
        phrases.append(f"renewal: {customer.renewal_date.isoformat()}")
    seats = customer.seats
    if seats is None:
        match = re.search(r"\b(\d[\d,]*)\s+seats?\b", text, re.IGNORECASE)
        seats = int(match.group(1).replace(",", "")) if match else None
    return RevenueSignal(
        enterprise=enterprise,
        phrases=list(dict.fromkeys(phrases)),
        churn_phrases=list(dict.fromkeys(m.group(0) for m in _CHURN.finditer(text))),
        seats=seats,
        renewal_date=customer.renewal_date or customer.contract_end,
        renewal_mentioned=bool(_RENEWAL_TALK.search(text)),
    )


_SENSITIVE = (
    r"(?:passwords?|credit cards?|(?:credit )?card numbers?|card details|emails?|email addresses|"
    r"pii|personal data|personal information|ssns?|social security numbers?|health data|phi|"
    r"patient data|bank details|iban)"
)
"""Personal or secret data whose appearance in recordings or events is an exposure."""

_DATA_RISK: list[tuple[DataRiskKind, re.Pattern[str]]] = [
    (
        "exposure",
        re.compile(
            r"\b(?:exposed|exposing|(?:data|privacy|security|pii) exposure|exposure of|"
            r"leak(?:ed|ing|s)?|unmasked|not (?:being )?masked|"
            r"masking (?:doesn'?t|does not|isn'?t|is not|stopped) work\w*|"
            rf"{_SENSITIVE} (?:are |is )?(?:(?:clearly |fully )?(?:visible|shown|readable|captured|"
            r"recorded)|in (?:plain|clear) ?text|in (?:the )?(?:recordings?|replays?))|"
            rf"(?:show|shows|showing|contain|contains|containing|reveal|reveals) (?:the |our |"
            rf"their |users' |customers' )?{_SENSITIVE}|"
            r"(?:recordings?|replays?|sessions?) (?:show|shows|display|displays|capture|captures|"
            r"record|records) (?:exactly |everything |all of )?what (?:users?|customers?|people|"
            r"patients?|visitors?) (?:type|typed|enter|entered)|"
            r"visible to (?:other|anyone|everyone))(?!\w)",
            re.IGNORECASE,
        ),
    ),
    (
        "loss",
        re.compile(
            r"\b(?:lost|losing|data loss|missing (?:events|data|recordings|sessions|persons|"
            r"pageviews|exceptions)|events? (?:are |were )?(?:missing|dropped|not (?:arriving|"
            r"showing up|ingested))|dropp(?:ed|ing) (?:events|data)|never (?:arrive|arrived|show "
            r"up|showed up)|gaps? in (?:our |the )?data)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "duplication",
        re.compile(
            r"\b(?:duplicat(?:e|ed|es|ion)|double[- ]?count\w*|counted twice|twice as many|"
            r"sent twice|captured twice)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "corruption",
        re.compile(
            r"\b(?:corrupt\w*|wrong person|merged (?:into|with) the wrong|mixed up|overwritten|"
            r"overwrote|garbled|malformed|incorrect(?:ly)? (?:attributed|merged))\b",
            re.IGNORECASE,
        ),
    ),
    (
        "deletion",
        re.compile(
            r"\b(?:deleted|deleting|wiped|purged|disappeared|vanished|gone)\b",
            re.IGNORECASE,
        ),
    ),
]


_HYPOTHETICAL = re.compile(
    r"\b(?:short of|would|could|might|if (?:we|they|you|it|the)|otherwise|without|rather than|"
    r"instead of|to avoid|to prevent|afraid of|in case)\b",
    re.IGNORECASE,
)
"""Words that make a data-risk phrase later in the same sentence a hypothetical ("short of
restarting and losing nine days of data"), not something that happened."""


def _hypothetical(text: str, start: int) -> bool:
    sentence_start = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start)) + 1
    return bool(_HYPOTHETICAL.search(text[max(sentence_start, start - 80) : start]))


def extract_data_risks(text: str) -> list[DataRiskSignal]:
    found: list[tuple[int, DataRiskSignal]] = []
    for kind, pattern in _DATA_RISK:
        seen: set[str] = set()
        for match in pattern.finditer(text):
            if _hypothetical(text, match.start()):
                continue
            phrase = match.group(0)
            if phrase.lower() in seen:
                continue
            seen.add(phrase.lower())
            found.append((match.start(), DataRiskSignal(kind=kind, phrase=phrase)))
    return [risk for _, risk in sorted(found, key=lambda pair: pair[0])]


SYMPTOMS: dict[str, str] = {
    "blank": r"\bblank\b|\bwhite (?:screen|page)\b|\bblack (?:screen|frames?)\b",
    "empty": r"\bempty\b",
    "crash": r"\bcrash\w*|\bsegfault\b|\bSIGABRT\b|\bEXC_BAD_ACCESS\b",
    "freeze": r"\bfreez\w*|\bfroze\w*|\bhang(?:s|ing)?\b|\bunresponsive\b|\bANR\b",
    "slow": r"\bslow\w*|\blag(?:gy|s|ging)?\b|\bjank\w*|\blatency\b|\bperformance\b",
    "memory": r"\bmemory (?:leak|usage|pressure)|\bOOM\b|\bout of memory\b",
    "missing": r"\bmissing\b|\bnot (?:showing|appearing|arriving)\b|\bdon'?t (?:show|appear)\b",
    "duplicate": r"\bduplicat\w*|\bdouble[- ]?count\w*|\btwice\b",
    "wrong": r"\bwrong\b|\bincorrect\w*|\bmismatch\w*|\binconsistent\b",
    "not recording": r"\bnot (?:being )?record\w*|\bno recordings\b|\brecordings? (?:are|is) not\b",
    "unmasked": r"\bunmasked\b|\bnot (?:being )?masked\b|\bmasking (?:is )?(?:broken|not)",
    "flicker": r"\bflicker\w*|\bflash\w*",
    "timeout": r"\btime[sd]? ?out\b|\btimeouts?\b",
    "error": r"\berrors?\b|\bexceptions?\b",
    "not loading": r"\bnot load\w*|\bfails? to load\b|\bwon'?t load\b|\bnever loads?\b",
    "stale": r"\bstale\b|\bcached?\b|\bout of date\b",
    "merge": r"\bmerg\w*",
    "blocked request": (
        r"\bad ?block\w*|\bblocked by (?:the )?(?:client|browser|csp)|\bCSP\b|\bCORS\b"
    ),
    "broken": r"\bbroken\b|\bbreaks?\b|\bbroke\b|\bstopped working\b|\bnot working\b",
    "flag false": r"\breturns? (?:false|undefined|null)\b|\balways (?:false|off|control)\b",
    "minified": r"\bminified\b|\bunminified\b|\bnot (?:de-?)?symboli[sz]ed\b",
}


def extract_symptoms(text: str) -> list[str]:
    hits = []
    for name, pattern in SYMPTOMS.items():
        match = re.search(pattern, text, re.IGNORECASE)
        if match:
            hits.append((match.start(), name))
    return [name for _, name in sorted(hits)]
