"""The GitHub backend's HTTP behaviour: auth header, rate limits, retries, errors, and
that the token never leaks into errors or logs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest

from posthog_escalation.errors import (
    AuthError,
    QueryError,
    RateLimitedError,
    UnavailableError,
)
from posthog_escalation.tools.issues import GitHubIssues

pytestmark = pytest.mark.anyio

TOKEN = "ghp_test1234567890abcdefghijklmnopqrstu"
NOW = 1_900_000_000.0 - 5  # the clock make_github installs; the fake's reset is NOW + 5


def limited(status: int = 403, **headers: str) -> httpx2.Response:
    return httpx2.Response(
        status,
        json={"message": "API rate limit exceeded for user ID 1.", "documentation_url": "x"},
        headers=headers,
    )


async def test_token_is_sent_as_bearer_header(
    make_github: Callable[..., GitHubIssues], fake_github: Any
) -> None:
    client = make_github()
    await client.search("safari", repos=["PostHog/posthog"])
    request = fake_github.requests[0]
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.url.params["per_page"] == "10"
    assert request.url.path == "/search/issues"


async def test_anonymous_search_sends_no_authorization(
    make_github: Callable[..., GitHubIssues], fake_github: Any
) -> None:
    client = make_github(token=None)
    result = await client.search("safari", repos=["PostHog/posthog"])
    assert "authorization" not in fake_github.requests[0].headers
    assert result.hits


async def test_rate_limit_with_reset_waits_until_reset_then_succeeds(
    make_github: Callable[..., GitHubIssues], fake_github: Any, sleeps: Any
) -> None:
    fake_github.script.append(
        limited(403, **{"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW + 5))})
    )
    result = await make_github().search("safari", repos=["PostHog/posthog"])
    assert result.hits
    assert sleeps.waits == [6.0]  # reset - now + 1 second of margin
    assert len(fake_github.requests) == 2


async def test_429_honours_retry_after(
    make_github: Callable[..., GitHubIssues], fake_github: Any, sleeps: Any
) -> None:
    fake_github.script.append(limited(429, **{"retry-after": "3"}))
    result = await make_github().search("safari", repos=["PostHog/posthog"])
    assert result.hits and sleeps.waits == [3.0]


async def test_secondary_limit_without_headers_waits_a_minute_when_allowed(
    make_github: Callable[..., GitHubIssues], fake_github: Any, sleeps: Any
) -> None:
    fake_github.script.append(
        httpx2.Response(403, json={"message": "You have exceeded a secondary rate limit."})
    )
    result = await make_github(max_wait=60).search("safari", repos=["PostHog/posthog"])
    assert result.hits and sleeps.waits == [60.0]


async def test_persistent_rate_limit_gives_up_with_a_clear_error(
    make_github: Callable[..., GitHubIssues], fake_github: Any, sleeps: Any
) -> None:
    fake_github.script.extend(limited(429, **{"retry-after": "2"}) for _ in range(5))
    with pytest.raises(RateLimitedError) as caught:
        await make_github(max_attempts=3).search("safari", repos=["PostHog/posthog"])
    assert len(fake_github.requests) == 3
    assert sleeps.waits == [2.0, 2.0]
    assert "rate limit" in caught.value.one_line()
    assert TOKEN not in caught.value.one_line()


async def test_reset_beyond_max_wait_fails_at_once_without_sleeping(
    make_github: Callable[..., GitHubIssues], fake_github: Any, sleeps: Any
) -> None:
    fake_github.script.append(
        limited(403, **{"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW + 600))})
    )
    with pytest.raises(RateLimitedError, match="resets in about 601 s"):
        await make_github(max_wait=30).search("safari", repos=["PostHog/posthog"])
    assert sleeps.waits == []
    assert len(fake_github.requests) == 1


async def test_anonymous_rate_limit_error_suggests_a_token(
    make_github: Callable[..., GitHubIssues], fake_github: Any
) -> None:
    fake_github.script.append(
        limited(403, **{"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW + 600))})
    )
    with pytest.raises(RateLimitedError) as caught:
        await make_github(token=None).search("safari", repos=["PostHog/posthog"])
    assert "GITHUB_TOKEN" in caught.value.hint


async def test_spent_budget_waits_for_the_reset_before_the_next_search(
    make_github: Callable[..., GitHubIssues], fake_github: Any, sleeps: Any
) -> None:
    fake_github.remaining = 0
    client = make_github()
    await client.search("safari", repos=["PostHog/posthog"])
    assert sleeps.waits == []
    fake_github.remaining = 29
    await client.search("safari", repos=["PostHog/posthog"])
    assert sleeps.waits == [6.0]
    assert len(fake_github.requests) == 2


async def test_server_errors_are_retried_with_backoff(
    make_github: Callable[..., GitHubIssues], fake_github: Any, sleeps: Any
) -> None:
    fake_github.script.extend([httpx2.Response(502), httpx2.Response(503)])
    result = await make_github().search("safari", repos=["PostHog/posthog"])
    assert result.hits
    assert sleeps.waits == [1.0, 2.0]


async def test_persistent_server_errors_become_unavailable(
    make_github: Callable[..., GitHubIssues], fake_github: Any
) -> None:
    fake_github.script.extend(httpx2.Response(500) for _ in range(4))
    with pytest.raises(UnavailableError, match="GitHub answered 500 after 4 attempts"):
        await make_github().search("safari", repos=["PostHog/posthog"])


async def test_network_failures_are_retried_then_reported(sleeps: Any) -> None:
    calls = []

    def refuse(request: httpx2.Request) -> httpx2.Response:
        calls.append(request)
        raise httpx2.ConnectError("connection refused", request=request)

    client = GitHubIssues(
        None, transport=httpx2.MockTransport(refuse), sleep=sleeps, max_attempts=2
    )
    with pytest.raises(UnavailableError, match="could not reach GitHub"):
        await client.search("x")
    assert len(calls) == 2 and sleeps.waits == [1.0]


async def test_bad_credentials_are_an_auth_error_without_the_token(
    make_github: Callable[..., GitHubIssues], fake_github: Any
) -> None:
    fake_github.script.append(httpx2.Response(401, json={"message": "Bad credentials"}))
    with pytest.raises(AuthError) as caught:
        await make_github().search("safari")
    text = f"{caught.value.one_line()} {caught.value!r}"
    assert "401" in text and TOKEN not in text


async def test_forbidden_without_rate_limit_is_an_auth_error(
    make_github: Callable[..., GitHubIssues], fake_github: Any
) -> None:
    fake_github.script.append(
        httpx2.Response(403, json={"message": "Resource not accessible by integration"})
    )
    with pytest.raises(AuthError, match="Resource not accessible"):
        await make_github().search("safari")


async def test_validation_failure_is_a_query_error(
    make_github: Callable[..., GitHubIssues], fake_github: Any
) -> None:
    fake_github.script.append(
        httpx2.Response(
            422,
            json={
                "message": "Validation Failed",
                "errors": [{"message": "The search is longer than 256 characters."}],
            },
        )
    )
    with pytest.raises(QueryError, match="longer than 256 characters"):
        await make_github().search("safari")


async def test_unexpected_body_is_reported(
    make_github: Callable[..., GitHubIssues], fake_github: Any
) -> None:
    fake_github.script.append(httpx2.Response(200, content=b"<html>maintenance</html>"))
    with pytest.raises(UnavailableError, match="unexpected body"):
        await make_github().search("safari")


async def test_token_never_appears_in_logs(
    make_github: Callable[..., GitHubIssues],
    fake_github: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_github.script.extend([httpx2.Response(502), httpx2.Response(401, json={})])
    with pytest.raises(AuthError):
        await make_github().search("safari")
    assert caplog.records, "the client logs its requests"
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


async def test_list_issues_pages_through_a_repository(
    make_github: Callable[..., GitHubIssues], fake_github: Any, make_item: Callable[..., Any]
) -> None:
    first = [make_item("PostHog/posthog-go", n, f"issue {n}", "body") for n in range(100, 0, -1)]
    second = [make_item("PostHog/posthog-go", 200, "fix: close #5", "Fixes #5", pr=True)]
    fake_github.issue_pages["PostHog/posthog-go"] = [first, second]
    since = datetime(2026, 1, 1, tzinfo=UTC)
    records = await make_github().list_issues("PostHog/posthog-go", since=since)
    assert len(records) == 101
    assert records[-1].kind == "pr" and records[-1].linked_issues == [5]
    params = fake_github.requests[0].url.params
    assert params["since"] == "2026-01-01T00:00:00Z" and params["state"] == "all"
    assert [r.url.params["page"] for r in fake_github.requests] == ["1", "2"]
