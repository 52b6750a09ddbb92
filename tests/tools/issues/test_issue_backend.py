"""Choosing the backend from settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from posthog_escalation.config import Settings
from posthog_escalation.tools.issues import GitHubIssues, LocalIssues, open_issue_search

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "GITHUB_TOKEN",
        "POSTHOG_ESCALATION_BACKEND",
        "POSTHOG_ESCALATION_ISSUES_SNAPSHOT",
    ):
        monkeypatch.delenv(name, raising=False)


async def test_a_token_selects_github() -> None:
    backend = open_issue_search(Settings(github_token="ghp_x" * 5))
    assert isinstance(backend, GitHubIssues) and backend.authenticated
    await backend.aclose()


async def test_no_token_selects_the_shipped_snapshot() -> None:
    backend = open_issue_search(Settings())
    assert isinstance(backend, LocalIssues)
    assert backend.get("PostHog/posthog-js", 2871) is not None


async def test_forced_local_backend_ignores_the_token() -> None:
    backend = open_issue_search(Settings(github_token="ghp_x" * 5, backend="local"))
    assert isinstance(backend, LocalIssues)


async def test_configured_snapshot_path_is_used(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    path.write_text('{"repo": "Acme/app", "number": 7, "title": "Only issue"}\n')
    backend = open_issue_search(Settings(issues_snapshot=path))
    assert isinstance(backend, LocalIssues)
    assert [r.key for r in backend.records] == ["Acme/app#7"]
