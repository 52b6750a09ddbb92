"""Regressions: the last version that worked and the first that broke."""

from __future__ import annotations

import re

from .catalogue import VERSION_CORE
from .model import SdkMention, VersionChange


def _v(name: str) -> str:
    return rf"(?P<{name}>{VERSION_CORE})"


def _v_first(name: str) -> str:
    """A version that opens a pattern: it starts where a number starts, never inside one
    (a long run of digits would otherwise be retried from every position)."""
    return r"(?<![\w.])" + _v(name)


_REGRESSION_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"\bworks?(?:ed)?\s+(?:fine\s+|perfectly\s+|correctly\s+)?(?:on|with|in)\s+"
            r"(?:version\s+)?(?:\S+\s+)?"
            + _v("good")
            + r"[^.\n]{0,60}?\b(?:broken|breaks|broke|fails?|failing|not working|doesn'?t work)"
            r"\s+(?:on|with|in|since|after)\s+(?:version\s+)?(?:\S+\s+)?" + _v("bad"),
            re.IGNORECASE,
        ),
        "both",
    ),
    (
        re.compile(
            r"\bupgrad\w*\s+(?:\S+\s+){0,3}?from\s+(?:version\s+|v)?"
            + _v("good")
            + r"\s+to\s+(?:version\s+)?"
            + _v("bad"),
            re.IGNORECASE,
        ),
        "both",
    ),
    (
        re.compile(
            r"\bupgrad\w*\s+(?:\S+\s+){0,3}?from\s+(?:version\s+|v)?"
            + _v("good")
            + r"(?!\s+to\s)(?![\w.])",
            re.IGNORECASE,
        ),
        "good",
    ),
    (
        re.compile(
            r"\b(?:bump\w*|updat\w*|mov\w*)\s+(?:\S+\s+){0,3}?from\s+(?:version\s+)?"
            + _v("good")
            + r"\s+to\s+(?:version\s+)?"
            + _v("bad"),
            re.IGNORECASE,
        ),
        "both",
    ),
    (
        re.compile(
            _v_first("good") + r"\s*(?:->|→|=>)\s*" + _v("bad"),
            re.IGNORECASE,
        ),
        "both",
    ),
    (
        re.compile(
            r"\b(?:since|after)\s+(?:we\s+|I\s+)?(?:upgrad|updat|bump|mov|switch)\w*\s+"
            r"(?:\S+\s+){0,3}?to\s+(?:version\s+|v(?=\d))?" + _v("bad"),
            re.IGNORECASE,
        ),
        "bad",
    ),
    (
        re.compile(
            r"\b(?:since|starting (?:with|from)|introduced in|regressed in|broke in|"
            r"broken (?:since|in)|regression in)\s+(?:version\s+|v(?=\d))?" + _v("bad"),
            re.IGNORECASE,
        ),
        "bad",
    ),
    (
        re.compile(
            r"\b(?:downgrad\w*|roll\w*\s+back|revert\w*|pinn?\w*)\s+(?:\S+\s+){0,3}?"
            r"(?:to|at)\s+(?:version\s+|v(?=\d))?"
            + _v("good")
            + r"[^.\n]{0,40}\b(?:fix|fixes|fixed|works?|worked|solves?|solved|resolves?)",
            re.IGNORECASE,
        ),
        "good",
    ),
    (
        re.compile(
            r"\blast (?:working|good|known good) version\s+(?:is|was|:)?\s*(?:v(?=\d))?"
            + _v("good"),
            re.IGNORECASE,
        ),
        "good",
    ),
    (
        re.compile(
            _v_first("good") + r"\s+(?:works|worked|is fine|was fine)[^.\n]{0,30}?"
            r"\b(?:but|while|whereas)\s+(?:version\s+)?" + _v("bad"),
            re.IGNORECASE,
        ),
        "both",
    ),
]


def _sentence_around(text: str, start: int, end: int) -> str:
    left = max(text.rfind(".", 0, start), text.rfind("\n", 0, start)) + 1
    right_candidates = [i for i in (text.find(". ", end), text.find("\n", end)) if i != -1]
    right = min(right_candidates) if right_candidates else len(text)
    return " ".join(text[left : right + 1].split())[:300]


def _package_near(text: str, start: int, end: int, sdks: list[SdkMention]) -> str | None:
    window = text[max(0, start - 120) : end + 40].lower()
    best: tuple[int, str] | None = None
    for sdk in sdks:
        pos = window.rfind(sdk.written_as.lower())
        if pos != -1 and (best is None or pos > best[0]):
            best = (pos, sdk.package)
    if best:
        return best[1]
    main = [s for s in sdks if not s.plugin]
    return main[0].package if len(main) == 1 else None


def extract_version_changes(text: str, sdks: list[SdkMention]) -> list[VersionChange]:
    changes: list[VersionChange] = []
    spans: list[tuple[int, int]] = []
    for pattern, _kind in _REGRESSION_PATTERNS:
        for match in pattern.finditer(text):
            if any(s <= match.start() < e for s, e in spans):
                continue
            groups = match.groupdict()
            good, bad = groups.get("good"), groups.get("bad")
            if good and bad and good == bad:
                continue
            spans.append((match.start(), match.end()))
            changes.append(
                VersionChange(
                    package=_package_near(text, match.start(), match.end(), sdks),
                    last_good=good,
                    first_bad=bad,
                    quote=_sentence_around(text, match.start(), match.end()),
                )
            )
    return merge_changes(changes)


def merge_changes(changes: list[VersionChange]) -> list[VersionChange]:
    merged: list[VersionChange] = []
    for change in changes:
        twin = next(
            (
                m
                for m in merged
                if m.package == change.package
                and (
                    (m.last_good is None or change.last_good is None)
                    or m.last_good == change.last_good
                )
                and (
                    (m.first_bad is None or change.first_bad is None)
                    or m.first_bad == change.first_bad
                )
            ),
            None,
        )
        if twin is None:
            merged.append(change)
            continue
        index = merged.index(twin)
        merged[index] = twin.model_copy(
            update={
                "last_good": twin.last_good or change.last_good,
                "first_bad": twin.first_bad or change.first_bad,
            }
        )
    return merged
