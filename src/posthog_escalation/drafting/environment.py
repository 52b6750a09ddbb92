"""Where it happens, and what is still to ask the customer.

The environment is split into the kind of app (platform), operating systems, browsers,
frameworks and runtimes, read from the ticket, the triage report and the data. A fact is
asked of the customer only when none of the ticket, the triage report and the evidence
already holds it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..evidence import EvidencePack
from ..models import Ticket, TriageReport
from ..understanding import Signals

BROWSERS = (
    "Mobile Safari",
    "Safari",
    "Chrome",
    "Chromium",
    "Firefox",
    "Microsoft Edge",
    "Edge",
    "Brave",
    "Opera",
    "Samsung Internet",
)
OPERATING_SYSTEMS = ("iOS", "iPadOS", "Android", "macOS", "Mac OS X", "Windows", "Linux")
FRAMEWORK_RUNTIMES = ("Next.js", "React Native", "Expo SDK", "Flutter")
"""Names the ticket may give with a version that are frameworks, not runtimes."""
FAMILY_PLATFORM = {
    "web": "web",
    "react-native": "react-native",
    "ios": "ios",
    "android": "android",
    "flutter": "flutter",
    "unity": "unity",
}
"""The kind of app an SDK family runs in; server SDK families are ``backend``."""
MOBILE_OS = {"ios": "iOS", "android": "Android"}
_VERSIONED = re.compile(
    r"\b(?P<name>Mobile Safari|Safari|Chrome|Firefox|Microsoft Edge|Edge|iOS|iPadOS|Android|"
    r"macOS|Windows)\s+v?(?P<version>\d+(?:\.\d+){0,2})\b(?!\.\d)"
)
"""A browser or operating system followed by its version, as triage notes write them."""


def _name(value: str) -> str:
    return re.sub(r"\s+v?\d[\d.]*$", "", value.strip())


def _kind(value: str) -> str:
    name = _name(value).lower()
    if any(name == b.lower() for b in BROWSERS):
        return "browser"
    if any(name == o.lower() for o in OPERATING_SYSTEMS):
        return "os"
    if any(name == f.lower() for f in FRAMEWORK_RUNTIMES):
        return "framework"
    return "runtime"


def merge_versions(values: Iterable[str]) -> list[str]:
    """Unique names, keeping the most specific of each (``Safari 18`` and ``Safari 18.1``
    give ``Safari 18.1``; ``Expo`` and ``Expo SDK 52`` give ``Expo SDK 52``)."""
    kept: dict[str, str] = {}
    for value in values:
        value = " ".join(value.split())
        if not value:
            continue
        key = _name(value).lower()
        if any(k.startswith(f"{key} ") for k in kept):
            continue
        broader = next((k for k in kept if key.startswith(f"{k} ")), None)
        if broader is not None:
            kept[key] = value
            del kept[broader]
            continue
        current = kept.get(key)
        if current is None or (len(value) > len(current) and value.startswith(current)):
            kept[key] = value
    return list(kept.values())


def split_environment(
    signals: Signals, triage: TriageReport | None, pack: EvidencePack
) -> tuple[str, list[str], list[str], list[str], list[str]]:
    """(platform, operating systems, browsers, frameworks, runtimes).

    The platform is the kind of app the SDK runs in (``web`` for posthog-js, even on an
    iPhone); a mobile platform word next to a web SDK names the phone's operating system.
    Browsers and systems the data shows hit are added after the ones the ticket names.
    """
    families = [s.family for s in signals.sdks if not s.plugin] or [s.family for s in signals.sdks]
    platforms = list(dict.fromkeys(FAMILY_PLATFORM.get(f, "backend") for f in families if f))
    os_names: list[str] = []
    cross_platform = {"web", "react-native", "flutter", "unity"} & set(platforms)
    for word in signals.platforms:
        if word in MOBILE_OS and cross_platform and word not in platforms:
            os_names.append(MOBILE_OS[word])
        elif word not in platforms and not (word == "web" and platforms):
            platforms.append(word)
    mentioned = list(signals.runtimes)
    notes = [*(triage.findings if triage else []), *(triage.platform_hints if triage else [])]
    mentioned += [m.group(0) for note in notes for m in _VERSIONED.finditer(note)]
    browsers = [m for m in mentioned if _kind(m) == "browser"]
    os_names += [m for m in mentioned if _kind(m) == "os"]
    frameworks = [*signals.frameworks, *(m for m in mentioned if _kind(m) == "framework")]
    runtimes = [m for m in mentioned if _kind(m) == "runtime"]
    impact = pack.impact
    if impact is not None and pack.signature_kind == "exception":
        for env in impact.environments:
            if env.affected_events:
                browsers += [env.browser] if env.browser else []
                os_names += [env.os] if env.os else []
    return (
        ", ".join(platforms),
        merge_versions(os_names),
        merge_versions(browsers),
        merge_versions(frameworks),
        merge_versions(runtimes),
    )


REPRODUCED = re.compile(
    r"\b(?:reproduced|can reproduce|could reproduce|able to reproduce|reproducible|repro'?d)\b",
    re.IGNORECASE,
)
NOT_REPRODUCED = re.compile(
    r"\b(?:can(?:no|')?t|could(?:n'?t| not)|unable to|not able to|did(?:n'?t| not)|"
    r"haven'?t|have not|not yet)\s+(?:be(?:en)?\s+)?(?:able to\s+)?reproduc",
    re.IGNORECASE,
)
"""What a triage note or a support reply says when the problem was (not) reproduced."""


def says_reproduced(texts: Iterable[str]) -> bool:
    """True when one of ``texts`` says the problem was reproduced (and does not say it
    was not)."""
    return any(REPRODUCED.search(t) and not NOT_REPRODUCED.search(t) for t in texts)


def still_missing(
    signals: Signals, ticket: Ticket, triage: TriageReport | None, pack: EvidencePack
) -> list[str]:
    """The facts the signal extractor found missing that no source holds either.

    - SDK version: the data shows the customer's SDK versions (``$lib_version``).
    - Platform: the triage report names it, or the data shows where it happens.
    - Link: the customer record names the project.
    - Debug logs: the ticket quotes the error (what a console or log shows).
    - Reproduction: the triage report or a support reply says it was reproduced, or the
      ticket lists steps.
    """
    staff = [m.text for m in ticket.messages if m.author_role in ("support", "engineer")]
    notes = [*(triage.findings if triage else []), triage.summary if triage else "", *staff]
    impact = pack.impact
    seen_where = impact is not None and any(e.affected_events for e in impact.environments)
    held = {
        "sdk_version": bool(pack.customer_sdks),
        "platform": bool(triage and triage.platform_hints) or seen_where,
        "link": bool(ticket.customer.project_id),
        "debug_logs": bool(signals.errors),
        "reproduction": says_reproduced(notes) or bool(signals.reproduction_steps),
    }
    return [fact for fact in signals.missing if not held.get(fact, False)]
