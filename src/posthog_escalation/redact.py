"""Replace secrets and personal data with stable placeholders.

Everything that leaves the machine (the public flavour, a filed GitHub issue) goes
through a :class:`Redactor`. The same value always gets the same placeholder within one
redactor (``[email-1]`` stays ``[email-1]``), so a redacted text still reads coherently.

What is replaced:

- **credentials**: every shape in the ``detect-secrets`` rule set (see
  :mod:`~posthog_escalation.detectors`), PostHog keys (``phc_``/``phx_``/``phs_``) and the
  other keys that are often wrapped across lines (below), JWTs, bearer and basic
  credentials, ``key=value`` secrets in code, config, headers and URLs, passwords and
  tokens named in prose ("staging login pw …", "the token … was …"), credentials inside
  URLs, private key blocks, base64 text that decodes to a credential, and long runs with
  the entropy of a generated key (unknown token shapes);
- **personal data**: email addresses, phone numbers, IPv4/IPv6 addresses, card numbers,
  US Social Security numbers, IBANs, the customer's organization name, organization id
  and people's names from the ticket, and — unless ``detect_unlisted`` is off — names of
  people and companies that the customer record does not list.

A redactor with ``credentials_only`` replaces credentials and nothing else: that is how
tickets are scrubbed as they are loaded (:mod:`~posthog_escalation.scrub`).

Adversarial forms are handled: a key wrapped across lines (hard wraps, ``\\``
continuations, ``"abc" +`` string concatenation, markdown quote or comment prefixes),
any letter case, values inside code blocks, quotes and URLs, and percent-, JSON-,
backslash- or HTML-entity-encoded text (decoded before matching). Invisible characters
(zero-width spaces, soft hyphens) are dropped first, so they cannot split a value.

What engineering needs is kept: SDK names, versions, error strings, dates, timestamps
and — unless ``keep_project_ids`` is off — PostHog project ids.

Names are matched as whole names: an organization's single words are replaced only for
its distinctive first word (``Northwind`` of "Northwind Health"), never a generic one, so
"Product Analytics" stays itself when a customer is called "Cyberdyne Analytics".

Known limits: a person's first name written entirely in lower case on its own
("thanks dana") is kept, because matching every lower-case word that happens to be a
name (``mark``, ``page``) would garble the technical text; greetings and ``@mentions``
are still caught. Names the customer record does not list are found by cues and the
census name lists, so an unusual name with no cue before it can pass.
"""

from __future__ import annotations

import html
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote_plus

from . import detectors
from .models import Ticket

_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]")

# A break inside a wrapped value: a line break with optional continuation backslash,
# indentation and a markdown quote/comment marker, or a closed-and-reopened string
# literal (``"abc" + "def"``, ``'abc'\n'def'``).
_BREAK = re.compile(
    r"""(?:
        \\?[ \t]*\r?\n[ \t]*(?:(?:>|\#|//|\*|--)[ \t]*)?
      | ["'`][ \t]*(?:\+|\.|\|\|)?[ \t]*\\?(?:\r?\n[ \t]*(?:(?:>|\#|//|\*)[ \t]*)?)?["'`]
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Prefixed:
    """A secret that starts with a recognizable prefix.

    ``start`` matches the prefix (in group ``keep`` when it is kept in the output, like
    ``Bearer``) and the first run of the value; the value may continue after a
    :data:`_BREAK` with more characters of ``charset``.
    """

    kind: str
    start: re.Pattern[str]
    charset: re.Pattern[str]
    usual_length: int
    machine_made: bool = False
    shortest: int = 8


def _prefixed(
    kind: str, start: str, charset: str, usual_length: int, *, machine_made: bool = False
) -> _Prefixed:
    return _Prefixed(kind, re.compile(start), re.compile(charset), usual_length, machine_made)


_ALNUM = r"[A-Za-z0-9]+"
JWT_SIGNATURE = 43  # the shortest JWT signature segment (HS256)
_TOKEN_CHARS = r"[A-Za-z0-9_\-]+"
_NOT_ALNUM_BEFORE = r"(?<![A-Za-z0-9])"

# kind, prefix (as atoms, so a line break may fall inside it), the characters of the
# value, its shortest and its usual full length (a wrapped value shorter than usual is
# always rejoined), and whether letter case matters (``eyJ`` and ``AIza`` are exact).
_Atom = str | tuple[str, ...]
_PREFIX_TABLE: tuple[tuple[str, tuple[_Atom, ...], str, int, int, bool], ...] = (
    ("jwt", ("e", "y", "J"), r"[\w\-]+(?:\.[\w\-]*){0,2}", 16, 80, True),
    ("posthog-key", ("p", "h", "[cxs]", "_"), _ALNUM, 10, 47, False),
    ("anthropic-key", tuple("sk-ant-"), _TOKEN_CHARS, 15, 100, False),
    ("openai-key", tuple("sk-"), _TOKEN_CHARS, 20, 51, False),
    ("github-token", ("g", "h", "[pousr]", "_"), _ALNUM, 14, 40, False),
    ("github-token", tuple("github_pat_"), r"\w+", 21, 93, False),
    ("aws-key", ("A", "[KS]", "I", "A"), r"[A-Z0-9]+", 12, 20, False),
    ("slack-token", ("x", "o", "x", "[abposr]", "-"), r"[A-Za-z0-9\-]+", 15, 50, False),
    ("stripe-key", ("[rsp]", "k", "_", ("live", "test"), "_"), _ALNUM, 18, 32, False),
    ("google-key", tuple("AIza"), _TOKEN_CHARS, 24, 39, True),
)


def _atoms(atoms: tuple[_Atom, ...]) -> str:
    """The prefix ``atoms`` with an optional wrap between any two characters. An atom is a
    character, a character class, or a tuple of alternative words."""
    glue = rf"(?:{_BREAK.pattern})?"
    parts = []
    for atom in atoms:
        if isinstance(atom, tuple):
            words = (glue.join(re.escape(c) for c in word) for word in atom)
            parts.append("(?:" + "|".join(words) + ")")
        else:
            parts.append(atom if len(atom) > 1 else re.escape(atom))
    return glue.join(parts)


_PREFIXED: tuple[_Prefixed, ...] = (
    *(
        _Prefixed(
            kind,
            re.compile(
                f"{_NOT_ALNUM_BEFORE}{_atoms(atoms)}(?:{charset})?",
                re.VERBOSE | (0 if exact else re.IGNORECASE),
            ),
            re.compile(r"[\w\-.]+" if kind == "jwt" else charset),
            usual,
            shortest=shortest,
        )
        for kind, atoms, charset, shortest, usual, exact in _PREFIX_TABLE
    ),
    _prefixed(
        "token",
        r"(?i)(?P<keep>\b(?:bearer|token|basic|digest)[ \t]+)(?![\[(])[A-Za-z0-9\-._~+/]{8,}=*",
        r"[A-Za-z0-9\-._~+/=]+",
        24,
        machine_made=True,
    ),
)

_SECRET_NAMES = (
    r"(?:[a-z0-9]{1,40}[_\-.]){0,6}(?:api[_\-.]?key|apikey|api[_\-.]?secret|secret[_\-.]?key|"
    r"secret|token|access[_\-.]?key|private[_\-.]?key|password|passwd|pwd|passphrase|"
    r"client[_\-.]?secret|credentials?|auth|authorization|cookie|x-api-key|signature|dsn)"
)
_NOT_A_SECRET = (
    r"(?:true|false|null|none|nil|undefined|required|optional|include|omit|same-origin|"
    r"string|number|boolean|bearer|basic|token|digest)\b"
)
_KEY = (
    rf"(?P<keep>(?<![A-Za-z0-9\-+])[\"'`]?{_SECRET_NAMES}[\"'`]?[ \t]*(?:=>|:=|[:=])[ \t]*"
    r"(?:(?:bearer|basic|token|digest)[ \t]+)?"
)
# ``name = "a value"`` / ``"name": 'value'``: the whole quoted value is replaced.
_KEY_VALUE_QUOTED = re.compile(
    rf"(?i){_KEY}(?P<quote>[\"'`]))(?!\[[a-z\-]+-\d+\])(?!{_NOT_A_SECRET}(?P=quote))"
    r"(?P<value>[^\"'`\r\n]{3,}?)(?P=quote)"
)
# ``NAME=value`` / ``name: value`` / ``?name=value`` in code, config, headers, URLs.
_KEY_VALUE = re.compile(
    rf"(?i){_KEY})(?!\[[a-z\-]+-\d+\])(?!{_NOT_A_SECRET})"
    r"(?P<value>[^\s\"'`,;&<>)\]}]{5,})"
)
_URL_SECRET_PARAM = re.compile(
    r"(?i)(?P<keep>[?&#;](?:access_token|id_token|refresh_token|token|api_key|apikey|key|"
    r"secret|password|pass|pwd|sig|signature|auth|code|jwt|client_secret|private_token|"
    r"x-amz-signature|x-amz-credential|x-amz-security-token)=)(?!\[[a-z\-]+-\d+\])"
    r"(?P<value>[^&#\s\"'<>]+)"
)
# Values that only stand for a secret (``<api_key>``, ``${TOKEN}``, ``your key here``,
# ``phx_...``): documentation and config templates, not secrets.
_STAND_IN = re.compile(
    r"""(?ix)^(?:(?:bearer|basic|token|digest)\s+)?(?:
        <[^<>]*> | \{\{?[^{}]*\}?\} | \$\{?[\w.]+\}? | %[\w.]+%
      | (?:your|insert|enter|replace|paste)[\s_\-].* | .*(?:\.\.\.|…)
      | [x*•]+ | redacted | changeme | secret | password | none | null
      | (?-i:[A-Z]{2,}(?:_[A-Z]{2,})+)
      | \{?(?:process\.env|import\.meta\.env|os\.environ|env|config|settings|secrets)[.\[(].*
    )$"""
)
# A password named in prose: "staging login pw CorrectHorseBattery99", "password is x9!k".
_PROSE_PASSWORD = re.compile(
    r"(?i)(?P<keep>\b(?:pw|pwd|passwd|password|passcode|passphrase|pass)\b[ \t]*"
    r"(?:(?:is|was|=|:|-)[ \t]*)?)(?P<value>[^\s\"'`,;()\[\]<>]{6,})"
)
# A token named earlier in the sentence: "the token we rotated yesterday was 9f8e…".
_PROSE_TOKEN = re.compile(
    r"(?i)(?P<keep>\b(?:tokens?|keys?|secrets?|passwords?|credentials?|api[ _\-]?keys?|pat)\b"
    r"[^\n.;!?]{0,80}?\b(?:was|is|were|are|being|reads|=|:)[ \t]+[\"'`]?)"
    r"(?P<value>[A-Za-z0-9_\-+/=]{12,})"
)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.DOTALL
)
_URL_CREDENTIALS = re.compile(
    r"(?i)(?P<keep>\b[a-z][a-z0-9+.\-]{0,30}://)(?P<value>[^\s/:@\[]+:[^\s/@]+)@"
)
_SLACK_WEBHOOK = re.compile(r"(?i)https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]+")

_EMAIL_LOCAL = r"[a-z0-9_%+\-]+(?:\.[a-z0-9_%+\-]+)*"
_AT = r"(?:@|\s?[\[({]\s?at\s?[\])}]\s?)"
_DOT = r"(?:\.|\s?[\[({]\s?dot\s?[\])}]\s?)"
_LABEL = r"[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?"
_EMAIL = re.compile(
    rf"(?i)(?<![a-z0-9._%+\-]){_EMAIL_LOCAL}[ \t]*(?:\r?\n[ \t]*)?{_AT}[ \t]*(?:\r?\n[ \t]*)?"
    rf"{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}[a-z]{{2,}}\b"
)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\d|\.\d)")
_IPV6 = re.compile(r"(?i)(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:%\w+)?(?![\w:])")
_CARD = re.compile(r"(?<![\d.])[2-6]\d{3}(?:[ \-]?\d){9,15}(?![\d.])")
_PHONE_PATTERNS = (
    # International: +CC and groups of digits.
    re.compile(r"(?<![\w+])(?P<value>\+\d{1,3}(?:[ .\-]?\(?\d{1,5}\)?){2,6})(?!\w|\.\d)"),
    # North American: (555) 123-4567, 555-123-4567, 555.123.4567.
    re.compile(
        r"(?<![\w.\-])(?P<value>(?:\(\d{3}\)[ .\-]?|\d{3}[ .\-])\d{3}[ .\-]\d{4})(?![\w\-]|\.\d)"
    ),
    # National with a trunk zero: 020 7946 0958, 030-1234-5678.
    re.compile(r"(?<![\w.\-])(?P<value>0\d{2,4}[ \-]\d{3,4}[ \-]?\d{3,4})(?![\w\-]|\.\d)"),
    # Any digits right after a phone word.
    re.compile(
        r"(?i)(?P<keep>\b(?:phone|tel|mobile|cell|whatsapp|sms|call me at|call me on)\b"
        r"[:.]?[ \t]*)(?P<value>[+(]?\d[\d ().\-]{5,}\d)"
    ),
)
_PROJECT_URL = re.compile(r"(?i)(?P<keep>/project/)(?P<value>\d+)\b")
_PROJECT_FIELD = re.compile(
    r"(?i)(?P<keep>\bproject(?:[ _\-]?id)?[\"']?[ \t]*[:=#]?[ \t]*[\"']?)(?P<value>\d{2,})\b"
)
_ENCODED = re.compile(
    r"%[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2}|&#x?[0-9A-Fa-f]+;|&[a-z]+;"
)
_PLACEHOLDER = re.compile(r"\[[a-z][a-z\-]*-\d+\]")
_BASIC_PAIR = re.compile(r"^[^\s:]{1,64}:[^\s]{4,}$")
_GREETING = r"(?:hi|hey|hello|dear|thanks|thank you|cheers|regards|best|cc|from|ping|ask)"
_ORG_SUFFIXES = frozenset(
    "inc llc ltd gmbh ag sa sas bv plc co corp corporation company group holdings labs lab "  # noqa: SIM905
    "technologies technology tech software systems solutions data cloud health ai io app "
    "apps the and of".split()
)


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _squeeze(text: str) -> str:
    """``text`` without the characters a wrap adds (spaces, quotes, ``+``, markers)."""
    return re.sub(r"[\s'\"`+\\>#/*]", "", text)


def _looks_random(text: str) -> bool:
    """True for machine-made strings: digits or capitals inside them, as keys have."""
    if len(text) < 3:
        return False
    return any(c.isdigit() for c in text) or any(c.isupper() for c in text[1:])


def _decode(text: str) -> str:
    """``text`` with percent, JSON/backslash and HTML escapes undone (repeatedly)."""
    for _ in range(4):
        decoded = html.unescape(text)
        decoded = re.sub(
            r"\\u([0-9A-Fa-f]{4})|\\x([0-9A-Fa-f]{2})",
            lambda m: chr(int(m.group(1) or m.group(2), 16)),
            decoded,
        )
        decoded = unquote_plus(decoded) if "%" in decoded else decoded
        if decoded == text:
            break
        text = decoded
    return text


def _words(value: str) -> list[str]:
    return [w for w in re.split(r"[\s._\-]+", value.strip()) if w]


@lru_cache(maxsize=512)
def _flexible(value: str) -> re.Pattern[str]:
    """``value`` in any case, its words joined by spaces, dots, dashes, underscores, ``+``,
    ``%20`` or nothing at all (``northwind-health``, ``NorthwindHealth``)."""
    joined = r"(?:[\s._\-+]|%20)*".join(re.escape(w) for w in _words(value))
    return re.compile(rf"(?i)(?<![A-Za-z0-9]){joined}(?![A-Za-z0-9])")


@lru_cache(maxsize=256)
def _split_tolerant(secret: str) -> re.Pattern[str]:
    """A case-insensitive pattern for ``secret`` that also matches it wrapped across lines."""
    glue = rf"(?:{_BREAK.pattern})?"
    return re.compile(glue.join(re.escape(c) for c in secret), re.IGNORECASE | re.VERBOSE)


@dataclass
class Redactor:
    """Replaces secrets and personal data with stable placeholders.

    Attributes:
        names: People's names to replace (``[person-N]``).
        orgs: Organization names to replace (``[org-N]``).
        org_ids: Organization ids to replace (``[org-id-N]``).
        extra_secrets: Exact secret values (e.g. configured API keys) to replace.
        keep_project_ids: Keep PostHog project ids (engineering needs them to look at
            the project); when off they become ``[project-N]``.
        project_ids: Project ids known from the ticket, replaced when not kept.
        detect_unlisted: Also replace people's and companies' names that are not listed
            (found by cues and name lists; see :mod:`~posthog_escalation.detectors`).
        credentials_only: Replace credentials only (personal data is kept): the scrub
            applied to tickets as they are loaded.
    """

    names: list[str] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    org_ids: list[str] = field(default_factory=list)
    extra_secrets: list[str] = field(default_factory=list)
    keep_project_ids: bool = True
    project_ids: list[str] = field(default_factory=list)
    detect_unlisted: bool = True
    credentials_only: bool = False
    _placeholders: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    _counts: dict[str, int] = field(default_factory=dict, repr=False)
    _hits: int = field(default=0, repr=False)

    @classmethod
    def for_ticket(
        cls,
        ticket: Ticket,
        extra_secrets: Iterable[str] = (),
        *,
        keep_project_ids: bool = True,
    ) -> Redactor:
        """A redactor that also knows the ticket's customer, org id, project and people.

        Args:
            ticket: The ticket whose customer block and message authors are redacted.
            extra_secrets: Exact values to replace as well (``Settings.secrets()``).
            keep_project_ids: Keep PostHog project ids (``Settings.keep_project_ids``).
        """
        customer = ticket.customer
        names = list(customer.contacts)
        names += [m.author_name for m in ticket.messages if m.author_name]
        return cls(
            names=_unique(names),
            orgs=_unique([customer.org_name] if customer.org_name else []),
            org_ids=_unique([customer.org_id] if customer.org_id else []),
            extra_secrets=[s for s in extra_secrets if s],
            keep_project_ids=keep_project_ids,
            project_ids=_unique([customer.project_id] if customer.project_id else []),
        )

    def placeholder(self, kind: str, value: str) -> str:
        """The stable placeholder for ``value`` of ``kind``."""
        self._hits += 1
        key = (kind, re.sub(r"\s+", "", value).lower())
        if key not in self._placeholders:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            self._placeholders[key] = f"[{kind}-{self._counts[kind]}]"
        return self._placeholders[key]

    def __call__(self, text: str) -> str:
        return self.redact(text)

    def redact(self, text: str) -> str:
        """``text`` with every secret and personal datum replaced."""
        text = _INVISIBLE.sub("", text)
        text = self._redact_encoded(text)
        return self._redact_plain(text)

    def _redact_encoded(self, text: str) -> str:
        """Decode each whitespace-separated token that holds escapes; when the decoded
        token contains something to redact, it is replaced by its redacted decoding."""

        def one(match: re.Match[str]) -> str:
            token = match.group(0)
            if not _ENCODED.search(token):
                return token
            decoded = _INVISIBLE.sub("", _decode(token))
            before = self._hits
            redacted = self._redact_plain(decoded)
            return redacted if self._hits > before else token

        return re.sub(r"\S+", one, text)

    def _redact_plain(self, text: str) -> str:
        text = self._credentials(text)
        if self.credentials_only:
            return text
        return self._personal(text)

    def _credentials(self, text: str, *, nested: bool = False) -> str:
        """Replace every credential in ``text``. ``nested`` is set for text decoded from
        base64, which is not decoded again."""
        for secret in sorted(self.extra_secrets, key=len, reverse=True):
            pattern = _split_tolerant(secret)
            text = pattern.sub(lambda m, s=secret: self.placeholder("secret", s), text)
        text = _PRIVATE_KEY.sub(lambda m: self.placeholder("private-key", m.group(0)), text)
        text = _SLACK_WEBHOOK.sub(lambda m: self.placeholder("slack-webhook", m.group(0)), text)
        text = self._keyed(text, _URL_CREDENTIALS, "credentials", suffix="@")
        for spec in _PREFIXED:
            text = self._redact_prefixed(text, spec)
        for value in detectors.ruleset_secrets(text):
            text = text.replace(value, self.placeholder("secret", value))
        text = self._keyed(text, _URL_SECRET_PARAM, "token", stand_ins=True)
        text = self._keyed(text, _KEY_VALUE_QUOTED, "secret", stand_ins=True, quoted=True)
        text = self._keyed(text, _KEY_VALUE, "secret", stand_ins=True)
        text = _PROSE_PASSWORD.sub(self._prose_password, text)
        text = _PROSE_TOKEN.sub(self._prose_token, text)
        if not nested:
            text = detectors.BASE64_CANDIDATE.sub(self._base64, text)
        return detectors.ENTROPY_CANDIDATE.sub(self._generated, text)

    def _personal(self, text: str) -> str:
        """Replace every personal datum in ``text`` (credentials are already gone)."""
        text = _EMAIL.sub(lambda m: self.placeholder("email", m.group(0)), text)
        text = _IPV4.sub(self._ipv4, text)
        text = _IPV6.sub(self._ipv6, text)
        text = detectors.IBAN.sub(self._iban, text)
        text = self._keyed(text, detectors.SSN_NAMED, "ssn")
        text = detectors.SSN.sub(self._ssn, text)
        text = _CARD.sub(self._card, text)
        for pattern in _PHONE_PATTERNS:
            text = pattern.sub(self._phone, text)
        if not self.keep_project_ids:
            text = self._replace_values(text, "project", self.project_ids)
            text = self._keyed(text, _PROJECT_URL, "project")
            text = self._keyed(text, _PROJECT_FIELD, "project")
        text = self._replace_values(text, "org-id", self.org_ids, shortest=4)
        text = self._replace_names(text)
        if self.detect_unlisted:
            text = self._replace_spans(text, "org", detectors.unlisted_orgs(text))
            text = self._replace_spans(text, "person", detectors.unlisted_people(text))
        return text

    def _prose_password(self, match: re.Match[str]) -> str:
        value = match.group("value").rstrip(".!?:")
        tail = match.group("value")[len(value) :]
        if len(value) < 6 or _STAND_IN.match(value) or _PLACEHOLDER.fullmatch(value):
            return match.group(0)
        if not (_looks_random(value) or re.search(r"\W", value)):
            return match.group(0)
        return match.group("keep") + self.placeholder("secret", value) + tail

    def _prose_token(self, match: re.Match[str]) -> str:
        value = match.group("value")
        bare = value.rstrip("=")
        generated = detectors.hex_secret(bare) or detectors.looks_generated(bare)
        mixed = (
            len(bare) >= 16 and any(c.isdigit() for c in bare) and any(c.isalpha() for c in bare)
        )
        if _STAND_IN.match(value) or not (generated or mixed):
            return match.group(0)
        return match.group("keep") + self.placeholder("secret", value)

    def _base64(self, match: re.Match[str]) -> str:
        token = match.group(0)
        decoded = detectors.decoded_base64(token)
        if decoded is None:
            return token
        before = self._hits
        self._credentials(_INVISIBLE.sub("", decoded), nested=True)
        if self._hits > before or _BASIC_PAIR.match(decoded.strip()):
            return self.placeholder("secret", token)
        return token

    def _generated(self, match: re.Match[str]) -> str:
        token = match.group(0)
        if "/" not in token:
            return self.placeholder("secret", token) if detectors.looks_generated(token) else token
        return "/".join(
            self.placeholder("secret", part) if detectors.looks_generated(part) else part
            for part in token.split("/")
        )

    def _iban(self, match: re.Match[str]) -> str:
        value = detectors.valid_iban(match.group(0))
        if value is None:
            return match.group(0)
        return self.placeholder("iban", value.replace(" ", "")) + match.group(0)[len(value) :]

    def _ssn(self, match: re.Match[str]) -> str:
        value = match.group("value")
        return self.placeholder("ssn", value) if detectors.valid_ssn(value) else match.group(0)

    def _replace_spans(self, text: str, kind: str, spans: Iterable[tuple[int, int, str]]) -> str:
        """Replace non-overlapping ``(start, end, value)`` spans; the first found wins."""
        chosen: list[tuple[int, int, str]] = []
        for start, end, value in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
            if chosen and start < chosen[-1][1]:
                continue
            chosen.append((start, end, value))
        pieces, position = [], 0
        for start, end, value in chosen:
            pieces += [text[position:start], self.placeholder(kind, value)]
            position = end
        return "".join(pieces) + text[position:]

    def _keyed(
        self,
        text: str,
        pattern: re.Pattern[str],
        kind: str,
        suffix: str = "",
        *,
        stand_ins: bool = False,
        quoted: bool = False,
    ) -> str:
        """Replace group ``value``, keeping group ``keep`` (a name, a scheme) before it.

        With ``stand_ins``, values that only stand for a secret (``<api_key>``) are kept;
        with ``quoted``, the closing quote (group ``quote``) is put back.
        """

        def one(match: re.Match[str]) -> str:
            value = match.group("value")
            if stand_ins and _STAND_IN.match(value.strip()):
                return match.group(0)
            close = match.group("quote") if quoted else ""
            return match.group("keep") + self.placeholder(kind, value) + suffix + close

        return pattern.sub(one, text)

    def _redact_prefixed(self, text: str, spec: _Prefixed) -> str:
        pieces: list[str] = []
        position = 0
        for match in spec.start.finditer(text):
            if match.start() < position:
                continue
            keep = match.group("keep") if "keep" in spec.start.groupindex else ""
            end = match.end()
            value = text[match.start() + len(keep) : end]
            while True:
                wrap = _BREAK.match(text, end)
                more = spec.charset.match(text, wrap.end()) if wrap else None
                if not wrap or not more:
                    break
                short = len(value) < spec.usual_length
                incomplete_jwt = spec.kind == "jwt" and (
                    value.count(".") < 2 or len(value.rsplit(".", 1)[1]) < JWT_SIGNATURE
                )
                if not (short or incomplete_jwt or _looks_random(more.group(0))):
                    break
                value, end = value + more.group(0), more.end()
            if len(_squeeze(value)) < spec.shortest:
                continue
            if spec.machine_made and not (
                _looks_random(value) or any(c in "._~+/=-" for c in value)
            ):
                continue
            pieces += [text[position : match.start()], keep, self.placeholder(spec.kind, value)]
            position = end
        pieces.append(text[position:])
        return "".join(pieces)

    def _ipv4(self, match: re.Match[str]) -> str:
        value = match.group(0)
        try:
            address = ipaddress.IPv4Address(value)
        except ValueError:
            return value
        if address.is_unspecified or address.is_loopback:
            return value
        return self.placeholder("ip", value)

    def _ipv6(self, match: re.Match[str]) -> str:
        value = match.group(0)
        bare = value.split("%")[0]
        if len([g for g in bare.split(":") if g]) < 3:
            return value
        try:
            address = ipaddress.IPv6Address(bare)
        except ValueError:
            return value
        if address.is_loopback or address.is_unspecified:
            return value
        return self.placeholder("ip", value)

    def _card(self, match: re.Match[str]) -> str:
        value = match.group(0)
        digits = re.sub(r"\D", "", value)
        groups = [len(g) for g in re.split(r"[ \-]", value)]
        grouped = (
            len(groups) == 1
            or groups in ([4, 6, 5], [4, 6, 4])
            or (all(g == 4 for g in groups[:-1]) and 1 <= groups[-1] <= 4)
        )
        if 13 <= len(digits) <= 19 and grouped and _luhn(digits):
            return self.placeholder("card", digits)
        return value

    def _phone(self, match: re.Match[str]) -> str:
        value = match.group("value")
        digits = re.sub(r"\D", "", value)
        keep = match.group("keep") if "keep" in match.re.groupindex else ""
        if not 7 <= len(digits) <= 15:
            return match.group(0)
        return keep + self.placeholder("phone", digits)

    def _replace_values(self, text: str, kind: str, values: list[str], *, shortest: int = 2) -> str:
        for value in sorted(values, key=len, reverse=True):
            if len(value) >= shortest:
                text = _flexible(value).sub(lambda m, v=value: self.placeholder(kind, v), text)
        return text

    def _replace_names(self, text: str) -> str:
        """Replace the listed organizations and people: each whole name in any case and
        written form, then single words — written with a capital, inside a host name, or
        (for people) after a greeting or ``@``. Of an organization only the distinctive
        first word stands alone for it (``Northwind``, never ``Health`` or ``Analytics``).
        Names whose words do not occur in ``text`` cost nothing."""
        lowered = text.lower()
        orgs = [v for v in self.orgs if _present(v, lowered)]
        people = [v for v in self.names if _present(v, lowered)]
        if not orgs and not people:
            return text
        text = self._replace_values(text, "org", [v for v in orgs if len(v) >= 2])
        text = self._replace_values(text, "person", people)
        owners: dict[str, tuple[str, str]] = {}
        for value in sorted(orgs, key=len, reverse=True):
            words = _words(value)
            head = words[0] if len(words) > 1 else ""
            if len(head) >= 4 and head.lower() not in _ORG_SUFFIXES:
                owners.setdefault(head.lower(), ("org", value))
        for value in sorted(people, key=len, reverse=True):
            words = _words(value)
            if len(words) > 1:
                for word in words:
                    if len(word) >= 3:
                        owners.setdefault(word.lower(), ("person", value))
        lowered = text.lower()
        owners = {word: owner for word, owner in owners.items() if word in lowered}
        if not owners:
            return text
        anywhere, in_host, greeted = _combined_word_patterns(tuple(sorted(owners)))

        def owner(match: re.Match[str]) -> tuple[str, str]:
            found = match.group("word") or match.group("host")
            return owners[found.lower()]

        def capitalised(match: re.Match[str]) -> str:
            word = match.group("word")
            return self.placeholder(*owner(match)) if word[:1].isupper() else word

        text = anywhere.sub(capitalised, text)
        text = in_host.sub(lambda m: self.placeholder(*owner(m)), text)

        def addressed(match: re.Match[str]) -> str:
            kind, value = owner(match)
            if kind != "person":
                return match.group(0)
            return match.group("keep") + self.placeholder(kind, value)

        return greeted.sub(addressed, text)


def _present(value: str, lowered: str) -> bool:
    return any(word.lower() in lowered for word in _words(value))


@lru_cache(maxsize=256)
def _combined_word_patterns(
    words: tuple[str, ...],
) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """One pattern for all ``words`` in each of three places: as a word anywhere (the
    caller checks for a capital), inside a host name, and after a greeting or ``@``."""
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    word = rf"(?P<word>{alternatives})"
    anywhere = re.compile(rf"(?i)(?<![\w\[\-]){word}(?![A-Za-z0-9])")
    in_host = re.compile(
        rf"(?i)(?:(?<=//)|(?<=\.)){word}(?![A-Za-z0-9])"
        rf"|(?<![A-Za-z0-9])(?P<host>{alternatives})(?=\.[a-z]{{2,}})"
    )
    greeted = re.compile(rf"(?i)(?P<keep>(?:@|\b{_GREETING}[ \t,]+)){word}(?![A-Za-z0-9])")
    return anywhere, in_host, greeted


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def redact_text(text: str) -> str:
    """Redact ``text`` with the patterns only (no customer names known)."""
    return Redactor().redact(text)


def redactor_for(
    ticket: Ticket | None, extra_secrets: Iterable[str] = (), *, keep_project_ids: bool = True
) -> Redactor:
    """The redactor for an escalation's text: the ticket's names when the ticket is known,
    the patterns (and ``extra_secrets``) otherwise."""
    if ticket is not None:
        return Redactor.for_ticket(ticket, extra_secrets, keep_project_ids=keep_project_ids)
    return Redactor(
        extra_secrets=[s for s in extra_secrets if s], keep_project_ids=keep_project_ids
    )
