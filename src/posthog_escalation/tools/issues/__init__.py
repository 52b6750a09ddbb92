"""Known-issue search: GitHub issue search, a local snapshot, and duplicate ranking.

- :class:`IssueSearch` is the protocol; :class:`GitHubIssues` (REST search) and
  :class:`LocalIssues` (a JSONL snapshot indexed with bm25s) implement it.
- :func:`open_issue_search` picks one from the settings.
- :func:`plan_searches` plans the searches from the ticket's error, SDK version,
  component and symptom, each with its reason.
- :func:`find_known_issues` turns a ticket's signals into ranked duplicate candidates
  with reasons, marks those past the calibrated :data:`LISTING_THRESHOLD` as listed,
  and reports the exact search strings used and related PRs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ... import lazy

if TYPE_CHECKING:
    from .backend import open_issue_search
    from .dedupe import (
        LISTING_THRESHOLD,
        area_of_labels,
        candidate_repositories,
        find_known_issues,
        guess_route,
        rank_candidates,
    )
    from .github import GitHubIssues
    from .local import DEFAULT_SNAPSHOT, LocalIssues, load_snapshot, write_snapshot
    from .models import (
        IssueHit,
        IssueRecord,
        IssueSearch,
        IssueSearchResult,
        KnownIssueCandidate,
        KnownIssueCandidates,
        own_issue_keys,
    )
    from .plan import PlannedSearch, plan_searches, problem_text
    from .query import build_query, parse_query
    from .sanitize import sanitize_text, sanitize_title
    from .snapshot import build_snapshot

__getattr__, __dir__ = lazy.exports(__name__, __file__)

__all__ = [
    "DEFAULT_SNAPSHOT",
    "LISTING_THRESHOLD",
    "GitHubIssues",
    "IssueHit",
    "IssueRecord",
    "IssueSearch",
    "IssueSearchResult",
    "KnownIssueCandidate",
    "KnownIssueCandidates",
    "LocalIssues",
    "PlannedSearch",
    "area_of_labels",
    "build_query",
    "build_snapshot",
    "candidate_repositories",
    "find_known_issues",
    "guess_route",
    "load_snapshot",
    "open_issue_search",
    "own_issue_keys",
    "parse_query",
    "plan_searches",
    "problem_text",
    "rank_candidates",
    "sanitize_text",
    "sanitize_title",
    "write_snapshot",
]
