"""Building a snapshot file from the real GitHub API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from .github import GitHubIssues
from .local import write_snapshot
from .models import IssueRecord


async def build_snapshot(
    client: GitHubIssues,
    repos: list[str],
    *,
    since: datetime | None,
    out: Path,
    limit_per_repo: int = 1000,
    progress: Callable[[str, int], None] | None = None,
) -> list[IssueRecord]:
    """Fetch the issues and PRs of ``repos`` updated since ``since`` and write them to
    ``out`` as a snapshot (sanitized text, one record per line).

    Args:
        client: The GitHub client (its token, if any, raises the rate limit).
        repos: ``owner/name`` repositories.
        since: Only items updated at or after this time; everything when None.
        out: The JSONL file to write.
        limit_per_repo: At most this many items per repository.
        progress: Called with (repo, count) after each repository.

    Returns:
        The records written.
    """
    records: list[IssueRecord] = []
    for repo in repos:
        items = await client.list_issues(repo, since=since, limit=limit_per_repo)
        records.extend(items)
        if progress:
            progress(repo, len(items))
    unique = {(r.repo.lower(), r.number): r for r in records}
    write_snapshot(list(unique.values()), out)
    return list(unique.values())
