"""Duplicate ranking from ticket signals, against the shipped snapshot and fakes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from posthog_escalation.errors import RateLimitedError, UnavailableError
from posthog_escalation.models import Customer, Ticket, TriageDecision, TriageReport
from posthog_escalation.playbook import default_playbook
from posthog_escalation.tools.issues import (
    IssueHit,
    IssueSearchResult,
    LocalIssues,
    find_known_issues,
    guess_route,
    plan_searches,
)
from posthog_escalation.tools.issues.dedupe import candidate_repositories, rank_candidates
from posthog_escalation.understanding import extract_signals

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)

DEMO = Ticket(
    id="ZD-48213",
    subject="Session recordings are blank for our Safari users",
    created_at=NOW,
    body=(
        "Since last Friday every recording from Safari shows an empty white page. We upgraded "
        "to posthog-js 1.201.0 that week. Console:\n"
        "TypeError: undefined is not an object (evaluating 'n.adoptedStyleSheets.length')\n"
        "We are evaluating alternatives before our renewal."
    ),
    customer=Customer(plan="enterprise", seats=420),
)


@pytest.fixture(scope="module")
def snapshot() -> LocalIssues:
    return LocalIssues()


def ticket(subject: str, body: str) -> Ticket:
    return Ticket(id="T", subject=subject, body=body, created_at=NOW)


async def test_demo_ticket_finds_the_known_issue_its_fix_and_the_cross_repo_duplicate(
    snapshot: LocalIssues,
) -> None:
    found = await find_known_issues(extract_signals(DEMO), snapshot, default_playbook(), now=NOW)
    top = found.candidates[0]
    assert top.key == "PostHog/posthog-js#2871"
    assert top.confidence >= 0.6
    assert any("adoptedStyleSheets" in reason for reason in top.reasons)
    assert [pr.key for pr in top.related_prs] == ["PostHog/posthog-js#2874"]
    assert found.candidates[1].key == "PostHog/posthog#41236"
    assert found.route == "session_replay"
    assert found.repos[:2] == ["PostHog/posthog-js", "PostHog/posthog"]
    assert found.search_terms[0] == (
        '"adoptedStyleSheets.length" is:issue in:title,body repo:PostHog/posthog-js '
        "repo:PostHog/posthog repo:PostHog/posthog-js-lite"
    )
    assert [c.confidence for c in found.candidates] == sorted(
        [c.confidence for c in found.candidates], reverse=True
    )
    assert all(0 <= c.confidence <= 1 for c in found.candidates)


async def test_result_converts_to_the_escalation_known_issue_section(
    snapshot: LocalIssues,
) -> None:
    found = await find_known_issues(extract_signals(DEMO), snapshot, default_playbook(), now=NOW)
    match = found.to_known_issue_match(min_confidence=0.5, evidence="E5")
    assert [ref.key for ref in match.matching_issues] == [
        "PostHog/posthog-js#2871",
        "PostHog/posthog#41236",
    ]
    assert match.matching_issues[0].evidence == "E5"
    assert match.matching_issues[0].reasons
    assert [ref.key for ref in match.related_prs] == ["PostHog/posthog-js#2874"]
    assert match.related_prs[0].kind == "pr"
    assert match.related_prs[0].url == "https://github.com/PostHog/posthog-js/pull/2874"
    assert match.search_terms == found.search_terms


async def test_shared_error_string_alone_finds_an_issue_in_another_repository(
    snapshot: LocalIssues,
) -> None:
    t = ticket(
        "Shutdown exception in our API",
        "Our service logs System.ObjectDisposedException: Cannot access a disposed object. "
        "Object name: 'System.Net.Http.HttpClient'. every time we deploy.",
    )
    found = await find_known_issues(extract_signals(t), snapshot, default_playbook(), now=NOW)
    assert found.candidates[0].key == "PostHog/posthog-dotnet#89"
    assert any(r.startswith("same error string") for r in found.candidates[0].reasons)


async def test_flutter_masking_ticket_searches_the_native_repositories(
    snapshot: LocalIssues,
) -> None:
    t = ticket(
        "Passwords readable in Flutter replays on iPhone",
        "posthog_flutter: ^4.9.1 with the PostHog (3.21.0) pod. maskAllTexts is on, but text "
        "fields are unmasked in iOS recordings. This exposes PII.",
    )
    found = await find_known_issues(extract_signals(t), snapshot, default_playbook(), now=NOW)
    assert {"PostHog/posthog-flutter", "PostHog/posthog-ios"} <= set(found.repos)
    assert found.candidates[0].key == "PostHog/posthog-flutter#188"


async def test_serverless_ticket_finds_the_flush_issue(snapshot: LocalIssues) -> None:
    t = ticket(
        "Events missing from Vercel functions",
        "We capture events with posthog-node 4.0.1 in Next.js API routes on Vercel and they "
        "never arrive. Works with next dev.",
    )
    found = await find_known_issues(extract_signals(t), snapshot, default_playbook(), now=NOW)
    assert found.candidates[0].key == "PostHog/posthog#30220"


def test_plan_uses_error_phrases_option_topic_and_version() -> None:
    t = ticket(
        "RN replay shows typed text",
        "posthog-react-native 4.3.1 and posthog-react-native-session-replay 1.1.2 on Android: "
        "maskAllTextInputs: true but TextInput values are visible in recordings.",
    )
    planned = plan_searches(extract_signals(t))
    plans = [p.text for p in planned]
    assert '"maskAllTextInputs"' in plans
    assert "replay android" in plans
    assert '"4.3.1" replay' in plans
    assert all(len(p.replace('"', "").split()) <= 3 or p.startswith('"') for p in plans)
    assert len(plans) <= 6 and len(set(plans)) == len(plans)
    assert all(p.reason for p in planned)


def test_plan_is_empty_only_for_an_empty_ticket() -> None:
    assert plan_searches(extract_signals(ticket("?", ""))) == []


def test_candidate_repositories_follow_the_playbook() -> None:
    playbook = default_playbook()
    rn = extract_signals(ticket("x", "posthog-react-native 4.1.0 crash on Android"))
    assert candidate_repositories(rn, playbook, "sdk_bug") == [
        "PostHog/posthog-js",
        "PostHog/posthog",
        "PostHog/posthog-js-lite",
        "PostHog/posthog-android",
    ]
    go = extract_signals(ticket("x", "posthog-go v1.2.18 leaks memory"))
    assert candidate_repositories(go, playbook, None) == ["PostHog/posthog-go", "PostHog/posthog"]
    bare = extract_signals(ticket("x", "our iPhone app crashes in capture()"))
    assert "PostHog/posthog-ios" in candidate_repositories(bare, playbook, None)


def test_route_comes_from_triage_area_or_keywords() -> None:
    playbook = default_playbook()
    triage = TriageReport(
        decision=TriageDecision.ESCALATE_TO_ENGINEERING, product_area="Feature flags"
    )
    flags = extract_signals(ticket("x", "recording is blank"), triage)
    assert guess_route(flags, playbook) == "feature_flags"
    survey = extract_signals(ticket("Survey popover missing", "the NPS survey never shows"))
    assert guess_route(survey, playbook) == "surveys"
    assert guess_route(extract_signals(ticket("hello", "")), playbook) is None


def test_open_recent_issue_outranks_an_old_closed_twin() -> None:
    def hit(number: int, state: str, updated: str) -> IssueHit:
        return IssueHit(
            repo="PostHog/posthog-js",
            number=number,
            title="Autocapture misses clicks in shadow DOM",
            body="Clicks inside shadow roots are not captured.",
            state=state,  # type: ignore[arg-type]
            updated_at=datetime.fromisoformat(updated),
        )

    signals = extract_signals(ticket("Autocapture misses shadow DOM clicks", "shadow roots"))
    ranked = rank_candidates(
        signals,
        [
            hit(1, "closed", "2024-01-01T00:00:00+00:00"),
            hit(2, "open", "2026-11-10T00:00:00+00:00"),
        ],
        now=NOW,
    )
    assert [c.number for c in ranked] == [2, 1]


class ScriptedSearch:
    """An IssueSearch whose searches fail as scripted; others answer from a snapshot."""

    backend_name = "scripted"

    def __init__(self, inner: LocalIssues, failures: dict[int, Exception]):
        self.inner = inner
        self.failures = failures
        self.calls = 0

    async def search(self, query: str, **kwargs: object) -> IssueSearchResult:
        index = self.calls
        self.calls += 1
        if index in self.failures:
            raise self.failures[index]
        return await self.inner.search(query, **kwargs)  # type: ignore[arg-type]

    async def related_prs(self, repo: str, number: int) -> list[IssueHit]:
        return await self.inner.related_prs(repo, number)

    async def aclose(self) -> None:
        return None


async def test_a_failed_search_is_reported_and_the_rest_still_count(
    snapshot: LocalIssues,
) -> None:
    backend = ScriptedSearch(snapshot, {0: UnavailableError("GitHub answered 502", "later")})
    found = await find_known_issues(
        extract_signals(DEMO), backend, default_playbook(), now=NOW, concurrency=1
    )
    assert found.errors == ["GitHub answered 502 — later"]
    assert found.candidates[0].key == "PostHog/posthog-js#2871"
    planned = plan_searches(extract_signals(DEMO), route=found.route)
    assert len(found.search_terms) == len(planned) - 1  # the failed search is not listed


async def test_a_rate_limit_stops_the_remaining_searches(snapshot: LocalIssues) -> None:
    backend = ScriptedSearch(snapshot, {2: RateLimitedError("rate limit", "wait")})
    found = await find_known_issues(
        extract_signals(DEMO), backend, default_playbook(), now=NOW, concurrency=1
    )
    assert backend.calls == 3
    assert len(found.search_terms) == 2
    assert found.errors[0] == "rate limit — wait"
    assert all("skipped after a rate limit" in e for e in found.errors[1:])


async def test_when_every_search_fails_the_first_error_is_raised(snapshot: LocalIssues) -> None:
    failures = {i: UnavailableError(f"down {i}", "later") for i in range(10)}
    with pytest.raises(UnavailableError, match="down 0"):
        await find_known_issues(
            extract_signals(DEMO),
            ScriptedSearch(snapshot, failures),
            default_playbook(),
            now=NOW,
            concurrency=1,
        )
