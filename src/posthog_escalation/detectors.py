"""What looks like a secret or a personal datum, found with maintained rule sets and checks.

:mod:`~posthog_escalation.redact` decides what to replace and with which placeholder; this
module only finds. Where a maintained source exists it is used instead of a private list:

- **Credential shapes** come from the detectors of ``detect-secrets`` (Yelp's rule set:
  AWS, Azure storage, GitHub, GitLab, npm, PyPI, OpenAI, SendGrid, Slack, Stripe,
  Twilio, Discord, Telegram, Mailchimp, Square, IBM, Artifactory, JWT, basic auth, …).
- **Unknown token shapes** are caught by Shannon entropy (``detect-secrets``' own
  measure) over long runs that mix letters and digits the way generated keys do.
- **National and bank numbers** are validated with ``python-stdnum`` (US SSN, IBAN with
  its check digits), so dates, versions and counts are not mistaken for them.
- **People's given and family names** come from the US Census name lists shipped by the
  ``names`` package; a person is a given name followed by a family name, or any
  capitalised name after a cue that introduces a person ("Hi", "thanks", "our CTO",
  "reported by").
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

# -- credentials: the detect-secrets rule set ---------------------------------------------

# Detectors whose job :mod:`redact` does with more context (whole private-key blocks,
# ``key = value`` pairs, addresses) or that only score entropy.
_NOT_RULES = frozenset(
    {
        "KeywordDetector",
        "PrivateKeyDetector",
        "IPPublicDetector",
        "Base64HighEntropyString",
        "HexHighEntropyString",
    }
)
_SHORTEST_RULE_VALUE = 8


@cache
def _rule_detectors() -> tuple[Any, ...]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    found = []
    for detector in get_mapping_from_secret_type_to_class().values():
        if detector.__name__ in _NOT_RULES or not issubclass(detector, RegexBasedDetector):
            continue
        found.append(detector())
    return tuple(sorted(found, key=lambda d: d.__class__.__name__))


def rule_names() -> list[str]:
    """The ``detect-secrets`` detectors in use, by class name."""
    return [detector.__class__.__name__ for detector in _rule_detectors()]


# Every credential shape in the rule set holds a long run with a digit, or an ``@``
# (credentials in a URL): only lines with one are given to the detectors.
_RULE_RUN = re.compile(r"[A-Za-z0-9_\-+/=:.]{16,}|@")


def _candidate_lines(text: str) -> str:
    starts: dict[int, int] = {}
    for match in _RULE_RUN.finditer(text):
        run = match.group(0)
        if run != "@" and not any(c.isdigit() for c in run):
            continue
        start = text.rfind("\n", 0, match.start()) + 1
        if start not in starts:
            end = text.find("\n", match.end())
            starts[start] = len(text) if end < 0 else end
    return "\n".join(text[start:end] for start, end in starts.items())


def ruleset_secrets(text: str) -> list[str]:
    """Every credential value the rule set finds in ``text``, longest first."""
    values: set[str] = set()
    candidates = _candidate_lines(text)
    if not candidates:
        return []
    for detector in _rule_detectors():
        for value in detector.analyze_string(candidates):
            value = value.strip()
            if len(value) >= _SHORTEST_RULE_VALUE:
                values.add(value)
    return sorted(values, key=len, reverse=True)


# -- unknown token shapes: entropy ---------------------------------------------------------

ENTROPY_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9_\-+/=.])[A-Za-z0-9_\-+/=.]{20,}(?![A-Za-z0-9_\-+/])"
)
_HEX = re.compile(r"[0-9a-fA-F]+")


@cache
def _entropy_of() -> Any:
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString

    return Base64HighEntropyString().calculate_shannon_entropy


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value`` over the base64 alphabet (detect-secrets' measure)."""
    return float(_entropy_of()(value))


def looks_generated(token: str) -> bool:
    """True for a long run that mixes capitals, small letters (and usually digits) with the
    entropy of a generated key. Identifiers, versions, words and UUIDs do not: they hold
    long lower-case words, dots, or one letter case only."""
    core = token.strip("=.-_")
    if len(core) < 20 or "." in core:
        return False
    digits = sum(c.isdigit() for c in core)
    upper = sum(c.isupper() for c in core)
    lower = sum(c.islower() for c in core)
    longest_word = max((len(w) for w in re.findall(r"[a-z]+", core)), default=0)
    if upper < 2 or lower < 2 or longest_word >= 9:
        return False
    if digits >= 2:
        return shannon_entropy(core) >= 4.0
    # Letters only (Hugging Face tokens): random case, no word longer than a few letters.
    return len(core) >= 24 and longest_word <= 4 and upper >= 6 and shannon_entropy(core) >= 4.2


def hex_secret(token: str) -> bool:
    """A hex string long enough to be a key or token (32+ digits, not all one digit)."""
    return len(token) >= 32 and bool(_HEX.fullmatch(token)) and len(set(token.lower())) > 6


# -- secrets hidden in base64 ---------------------------------------------------------------

BASE64_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9+/=_\-])[A-Za-z0-9+/_\-]{16,}={0,2}(?![A-Za-z0-9+/=_\-])"
)


def decoded_base64(token: str) -> str | None:
    """``token`` decoded from (standard or URL-safe) base64 when that gives readable text."""
    padded = token + "=" * (-len(token) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            raw = decode(padded.encode("ascii"))
        except (binascii.Error, ValueError):
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        printable = sum(c.isprintable() or c in "\r\n\t" for c in text)
        if text and printable / len(text) > 0.95 and len(text) >= 8:
            return text
    return None


# -- national and bank numbers: python-stdnum ------------------------------------------------

SSN = re.compile(r"(?<![\d\-])(?P<value>\d{3}-\d{2}-\d{4})(?![\d\-])")
SSN_NAMED = re.compile(
    r"(?i)(?P<keep>\b(?:ssn|social security(?:\s+(?:number|no\.?|#))?)\b[\s:#.]*)"
    r"(?P<value>\d{3}[\s\-]?\d{2}[\s\-]?\d{4})(?!\d)"
)
IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}(?![A-Za-z0-9])")


def valid_ssn(value: str) -> bool:
    """A US Social Security number that could have been issued."""
    from stdnum.us import ssn

    return bool(ssn.is_valid(re.sub(r"\D", "", value)))


def valid_iban(candidate: str) -> str | None:
    """The longest prefix of ``candidate`` that is an IBAN with valid check digits."""
    from stdnum import iban

    parts = candidate.split(" ")
    for end in range(len(parts), 0, -1):
        value = " ".join(parts[:end])
        if len(value.replace(" ", "")) >= 15 and iban.is_valid(value):
            return value
    return None


# -- people and organizations not in the customer record -------------------------------------

_CAPITALISED = r"[A-Z][a-z]+(?:[\-'][A-Z]?[a-z]+)?"
# Matched on the lower-cased text (fast); the name after it is read case-sensitively.
_PERSON_CUE = (
    r"(?:\b(?:hi|hey|hello|dear|cc|ping|pinged|ask|asked|looping in|loop in|reported by|"
    r"raised by|filed by|sent by|written by|signed|"
    r"(?:our|my|their|the customer's|your)\s+(?:cto|ceo|cfo|vp|head of [a-z]+|engineer|"
    r"developer|dev|colleague|teammate|manager|lead|pm|admin|founder|contact|analyst|"
    r"designer|architect|director|intern))\b[ \t]*,?[ \t]*"
    r"|\b(?:thanks|thank you|cheers|regards|best|kind regards|best regards)[ \t]*,[ \t]*\n?[ \t]*"
    r"|(?:^|(?<=\s))(?:--|—|–)[ \t]*)"
)
PERSON_CUE = re.compile(rf"(?m){_PERSON_CUE}")
_LINE_END = re.compile(r"[ \t]*(?:\r?\n|$)")
_PERSON_CUE_ANY_CASE = re.compile(rf"(?im){_PERSON_CUE}")
PERSON_NAME = re.compile(rf"{_CAPITALISED}(?:[ \t]+{_CAPITALISED}){{0,2}}(?![A-Za-z0-9])")
FULL_NAME = re.compile(
    rf"(?<![\w\[\-@/.])(?P<first>{_CAPITALISED})[ \t]+(?P<last>{_CAPITALISED})\b"
)
_ORG_LEGAL = (
    r"Inc\.?|LLC|L\.L\.C\.|Ltd\.?|Limited|GmbH|Corp\.?|Corporation|plc|PLC|AG|S\.A\.|B\.V\.|Pty"
)
_ORG_TRADE = (
    r"Labs?|Technologies|Technology|Systems|Solutions|Software|Health|Healthcare|Bank|Group|"
    r"Holdings|Partners|Ventures|Industries|Analytics|Robotics|Payments|Insurance|"
    r"Pharmaceuticals|Pharma|Logistics|Studios|Media|Networks|Consulting|Capital|Dynamics|"
    r"Enterprises|Foods|Motors|Airlines|Energy|Financial|Bio|Biotech|Therapeutics|Security"
)
ORG_NAME = re.compile(
    rf"(?<![\w\[\-@/.])(?P<value>(?:[A-Z][\w&'\-]*[ \t]+){{1,3}}(?:{_ORG_LEGAL}|{_ORG_TRADE}))"
    r"(?![A-Za-z0-9])"
)
# Capitalised words that open a PostHog product, a platform or a technology rather than a
# company: "Product Analytics", "Web Analytics", "Google Analytics", "Data Systems".
_NOT_A_COMPANY = frozenset(
    """product web revenue llm marketing group session event path funnel retention user
    customer data cloud mobile real behavioral ads error feature google adobe apple microsoft
    amazon aws azure vercel cloudflare meta the a an our their your this that these those
    new old all any no some each every posthog open source distributed operating file
    network application app api internal external public private""".split()  # noqa: SIM905
)
# Capitalised words that are never a person's family name in a ticket.
_NOT_A_NAME = frozenset(
    """the and for with from into when then this that safari chrome firefox edge replay
    session sessions recording recordings analytics flags flag feature features error errors
    users user events event data web mobile product support team teams engineering android
    ios react native next node python ruby swift java kotlin flutter cloud api sdk docs
    version release issue issues bug bugs customer customers project projects org orgs
    organization insights insight dashboard dashboards survey surveys experiment experiments
    warehouse pipeline pipelines query queries toolbar heatmaps heatmap console network
    monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december""".split()  # noqa: SIM905
)


@cache
def _census(name: str) -> frozenset[str]:
    text = (resources.files("names") / name).read_text(encoding="utf-8")
    return frozenset(line.split()[0].lower() for line in text.splitlines() if line.strip())


@cache
def given_names() -> frozenset[str]:
    """Given names from the US Census lists (lower case)."""
    return _census("dist.male.first") | _census("dist.female.first")


def family_names() -> frozenset[str]:
    """Family names from the US Census list (lower case)."""
    return _census("dist.all.last")


def unlisted_people(text: str) -> Iterator[tuple[int, int, str]]:
    """Spans ``(start, end, name)`` of people's names: a capitalised name after a cue that
    introduces a person, or a census given name followed by a census family name."""
    lowered = text.lower()
    cues = (
        PERSON_CUE.finditer(lowered)
        if len(lowered) == len(text)
        else _PERSON_CUE_ANY_CASE.finditer(text)
    )
    for cue in cues:
        match = PERSON_NAME.match(text, cue.end())
        if match is None:
            continue
        signed = cue.group(0).strip()[:1] in "-—–"
        if signed and not _LINE_END.match(text, match.end()):
            continue
        words = match.group(0).split()
        while words and words[-1].lower() in _NOT_A_NAME:
            words.pop()
        if words and words[0].lower() not in _NOT_A_NAME:
            value = " ".join(words)
            yield match.start(), match.start() + len(value), value
    first_names, last_names = given_names(), family_names()
    for match in FULL_NAME.finditer(text):
        first, last = match.group("first"), match.group("last")
        if (
            first.lower() in first_names
            and last.lower() in last_names
            and last.lower() not in _NOT_A_NAME
            and first.lower() not in _NOT_A_NAME
        ):
            yield match.start(), match.end(), match.group(0)


def unlisted_orgs(text: str) -> Iterator[tuple[int, int, str]]:
    """Spans ``(start, end, name)`` of company names: capitalised words ending in a legal
    form or a trade word, unless the first word makes it a product or a platform."""
    for match in ORG_NAME.finditer(text):
        value = match.group("value")
        words = value.split()
        while words and words[0].lower() in _NOT_A_COMPANY:
            words.pop(0)
        if len(words) < 2:
            continue
        kept = " ".join(words)
        start = match.start("value") + value.index(words[0])
        yield start, start + len(kept), kept
