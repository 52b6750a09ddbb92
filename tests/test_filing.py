"""Filing to GitHub: planned, redacted, refused when private, and never duplicated.

GitHub is played by a small in-memory fake behind ``httpx2.MockTransport``.
"""

from __future__ import annotations

import hashlib
import json
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import httpx2
import pytest
from tenacity import wait_none

from fake_github import FakeGitHub
from posthog_escalation.errors import (
    AuthError,
    ConfigError,
    NotFoundError,
    RateLimitedError,
    StateError,
    UnavailableError,
)
from posthog_escalation.filing import (
    FilingPlan,
    file_escalation,
    marker,
    plan_filing,
    plan_for_stored,
)
from posthog_escalation.models import (
    Customer,
    Environment,
    Escalation,
    Message,
    Reproduction,
    SdkVersion,
    Ticket,
)
from posthog_escalation.playbook import default_playbook
from posthog_escalation.public import public_title
from posthog_escalation.redact import Redactor
from posthog_escalation.store import (
    INSTALLATION_SECRET,
    EscalationStore,
    Status,
    store_escalation,
)

TOKEN = "ghp_T3stT0kenThatMustNeverBeLogged0123456"
STORED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FILED_AT = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)


@pytest.fixture
def github() -> FakeGitHub:
    return FakeGitHub(TOKEN)


@pytest.fixture
def ticket(example_escalation: Escalation) -> Ticket:
    return Ticket(
        id=example_escalation.ticket_id,
        subject="Blank recordings in Safari",
        customer=Customer(
            org_name="Northwind Health", org_id="org_7f3k2p9q", contacts=["Dana Whitfield"]
        ),
        messages=[Message(author_name="Dana Whitfield", text="mail dana@northwind.io")],
    )


@pytest.fixture
def store(tmp_path: Path, example_escalation: Escalation, ticket: Ticket):
    with EscalationStore.in_data_dir(tmp_path) as opened:
        store_escalation(opened, example_escalation, ticket=ticket, now=STORED_AT)
        yield opened


def _clock() -> datetime:
    return FILED_AT


def _file(store: EscalationStore, github: FakeGitHub, plan: FilingPlan | None = None, **kwargs):
    plan = plan or plan_for_stored(store.get("ESC-1"))

    async def go():
        async with httpx2.AsyncClient(transport=httpx2.MockTransport(github.handler)) as client:
            return await file_escalation(
                plan,
                store=store,
                escalation_id="ESC-1",
                token=kwargs.pop("token", TOKEN),
                client=client,
                clock=_clock,
                wait=wait_none(),
                **kwargs,
            )

    return anyio.run(go)


def _route(escalation: Escalation, route: str) -> Escalation:
    routing = escalation.routing.model_copy(update={"route": route})
    return escalation.model_copy(update={"routing": routing})


def test_the_plan_names_the_route_repo_playbook_labels_and_a_redacted_title_and_body(
    example_escalation: Escalation, ticket: Ticket
) -> None:
    plan = plan_filing(example_escalation, Redactor.for_ticket(ticket), key="pe2-0123")
    assert plan.repo == "PostHog/posthog-js"
    assert plan.labels == ["bug", "feature/replay"]
    assert plan.title == public_title(example_escalation)
    assert plan.sendable
    assert plan.body.startswith(f"## {plan.title}\n")
    assert "Northwind" not in plan.body and "adoptedStyleSheets" in plan.body
    assert plan.body.rstrip().endswith(marker(plan.idempotency_key))
    assert plan.payload() == {"title": plan.title, "body": plan.body, "labels": plan.labels}
    assert plan.endpoint() == "https://api.github.com/repos/PostHog/posthog-js/issues"


def test_filing_uses_the_escalations_repo_and_labels_and_warns_on_a_mismatch(
    example_escalation: Escalation,
) -> None:
    mobile = _route(example_escalation, "sdk_bug").model_copy(
        update={
            "reproduction": Reproduction(
                environment=Environment(sdks=[SdkVersion(name="posthog-ios", version="3.19.4")])
            )
        }
    )
    plan = plan_filing(mobile, Redactor())
    assert (plan.repo, plan.labels) == ("PostHog/posthog-js", mobile.routing.labels)
    assert "the playbook routes 'sdk_bug' for this SDK to PostHog/posthog-ios" in plan.warnings[0]


def test_a_mobile_sdk_bug_goes_to_the_sdk_repository_with_the_mobile_labels(
    example_escalation: Escalation,
) -> None:
    book = default_playbook()
    route = book.route("sdk_bug")
    mobile = _route(example_escalation, "sdk_bug").model_copy(
        update={
            "affected_repo": book.repo_for(route, "posthog-ios"),
            "reproduction": Reproduction(
                environment=Environment(sdks=[SdkVersion(name="posthog-ios", version="3.19.4")])
            ),
            "routing": example_escalation.routing.model_copy(
                update={"route": "sdk_bug", "labels": book.labels_for(route, "posthog-ios")}
            ),
        }
    )
    plan = plan_filing(mobile, Redactor())
    assert (plan.repo, plan.labels) == ("PostHog/posthog-ios", ["bug", "feature/mobile"])
    assert not plan.warnings


def test_the_customer_is_redacted_from_the_title_too(example_escalation: Escalation) -> None:
    repro = example_escalation.reproduction.model_copy(
        update={"error": "Northwind Health: TypeError for dana@northwind.io"}
    )
    named = example_escalation.model_copy(update={"reproduction": repro})
    plan = plan_filing(named, Redactor(orgs=["Northwind Health"]))
    assert plan.title.startswith("Session replay: [org-1]: TypeError for [email-1] with ")
    assert "Northwind" not in plan.body


def test_filing_creates_one_issue_records_the_url_and_starts_the_team_clock(
    store: EscalationStore, github: FakeGitHub
) -> None:
    result = _file(store, github)
    assert result.outcome == "created"
    assert result.issue_url == "https://github.com/PostHog/posthog-js/issues/100"
    assert len(github.issues) == 1
    sent = json.loads(github.creates[0].content)
    assert sent["labels"] == ["bug", "feature/replay"]
    assert "Northwind" not in sent["body"] and "dana@northwind.io" not in sent["body"]
    stored = store.get("ESC-1")
    assert stored.status is Status.FILED
    assert (stored.issue_url, stored.issue_number) == (result.issue_url, 100)
    assert stored.schedule.team_due == FILED_AT + timedelta(hours=4)
    assert [a.outcome for a in store.filing_attempts("ESC-1")] == ["created"]


def test_a_second_call_never_files_again_and_sends_nothing(
    store: EscalationStore, github: FakeGitHub
) -> None:
    _file(store, github)
    sent_before = len(github.requests)
    again = _file(store, github)
    assert again.outcome == "already_filed"
    assert again.issue_url == "https://github.com/PostHog/posthog-js/issues/100"
    assert len(github.requests) == sent_before
    assert len(github.issues) == 1


def test_a_timeout_after_github_created_the_issue_links_it_instead_of_filing_twice(
    store: EscalationStore, github: FakeGitHub
) -> None:
    github.timeouts_after_create = 1
    github.search_index_lag = True
    result = _file(store, github)
    assert len(github.issues) == 1
    assert len(github.creates) == 1
    assert result.outcome == "found_existing"
    assert result.issue_url == "https://github.com/PostHog/posthog-js/issues/100"
    assert result.attempts == 2
    assert [a.outcome for a in store.filing_attempts("ESC-1")] == ["timeout", "found_existing"]
    assert store.get("ESC-1").status is Status.FILED


def test_an_issue_filed_earlier_but_never_recorded_is_found_by_its_marker(
    store: EscalationStore, github: FakeGitHub
) -> None:
    plan = plan_for_stored(store.get("ESC-1"))
    planted = github.plant("older text\n" + marker(plan.idempotency_key), author=github.login)
    result = _file(store, github, plan)
    assert (result.outcome, result.issue_number) == ("found_existing", planted["number"])
    assert github.creates == []


def test_server_errors_are_retried_and_each_attempt_is_recorded(
    store: EscalationStore, github: FakeGitHub
) -> None:
    github.create_failures = [
        lambda r: httpx2.Response(502, json={"message": "Bad gateway"}),
        lambda r: httpx2.Response(429, headers={"Retry-After": "1"}, json={"message": "slow"}),
    ]
    result = _file(store, github)
    assert result.outcome == "created"
    assert len(github.issues) == 1
    attempts = store.filing_attempts("ESC-1")
    assert [(a.outcome, a.http_status) for a in attempts] == [
        ("failed", 502),
        ("failed", 429),
        ("created", 201),
    ]


def test_giving_up_after_the_last_attempt_says_a_rerun_is_safe(
    store: EscalationStore, github: FakeGitHub
) -> None:
    github.create_failures = [lambda r: httpx2.Response(503, json={"message": "down"})] * 3
    with pytest.raises(UnavailableError) as raised:
        _file(store, github, max_attempts=3)
    assert "did not answer after 3 attempts" in raised.value.one_line()
    assert "it will not file a duplicate" in raised.value.one_line()
    assert [a.outcome for a in store.filing_attempts("ESC-1")] == ["failed"] * 3
    assert store.get("ESC-1").status is Status.DRAFT


def test_a_long_rate_limit_is_reported_instead_of_waited_out(
    store: EscalationStore, github: FakeGitHub
) -> None:
    github.create_failures = [
        lambda r: httpx2.Response(403, headers={"Retry-After": "3600"}, json={"message": "rate"})
    ]
    with pytest.raises(RateLimitedError, match="try again in 3600 s"):
        _file(store, github)
    assert len(github.creates) == 1


def test_a_rejected_token_is_an_auth_error_without_retries_and_never_shows_the_token(
    store: EscalationStore, github: FakeGitHub
) -> None:
    github.create_failures = [lambda r: httpx2.Response(401, json={"message": "Bad credentials"})]
    with pytest.raises(AuthError) as raised:
        _file(store, github)
    assert len(github.creates) == 1
    assert TOKEN not in raised.value.one_line()
    for attempt in store.filing_attempts("ESC-1"):
        assert TOKEN not in attempt.detail
    for event in store.events("ESC-1"):
        assert TOKEN not in event.detail and TOKEN not in json.dumps(event.data)


def test_a_missing_repository_is_not_found_and_named(
    store: EscalationStore, github: FakeGitHub
) -> None:
    github.create_failures = [lambda r: httpx2.Response(404, json={"message": "Not Found"})]
    with pytest.raises(NotFoundError, match="repository PostHog/posthog-js not found"):
        _file(store, github)


def test_without_a_token_nothing_is_sent_and_the_error_says_what_to_set(
    store: EscalationStore, github: FakeGitHub
) -> None:
    with pytest.raises(ConfigError) as raised:
        _file(store, github, token=None)
    assert "GITHUB_TOKEN is not set" in raised.value.one_line()
    assert "--confirm" in raised.value.one_line()
    assert github.requests == []


@pytest.mark.parametrize("route", ["security", "billing"])
def test_a_private_route_is_refused_marked_for_its_channel_and_never_sent(
    tmp_path: Path, example_escalation: Escalation, ticket: Ticket, github: FakeGitHub, route: str
) -> None:
    with EscalationStore.in_data_dir(tmp_path / route) as store:
        store_escalation(store, _route(example_escalation, route), ticket=ticket, now=STORED_AT)
        plan = plan_for_stored(store.get("ESC-1"))
        assert not plan.sendable
        result = _file(store, github, plan, token=None)
        stored = store.get("ESC-1")
        attempts = store.filing_attempts("ESC-1")
        events = [e.kind for e in store.events("ESC-1")]
    assert result.outcome == "refused"
    assert "must never be filed in a public repository" in result.warning
    assert github.requests == []
    assert stored.private_channel == plan.private_channel
    assert stored.issue_url is None and stored.status is Status.DRAFT
    assert [a.outcome for a in attempts] == ["refused"]
    assert "marked_for_private_channel" in events


def test_an_escalation_stored_without_its_ticket_is_blocked_before_anything_is_sent(
    tmp_path: Path, example_escalation: Escalation, github: FakeGitHub
) -> None:
    with EscalationStore.in_data_dir(tmp_path) as store:
        store_escalation(store, example_escalation, now=STORED_AT)
        plan = plan_for_stored(store.get("ESC-1"))
        assert "customer's names cannot be redacted" in plan.blockers[0]
        with pytest.raises(StateError, match="not filed: ESC-1 was stored without its ticket"):
            _file(store, github, plan)
    assert github.requests == []


def test_a_resolve_in_support_recommendation_is_blocked(
    example_escalation: Escalation,
) -> None:
    plan = plan_filing(
        example_escalation.model_copy(update={"recommendation": "resolve_in_support"}),
        Redactor(),
    )
    assert not plan.sendable
    assert "recommends resolving this in support" in plan.blockers[0]


# -- the marker cannot be squatted -----------------------------------------------------------


def _unkeyed_marker(ticket_id: str) -> str:
    """The marker anyone could compute before keys were derived with a secret."""
    digest = hashlib.sha256(f"posthog-escalation:{ticket_id}".encode()).hexdigest()
    return marker(f"pe-{digest[:20]}")


def test_an_issue_by_someone_else_carrying_our_exact_marker_is_not_trusted(
    store: EscalationStore, github: FakeGitHub
) -> None:
    plan = plan_for_stored(store.get("ESC-1"))
    github.plant("copied\n" + marker(plan.idempotency_key), author="mallory")
    result = _file(store, github, plan)
    assert result.outcome == "created"
    assert len(github.creates) == 1
    assert store.get("ESC-1").issue_url == result.issue_url != github.issues[0]["html_url"]


def test_markers_anyone_can_compute_for_a_range_of_tickets_match_nothing(
    store: EscalationStore, github: FakeGitHub, example_escalation: Escalation
) -> None:
    ids = [example_escalation.ticket_id] + [f"ZD-{n}" for n in range(48000, 48300)]
    github.plant("\n".join(_unkeyed_marker(t) for t in ids), author="mallory")
    github.plant(_unkeyed_marker(example_escalation.ticket_id), author=github.login)
    result = _file(store, github)
    assert result.outcome == "created" and len(github.creates) == 1


def test_the_key_is_derived_with_a_private_installation_secret(
    tmp_path: Path, example_escalation: Escalation, ticket: Ticket
) -> None:
    keys = []
    for name in ("one", "two"):
        with EscalationStore.in_data_dir(tmp_path / name) as opened:
            store_escalation(opened, example_escalation, ticket=ticket, now=STORED_AT)
            keys.append(opened.get("ESC-1").idempotency_key)
        secret = tmp_path / name / INSTALLATION_SECRET
        assert secret.is_file() and stat.S_IMODE(secret.stat().st_mode) == 0o600
        assert len(secret.read_bytes()) >= 32
    assert keys[0] != keys[1]
    assert marker(keys[0]) != _unkeyed_marker(example_escalation.ticket_id)
    with EscalationStore.in_data_dir(tmp_path / "one") as reopened:
        assert reopened.get("ESC-1").idempotency_key == keys[0]


def test_the_lookup_asks_github_who_we_are_and_only_lists_our_issues(
    store: EscalationStore, github: FakeGitHub
) -> None:
    _file(store, github)
    paths = [r.url.path for r in github.requests]
    assert paths[0] == "/user"
    listing = next(r for r in github.requests if r.url.path.endswith("/issues"))
    assert listing.url.params["creator"] == github.login
    search = next(r for r in github.requests if r.url.path == "/search/issues")
    assert f"author:{github.login}" in search.url.params["q"]


def test_a_token_whose_identity_cannot_be_read_files_nothing(
    store: EscalationStore, github: FakeGitHub
) -> None:
    github.user_status = 403
    with pytest.raises(AuthError, match="who the token belongs to"):
        _file(store, github)
    assert github.creates == []


# -- one filing at a time ----------------------------------------------------------------------


def _file_in_thread(path: Path, github: FakeGitHub, results: list, **kwargs) -> threading.Thread:
    def work() -> None:
        with EscalationStore(path) as own:
            try:
                results.append(_file(own, github, **kwargs))
            except Exception as exc:
                results.append(exc)

    return threading.Thread(target=work)


def test_two_concurrent_filings_of_one_escalation_create_one_issue(
    store: EscalationStore, github: FakeGitHub
) -> None:
    github.create_delay = 0.4
    results: list = []
    threads = [_file_in_thread(store.path, github, results) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(github.creates) == 1 and len(github.issues) == 1
    assert sorted(r.outcome for r in results) == ["already_filed", "created"]
    assert {r.issue_url for r in results} == {github.issues[0]["html_url"]}
    assert store.get("ESC-1").issue_url == github.issues[0]["html_url"]


def test_the_claim_is_a_row_in_the_store_released_when_filing_fails(
    store: EscalationStore, github: FakeGitHub
) -> None:
    github.create_failures = [lambda r: httpx2.Response(404, json={"message": "Not Found"})]
    with pytest.raises(NotFoundError):
        _file(store, github)
    assert store.filing_claim("ESC-1").state == "released"
    result = _file(store, github)
    assert result.outcome == "created"
    assert store.filing_claim("ESC-1").state == "filed"


def test_a_second_filer_waits_then_says_a_filing_is_in_progress(
    store: EscalationStore, github: FakeGitHub
) -> None:
    with store.transaction() as tx:
        tx.claim_filing("ESC-1", "another-process", FILED_AT, lease=timedelta(minutes=15))
    with pytest.raises(StateError, match="ESC-1 is being filed by another process"):
        _file(store, github, claim_wait=0.2)
    assert github.requests == []


def test_a_claim_abandoned_by_a_crashed_filer_is_taken_over_after_its_lease(
    store: EscalationStore, github: FakeGitHub
) -> None:
    plan = plan_for_stored(store.get("ESC-1"))
    with store.transaction() as tx:
        tx.claim_filing("ESC-1", "crashed", FILED_AT - timedelta(hours=1), lease=timedelta(0))
    planted = github.plant(
        "created just before the crash\n" + marker(plan.idempotency_key), author=github.login
    )
    result = _file(store, github, plan, claim_wait=0.2)
    assert (result.outcome, result.issue_number) == ("found_existing", planted["number"])
    assert github.creates == []
