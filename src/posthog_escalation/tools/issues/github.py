"""The real issue-search backend: GitHub's REST search API.

``GET /search/issues`` with the query built by :func:`.query.build_query`. A token is
optional: with one, GitHub allows about 30 searches a minute; without, about 10. The
client reads ``X-RateLimit-Remaining`` / ``X-RateLimit-Reset`` on every answer and waits
for the reset before the next call when the budget is spent; a 403/429 rate-limit answer
is retried after ``Retry-After`` (or the reset), a 5xx or a network failure after a
short backoff. Retries are bounded; then :class:`~posthog_escalation.errors.RateLimitedError`
or :class:`~posthog_escalation.errors.UnavailableError` says what happened. The token is
sent only as a header and never appears in an error or a log line.

Everything GitHub returns is untrusted text and is sanitized on the way in.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Literal

import anyio
import httpx2
from pydantic import SecretStr
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from ...errors import AuthError, QueryError, RateLimitedError, UnavailableError
from .models import IssueHit, IssueRecord, IssueSearchResult, referenced_issues
from .query import build_query
from .sanitize import sanitize_text, sanitize_title

log = logging.getLogger(__name__)

API_URL = "https://api.github.com"
USER_AGENT = "posthog-escalation (issue search)"
SECONDARY_LIMIT_WAIT = 60.0
_DUPLICATE_OF = re.compile(
    r"\bduplicate of\s+(?:(?P<repo>[\w.-]+/[\w.-]+)#(?P<n>\d+)|#(?P<local>\d+)|"
    r"https://github\.com/(?P<urlrepo>[\w.-]+/[\w.-]+)/issues/(?P<urln>\d+))",
    re.IGNORECASE,
)
_ISSUE_HTML = re.compile(r"github\.com/(?P<repo>[\w.-]+/[\w.-]+)/issues/(?P<n>\d+)")


def duplicate_from_timeline(events: list[Any], repo: str) -> str | None:
    """The ``owner/name#number`` an issue was closed as a duplicate of, from its timeline:
    the canonical issue of a ``marked_as_duplicate`` event when the event names one,
    else the issue a "Duplicate of #N" comment names (GitHub's own convention, the one its
    "Close as duplicate" action writes). None when the timeline says neither."""
    comment_target: str | None = None
    for event in events:
        if not isinstance(event, dict):
            continue
        kind = event.get("event")
        if kind == "marked_as_duplicate":
            for key in ("canonical", "duplicate_of", "issue"):
                target = event.get(key)
                url = target.get("html_url") if isinstance(target, dict) else None
                found = _ISSUE_HTML.search(str(url or ""))
                if found:
                    return f"{found['repo']}#{found['n']}"
        elif kind == "commented" and comment_target is None:
            match = _DUPLICATE_OF.search(str(event.get("body") or ""))
            if match:
                if match["local"]:
                    comment_target = f"{repo}#{match['local']}"
                elif match["repo"]:
                    comment_target = f"{match['repo']}#{match['n']}"
                else:
                    comment_target = f"{match['urlrepo']}#{match['urln']}"
    return comment_target


class _Retry(Exception):
    """An attempt that may succeed if repeated after ``wait`` seconds."""

    def __init__(self, kind: Literal["rate", "server"], message: str, wait: float | None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.wait = wait


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _repo_of(item: dict[str, Any]) -> str:
    repository_url = str(item.get("repository_url") or "")
    if "/repos/" in repository_url:
        return repository_url.split("/repos/", 1)[1].strip("/")
    html_url = str(item.get("html_url") or "")
    parts = html_url.split("github.com/", 1)[-1].split("/")
    return "/".join(parts[:2])


def hit_from_item(item: dict[str, Any]) -> IssueHit:
    """An :class:`IssueHit` from one GitHub issue/search item, with its text sanitized."""
    repo = _repo_of(item)
    title = sanitize_title(item.get("title"))
    body = sanitize_text(item.get("body"))
    labels = []
    for label in item.get("labels") or []:
        name = label.get("name") if isinstance(label, dict) else label
        if name:
            labels.append(sanitize_title(str(name)))
    number = int(item["number"])
    linked = [n for n in referenced_issues(f"{title}\n{body}", repo) if n != number]
    state = "closed" if item.get("state") == "closed" else "open"
    return IssueHit(
        repo=repo,
        number=number,
        title=title or f"#{number}",
        body=body,
        state=state,
        kind="pr" if item.get("pull_request") else "issue",
        labels=labels,
        created_at=_parse_time(item.get("created_at")),
        updated_at=_parse_time(item.get("updated_at")),
        closed_at=_parse_time(item.get("closed_at")),
        state_reason=item.get("state_reason") or None,
        url=str(item.get("html_url") or ""),
        linked_issues=linked,
        score=float(item["score"]) if isinstance(item.get("score"), int | float) else None,
    )


class GitHubIssues:
    """Issue search against the GitHub REST API, with the
    :class:`~.models.IssueSearch` interface.

    Args:
        token: A GitHub token, or None to search anonymously (lower rate limit).
        transport: An httpx2 transport (tests pass ``httpx2.MockTransport``).
        base_url: The API root.
        max_attempts: Attempts per request before giving up (rate limits and 5xx).
        max_wait: The longest single wait, in seconds, the client accepts; a rate limit
            that resets later fails at once with :class:`RateLimitedError`.
        timeout: Per-request timeout in seconds.
        sleep: The async sleep used between attempts (tests pass a recorder).
        clock: Seconds since the epoch (tests pass a fixed clock).
    """

    backend_name = "github"

    def __init__(
        self,
        token: SecretStr | None,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        base_url: str = API_URL,
        max_attempts: int = 4,
        max_wait: float = 30.0,
        timeout: float = 20.0,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._token = token
        self.max_attempts = max(1, max_attempts)
        self.max_wait = max_wait
        self._sleep = sleep or anyio.sleep
        self._clock = clock or time.time
        self._remaining: int | None = None
        self._reset_at: float | None = None
        self._client = httpx2.AsyncClient(
            base_url=base_url,
            transport=transport,
            timeout=timeout,
            headers={
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": USER_AGENT,
            },
        )

    @property
    def authenticated(self) -> bool:
        """True when a token is sent."""
        return bool(self._token and self._token.get_secret_value())

    # -- requests ---------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        if self.authenticated:
            assert self._token is not None
            return {"Authorization": f"Bearer {self._token.get_secret_value()}"}
        return {}

    def _note_limits(self, headers: httpx2.Headers) -> None:
        remaining = headers.get("x-ratelimit-remaining")
        reset = headers.get("x-ratelimit-reset")
        if remaining is not None and remaining.strip().isdigit():
            self._remaining = int(remaining)
        if reset is not None and reset.strip().isdigit():
            self._reset_at = float(reset)

    def _rate_limit_hint(self) -> str:
        if self.authenticated:
            return "GitHub allows about 30 searches a minute; wait and try again"
        return "set GITHUB_TOKEN for about 30 searches a minute instead of 10, or wait"

    def _rate_limited(self, wait: float) -> RateLimitedError:
        return RateLimitedError(
            f"GitHub search rate limit reached (resets in about {max(0, round(wait))} s)",
            self._rate_limit_hint(),
        )

    async def _respect_budget(self) -> None:
        if self._remaining != 0 or self._reset_at is None:
            return
        wait = self._reset_at - self._clock() + 1
        if wait <= 0:
            self._remaining = None
            return
        if wait > self.max_wait:
            raise self._rate_limited(wait)
        log.info("GitHub rate limit spent; waiting %.0f s for the reset", wait)
        await self._sleep(wait)
        self._remaining = None

    def _wait_from(self, response: httpx2.Response) -> float:
        retry_after = response.headers.get("retry-after", "").strip()
        if retry_after.isdigit():
            return float(retry_after)
        if self._remaining == 0 and self._reset_at is not None:
            return max(0.0, self._reset_at - self._clock() + 1)
        return SECONDARY_LIMIT_WAIT

    @staticmethod
    def _message(response: httpx2.Response) -> str:
        try:
            data = response.json()
        except ValueError:
            return ""
        message = data.get("message", "") if isinstance(data, dict) else ""
        errors = data.get("errors") if isinstance(data, dict) else None
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            message = f"{message}: {errors[0].get('message', '')}".strip(": ")
        return sanitize_title(str(message))[:200]

    async def _attempt(self, path: str, params: dict[str, Any]) -> httpx2.Response:
        await self._respect_budget()
        try:
            response = await self._client.get(path, params=params, headers=self._headers())
        except httpx2.TimeoutException:
            raise _Retry("server", "GitHub did not answer in time", None) from None
        except httpx2.TransportError as exc:
            raise _Retry("server", f"could not reach GitHub ({type(exc).__name__})", None) from None
        self._note_limits(response.headers)
        status = response.status_code
        log.debug("GET %s -> %s (remaining %s)", path, status, self._remaining)
        if status < 300:
            return response
        message = self._message(response)
        limited = status == 429 or (
            status == 403
            and (
                self._remaining == 0
                or "retry-after" in response.headers
                or "rate limit" in message.lower()
            )
        )
        if limited:
            wait = self._wait_from(response)
            if wait > self.max_wait:
                raise self._rate_limited(wait)
            self._remaining = None  # the retry's own wait covers the reset
            raise _Retry("rate", "GitHub search rate limit reached", wait)
        if status >= 500:
            raise _Retry("server", f"GitHub answered {status}", None)
        if status == 401:
            raise AuthError(
                "GitHub rejected the token (401 Bad credentials)",
                "check GITHUB_TOKEN, or unset it to search anonymously",
            )
        if status == 403:
            raise AuthError(
                f"GitHub refused the request (403{': ' + message if message else ''})",
                "check the token's permissions",
            )
        if status == 422:
            raise QueryError(
                f"GitHub could not run the search (422{': ' + message if message else ''})",
                "simplify the query or check the repository names",
            )
        if status == 404:
            raise QueryError(
                f"GitHub answered 404 for {path}", "check the repository name and the token"
            )
        raise UnavailableError(f"GitHub answered {status} for {path}", "try again later")

    @staticmethod
    def _backoff(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retry) and exc.wait is not None:
            return exc.wait
        return float(min(2 ** (state.attempt_number - 1), 8))

    async def _get(self, path: str, params: dict[str, Any]) -> httpx2.Response:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._backoff,
            retry=retry_if_exception_type(_Retry),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(path, params)
        except _Retry as exc:
            if exc.kind == "rate":
                raise self._rate_limited(self._wait_from_state()) from None
            raise UnavailableError(
                f"{exc.message} after {self.max_attempts} attempts", "try again later"
            ) from None
        raise UnavailableError("GitHub request was not attempted", "try again")  # pragma: no cover

    def _wait_from_state(self) -> float:
        if self._reset_at is not None:
            return max(0.0, self._reset_at - self._clock())
        return SECONDARY_LIMIT_WAIT

    # -- the protocol ------------------------------------------------------------------

    async def _search(self, sent: str, limit: int) -> IssueSearchResult:
        per_page = max(1, min(limit, 100))
        response = await self._get("/search/issues", {"q": sent, "per_page": per_page})
        try:
            data = response.json()
            items = data.get("items") or []
            hits = [hit_from_item(item) for item in items[: max(limit, 0)]]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UnavailableError(
                f"GitHub search answered with an unexpected body ({type(exc).__name__})",
                "try again later",
            ) from None
        return IssueSearchResult(
            queries=[sent],
            hits=hits,
            total_count=int(data.get("total_count") or len(hits)),
            incomplete=bool(data.get("incomplete_results")),
            backend=self.backend_name,
        )

    async def search(
        self,
        query: str,
        *,
        repos: list[str] | None = None,
        state: str | None = None,
        labels: list[str] | None = None,
        limit: int = 10,
    ) -> IssueSearchResult:
        """Issues matching ``query`` in ``repos`` (``GET /search/issues``), best first."""
        sent = build_query(query, kind="issue", repos=repos, state=state, labels=labels)
        return await self._search(sent, limit)

    async def related_prs(self, repo: str, number: int) -> list[IssueHit]:
        """PRs in ``repo`` whose title or body references issue ``number``."""
        sent = build_query(str(number), kind="pr", repos=[repo])
        result = await self._search(sent, 30)
        prs = [h for h in result.hits if h.kind == "pr" and number in h.linked_issues]
        prs.sort(key=lambda h: h.created_at.timestamp() if h.created_at else 0, reverse=True)
        return prs

    async def list_issues(
        self, repo: str, *, since: datetime | None = None, limit: int = 1000
    ) -> list[IssueRecord]:
        """Issues and PRs of ``repo`` updated since ``since`` (``GET /repos/{repo}/issues``),
        most recently updated first, at most ``limit``."""
        build_query("", repos=[repo])  # validates the name
        records: list[IssueRecord] = []
        page = 1
        while len(records) < limit:
            params: dict[str, Any] = {
                "state": "all",
                "per_page": 100,
                "page": page,
                "sort": "updated",
                "direction": "desc",
            }
            if since is not None:
                params["since"] = since.isoformat().replace("+00:00", "Z")
            response = await self._get(f"/repos/{repo}/issues", params)
            items = response.json()
            if not isinstance(items, list) or not items:
                break
            for item in items:
                hit = hit_from_item({**item, "repository_url": f"{API_URL}/repos/{repo}"})
                records.append(IssueRecord(**hit.model_dump(exclude={"score"})))
            if len(items) < 100 or 'rel="next"' not in response.headers.get("link", ""):
                break
            page += 1
        return records[:limit]

    async def duplicate_target(self, repo: str, number: int) -> str | None:
        """The issue ``repo#number`` was closed as a duplicate of, read from its timeline
        (``GET /repos/{repo}/issues/{number}/timeline``); None when it names none."""
        build_query("", repos=[repo])  # validates the name
        events: list[Any] = []
        page = 1
        while page <= 5:
            response = await self._get(
                f"/repos/{repo}/issues/{number}/timeline", {"per_page": 100, "page": page}
            )
            batch = response.json()
            if not isinstance(batch, list) or not batch:
                break
            events += batch
            if len(batch) < 100 or 'rel="next"' not in response.headers.get("link", ""):
                break
            page += 1
        return duplicate_from_timeline(events, repo)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()
