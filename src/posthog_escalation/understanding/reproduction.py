"""How to make it happen: steps, expected and actual, how often, events and flags named,
and the facts a maintainer would ask for first."""

from __future__ import annotations

import re
from typing import Literal

from .catalogue import default_catalogue
from .model import ErrorSignal, LinkSignal, MissingFact, SdkMention

_STEP = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•]|step \d+:?)\s+(?P<step>\S.{2,200})$", re.I | re.M)
_STEPS_HEADING = re.compile(r"(?:steps to reproduce|to reproduce|repro(?:duction)? steps)", re.I)
_EXPECTED = re.compile(
    r"(?:^|\n|\.\s)\s*(?:\*\*)?expected(?: behaviou?r| result)?(?:\*\*)?\s*[:\-]\s*"
    r"(?P<x>[^\n]{3,300})",
    re.I,
)
_ACTUAL = re.compile(
    r"(?:^|\n|\.\s)\s*(?:\*\*)?(?:actual(?: behaviou?r| result)?|instead)(?:\*\*)?\s*[:\-]\s*"
    r"(?P<x>[^\n]{3,300})",
    re.I,
)
_HEADED = (
    r"(?:^|\n)[ \t]*(?:#{1,6}[ \t]*|\*\*|__)?(?:%s)[ \t]*(?:\*\*|__)?[ \t]*:?[ \t]*\n(?:[ \t]*\n)*"
)
_EXPECTED_HEADING = re.compile(
    _HEADED % r"expected(?: behaviou?r| results?| outcome)?"
    + r"[ \t]*(?P<x>(?![#*_-]*[ \t]*(?:\n|$))[^\n#]*[a-z][^\n]{2,300})",
    re.I,
)
_ACTUAL_HEADING = re.compile(
    _HEADED % r"actual(?: behaviou?r| results?| outcome)?|current behaviou?r|what happen(?:s|ed)"
    + r"[ \t]*(?P<x>(?![#*_-]*[ \t]*(?:\n|$))[^\n#]*[a-z][^\n]{2,300})",
    re.I,
)
"""The same under a heading of their own ("### Expected Result", "**Expected behavior**")
with the text on the next non-empty line."""
_NEXT_LABEL = re.compile(
    r"(?<=[.;])\s+(?:\*\*)?(?:actual(?: behaviou?r| results?)?|instead)\b", re.I
)
_PLACEHOLDER_LINE = re.compile(r"^\W*(?:please describe|n/?a|none|tbd|todo)\W*$", re.I)
_EXPECTED_BUT = re.compile(
    r"\b(?:we |I )?(?:expected?|expecting|should)\s+(?P<x>[^.\n]{3,160}?)\s*,?\s+but\s+"
    r"(?P<y>[^.\n]{3,200})",
    re.I,
)
_ALWAYS = re.compile(
    r"\b(?:every (?:time|single time)|always|consistently|100% of the time|reliably|"
    r"reproducible every)\b",
    re.I,
)
_INTERMITTENT = re.compile(
    r"\b(?:sometimes|intermittent(?:ly)?|occasionally|randomly|flaky|some of the time|"
    r"not always|hard to reproduce|can'?t reproduce)\b",
    re.I,
)
_EVENT_NAME = re.compile(r"(?<![\w$])\$[a-z][a-z0-9_]{2,40}\b")
_NOT_EVENTS = frozenset(
    {
        "$lib",
        "$lib_version",
        "$browser",
        "$os",
        "$current_url",
        "$session_id",
        "$window_id",
        "$device_type",
        "$browser_version",
        "$os_version",
        "$group_0",
        "$group_1",
        "$set",
        "$set_once",
        "$initial_referring_domain",
        "$utm_source",
        "$host",
        "$pathname",
    }
)
_FLAG_KEY = re.compile(
    r"(?:getFeatureFlag(?:Payload)?|isFeatureEnabled|feature_enabled|get_feature_flag(?:_payload)?|"
    r"is_feature_enabled|useFeatureFlag(?:Enabled|Variant(?:Key)?|Payload)?|IsFeatureEnabled(?:Async)?|"
    r"GetFeatureFlag(?:Async)?)\(\s*['\"](?P<key>[\w.:-]{2,80})['\"]"
    r"|\b(?:feature )?flag (?:key )?[`'\"](?P<key2>[\w.:-]{2,80})[`'\"]",
    re.I,
)


def extract_steps(text: str) -> list[str]:
    heading = _STEPS_HEADING.search(text)
    scope = text[heading.end() :] if heading else text
    steps: list[str] = []
    last_end = 0
    for match in _STEP.finditer(scope):
        step = match.group("step").strip()
        if steps and match.start() - last_end > 400:
            break
        steps.append(step)
        last_end = match.end()
        if len(steps) == 12:
            break
    if not heading and len(steps) < 2:
        return []
    return steps


def _said(text: str, *patterns: re.Pattern[str]) -> str | None:
    for pattern in patterns:
        for match in pattern.finditer(text):
            said = _NEXT_LABEL.split(match.group("x"), maxsplit=1)[0].strip()
            if not _PLACEHOLDER_LINE.match(said):
                return said
    return None


def extract_expected_actual(text: str) -> tuple[str | None, str | None]:
    expected = _said(text, _EXPECTED, _EXPECTED_HEADING)
    actual = _said(text, _ACTUAL, _ACTUAL_HEADING)
    if expected or actual:
        return expected, actual
    both = _EXPECTED_BUT.search(text)
    if both:
        return both.group("x").strip(), both.group("y").strip()
    return None, None


def reproducibility_of(text: str) -> Literal["always", "intermittent", "unknown"]:
    if _INTERMITTENT.search(text):
        return "intermittent"
    if _ALWAYS.search(text):
        return "always"
    return "unknown"


def extract_event_names(text: str) -> list[str]:
    names = [m.group(0) for m in _EVENT_NAME.finditer(text)]
    return list(dict.fromkeys(n for n in names if n not in _NOT_EVENTS))


_FLAG_TOPIC = re.compile(r"\b(?:feature[ _-]?flags?|flags?|bootstrap\w*|experiments?)\b", re.I)
_BACKTICKED_KEY = re.compile(r"`(?P<key>[a-z0-9]+(?:-[a-z0-9]+)+)`")


def extract_flag_keys(text: str) -> list[str]:
    keys = [m.group("key") or m.group("key2") for m in _FLAG_KEY.finditer(text)]
    if _FLAG_TOPIC.search(text):
        # In a ticket about flags, a backticked kebab-case name is a flag key unless it
        # names an SDK package.
        keys += [m.group("key") for m in _BACKTICKED_KEY.finditer(text)]
        packages = set(default_catalogue().packages)
        keys = [k for k in keys if k not in packages]
    return list(dict.fromkeys(keys))


# ---------------------------------------------------------------------------------------
# What a maintainer would ask for first
# ---------------------------------------------------------------------------------------

_REPRO = re.compile(
    r"\b(?:steps to reproduce|to reproduce|repro(?:duction)?(?: steps| repo| link)?\b|"
    r"minimal (?:example|reproduction|repo)|codesandbox|stackblitz|snack\.expo|"
    r"reproduc(?:e|ible) (?:it )?(?:by|with|every time|consistently))|^\s*1[.)]\s+\S",
    re.IGNORECASE | re.MULTILINE,
)
_LOGS = re.compile(
    r"\b(?:debug (?:logs?|mode|output)|debug: ?true|posthog\.debug\(|logs?:|console (?:output|"
    r"shows?|logs?)|network tab|har file|logcat|xcode console|stack ?trace|traceback)\b",
    re.IGNORECASE,
)


def missing_facts(
    text: str,
    sdks: list[SdkMention],
    platforms: list[str],
    links: list[LinkSignal],
    errors: list[ErrorSignal],
) -> list[MissingFact]:
    missing: list[MissingFact] = []
    if not any(s.version for s in sdks):
        missing.append("sdk_version")
    if not platforms:
        missing.append("platform")
    if not any(link.kind not in {"docs", "other", "github_issue", "github_pr"} for link in links):
        missing.append("link")
    if not (_LOGS.search(text) or any(e.frames for e in errors)):
        missing.append("debug_logs")
    if not _REPRO.search(text):
        missing.append("reproduction")
    return missing
