"""The PostHog query API client against recorded-shape responses (httpx2.MockTransport)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import httpx2
import pytest
from pydantic import SecretStr

from posthog_escalation.errors import (
    AuthError,
    ConfigError,
    NotFoundError,
    QueryError,
    RateLimitedError,
    UnavailableError,
)
from posthog_escalation.tools.hogql import HogQLBackend, HogQLError, RemotePostHog
from posthog_escalation.tools.hogql.remote import with_limit

pytestmark = pytest.mark.anyio

KEY = "phx_SecretKeyValue0123456789abcdefABCDEF"
OK_BODY = {
    "cache_key": "cache_4f0c",
    "clickhouse": "SELECT events.event AS event, count() FROM events "
    "WHERE equals(events.team_id, 2) "
    "GROUP BY events.event LIMIT 101",
    "columns": ["event", "count()"],
    "error": None,
    "hasMore": False,
    "hogql": "SELECT event, count() FROM events GROUP BY event LIMIT 101",
    "is_cached": False,
    "last_refresh": "2026-11-20T12:00:01.120000Z",
    "limit": 100,
    "modifiers": {"personsOnEventsMode": "person_id_override_properties_on_events"},
    "offset": 0,
    "query": "SELECT event, count() FROM events GROUP BY event",
    "query_status": None,
    "results": [["$pageview", 1523], ["$autocapture", 877]],
    "timings": [{"k": "./printer", "t": 0.0021}, {"k": ".", "t": 0.081}],
    "types": [["event", "String"], ["count()", "UInt64"]],
}
HOGQL_400 = {
    "type": "validation_error",
    "code": "query_error",
    "detail": "Unable to resolve field: evnt",
    "attr": None,
    "start": 7,
    "end": 11,
}
THROTTLED = {
    "type": "throttled_error",
    "code": "throttled",
    "detail": "Request was throttled. Expected available in 2 seconds.",
    "attr": None,
}


class Sleeps:
    """Records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def backend(
    handler: Callable[[httpx2.Request], httpx2.Response],
    sleeps: Sleeps | None = None,
    **kwargs,
) -> RemotePostHog:
    return RemotePostHog(
        "https://eu.posthog.com",
        "123",
        SecretStr(KEY),
        transport=httpx2.MockTransport(handler),
        sleep=sleeps or Sleeps(),
        **kwargs,
    )


def sequence(*responses: httpx2.Response) -> tuple[Callable, list[httpx2.Request]]:
    seen: list[httpx2.Request] = []
    queue = list(responses)

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler, seen


async def test_query_posts_a_hogql_query_with_the_bearer_key() -> None:
    handler, seen = sequence(httpx2.Response(200, json=OK_BODY))
    remote = backend(handler)
    response = await remote.query("SELECT event, count() FROM events GROUP BY event")
    request = seen[0]
    assert request.method == "POST"
    assert str(request.url) == "https://eu.posthog.com/api/projects/123/query/"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = json.loads(request.content)
    assert body["query"] == {
        "kind": "HogQLQuery",
        "query": "SELECT event, count() FROM events GROUP BY event",
    }
    assert response.results == [["$pageview", 1523], ["$autocapture", 877]]
    assert response.types == [["event", "String"], ["count()", "UInt64"]]
    assert (response.limit, response.offset, response.hasMore) == (100, 0, False)
    await remote.aclose()


def test_remote_backend_satisfies_the_protocol_and_describes_its_region() -> None:
    handler, _ = sequence(httpx2.Response(200, json=OK_BODY))
    remote = backend(handler)
    assert isinstance(remote, HogQLBackend)
    assert remote.description == "PostHog EU project 123"
    assert remote.now is None
    us = RemotePostHog("https://us.posthog.com/", 7, SecretStr(KEY))
    assert us.description == "PostHog US project 7"
    own = RemotePostHog("posthog.example.org", "9", SecretStr(KEY))
    assert own.url == "https://posthog.example.org/api/projects/9/query/"
    assert own.description == "self-hosted PostHog at https://posthog.example.org project 9"


def test_capture_hosts_are_refused_with_the_right_host_named() -> None:
    with pytest.raises(ConfigError, match="capture host") as caught:
        RemotePostHog("https://us.i.posthog.com", "1", SecretStr(KEY))
    assert "https://us.posthog.com" in caught.value.hint


async def test_limit_is_appended_only_when_the_query_has_none() -> None:
    handler, seen = sequence(httpx2.Response(200, json=OK_BODY))
    remote = backend(handler)
    await remote.query("SELECT event FROM events", limit=10, offset=20)
    await remote.query("SELECT event FROM events LIMIT 3", limit=10)
    await remote.query("SELECT event FROM events;")
    sent = [json.loads(r.content)["query"]["query"] for r in seen]
    assert sent == [
        "SELECT event FROM events\nLIMIT 10 OFFSET 20",
        "SELECT event FROM events LIMIT 3",
        "SELECT event FROM events;",
    ]


async def test_max_rows_caps_the_answer_even_against_the_querys_own_limit() -> None:
    body = {**OK_BODY, "results": [["e", n] for n in range(5)], "hasMore": False}
    handler, seen = sequence(httpx2.Response(200, json=body))
    remote = backend(handler)
    capped = await remote.query("SELECT event, n FROM events LIMIT 5", max_rows=2)
    unlimited = await remote.query("SELECT event FROM events", max_rows=3)
    assert capped.results == [["e", 0], ["e", 1]]
    assert capped.hasMore and capped.limit == 2
    sent = [json.loads(r.content)["query"]["query"] for r in seen]
    assert sent == ["SELECT event, n FROM events LIMIT 5", "SELECT event FROM events\nLIMIT 3"]
    assert len(unlimited.results) == 3


def test_with_limit_leaves_queries_it_cannot_parse_alone() -> None:
    odd = "SELECT event FROM events LIMIT 1 BY event LIMIT 5"
    assert with_limit(odd, 10, 0) == odd


async def test_hogql_errors_keep_posthogs_message_and_positions() -> None:
    handler, _ = sequence(httpx2.Response(400, json=HOGQL_400))
    with pytest.raises(HogQLError) as caught:
        await backend(handler).query("SELECT evnt FROM events")
    error = caught.value
    assert isinstance(error, QueryError)
    assert "Unable to resolve field: evnt" in error.message
    assert "(at 7-11)" in error.message
    assert (error.code, error.start, error.end) == ("query_error", 7, 11)


@pytest.mark.parametrize(
    ("status", "body", "error", "words"),
    [
        (
            401,
            {
                "type": "authentication_error",
                "code": "authentication_failed",
                "detail": "Personal API key found in request Authorization header is invalid.",
            },
            AuthError,
            ["401", "query:read"],
        ),
        (
            403,
            {
                "type": "authentication_error",
                "code": "permission_denied",
                "detail": "API key missing required scope 'query:read'",
            },
            AuthError,
            ["403", "query:read", "project 123"],
        ),
        (
            404,
            {"type": "invalid_request", "code": "not_found", "detail": "Not found."},
            NotFoundError,
            ["project 123", "POSTHOG_PROJECT_ID"],
        ),
        (418, {"detail": "I'm a teapot"}, Exception, ["418"]),
    ],
)
async def test_status_codes_become_typed_errors_with_a_fix_hint(
    status: int, body: dict, error: type[Exception], words: list[str]
) -> None:
    handler, seen = sequence(httpx2.Response(status, json=body))
    with pytest.raises(error) as caught:
        await backend(handler).query("SELECT 1")
    line = caught.value.one_line()
    assert all(word in line for word in words), line
    assert len(seen) == 1


async def test_throttling_is_retried_after_the_wait_posthog_names() -> None:
    sleeps = Sleeps()
    handler, seen = sequence(
        httpx2.Response(429, json=THROTTLED),
        httpx2.Response(429, json=THROTTLED, headers={"Retry-After": "3"}),
        httpx2.Response(200, json=OK_BODY),
    )
    response = await backend(handler, sleeps).query("SELECT 1")
    assert response.results == OK_BODY["results"]
    assert len(seen) == 3
    assert sleeps.calls == [2.0, 3.0]


async def test_throttling_gives_up_after_the_attempt_budget() -> None:
    sleeps = Sleeps()
    handler, seen = sequence(httpx2.Response(429, json=THROTTLED))
    with pytest.raises(RateLimitedError, match="all 3 attempts"):
        await backend(handler, sleeps, max_attempts=3).query("SELECT 1")
    assert len(seen) == 3
    assert sleeps.calls == [2.0, 2.0]


async def test_a_long_retry_after_is_not_waited_for() -> None:
    sleeps = Sleeps()
    handler, seen = sequence(httpx2.Response(429, json=THROTTLED, headers={"Retry-After": "600"}))
    with pytest.raises(RateLimitedError, match="600 s"):
        await backend(handler, sleeps).query("SELECT 1")
    assert len(seen) == 1 and sleeps.calls == []


async def test_server_errors_are_retried_with_backoff_then_succeed() -> None:
    sleeps = Sleeps()
    handler, seen = sequence(
        httpx2.Response(502, text="<html>Bad gateway</html>"),
        httpx2.Response(500, json={"type": "server_error", "detail": "A server error occurred."}),
        httpx2.Response(200, json=OK_BODY),
    )
    response = await backend(handler, sleeps).query("SELECT 1")
    assert response.columns == ["event", "count()"]
    assert len(seen) == 3
    assert sleeps.calls == [0.5, 1.0]


async def test_server_errors_give_up_with_an_unavailable_error() -> None:
    handler, seen = sequence(httpx2.Response(503, json={"detail": "Service unavailable"}))
    with pytest.raises(UnavailableError, match="503 on all 4 attempts") as caught:
        await backend(handler).query("SELECT 1")
    assert "status.posthog.com" in caught.value.hint
    assert len(seen) == 4


async def test_timeouts_are_retried_then_reported() -> None:
    calls: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(1)
        raise httpx2.ReadTimeout("timed out", request=request)

    with pytest.raises(UnavailableError, match="timed out after 60 s"):
        await backend(handler, max_attempts=2).query("SELECT 1")
    assert len(calls) == 2


async def test_connection_failures_name_the_host() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    with pytest.raises(UnavailableError, match="cannot reach https://eu.posthog.com") as caught:
        await backend(handler, max_attempts=2).query("SELECT 1")
    assert "POSTHOG_HOST" in caught.value.hint


async def test_the_key_never_appears_in_errors_logs_or_repr(
    caplog: pytest.LogCaptureFixture,
) -> None:
    echo = {"type": "authentication_error", "detail": f"Invalid key {KEY} for project"}
    caplog.set_level(logging.DEBUG)
    handler, _ = sequence(
        httpx2.Response(500, json={"detail": f"boom with {KEY}"}),
        httpx2.Response(401, json=echo),
    )
    remote = backend(handler)
    with pytest.raises(AuthError) as caught:
        await remote.query("SELECT 1")
    assert KEY not in caught.value.one_line()
    assert "[redacted]" in caught.value.one_line()
    assert KEY not in caplog.text
    assert KEY not in repr(remote)


async def test_an_answer_that_is_not_a_query_response_is_an_unavailable_error() -> None:
    handler, _ = sequence(httpx2.Response(200, text="<html>login</html>"))
    with pytest.raises(UnavailableError, match="without a JSON object"):
        await backend(handler).query("SELECT 1")
