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
from posthog_escalation.tools.issues.github import duplicate_from_timeline

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


async def test_snapshot_records_labels_state_reason_update_time_and_duplicate_target(
    tmp_path: Path,
    make_github: Callable[..., GitHubIssues],
    fake_github: Any,
    make_item: Callable[..., dict[str, Any]],
) -> None:
    repo = "PostHog/posthog-js"
    fake_github.issue_pages[repo] = [
        [
            make_item(repo, 10, "Recorder crashes Safari", "Throws on Safari 18.", labels=("bug",)),
            make_item(
                repo,
                11,
                "Blank Safari replays",
                "Same as the recorder crash.",
                state="closed",
                state_reason="duplicate",
                labels=("feature/replay",),
                updated="2026-11-02T08:00:00Z",
                closed="2026-11-02T08:00:00Z",
            ),
            make_item(
                repo,
                12,
                "Safari replays empty",
                "Another one.",
                state="closed",
                state_reason="duplicate",
            ),
            make_item(
                repo, 13, "Old request", "Won't do.", state="closed", state_reason="not_planned"
            ),
        ]
    ]
    fake_github.timelines[(repo, 11)] = [
        {"event": "labeled", "label": {"name": "feature/replay"}},
        {
            "event": "marked_as_duplicate",
            "canonical": {"html_url": f"https://github.com/{repo}/issues/10"},
        },
    ]
    fake_github.timelines[(repo, 12)] = [
        {"event": "commented", "body": "Thanks! Duplicate of #10"},
        {"event": "closed", "state_reason": "duplicate"},
    ]
    out = tmp_path / "snap.jsonl"
    await build_snapshot(make_github(), [repo], since=None, out=out)
    loaded = {r.number: r for r in load_snapshot(out)}
    assert loaded[11].duplicate_of == f"{repo}#10"
    assert loaded[12].duplicate_of == f"{repo}#10"
    assert loaded[10].duplicate_of is None and loaded[13].duplicate_of is None
    assert loaded[11].labels == ["feature/replay"]
    assert loaded[11].state_reason == "duplicate" and loaded[13].state_reason == "not_planned"
    assert loaded[11].updated_at == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    timeline_calls = [r.url.path for r in fake_github.requests if r.url.path.endswith("/timeline")]
    assert sorted(timeline_calls) == [
        f"/repos/{repo}/issues/11/timeline",
        f"/repos/{repo}/issues/12/timeline",
    ]


async def test_a_timeline_that_cannot_be_read_leaves_the_duplicate_target_unset(
    tmp_path: Path,
    make_github: Callable[..., GitHubIssues],
    fake_github: Any,
    make_item: Callable[..., dict[str, Any]],
) -> None:
    repo = "PostHog/posthog"
    fake_github.issue_pages[repo] = [
        [make_item(repo, 5, "Dup", "x", state="closed", state_reason="duplicate")]
    ]
    out = tmp_path / "snap.jsonl"
    written = await build_snapshot(make_github(), [repo], since=None, out=out)
    assert written[0].duplicate_of is None and written[0].state_reason == "duplicate"


def test_duplicate_from_timeline_reads_events_and_duplicate_comments() -> None:
    repo = "PostHog/posthog"
    assert duplicate_from_timeline([], repo) is None
    assert (
        duplicate_from_timeline(
            [{"event": "commented", "body": "duplicate of PostHog/posthog-js#7"}], repo
        )
        == "PostHog/posthog-js#7"
    )
    assert (
        duplicate_from_timeline(
            [
                {
                    "event": "commented",
                    "body": "Duplicate of https://github.com/PostHog/posthog/issues/3",
                }
            ],
            repo,
        )
        == "PostHog/posthog#3"
    )
    assert duplicate_from_timeline([{"event": "commented", "body": "not a dup"}], repo) is None
