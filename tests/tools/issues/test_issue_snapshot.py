"""Building a snapshot from the (mocked) GitHub API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from posthog_escalation.tools.issues import (
    GitHubIssues,
    LocalIssues,
    build_snapshot,
    load_snapshot,
)

pytestmark = pytest.mark.anyio


async def test_snapshot_writes_sanitized_records_that_the_local_backend_searches(
    tmp_path: Path,
    make_github: Callable[..., GitHubIssues],
    fake_github: Any,
    make_item: Callable[..., dict[str, Any]],
) -> None:
    fake_github.issue_pages["PostHog/posthog-ruby"] = [
        [
            make_item(
                "PostHog/posthog-ruby",
                66,
                "Events lost from rake tasks",
                "Sender thread never runs.<!-- hidden -->\u200b",
            ),
            make_item("PostHog/posthog-ruby", 67, "fix: flush at exit", "Fixes #66", pr=True),
        ]
    ]
    fake_github.issue_pages["PostHog/posthog-php"] = [
        [make_item("PostHog/posthog-php", 78, "Guzzle timeout", "Hard-coded.")]
    ]
    seen: list[tuple[str, int]] = []
    out = tmp_path / "snap.jsonl"
    written = await build_snapshot(
        make_github(),
        ["PostHog/posthog-ruby", "PostHog/posthog-php"],
        since=datetime(2026, 1, 1, tzinfo=UTC),
        out=out,
        progress=lambda repo, n: seen.append((repo, n)),
    )
    assert seen == [("PostHog/posthog-ruby", 2), ("PostHog/posthog-php", 1)]
    loaded = load_snapshot(out)
    assert (
        {r.key for r in loaded}
        == {r.key for r in written}
        == {
            "PostHog/posthog-ruby#66",
            "PostHog/posthog-ruby#67",
            "PostHog/posthog-php#78",
        }
    )
    issue = next(r for r in loaded if r.number == 66)
    assert issue.body == "Sender thread never runs."
    backend = LocalIssues(out)
    assert [p.key for p in await backend.related_prs("PostHog/posthog-ruby", 66)] == [
        "PostHog/posthog-ruby#67"
    ]
