"""Replace secrets and personal data with stable placeholders.

Everything that leaves the machine (the public flavour, a filed GitHub issue) goes
through a :class:`Redactor`. The same value always gets the same placeholder within one
redactor (``[email-1]`` stays ``[email-1]``), so a redacted text still reads coherently.
What engineering needs is kept: SDK names, versions, error strings and (configurable)
PostHog project ids.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .models import Ticket

_SECRET_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "private-key",
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)",
            re.DOTALL,
        ),
    ),
    ("jwt", re.compile(r"\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}")),
    ("url-credentials", re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s/:@]+:[^\s/@]+@[^\s]+")),
    (
        "token",
        re.compile(
            r"(?i)(?<=[?&#])(?:access_token|token|api_key|apikey|key|secret|password|sig|"
            r"signature|auth|code|session)=[^&#\s\"'<>]+"
        ),
    ),
    ("bearer", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9\-._~+/]{8,}=*")),
    ("posthog-key", re.compile(r"(?i)\bph[cxs]_[A-Za-z0-9]{8,}")),
    ("anthropic-key", re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{10,}")),
    ("openai-key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_\-]{20,}")),
    ("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")),
    ("aws-key", re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")),
    (
        "secret",
        re.compile(
            r"(?i)(?<![\w-])(?:aws_secret_access_key|secret_access_key|client_secret|api_secret|"
            r"password|passwd)\s*[:=]\s*[\"']?[^\s\"',;]{6,}"
        ),
    ),
    ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("stripe-key", re.compile(r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{10,}")),
]

_EMAIL = re.compile(r"(?i)\b[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}\b")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?i)(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])")
_PHONE = re.compile(r"(?<![\w.])\+?\d[\d\s().-]{7,}\d(?![\w.])")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_VERSIONISH = re.compile(r"^\d+(?:\.\d+){1,3}$")


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


@dataclass
class Redactor:
    """Replaces secrets and personal data with stable placeholders.

    Attributes:
        names: People's names to replace (``[person-N]``).
        orgs: Organization names to replace (``[org-N]``).
        org_ids: Organization ids to replace (``[org-id-N]``).
        extra_secrets: Exact secret values (e.g. configured API keys) to replace.
    """

    names: list[str] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    org_ids: list[str] = field(default_factory=list)
    extra_secrets: list[str] = field(default_factory=list)
    _placeholders: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    _counts: dict[str, int] = field(default_factory=dict, repr=False)

    @classmethod
    def for_ticket(cls, ticket: Ticket, extra_secrets: Iterable[str] = ()) -> Redactor:
        """A redactor that also knows the ticket's customer, org id and people."""
        customer = ticket.customer
        names = list(customer.contacts)
        names += [m.author_name for m in ticket.messages if m.author_name]
        return cls(
            names=_unique(names),
            orgs=_unique([customer.org_name] if customer.org_name else []),
            org_ids=_unique([customer.org_id] if customer.org_id else []),
            extra_secrets=[s for s in extra_secrets if s],
        )

    def placeholder(self, kind: str, value: str) -> str:
        """The stable placeholder for ``value`` of ``kind``."""
        key = (kind, value.lower())
        if key not in self._placeholders:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            self._placeholders[key] = f"[{kind}-{self._counts[kind]}]"
        return self._placeholders[key]

    def __call__(self, text: str) -> str:
        return self.redact(text)

    def redact(self, text: str) -> str:
        """``text`` with every secret and personal datum replaced."""
        for secret in sorted(self.extra_secrets, key=len, reverse=True):
            text = text.replace(secret, self.placeholder("secret", secret))
        for kind, pattern in _SECRET_PATTERNS:
            text = pattern.sub(lambda m, k=kind: self._keep_key(m.group(0), k), text)
        text = _EMAIL.sub(lambda m: self.placeholder("email", m.group(0)), text)
        text = _IPV4.sub(self._ipv4, text)
        text = _IPV6.sub(self._ipv6, text)
        text = _CARD.sub(self._card, text)
        text = _PHONE.sub(self._phone, text)
        for kind, values in (("org-id", self.org_ids), ("org", self.orgs), ("person", self.names)):
            text = self._replace_words(text, kind, values)
        return text

    def _keep_key(self, match: str, kind: str) -> str:
        if kind == "token" and "=" in match:
            name, value = match.split("=", 1)
            return f"{name}={self.placeholder('token', value)}"
        if kind == "bearer":
            return "Bearer " + self.placeholder("token", match.split(None, 1)[1])
        if kind == "secret":
            name = re.split(r"\s*[:=]", match, maxsplit=1)[0]
            value = match[len(name) :].lstrip(" :=\"'")
            return f"{name}={self.placeholder('secret', value)}"
        return self.placeholder(kind, match)

    def _ipv4(self, match: re.Match[str]) -> str:
        value = match.group(0)
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            return value
        return self.placeholder("ip", value)

    def _ipv6(self, match: re.Match[str]) -> str:
        value = match.group(0)
        if value.count(":") < 2 or not any(c.isalnum() for c in value):
            return value
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            return value
        return self.placeholder("ip", value)

    def _card(self, match: re.Match[str]) -> str:
        value = match.group(0)
        digits = re.sub(r"\D", "", value)
        if 13 <= len(digits) <= 19 and _luhn(digits):
            return self.placeholder("card", digits)
        return value

    def _phone(self, match: re.Match[str]) -> str:
        value = match.group(0)
        digits = re.sub(r"\D", "", value)
        compact = value.strip()
        plain = len(digits) < 9 or _VERSIONISH.match(compact) or re.fullmatch(r"[\d-]+", compact)
        if plain and not (compact.startswith("+") or "(" in compact or " " in compact):
            return value
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", compact):
            return value
        return self.placeholder("phone", digits)

    def _replace_words(self, text: str, kind: str, values: list[str]) -> str:
        for value in sorted(values, key=len, reverse=True):
            if len(value) < 2:
                continue
            pattern = re.compile(rf"(?i)(?<![\w@]){re.escape(value)}(?![\w])")
            text = pattern.sub(lambda m, v=value, k=kind: self.placeholder(k, v), text)
            parts = value.split()
            if kind == "person" and len(parts) > 1:
                for part in parts:
                    if len(part) >= 3:
                        word = re.compile(rf"(?<![\w@\[-]){re.escape(part)}(?![\w])")
                        text = word.sub(lambda m, v=value: self.placeholder("person", v), text)
        return text


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def redact_text(text: str) -> str:
    """Redact ``text`` with the patterns only (no customer names known)."""
    return Redactor().redact(text)
