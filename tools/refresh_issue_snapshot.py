"""Maintainer script: refresh an issue snapshot from the real GitHub API.

Fetches the issues and PRs updated since a date in every repository the playbook routes
to (or the ones named), with labels, state and state reason, the issue each duplicate
was closed in favour of (from its timeline) and the last update time, and writes a JSONL
snapshot the local backend reads (point POSTHOG_ESCALATION_ISSUES_SNAPSHOT at it).

Run: GITHUB_TOKEN=... .venv/bin/python tools/refresh_issue_snapshot.py --since 2026-01-01 \
         --out .data/issues/snapshot.jsonl [owner/name ...]

The shipped snapshot (src/posthog_escalation/data/issues/snapshot.jsonl) is written by the
team and is not overwritten by this script unless --out names it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import anyio

from posthog_escalation.config import Settings
from posthog_escalation.errors import EscalationError
from posthog_escalation.playbook import default_playbook
from posthog_escalation.tools.issues import GitHubIssues, build_snapshot


def default_repositories() -> list[str]:
    """Every repository the playbook routes to or names as an SDK's home."""
    playbook = default_playbook()
    repos = [route.repo for route in playbook.routes.values()]
    repos += list(playbook.sdk_repos.values())
    for extra in playbook.also_filed_in.values():
        repos += extra
    return sorted(dict.fromkeys(repos))


async def refresh(repos: list[str], since: datetime, out: Path, limit: int) -> int:
    client = GitHubIssues(Settings().github_token)
    try:
        records = await build_snapshot(
            client,
            repos,
            since=since,
            out=out,
            limit_per_repo=limit,
            progress=lambda repo, n: print(f"{repo}: {n} issues and PRs", file=sys.stderr),
        )
    finally:
        await client.aclose()
    return len(records)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="*", help="owner/name (default: the playbook's)")
    parser.add_argument("--since", required=True, help="YYYY-MM-DD")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=1000, help="items per repository")
    args = parser.parse_args()
    try:
        since = datetime.fromisoformat(args.since).replace(tzinfo=UTC)
    except ValueError:
        print(f"error: --since '{args.since}' is not a date (use YYYY-MM-DD)", file=sys.stderr)
        return 2
    repos = args.repos or default_repositories()
    try:
        count = anyio.run(refresh, repos, since, args.out, args.limit)
    except EscalationError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return 2
    print(f"wrote {count} records from {len(repos)} repositories to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
