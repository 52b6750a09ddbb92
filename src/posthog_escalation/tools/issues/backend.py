"""Choosing the issue-search backend from the settings."""

from __future__ import annotations

from ...config import Settings
from .github import GitHubIssues
from .local import DEFAULT_SNAPSHOT, LocalIssues
from .models import IssueSearch


def open_issue_search(settings: Settings) -> IssueSearch:
    """GitHub when a token is configured (and the backend is not forced local), else the
    local snapshot (``settings.issues_snapshot`` or the shipped one)."""
    if settings.uses_remote_github:
        return GitHubIssues(settings.github_token)
    return LocalIssues(settings.issues_snapshot or DEFAULT_SNAPSHOT)
