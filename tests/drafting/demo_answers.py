"""Answers a model could give for the bundled demo ticket, as the JSON the drafter parses.

Evidence ids are looked up from the pack's roles (``E1`` is the impact row, ...), so the
answers cite what the evidence stage actually produced.
"""

from __future__ import annotations

import copy
from typing import Any

from posthog_escalation.evidence import EvidencePack


def demo_answer(pack: EvidencePack, *, extra: list[str] | None = None) -> dict[str, Any]:
    """A complete answer for the demo ticket that passes the quality gate.

    Args:
        pack: The demo's evidence pack.
        extra: Ids of evidence the session's tool calls added, cited for breadth.
    """
    r = pack.roles
    extra = extra or []
    return {
        "summary": "Session replay blank on Safari since posthog-js 1.201.0 "
        "(2026-11-14): adoptedStyleSheets TypeError",
        "route": "session_replay",
        "severity": "High",
        "severity_rationale": "Enterprise customer with a renewal on 2026-12-15 is at risk",
        "recommendation": "escalate",
        "recommendation_reason": "",
        "impact": {
            "who": "Northwind Health (enterprise, 420 seats) and 8 other organizations; "
            "89 persons in all",
            "cannot_do": "Review Safari users' sessions in replay for the patient-intake funnel",
            "workaround": "",
            "evidence": [r["impact"], r["ticket"]],
        },
        "dimensions": {
            "breadth": {
                "statement": "9 organizations and 89 persons hit the error (3014 events) in "
                "the window; Safari and Mobile Safari only",
                "evidence": [r["impact"], r["environments"], *extra],
            },
            "depth": {
                "statement": "Degraded: 239 of 2239 Northwind Health sessions (11%) are blank; "
                "Chrome and Firefox record normally; no workaround",
                "evidence": [r["org_sessions"], r["environments"]],
            },
            "duration": {
                "statement": "First seen 2026-11-14 09:43 UTC, the day of the upgrade to "
                "posthog-js 1.201.0; still growing (ratio 1.49)",
                "evidence": [r["trend"], r["versions"]],
            },
            "revenue_signal": {
                "statement": "Enterprise plan, 420 seats, renewal on 2026-12-15; the customer "
                "says they are evaluating alternatives",
                "evidence": [r["ticket"]],
            },
            "data_risk": {
                "statement": "No data lost or exposed: recordings are blank, events still arrive",
                "evidence": [],
            },
        },
        "reproduction": {
            "sdks": [{"name": "posthog-js", "version": "1.201.0"}],
            "platform": "web (Safari 18 desktop and iOS)",
            "region": "US",
            "steps": [
                "Install posthog-js 1.201.0 with session replay enabled",
                "Open the site in Safari 18 and browse a few pages",
                "Open the recording of that session in PostHog",
            ],
            "expected": "The recording shows the pages the user visited",
            "actual": "The recording is blank; the console shows TypeError on "
            "n.adoptedStyleSheets.length",
            "reproducibility": "specific conditions",
            "conditions": "Safari and Mobile Safari on posthog-js 1.201.0 only",
            "missing": ["Debug logs (SDK debug mode) from an affected Safari session"],
        },
        "known_issues": {
            "matching_issues": [
                {
                    "repo": "PostHog/posthog-js",
                    "number": 2871,
                    "title": "Session replay blank on Safari after upgrading to 1.201.0",
                    "state": "open",
                    "evidence": r["known_issues"],
                }
            ],
            "related_prs": [],
        },
        "asks": [
            {
                "kind": "confirm regression",
                "detail": "Confirm this is PostHog/posthog-js#2871 and that 1.201.0 introduced "
                "the Safari adoptedStyleSheets TypeError",
            },
            {
                "kind": "prioritize fix",
                "detail": "Ship a fix before the customer's renewal on 2026-12-15",
            },
        ],
        "communication": {
            "knows": "Support reproduced blank Safari recordings on 1.201.0 and escalated; we "
            "asked for debug logs",
            "expects": "An update daily, next by 2026-11-21 12:00 UTC",
            "churn_risk": "high",
            "churn_reason": "says they are evaluating alternatives before the renewal",
        },
        "routing_context": [
            "Platform: web, Safari 18 desktop and iOS",
            "SDK: posthog-js 1.201.0 (1.200.3 was fine)",
            "Project: https://us.posthog.com/project/48213",
        ],
        "close_criteria": ["A fixed posthog-js release records Safari sessions again"],
    }


def vague_answer(pack: EvidencePack) -> dict[str, Any]:
    """The demo answer with an unquantified breadth and a vague ask: the gate rejects it."""
    answer = copy.deepcopy(demo_answer(pack))
    answer["dimensions"]["breadth"] = {"statement": "Lots of Safari users", "evidence": []}
    answer["asks"] = [{"kind": "investigate root cause", "detail": "Please take a look"}]
    return answer
