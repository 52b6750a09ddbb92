"""Planning the known-issue searches from what the ticket is about.

A search term comes from one of four facts the understanding layer read from the ticket,
and each planned search says which and why:

- **the error signature**: the error's key phrase, as an exact phrase;
- **the component's configuration**: a documented SDK option the problem names
  (``maskAllTextInputs``), as an exact phrase;
- **the SDK and its version**: the broken version, with the component word;
- **the component and the symptom**: a product-area word the ticket uses (or the route's)
  with the symptom or the platform;
- **the subject**: the subject line's most specific words.

Nothing is taken from capitalised phrases, greetings, sign-offs, signatures (names, job
titles, company names, contact details): :func:`problem_text` cuts those off before any
word is chosen, and the only vocabulary read from free text is the product's own
(component, platform and symptom words) and the subject line.

Signals read (and nothing else): ``subject``, ``text``, ``sdks``, ``errors``, ``symptoms``,
``platforms``, ``runtimes``, ``frameworks``, ``version_changes``, ``product_area``, plus
the route key the caller passes.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from ...models import Model
from .query import STOPWORDS, quote_phrase, tokenize

if TYPE_CHECKING:
    from ...understanding import Signals

SearchKind = Literal[
    "error",
    "config_option",
    "sdk_version",
    "component_symptom",
    "component_platform",
    "subject",
    "body",
]


class PlannedSearch(Model):
    """One search the known-issue step runs, and why.

    Attributes:
        text: The search text without qualifiers (GitHub syntax: ``"quoted phrase"``).
        kind: Which fact of the ticket it comes from.
        reason: One sentence saying why it was run (for the escalation's search terms).
        sent: The exact string sent to the backend, qualifiers included (set once run).
    """

    text: str
    kind: SearchKind
    reason: str
    sent: str | None = None


def _wordlist(text: str) -> list[str]:
    return text.split()


# Product-area (component) words, most specific first.
COMPONENT_WORDS = _wordlist(
    "replay replays recording recordings masking masked mask bootstrap bootstrapped flag "
    "flags experiment experiments variant survey surveys sourcemap sourcemaps exception "
    "exceptions stacktrace toolbar heatmap heatmaps autocapture identify alias merge merged "
    "cohort cohorts webhook destination destinations export exports bigquery snowflake "
    "postgres hogql sql insight insights funnel funnels dashboard dashboards retention "
    "breakdown pageview pageviews pageleave ingestion flush shutdown decide payload payloads "
    "canvas consent cookie cookies proxy navigation storage screen screens screenshot "
    "middleware capture console network evaluation session sessions events"
)
# Platform, browser and framework words, most specific first.
PLATFORM_WORDS = _wordlist(
    "safari chrome firefox edge android ios iphone ipad flutter expo hermes nextjs nuxt "
    "sveltekit svelte remix angular vue lambda vercel serverless django flask fastapi celery "
    "rails laravel swiftui compose kotlin electron capacitor ionic cloudflare workers webview "
    "wordpress shopify react native"
)
# The component word a route stands for, when the ticket uses none of its own.
ROUTE_COMPONENT = {
    "session_replay": "replay",
    "feature_flags": "flag",
    "experiments": "experiment",
    "error_tracking": "exception",
    "surveys": "survey",
    "product_analytics": "insight",
    "web_analytics": "pageview",
    "data_warehouse": "sql",
    "cdp": "destination",
    "ingestion": "events",
}
# Words too common in reports to tell two of them apart.
VAGUE_WORDS = frozenset(
    _wordlist(
        """
    posthog hi hello hey thanks thank please team issue issues bug bugs problem problems help
    using use used work works working worked seems seem also just still get gets getting got
    like would could should can cannot cant don dont doesn doesnt didnt isn after since before
    now new old any some all every other more most much many one two way thing things really
    very able unable know need want try tried look looks happen happens happened anyone
    when where what which who why how does did done make made same different expected actual
    app apps version versions update updated upgrade upgraded latest sdk code time times day
    days week weeks today yesterday users user customers customer people error errors report
    description bug reproduce environment additional context steps behaviour behavior
        """
    )
)

DATE_WORDS = frozenset(
    _wordlist(
        "monday tuesday wednesday thursday friday saturday sunday weekend january february "
        "march april may june july august september october november december"
    )
)

_GREETING = re.compile(r"^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon))\b[^\n]{0,40}$", re.I)
_SIGN_OFF = re.compile(
    r"^\s*(?:thanks|thank you|many thanks|cheers|best|regards|kind regards|best regards|"
    r"sincerely|thx|ty)\b[\s,.!a-z]{0,30}$",
    re.I,
)
_CONTACT = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.]+|\+?\d[\d ()-]{7,}\d")


_ATTACHMENT = re.compile(
    r"!\[[^\]\n]*\]\([^)\n]*\)|\[(?:screenshots?|images?|videos?|attachments?|"
    r"screen ?recordings?)[^\]\n]{0,40}\]|\b(?:see|in) (?:the )?(?:attached |below )?"
    r"screenshots?\b|\bscreenshots? (?:attached|below)\b",
    re.IGNORECASE,
)
"""Attachments and pointers to them: a picture of the problem is not a word of it."""


def problem_text(text: str) -> str:
    """``text`` without greetings, the sign-off and everything after it (names, job
    titles, company, contact details), without e-mail addresses and phone numbers, and
    without attachments ("[screenshot]", "see the attached screenshot", ``![img](url)``).

    A sign-off is a short line such as ``Thanks,`` or ``Best regards``; the signature
    block after it is dropped up to the next blank-line-separated paragraph that is long
    (a later message in a thread starts again).
    """
    kept: list[str] = []
    skipping = False
    for line in text.splitlines():
        if _SIGN_OFF.match(line):
            skipping = True
            continue
        if skipping:
            if len(line.split()) >= 12:
                skipping = False
            else:
                continue
        if _GREETING.match(line):
            continue
        kept.append(_ATTACHMENT.sub(" ", _CONTACT.sub(" ", line)))
    return "\n".join(kept)


def _in_order(tokens: list[str], vocabulary: list[str]) -> list[str]:
    present = set(tokens) & set(vocabulary)
    return sorted(present, key=vocabulary.index)


def component_words(signals: Signals, route: str | None = None) -> list[str]:
    """Product-area words of the problem, most specific first; the route's word when the
    ticket uses none."""
    tokens = tokenize(f"{signals.subject}\n{problem_text(signals.text)}")
    found = _in_order(tokens, COMPONENT_WORDS)
    if not found and route in ROUTE_COMPONENT:
        found = [ROUTE_COMPONENT[route]]
    return found


def platform_words(signals: Signals) -> list[str]:
    """Platform, browser and framework words, most specific first."""
    tokens = tokenize(
        " ".join(
            [
                *signals.runtimes,
                *signals.frameworks,
                *signals.platforms,
                signals.subject,
                problem_text(signals.text),
            ]
        )
    )
    return _in_order(tokens, PLATFORM_WORDS)


def symptom_words(signals: Signals) -> list[str]:
    """The word the ticket itself uses for each symptom it names (``blank``, ``crash``)."""
    from ...understanding import SYMPTOMS

    text = f"{signals.subject}\n{problem_text(signals.text)}"
    words: list[str] = []
    for name in signals.symptoms:
        if name in {"error", "broken"} or name not in SYMPTOMS:
            continue
        match = re.search(SYMPTOMS[name], text, re.IGNORECASE)
        if not match:
            continue
        tokens = [t for t in tokenize(match.group(0)) if t not in STOPWORDS]
        tokens = [t for t in tokens if t not in {"not", "no", "being", "is", "are"}]
        if tokens:
            words.append(tokens[0])
    return list(dict.fromkeys(words))


def subject_terms(signals: Signals, limit: int = 3) -> list[str]:
    """The subject's most specific words: its most specific component word, platform word
    and other word (neither a stop word, report boilerplate, a date word nor a number),
    then the rest in order."""
    return specific_terms(signals.subject, limit)


def body_terms(signals: Signals, limit: int = 3) -> list[str]:
    """The same for the opening of the problem text (the body without the subject,
    greetings, signature or attachments), for a subject too vague to search with."""
    body = (
        signals.text[len(signals.subject) :]
        if signals.text.startswith(signals.subject)
        else signals.text
    )
    return specific_terms(problem_text(body)[:400], limit)


def specific_terms(text: str, limit: int = 3) -> list[str]:
    """The most specific words of ``text``: its most specific component word, platform
    word and other word, then the rest in order."""
    tokens = tokenize(text)
    useful = [
        t
        for t in dict.fromkeys(tokens)
        if len(t) > 2
        and t not in STOPWORDS
        and t not in VAGUE_WORDS
        and t not in DATE_WORDS
        and not re.fullmatch(r"v?\d[\d.]*", t)
    ]
    components = _in_order(useful, COMPONENT_WORDS)
    platforms = _in_order(useful, PLATFORM_WORDS)
    others = [t for t in useful if t not in components and t not in platforms]
    lead = [group[0] for group in (components, platforms, others) if group]
    rest = [t for t in useful if t not in lead]
    return (lead + rest)[:limit]


_OPTION = re.compile(r"(?<![\w.$-])([A-Za-z_][A-Za-z0-9_]{9,})(?![\w$-])")


def config_option(signals: Signals) -> str | None:
    """The first documented SDK option (ten characters or more) the problem text names."""
    from ...understanding import KNOWN_OPTIONS

    for match in _OPTION.finditer(problem_text(signals.text)):
        name = match.group(1)
        if name in KNOWN_OPTIONS and name != "session_recording":
            return name
    return None


def broken_version(signals: Signals) -> tuple[str | None, str | None]:
    """The exact version the problem starts in (a regression's first bad version, else the
    version of the main SDK) and the package it belongs to."""
    from ...understanding import exact_version

    for change in signals.version_changes:
        version = exact_version(change.first_bad)
        if version:
            return version, change.package
    main = [s for s in signals.sdks if not s.plugin] or list(signals.sdks)
    for sdk in main:
        version = exact_version(sdk.version)
        if version:
            return version, sdk.package
    return None, None


def plan_searches(
    signals: Signals, *, route: str | None = None, max_searches: int = 6
) -> list[PlannedSearch]:
    """The searches for a ticket, most specific first, each with the reason it is run.

    Every search has at most three terms (GitHub requires every word to match):

    1. each error's key phrase (at most two errors), as an exact phrase;
    2. a documented configuration option the problem names, as an exact phrase;
    3. the broken SDK version with the component word;
    4. the component word with the symptom word, and with the platform word;
    5. the subject's most specific words;
    6. when the subject has fewer than two, the problem text's most specific words.

    Args:
        signals: What the understanding layer read from the ticket.
        route: The playbook route key, whose component word stands in when the ticket
            uses none.
        max_searches: The most searches to plan.
    """
    plans: list[PlannedSearch] = []
    seen: set[str] = set()

    def add(text: str, kind: SearchKind, reason: str) -> None:
        key = " ".join(text.lower().split())
        if text and key not in seen:
            seen.add(key)
            plans.append(PlannedSearch(text=text, kind=kind, reason=reason))

    for error in signals.errors[:2]:
        phrase = error.key_phrase or next(iter(error.search_phrases), "")
        if len(phrase) >= 6:
            add(quote_phrase(phrase), "error", f"the error the ticket quotes: {error.text[:80]}")
    option = config_option(signals)
    if option:
        add(quote_phrase(option), "config_option", f"the configuration option named ({option})")
    components = component_words(signals, route)
    component = components[0] if components else None
    version, package = broken_version(signals)
    if version:
        text = f"{quote_phrase(version)} {component}" if component else quote_phrase(version)
        owner = f"{package} " if package else ""
        add(text, "sdk_version", f"the SDK version the problem is seen in ({owner}{version})")
    symptoms = symptom_words(signals)
    platforms = platform_words(signals)
    if component and symptoms:
        add(
            f"{component} {symptoms[0]}",
            "component_symptom",
            f"the component ({component}) and the symptom ({symptoms[0]})",
        )
    if component and platforms:
        add(
            f"{component} {platforms[0]}",
            "component_platform",
            f"the component ({component}) on the platform ({platforms[0]})",
        )
    subject = subject_terms(signals)
    if len(subject) >= 2:
        add(" ".join(subject[:3]), "subject", "the subject line's most specific words")
    elif subject and component and subject[0] != component:
        add(f"{component} {subject[0]}", "subject", "the subject line's most specific word")
    elif not plans and subject:
        add(subject[0], "subject", "the subject line's only specific word")
    if len(subject) < 2:
        body = [t for t in body_terms(signals) if t not in subject]
        if len(body) >= 2:
            add(" ".join(body[:3]), "body", "the problem text's most specific words")
    return plans[:max_searches]
