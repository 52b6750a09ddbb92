"""The contracts of issue search: a snapshot row, a hit, a search result, the ranked
known-issue candidates, and the :class:`IssueSearch` protocol both backends implement."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from pydantic import Field, model_validator

from ...models import IssueRef, KnownIssueMatch, Model
from .plan import PlannedSearch
from .query import REPO_PATTERN

ISSUE_KEY_PATTERN = r"^[\w.-]+/[\w.-]+#\d+$"
IssueState = Literal["open", "closed"]
IssueKind = Literal["issue", "pr"]


class IssueRecord(Model):
    """One GitHub issue or pull request, as stored in a snapshot line.

    Attributes:
        repo: ``owner/name``.
        number: The issue or PR number.
        title: Title (sanitized when it came from GitHub).
        body: Body (sanitized and bounded when it came from GitHub).
        state: ``open`` or ``closed``.
        kind: ``issue`` or ``pr``.
        labels: Label names.
        created_at: When it was opened.
        updated_at: Last activity, when known.
        closed_at: When it was closed, if it was.
        state_reason: GitHub's reason for the state (``completed``, ``not_planned``,
            ``duplicate``), when known.
        url: The web address; derived from repo, kind and number when empty.
        linked_issues: Issue numbers (same repository) this item references, e.g. the
            issues a PR fixes.
        duplicate_of: ``owner/name#number`` of the issue this one was closed as a
            duplicate of, when GitHub says so (a ``marked_as_duplicate`` timeline event).
    """

    repo: str = Field(pattern=REPO_PATTERN)
    number: int = Field(gt=0)
    title: str
    body: str = ""
    state: IssueState = "open"
    kind: IssueKind = "issue"
    labels: list[str] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    closed_at: datetime | None = None
    state_reason: str | None = None
    url: str = ""
    linked_issues: list[int] = Field(default_factory=list)
    duplicate_of: str | None = Field(default=None, pattern=ISSUE_KEY_PATTERN)

    @model_validator(mode="after")
    def _default_url(self) -> IssueRecord:
        if not self.url:
            segment = "pull" if self.kind == "pr" else "issues"
            self.url = f"https://github.com/{self.repo}/{segment}/{self.number}"
        return self

    @property
    def key(self) -> str:
        """``owner/name#number``."""
        return f"{self.repo}#{self.number}"

    @property
    def last_activity(self) -> datetime | None:
        """The latest of updated, closed and created times."""
        times = [t for t in (self.updated_at, self.closed_at, self.created_at) if t]
        return max(times) if times else None


class IssueHit(IssueRecord):
    """An issue or PR returned by a search, with the backend's own relevance score."""

    score: float | None = None

    def to_issue_ref(self, **extra: object) -> IssueRef:
        """The escalation's reference shape."""
        return IssueRef(
            repo=self.repo,
            number=self.number,
            title=self.title,
            url=self.url,
            state=self.state,
            kind=self.kind,
            **extra,  # type: ignore[arg-type]
        )


class IssueSearchResult(Model):
    """What one search returned.

    Attributes:
        queries: The exact search string(s) sent (GitHub syntax, qualifiers included);
            the local backend reports the string it would send to GitHub.
        hits: Matches, best first, at most the requested limit.
        total_count: How many matched in all (may exceed ``len(hits)``).
        incomplete: True when the backend says the result may be partial.
        backend: ``github`` or ``local``.
    """

    queries: list[str]
    hits: list[IssueHit] = Field(default_factory=list)
    total_count: int = 0
    incomplete: bool = False
    backend: str


@runtime_checkable
class IssueSearch(Protocol):
    """Search issues and find the PRs related to one; implemented by
    :class:`~.github.GitHubIssues` and :class:`~.local.LocalIssues`."""

    async def search(
        self,
        query: str,
        *,
        repos: list[str] | None = None,
        state: str | None = None,
        labels: list[str] | None = None,
        limit: int = 10,
    ) -> IssueSearchResult:
        """Issues (not PRs) matching ``query`` in ``repos``, best first."""
        ...

    async def related_prs(self, repo: str, number: int) -> list[IssueHit]:
        """Pull requests in ``repo`` that reference issue ``number``."""
        ...

    async def aclose(self) -> None:
        """Release network clients or indexes."""
        ...


# ---------------------------------------------------------------------------------------
# Ranked known-issue candidates
# ---------------------------------------------------------------------------------------


class KnownIssueCandidate(Model):
    """A possible duplicate of the ticket, with why it was ranked where it is.

    Attributes:
        confidence: 0..1, the fused score: a measured weighting of lexical and dense
            similarity and the shared error, title words, version, SDK, platform and area
            label (see :mod:`.dedupe`).
        listed: True when the confidence passes the calibrated listing threshold: the
            escalation lists it as a matching issue.
        reasons: One short sentence per reason, strongest first.
        matched_terms: The ticket's terms found in the candidate (errors, versions, words).
        found_by: The searches (indexes into ``search_terms``) that returned it; -1 for the
            snapshot's similar-text retrieval.
        duplicates: Issues closed as duplicates of this one that the search found (it is
            listed in their place).
        related_prs: Pull requests that reference it.
    """

    repo: str = Field(pattern=REPO_PATTERN)
    number: int = Field(gt=0)
    title: str
    url: str
    state: IssueState
    kind: IssueKind = "issue"
    labels: list[str] = Field(default_factory=list)
    confidence: float = Field(ge=0, le=1)
    listed: bool = False
    reasons: list[str] = Field(default_factory=list)
    matched_terms: list[str] = Field(default_factory=list)
    found_by: list[int] = Field(default_factory=list)
    duplicates: list[str] = Field(default_factory=list)
    related_prs: list[IssueHit] = Field(default_factory=list)

    @property
    def key(self) -> str:
        """``owner/name#number``."""
        return f"{self.repo}#{self.number}"

    def to_issue_ref(self, evidence: str | None = None) -> IssueRef:
        """The escalation's reference shape, keeping confidence and reasons."""
        return IssueRef(
            repo=self.repo,
            number=self.number,
            title=self.title,
            url=self.url,
            state=self.state,
            kind=self.kind,
            confidence=round(self.confidence, 2),
            reasons=self.reasons,
            evidence=evidence,
        )


class KnownIssueCandidates(Model):
    """The outcome of the known-issue search for one ticket.

    Attributes:
        search_terms: The exact search strings sent, in order (for the template).
        searches: The planned searches with the reason each was run, in the same order.
        repos: The repositories searched.
        route: The playbook route the repositories came from.
        candidates: Ranked candidates, best first.
        related_prs: PRs referencing the top candidates, de-duplicated.
        errors: Searches that failed (one line each); the rest still count.
        backend: ``github`` or ``local``.
        listing_threshold: The confidence at which a candidate is listed as matching.
        excluded: The ticket's own issues, never counted as its duplicates.
        dense: True when dense similarity took part in the ranking.
    """

    search_terms: list[str] = Field(default_factory=list)
    searches: list[PlannedSearch] = Field(default_factory=list)
    repos: list[str] = Field(default_factory=list)
    route: str | None = None
    candidates: list[KnownIssueCandidate] = Field(default_factory=list)
    related_prs: list[IssueHit] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    backend: str = ""
    listing_threshold: float = 0.0
    excluded: list[str] = Field(default_factory=list)
    dense: bool = False

    @property
    def listed(self) -> list[KnownIssueCandidate]:
        """The candidates listed as matching issues (issues, not PRs), best first."""
        return [c for c in self.candidates if c.listed and c.kind == "issue"]

    def to_known_issue_match(
        self, *, min_confidence: float | None = None, evidence: str | None = None
    ) -> KnownIssueMatch:
        """The escalation's ``known_issues`` section.

        Args:
            min_confidence: Candidates below this are left out of ``matching_issues``;
                when None, the listed candidates (calibrated threshold) are kept.
            evidence: The evidence id the search is recorded under, if any.
        """
        if min_confidence is None:
            kept = self.listed
        else:
            kept = [c for c in self.candidates if c.confidence >= min_confidence]
        kept_keys = {c.key for c in kept}
        prs = [
            pr.to_issue_ref(evidence=evidence)
            for pr in self.related_prs
            if any(f"{pr.repo}#{n}" in kept_keys for n in pr.linked_issues) or not kept_keys
        ]
        return KnownIssueMatch(
            search_terms=list(self.search_terms),
            matching_issues=[c.to_issue_ref(evidence) for c in kept],
            related_prs=prs,
        )


_REFERENCE = r"(?:(?P<repo>[\w.-]+/[\w.-]+)?#|/(?P<urlrepo>[\w.-]+/[\w.-]+)/issues/)(?P<n>\d+)\b"
REFERENCE_PATTERN = re.compile(_REFERENCE)


def referenced_issues(text: str, repo: str) -> list[int]:
    """Issue numbers of ``repo`` referenced in ``text`` (``#12``, ``o/r#12``, an issue URL)."""
    found: list[int] = []
    for match in REFERENCE_PATTERN.finditer(text):
        other = match.group("repo") or match.group("urlrepo")
        if other and other.lower() != repo.lower():
            continue
        found.append(int(match.group("n")))
    return list(dict.fromkeys(found))


_ISSUE_URL = re.compile(r"github\.com/(?P<repo>[\w.-]+/[\w.-]+)/(?:issues|pull)/(?P<n>\d+)")
_ISSUE_KEY = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)#(?P<n>\d+)$")


def own_issue_keys(ticket_id: str, links: list[str] | tuple[str, ...] = ()) -> set[str]:
    """The ticket's own GitHub issues, as lower-cased ``owner/name#number`` keys: its id
    when it is one (``PostHog/posthog#123``) and the GitHub issue URLs among its links.
    A ticket is never its own duplicate."""
    keys: set[str] = set()
    match = _ISSUE_KEY.match(ticket_id.strip())
    if match:
        keys.add(f"{match['repo']}#{match['n']}".lower())
    for link in links:
        found = _ISSUE_URL.search(link)
        if found:
            keys.add(f"{found['repo']}#{found['n']}".lower())
    return keys
