"""Building a snapshot file from the real GitHub API.

A snapshot line keeps what matching needs: title and body (sanitized), labels (the
issue's area), state and GitHub's state reason (``completed``, ``not_planned``,
``duplicate``), the issue it was closed as a duplicate of (read from the timeline of
each issue GitHub closed as a duplicate) and the time of the last update.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ...errors import BackendError
from .github import GitHubIssues
from .local import write_snapshot
from .models import IssueRecord

log = logging.getLogger(__name__)


def closed_as_duplicate(record: IssueRecord) -> bool:
    """True when GitHub closed the issue as a duplicate (state reason or label)."""
    return record.kind == "issue" and (
        record.state_reason == "duplicate"
        or any(label.lower() == "duplicate" for label in record.labels)
    )


async def build_snapshot(
    client: GitHubIssues,
    repos: list[str],
    *,
    since: datetime | None,
    out: Path,
    limit_per_repo: int = 1000,
    progress: Callable[[str, int], None] | None = None,
    duplicates: bool = True,
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
        duplicates: Read the timeline of every issue closed as a duplicate to record
            which issue it duplicates (one request each); a failed read leaves it unset.

    Returns:
        The records written.
    """
    records: list[IssueRecord] = []
    for repo in repos:
        items = await client.list_issues(repo, since=since, limit=limit_per_repo)
        if duplicates:
            items = [await _with_duplicate(client, r) for r in items]
        records.extend(items)
        if progress:
            progress(repo, len(items))
    unique = {(r.repo.lower(), r.number): r for r in records}
    write_snapshot(list(unique.values()), out)
    return list(unique.values())


async def _with_duplicate(client: GitHubIssues, record: IssueRecord) -> IssueRecord:
    if not closed_as_duplicate(record) or record.duplicate_of:
        return record
    try:
        target = await client.duplicate_target(record.repo, record.number)
    except BackendError as exc:
        log.warning("%s: duplicate target not read (%s)", record.key, exc.one_line())
        return record
    if target is None or target.lower() == record.key.lower():
        return record
    return record.model_copy(update={"duplicate_of": target})
