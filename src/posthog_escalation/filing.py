"""Filing an escalation as a GitHub issue: planned first, sent only when confirmed.

:func:`plan_filing` builds exactly what would be sent (repository, title, labels and the
redacted public body); nothing leaves the machine. :func:`file_escalation` sends it with
``POST /repos/{owner}/{repo}/issues`` and is idempotent:

- the filer first claims the escalation in the store (a ``filing_claims`` row); a second
  filer waits for that claim to end and reads its result, so two concurrent filings
  never both reach GitHub;
- the body carries a hidden marker with the escalation's idempotency key
  (``<!-- posthog-escalation:idempotency-key=pe2-... -->``), an HMAC of the ticket id
  under the installation's secret, so nobody else can compute it;
- before every create (including each retry) the repository is checked for an issue
  carrying that marker *and created by the token's own identity* (``GET /user``): the
  most recently created issues are read directly (no search index lag, which matters
  right after a timeout) and the search API is asked as well (for older filings). An
  issue written by anyone else is never trusted, whatever its body says;
- a stored issue URL short-circuits everything.

So a retry after a timeout where GitHub did create the issue, or a second ``file`` call,
links the existing issue instead of filing a duplicate. Every attempt and its outcome is
recorded in the store.

Security and data-exposure escalations (route ``security``) and any route the playbook
marks ``public = false`` are never filed to a repository: they are refused with an
explicit warning and marked for the route's private channel.
"""

from __future__ import annotations

import math
import os
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import anyio
import httpx2
from pydantic import BaseModel, ConfigDict, SecretStr
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_base, wait_exponential

from .errors import (
    AuthError,
    ConfigError,
    InputError,
    NotFoundError,
    RateLimitedError,
    StateError,
    UnavailableError,
)
from .models import Escalation, Severity
from .playbook import Playbook, default_playbook
from .public import public_title
from .render import Redactor as RedactorFn
from .render import render_markdown
from .store import (
    EscalationStore,
    Schedule,
    Status,
    StoredEscalation,
    schedule_after,
    utc,
)

GITHUB_API = "https://api.github.com"
MAX_TITLE = 256
MAX_BODY = 65_000
MAX_RETRY_AFTER = 120.0
MARKER_PREFIX = "posthog-escalation:idempotency-key="
_MARKER = re.compile(r"<!--\s*posthog-escalation:idempotency-key=(pe2?-[0-9a-f]+)\s*-->")
CLAIM_LEASE = timedelta(minutes=15)

Outcome = Literal["created", "found_existing", "already_filed", "refused"]


class FilingPlan(BaseModel):
    """Exactly what filing would send, and whether it may be sent.

    Attributes:
        repo: ``owner/name`` the issue is created in.
        title: The redacted title.
        labels: The playbook's labels for the route (and SDK).
        body: The redacted public markdown, ending with the hidden idempotency marker
            (no marker in a preview planned without a key).
        idempotency_key: The key in the marker (empty in a preview).
        route: The playbook route.
        private_channel: Set when the route must never go to a public repository: where
            to hand it instead.
        blockers: Reasons it cannot be sent as it is (nothing is sent while any remain).
        warnings: Things to check before sending.
    """

    model_config = ConfigDict(frozen=True)

    ticket_id: str
    repo: str
    title: str
    labels: list[str]
    body: str
    idempotency_key: str
    route: str
    team: str
    private_channel: str | None = None
    blockers: list[str] = []
    warnings: list[str] = []

    @property
    def sendable(self) -> bool:
        """True when nothing stops it from being filed in :attr:`repo`."""
        return self.private_channel is None and not self.blockers

    def payload(self) -> dict[str, Any]:
        """The JSON body of ``POST /repos/{owner}/{repo}/issues``."""
        return {"title": self.title, "body": self.body, "labels": list(self.labels)}

    def endpoint(self, api_url: str = GITHUB_API) -> str:
        """The URL the payload is posted to."""
        return f"{api_url.rstrip('/')}/repos/{self.repo}/issues"


class FilingResult(BaseModel):
    """How a filing ended."""

    model_config = ConfigDict(frozen=True)

    escalation_id: str
    outcome: Outcome
    repo: str
    issue_url: str | None = None
    issue_number: int | None = None
    warning: str | None = None
    attempts: int = 0


def marker(key: str) -> str:
    """The hidden line that carries ``key`` in an issue body."""
    return f"<!-- {MARKER_PREFIX}{key} -->"


def _clip(text: str, limit: int, note: str) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - len(note) - 1].rstrip() + "\n" + note


def plan_filing(
    escalation: Escalation,
    redactor: RedactorFn,
    playbook: Playbook | None = None,
    *,
    key: str | None = None,
) -> FilingPlan:
    """What filing ``escalation`` would send; sends nothing.

    Args:
        escalation: The escalation to file.
        redactor: Applied to the title and the public body. Build it from the ticket
            (:meth:`~posthog_escalation.redact.Redactor.for_ticket`) so the customer's
            names are replaced too.
        playbook: Where routes, repositories and labels come from.
        key: The idempotency key of the stored escalation
            (:attr:`~posthog_escalation.store.StoredEscalation.idempotency_key`); without
            it the plan is a preview that :func:`file_escalation` will not send.

    Raises:
        PlaybookError: The escalation names a route the playbook does not have.
    """
    playbook = playbook or default_playbook()
    route = playbook.route(escalation.routing.route)
    repo = escalation.affected_repo
    key = key or ""
    title = _clip(" ".join(redactor(public_title(escalation)).split()), MAX_TITLE, "…")
    public = render_markdown(escalation, "public", redactor=redactor).rstrip()
    footer = (
        "\n\n---\n<sub>Filed by support with posthog-escalation. Customer details are "
        "replaced by placeholders; the internal escalation has them.</sub>\n"
    ) + (marker(key) if key else "")
    body = _clip(public, MAX_BODY - len(footer), "…(cut to fit GitHub's limit)") + footer
    warnings: list[str] = []
    blockers: list[str] = []
    private = None
    if route.key == "security" or not route.public:
        private = route.channel
    if escalation.severity is Severity.CRITICAL and route.key != "security":
        warnings.append("Critical severity: make sure no customer data is exposed in the body")
    sdks = escalation.reproduction.environment.sdks
    routed = playbook.repo_for(route, sdks[0].name if sdks else None)
    if routed != repo and not route.sdk_side:
        warnings.append(
            f"filing in {repo}, the escalation's affected repo; the playbook routes "
            f"'{route.key}' for this SDK to {routed}"
        )
    if escalation.recommendation == "resolve_in_support":
        blockers.append(
            "the escalation recommends resolving this in support; it is not for engineering"
        )
    return FilingPlan(
        ticket_id=escalation.ticket_id,
        repo=repo,
        title=title,
        labels=list(escalation.routing.labels) or playbook.labels_for(route),
        body=body,
        idempotency_key=key,
        route=route.key,
        team=route.team,
        private_channel=private,
        blockers=blockers,
        warnings=warnings,
    )


def plan_for_stored(
    stored: StoredEscalation,
    playbook: Playbook | None = None,
    *,
    extra_secrets: tuple[str, ...] | list[str] = (),
    keep_project_ids: bool = True,
) -> FilingPlan:
    """:func:`plan_filing` for a stored escalation, redacted with its stored ticket.

    Without a stored ticket the customer's names are unknown, so the plan is blocked.
    """
    from .redact import redactor_for

    redactor = redactor_for(stored.ticket, extra_secrets, keep_project_ids=keep_project_ids)
    plan = plan_filing(stored.escalation, redactor, playbook, key=stored.idempotency_key)
    blockers = list(plan.blockers)
    if stored.ticket is None:
        blockers.append(
            f"{stored.id} was stored without its ticket, so the customer's names cannot be "
            "redacted; store it again with its ticket (posthog-escalation run)"
        )
    if not stored.status.is_open:
        blockers.append(f"{stored.id} is closed")
    return plan.model_copy(update={"blockers": blockers})


def security_warning(plan: FilingPlan) -> str:
    """The explicit warning printed when a plan must not go to a public repository."""
    return (
        f"NOT FILED: route '{plan.route}' must never be filed in a public repository. "
        f"Hand it to {plan.team} via {plan.private_channel}, now."
    )


class _Retryable(Exception):
    """A failure worth another attempt (timeout, 5xx, rate limit)."""

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


class _WaitRetryAfter(wait_base):
    """Wait what GitHub asked for (``Retry-After`` / rate-limit reset), else back off."""

    def __init__(self) -> None:
        self._backoff = wait_exponential(multiplier=1, min=1, max=20)

    def __call__(self, retry_state: Any) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome else None
        if isinstance(error, _Retryable) and error.retry_after is not None:
            return error.retry_after
        return self._backoff(retry_state)


def _retry_after(response: httpx2.Response) -> float | None:
    header = response.headers.get("retry-after")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            try:
                moment = parsedate_to_datetime(header)
            except (TypeError, ValueError):
                return None
            return max(0.0, (moment - datetime.now(UTC)).total_seconds())
    if response.headers.get("x-ratelimit-remaining") == "0":
        reset = response.headers.get("x-ratelimit-reset")
        if reset and reset.isdigit():
            return max(0.0, int(reset) - time.time())
    return None


def _message(response: httpx2.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(data, dict):
        text = str(data.get("message", ""))
        errors = data.get("errors")
        if isinstance(errors, list) and errors:
            text += " (" + "; ".join(str(e.get("message", e)) for e in errors[:3]) + ")"
        return text[:300]
    return str(data)[:200]


def _raise_for(response: httpx2.Response, repo: str, what: str) -> None:
    """Turn an unsuccessful answer into a retryable failure or an error naming the fix."""
    status = response.status_code
    detail = f"{what}: HTTP {status} {_message(response)}".strip()
    rate_limited = status == 429 or (
        status == 403
        and (
            "retry-after" in response.headers
            or response.headers.get("x-ratelimit-remaining") == "0"
            or "rate limit" in _message(response).lower()
        )
    )
    if rate_limited:
        wait = _retry_after(response)
        if wait is not None and wait > MAX_RETRY_AFTER:
            raise RateLimitedError(
                f"GitHub rate limit reached ({what})",
                f"try again in {math.ceil(wait)} s; nothing was filed",
            )
        raise _Retryable(detail, wait if wait is not None else 5.0)
    if status >= 500:
        raise _Retryable(detail, _retry_after(response))
    if status == 401:
        raise AuthError("GitHub rejected GITHUB_TOKEN (401)", "check the token; nothing was filed")
    if status == 403:
        raise AuthError(
            f"GITHUB_TOKEN may not create issues in {repo} (403: {_message(response)})",
            "use a token with Issues read/write on that repository",
        )
    if status == 404:
        raise NotFoundError(
            f"repository {repo} not found, or GITHUB_TOKEN cannot see it",
            "check the route's repo in playbook.toml and the token's access",
        )
    if status == 410:
        raise StateError(f"issues are disabled in {repo}", "file it through the team's channel")
    raise InputError(f"GitHub refused the issue for {repo}: {detail}", "fix the plan and retry")


async def _get(client: httpx2.AsyncClient, url: str, **kwargs: Any) -> httpx2.Response:
    try:
        response = await client.get(url, **kwargs)
    except httpx2.TransportError as exc:
        raise _Retryable(f"GET {url}: {type(exc).__name__}") from None
    return response


async def authenticated_login(
    client: httpx2.AsyncClient, headers: dict[str, str], *, api_url: str = GITHUB_API
) -> str:
    """Who the token belongs to (``GET /user``): only issues this login created are
    trusted to be an earlier filing."""
    response = await _get(client, f"{api_url.rstrip('/')}/user", headers=headers)
    if response.status_code >= 500 or response.status_code == 429:
        _raise_for(response, "GitHub", "reading the token's identity")
    if response.status_code == 401:
        raise AuthError("GitHub rejected GITHUB_TOKEN (401)", "check the token; nothing was filed")
    login = None
    if response.status_code == 200:
        try:
            data = response.json()
        except ValueError:
            data = None
        login = data.get("login") if isinstance(data, dict) else None
    if not isinstance(login, str) or not login:
        raise AuthError(
            f"GitHub would not say who the token belongs to (GET /user: HTTP "
            f"{response.status_code}), so an earlier filing cannot be recognised safely",
            "use a personal access token (classic or fine-grained) with Issues read/write; "
            "nothing was filed",
        )
    return login


def _ours(item: dict[str, Any], wanted: str, login: str) -> bool:
    author = (item.get("user") or {}).get("login")
    return author == login and wanted in (item.get("body") or "")


async def find_existing_issue(
    client: httpx2.AsyncClient,
    plan: FilingPlan,
    headers: dict[str, str],
    login: str,
    *,
    api_url: str = GITHUB_API,
    since: datetime | None = None,
) -> dict[str, Any] | None:
    """The issue in ``plan.repo`` created by ``login`` whose body carries ``plan``'s
    idempotency marker, if any.

    Reads the repository's most recently created issues by ``login`` (consistent right
    away), then asks the search API (which lags a little, but reaches older issues).
    Issues by anyone else never match, whatever their body holds.
    """
    base = api_url.rstrip("/")
    wanted = marker(plan.idempotency_key)
    params: dict[str, Any] = {
        "state": "all",
        "sort": "created",
        "direction": "desc",
        "per_page": 100,
        "creator": login,
    }
    if since is not None:
        params["since"] = utc(since).strftime("%Y-%m-%dT%H:%M:%SZ")
    listing = await _get(client, f"{base}/repos/{plan.repo}/issues", params=params, headers=headers)
    if listing.status_code != 200:
        _raise_for(listing, plan.repo, "listing recent issues")
    for item in listing.json():
        if _ours(item, wanted, login):
            return item
    query = (
        f'"{MARKER_PREFIX}{plan.idempotency_key}" repo:{plan.repo} is:issue in:body author:{login}'
    )
    search = await _get(
        client, f"{base}/search/issues", params={"q": query, "per_page": 10}, headers=headers
    )
    if search.status_code == 422:
        return None
    if search.status_code != 200:
        _raise_for(search, plan.repo, "searching for the idempotency key")
    for item in search.json().get("items", []):
        if _ours(item, wanted, login):
            return item
    return None


def _token_value(token: str | SecretStr | None) -> str:
    value = token.get_secret_value() if isinstance(token, SecretStr) else token
    if not value or not value.strip():
        raise ConfigError(
            "GITHUB_TOKEN is not set, so nothing can be filed",
            "export GITHUB_TOKEN with a token that has Issues read/write on the repository "
            "(or run without --confirm to see what would be sent)",
        )
    return value.strip()


def _now() -> datetime:
    return datetime.now(UTC)


async def file_escalation(
    plan: FilingPlan,
    *,
    store: EscalationStore,
    escalation_id: str,
    token: str | SecretStr | None,
    client: httpx2.AsyncClient | None = None,
    api_url: str = GITHUB_API,
    playbook: Playbook | None = None,
    clock: Callable[[], datetime] = _now,
    max_attempts: int = 4,
    wait: wait_base | None = None,
    claim_wait: float = 60.0,
    lease: timedelta = CLAIM_LEASE,
) -> FilingResult:
    """File ``plan`` as a GitHub issue, once.

    Args:
        plan: From :func:`plan_for_stored` (or :func:`plan_filing`).
        store: Where the escalation is stored; attempts and the issue URL are recorded.
        escalation_id: ``ESC-<n>`` of the stored escalation.
        token: ``GITHUB_TOKEN``; required unless the plan is refused or already filed.
        client: An HTTP client (tests pass one over ``httpx2.MockTransport``).
        api_url: GitHub's API root (GitHub Enterprise has its own).
        playbook: For the team follow-up cadence that starts when it is filed.
        clock: Returns the current time.
        max_attempts: Attempts before giving up on timeouts, 5xx and rate limits.
        wait: Wait strategy between attempts (``Retry-After`` aware by default).
        claim_wait: Seconds to wait for another filer's claim on this escalation to end.
        lease: How long a claim holds before another filer may take it over (a filer
            that died leaves its claim behind).

    Returns:
        ``refused`` (never sent: private route, marked for its channel), ``already_filed``
        (the store has its URL), ``found_existing`` (an issue with the marker exists and is
        now linked) or ``created``.

    Raises:
        StateError: The plan has blockers, is a preview, or another filer still holds
            the escalation after ``claim_wait`` (nothing is sent).
        ConfigError: No token.
        AuthError / NotFoundError / InputError: GitHub refused for a reason retrying
            cannot fix. RateLimitedError / UnavailableError: retries ran out.
    """
    playbook = playbook or default_playbook()
    stored = store.get(escalation_id)
    if plan.private_channel is not None:
        warning = security_warning(plan)
        with store.transaction() as tx:
            tx.record_attempt(stored.id, clock(), repo=plan.repo, outcome="refused", detail=warning)
            tx.update(stored.id, clock(), private_channel=plan.private_channel)
            tx.log(stored.id, "marked_for_private_channel", clock(), plan.private_channel)
        return FilingResult(
            escalation_id=stored.id, outcome="refused", repo=plan.repo, warning=warning
        )
    if stored.issue_url:
        return FilingResult(
            escalation_id=stored.id,
            outcome="already_filed",
            repo=plan.repo,
            issue_url=stored.issue_url,
            issue_number=stored.issue_number,
        )
    if plan.blockers:
        raise StateError(f"not filed: {plan.blockers[0]}", "; ".join(plan.blockers[1:]))
    if plan.idempotency_key != stored.idempotency_key:
        raise StateError(
            f"not filed: the plan does not carry {stored.id}'s idempotency key",
            "plan it with plan_for_stored (posthog-escalation file) and send that plan",
        )
    secret = _token_value(token)
    owner = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    current = await _claim(store, stored.id, owner, clock, lease, claim_wait)
    if current.issue_url:
        return FilingResult(
            escalation_id=stored.id,
            outcome="already_filed",
            repo=plan.repo,
            issue_url=current.issue_url,
            issue_number=current.issue_number,
        )
    try:
        return await _send_claimed(
            plan,
            store,
            stored,
            owner,
            secret,
            client=client,
            api_url=api_url,
            playbook=playbook,
            clock=clock,
            max_attempts=max_attempts,
            wait=wait,
        )
    except BaseException:
        with store.transaction() as tx:
            tx.end_claim(stored.id, owner, "released", clock())
        raise


async def _claim(
    store: EscalationStore,
    escalation_id: str,
    owner: str,
    clock: Callable[[], datetime],
    lease: timedelta,
    claim_wait: float,
) -> StoredEscalation:
    """Claim the filing of ``escalation_id``, waiting while another filer holds it.
    Returns the escalation as stored once claimed, or once another filer has filed it
    (its ``issue_url`` set, nothing claimed)."""
    deadline = time.monotonic() + claim_wait
    while True:
        with store.transaction() as tx:
            current = tx.get(escalation_id)
            if current.issue_url:
                return current
            claim = tx.claim_filing(escalation_id, owner, clock(), lease=lease)
        if not claim.held_by_other(owner, clock()):
            return current
        if time.monotonic() >= deadline:
            raise StateError(
                f"not filed: {escalation_id} is being filed by another process (claimed "
                f"{claim.claimed_at:%Y-%m-%d %H:%M:%S} UTC)",
                f"run `posthog-escalation file {escalation_id} --confirm` again once it "
                "finishes; it will link that issue, not file a duplicate",
            )
        await anyio.sleep(0.05)


async def _send_claimed(
    plan: FilingPlan,
    store: EscalationStore,
    stored: StoredEscalation,
    owner: str,
    secret: str,
    *,
    client: httpx2.AsyncClient | None,
    api_url: str,
    playbook: Playbook,
    clock: Callable[[], datetime],
    max_attempts: int,
    wait: wait_base | None,
) -> FilingResult:
    headers = {
        "Authorization": f"Bearer {secret}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "posthog-escalation",
    }
    previous = store.filing_attempts(stored.id)
    since = min((a.at for a in previous), default=clock()) - timedelta(hours=1)
    own_client = client is None
    http = client or httpx2.AsyncClient(timeout=httpx2.Timeout(20.0))
    attempts = 0
    login: str | None = None

    async def attempt() -> FilingResult:
        nonlocal attempts, login
        attempts += 1
        if login is None:
            login = await authenticated_login(http, headers, api_url=api_url)
        existing = await find_existing_issue(
            http, plan, headers, login, api_url=api_url, since=since
        )
        if existing is not None:
            return _linked(
                store, stored, plan, existing, "found_existing", attempts, clock, playbook, owner
            )
        try:
            response = await http.post(plan.endpoint(api_url), json=plan.payload(), headers=headers)
        except httpx2.TimeoutException as exc:
            _attempt(store, stored.id, plan, clock, "timeout", detail=type(exc).__name__)
            raise _Retryable(f"creating the issue timed out ({type(exc).__name__})") from None
        except httpx2.TransportError as exc:
            _attempt(store, stored.id, plan, clock, "failed", detail=type(exc).__name__)
            raise _Retryable(f"creating the issue failed ({type(exc).__name__})") from None
        if response.status_code == 201:
            return _linked(
                store, stored, plan, response.json(), "created", attempts, clock, playbook, owner
            )
        _attempt(
            store,
            stored.id,
            plan,
            clock,
            "failed",
            status=response.status_code,
            detail=_message(response),
        )
        _raise_for(response, plan.repo, "creating the issue")
        raise AssertionError("unreachable")  # pragma: no cover

    try:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(max_attempts),
            wait=wait or _WaitRetryAfter(),
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
        )
        async for step in retrying:
            with step:
                result = await attempt()
        return result
    except _Retryable as exc:
        raise UnavailableError(
            f"GitHub did not answer after {attempts} attempts ({exc.detail})",
            f"run `posthog-escalation file {stored.id} --confirm` again later; it will not "
            "file a duplicate",
        ) from None
    finally:
        if own_client:
            await http.aclose()


def _attempt(
    store: EscalationStore,
    escalation_id: str,
    plan: FilingPlan,
    clock: Callable[[], datetime],
    outcome: Literal["failed", "timeout"],
    *,
    status: int | None = None,
    detail: str = "",
) -> None:
    with store.transaction() as tx:
        tx.record_attempt(
            escalation_id,
            clock(),
            repo=plan.repo,
            outcome=outcome,
            http_status=status,
            detail=detail,
        )


def _linked(
    store: EscalationStore,
    stored: StoredEscalation,
    plan: FilingPlan,
    issue: dict[str, Any],
    outcome: Literal["created", "found_existing"],
    attempts: int,
    clock: Callable[[], datetime],
    playbook: Playbook,
    owner: str,
) -> FilingResult:
    """Record the issue, mark it filed, end the claim, and start the team's follow-up
    clock (filing hands it to the team)."""
    url = str(issue.get("html_url") or "")
    number = issue.get("number")
    now = clock()
    with store.transaction() as tx:
        current = tx.get(stored.id)
        tx.record_attempt(
            stored.id,
            now,
            repo=plan.repo,
            outcome=outcome,
            issue_url=url,
            http_status=201 if outcome == "created" else 200,
        )
        status = current.status
        if status in (Status.DRAFT, Status.DOWNGRADED):
            status = Status.FILED
        team = schedule_after(now, playbook.cadence(Severity(current.severity)).team, None)
        tx.update(
            stored.id,
            now,
            status=status,
            issue_url=url,
            issue_number=int(number) if number is not None else None,
            schedule=Schedule(
                team_due=team.team_due,
                team_deadline=team.team_deadline,
                customer_due=current.schedule.customer_due,
                customer_deadline=current.schedule.customer_deadline,
            ),
        )
        tx.log(stored.id, "filed", now, f"{plan.repo}: {url}", {"outcome": outcome})
        tx.end_claim(stored.id, owner, "filed", now)
    return FilingResult(
        escalation_id=stored.id,
        outcome=outcome,
        repo=plan.repo,
        issue_url=url,
        issue_number=int(number) if number is not None else None,
        attempts=attempts,
    )
