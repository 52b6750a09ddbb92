"""The real HogQL backend: PostHog's query API (``POST /api/projects/{id}/query/``).

A personal API key with scope ``query:read`` authenticates as ``Authorization: Bearer``.
429 and 5xx answers, timeouts and connection failures are retried with tenacity, waiting
what ``Retry-After`` or PostHog's "Expected available in N seconds" says (exponential
backoff otherwise), within a bounded number of attempts and a total time budget. Other
failures become typed errors with a fix hint. The key never appears in a message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx2
from pydantic import SecretStr, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
)

from ...errors import (
    AuthError,
    BackendError,
    ConfigError,
    NotFoundError,
    QueryError,
    RateLimitedError,
    UnavailableError,
)
from .models import HogQLResponse
from .translate import DEFAULT_LIMIT, has_limit

log = logging.getLogger(__name__)

_AVAILABLE_IN = re.compile(r"available in (\d+(?:\.\d+)?) seconds?", re.I)
_POSTHOG_KEY = re.compile(r"\bph[xcs]_[A-Za-z0-9_-]{6,}")
_CAPTURE_HOSTS = {"us.i.posthog.com", "eu.i.posthog.com", "app.posthog.com"}


class HogQLError(QueryError):
    """PostHog rejected the HogQL (400), with its code and error positions when given."""

    def __init__(
        self, message: str, hint: str, *, code: str | None, start: int | None, end: int | None
    ) -> None:
        super().__init__(message, hint)
        self.code = code
        self.start = start
        self.end = end


class _Retryable(Exception):
    """An attempt failed in a way worth retrying."""

    def __init__(
        self, kind: str, detail: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.status = status
        self.retry_after = retry_after


def region_of(host: str) -> str:
    """``US``, ``EU`` or ``self-hosted`` for a PostHog API host."""
    netloc = urlsplit(host).netloc.lower()
    if netloc in {"us.posthog.com"}:
        return "US"
    if netloc in {"eu.posthog.com"}:
        return "EU"
    return "self-hosted"


def with_limit(hogql: str, limit: int | None, offset: int) -> str:
    """Append LIMIT/OFFSET when the query has none of its own (PostHog's default is 100)."""
    if limit is None and not offset:
        return hogql
    try:
        if has_limit(hogql):
            return hogql
    except QueryError:
        return hogql
    text = hogql.rstrip().rstrip(";").rstrip()
    text += f"\nLIMIT {limit if limit is not None else DEFAULT_LIMIT}"
    return text + (f" OFFSET {offset}" if offset else "")


def _cut(response: HogQLResponse, max_rows: int | None) -> HogQLResponse:
    if max_rows is None or len(response.results) <= max_rows:
        return response
    return response.model_copy(
        update={"results": response.results[:max_rows], "hasMore": True, "limit": max_rows}
    )


class RemotePostHog:
    """HogQL through PostHog's query API (see :class:`~.backend.HogQLBackend`).

    Args:
        host: API base URL: ``https://us.posthog.com``, ``https://eu.posthog.com`` or a
            self-hosted URL.
        project_id: The project's id (the number in its URL).
        api_key: A personal API key (``phx_...``) with scope ``query:read``.
        transport: An httpx2 transport (tests pass ``httpx2.MockTransport``).
        timeout: Seconds one request may take.
        max_attempts: Attempts per query, counting the first.
        max_total_seconds: Time budget per query, including waits between attempts.
        max_retry_wait: A ``Retry-After`` longer than this is not waited for.
        max_concurrency: Queries in flight at once (PostHog allows 3 per project).
        sleep: How to wait between attempts (tests pass a recorder).
    """

    name = "posthog"
    now = None

    def __init__(
        self,
        host: str,
        project_id: str | int,
        api_key: SecretStr,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        timeout: float = 60.0,
        max_attempts: int = 4,
        max_total_seconds: float = 120.0,
        max_retry_wait: float = 30.0,
        max_concurrency: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        host = host.strip().rstrip("/")
        if not urlsplit(host).scheme:
            host = f"https://{host}"
        netloc = urlsplit(host).netloc.lower()
        if netloc in _CAPTURE_HOSTS:
            raise ConfigError(
                f"{host} is a PostHog capture host, not the API host",
                "set POSTHOG_HOST to https://us.posthog.com or https://eu.posthog.com",
            )
        if not str(project_id).strip():
            raise ConfigError("PostHog project id is empty", "set POSTHOG_PROJECT_ID")
        if not api_key.get_secret_value().strip():
            raise ConfigError("PostHog API key is empty", "set POSTHOG_API_KEY to a phx_ key")
        self.host = host
        self.project_id = str(project_id).strip()
        self._api_key = api_key
        self._transport = transport
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.max_total_seconds = max_total_seconds
        self.max_retry_wait = max_retry_wait
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._sleep = sleep
        self._limiter = anyio.Semaphore(max_concurrency)
        self._client: httpx2.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"RemotePostHog(host={self.host!r}, project_id={self.project_id!r})"

    @property
    def description(self) -> str:
        """Where the numbers come from, e.g. ``PostHog US project 123``."""
        region = region_of(self.host)
        where = (
            f"self-hosted PostHog at {self.host}"
            if region == "self-hosted"
            else f"PostHog {region}"
        )
        return f"{where} project {self.project_id}"

    @property
    def url(self) -> str:
        """The query endpoint."""
        return f"{self.host}/api/projects/{self.project_id}/query/"

    def _scrub(self, text: str) -> str:
        key = self._api_key.get_secret_value()
        if key:
            text = text.replace(key, "[redacted]")
        return _POSTHOG_KEY.sub("[redacted]", text)

    def _http(self) -> httpx2.AsyncClient:
        if self._client is None:
            self._client = httpx2.AsyncClient(
                transport=self._transport,
                timeout=httpx2.Timeout(self.timeout),
                headers={"User-Agent": "posthog-escalation"},
            )
        return self._client

    async def query(
        self,
        hogql: str,
        *,
        limit: int | None = None,
        offset: int = 0,
        max_rows: int | None = None,
    ) -> HogQLResponse:
        """Run HogQL on PostHog and return its response.

        ``limit``/``offset`` apply when the query has no LIMIT of its own; ``max_rows``
        cuts the answer (``hasMore`` set) whatever the query's LIMIT.

        Raises:
            QueryError: PostHog rejected the HogQL (:class:`HogQLError`).
            AuthError: The key is invalid or lacks ``query:read``.
            NotFoundError: The project does not exist on this host.
            RateLimitedError: Still throttled after the retries.
            UnavailableError: Server errors, timeouts or no connection after the retries.
        """
        if max_rows is not None:
            limit = min(limit if limit is not None else DEFAULT_LIMIT, max_rows)
        payload = {
            "query": {"kind": "HogQLQuery", "query": with_limit(hogql, limit, offset)},
            "refresh": "blocking",
        }
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts) | stop_before_delay(self.max_total_seconds),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        async with self._limiter:
            try:
                async for attempt in retrying:
                    with attempt:
                        return _cut(await self._once(payload), max_rows)
            except _Retryable as exc:
                attempts = retrying.statistics.get("attempt_number", self.max_attempts)
                raise self._final(exc, attempts) from None
        raise BackendError("PostHog query gave no answer", "retry")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return max(0.0, exc.retry_after)
        return min(self.backoff_max, self.backoff_base * 2 ** (state.attempt_number - 1))

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.info(
            "PostHog query attempt %d failed (%s); retrying in %.1f s",
            state.attempt_number,
            self._scrub(str(exc)),
            wait,
        )

    async def _once(self, payload: dict[str, Any]) -> HogQLResponse:
        headers = {"Authorization": f"Bearer {self._api_key.get_secret_value()}"}
        try:
            response = await self._http().post(self.url, json=payload, headers=headers)
        except httpx2.TimeoutException:
            raise _Retryable("timeout", f"timed out after {self.timeout:g} s") from None
        except httpx2.TransportError as exc:
            raise _Retryable("connect", type(exc).__name__) from None
        status = response.status_code
        body = _json(response)
        detail = self._scrub(_detail(body, response))
        if status == 200:
            if not isinstance(body, dict):
                raise UnavailableError(
                    "PostHog answered 200 without a JSON object",
                    "retry; if it persists, check the host",
                )
            try:
                return HogQLResponse.model_validate(body)
            except ValidationError:
                raise UnavailableError(
                    "PostHog's answer does not look like a HogQL query response",
                    "check that POSTHOG_HOST points at the PostHog app/API host",
                ) from None
        if status == 400:
            code = body.get("code") if isinstance(body, dict) else None
            start = _int(body.get("start")) if isinstance(body, dict) else None
            end = _int(body.get("end")) if isinstance(body, dict) else None
            where = f" (at {start}-{end})" if start is not None and end is not None else ""
            raise HogQLError(
                f"PostHog rejected the HogQL: {detail}{where}",
                "fix the query; PostHog's message names the problem",
                code=code,
                start=start,
                end=end,
            )
        if status == 401:
            raise AuthError(
                f"PostHog rejected the personal API key (401 from {self.host}): {detail}",
                "create a personal API key with scope query:read and set POSTHOG_API_KEY",
            )
        if status == 403:
            raise AuthError(
                f"the personal API key may not query project {self.project_id} (403): {detail}",
                "give the key the scope query:read and access to this project",
            )
        if status == 404:
            raise NotFoundError(
                f"PostHog project {self.project_id} not found at {self.host} (404)",
                "check POSTHOG_PROJECT_ID (the number in the project URL) and POSTHOG_HOST "
                "(US, EU or your self-hosted URL)",
            )
        if status == 429:
            retry_after = _retry_after(response, detail)
            if retry_after is not None and retry_after > self.max_retry_wait:
                raise RateLimitedError(
                    f"PostHog throttled the query API (429): available again in {retry_after:g} s",
                    "PostHog allows 240 queries a minute, 2,400 an hour and 3 at once per "
                    "project; wait and retry",
                )
            raise _Retryable("throttled", detail, status=status, retry_after=retry_after)
        if status >= 500 or status == 408:
            raise _Retryable(
                "server", detail, status=status, retry_after=_retry_after(response, "")
            )
        raise BackendError(f"PostHog answered {status}: {detail}", "check the host and the request")

    def _final(self, exc: _Retryable, attempts: int) -> BackendError:
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        if exc.kind == "throttled":
            return RateLimitedError(
                f"PostHog throttled the query API (429) on all {tries}",
                "PostHog allows 240 queries a minute, 2,400 an hour and 3 at once per project; "
                "wait a minute and retry",
            )
        if exc.kind == "server":
            return UnavailableError(
                f"PostHog query API failed with {exc.status} on all {tries}: {exc.detail}",
                "PostHog may be degraded: check https://status.posthog.com and retry later",
            )
        if exc.kind == "timeout":
            return UnavailableError(
                f"PostHog query timed out after {self.timeout:g} s ({tries})",
                "narrow the query (shorter time range, more filters) or retry later",
            )
        return UnavailableError(
            f"cannot reach {self.host} ({exc.detail}, {tries})",
            "check POSTHOG_HOST and the network connection",
        )

    async def aclose(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _json(response: httpx2.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _detail(body: Any, response: httpx2.Response) -> str:
    if isinstance(body, dict):
        for key in ("detail", "error", "message"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return " ".join(value.split())[:500]
    text = " ".join(response.text.split())
    return text[:300] or response.reason_phrase or "no detail"


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _retry_after(response: httpx2.Response, detail: str) -> float | None:
    header = response.headers.get("Retry-After")
    if header:
        try:
            return float(header)
        except ValueError:
            pass
    match = _AVAILABLE_IN.search(detail)
    return float(match.group(1)) if match else None
