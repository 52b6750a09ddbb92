"""Evidence gathering: parallel sources, stable ids, failures become rows."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest

from posthog_escalation.backends import (
    Backends,
    HogQLProjects,
    cross_customer_project,
    customer_project,
    world_incidents,
)
from posthog_escalation.errors import UnavailableError
from posthog_escalation.evidence import (
    MATCH_CONFIDENCE,
    ROLES,
    GatherLimits,
    about_problem,
    derive_signature,
    expected_sentence,
    gather,
    hogql_string,
    like_pattern,
    likely_matches,
)
from posthog_escalation.evidence_log import EvidenceLog
from posthog_escalation.models import (
    EscalationRequest,
    Evidence,
    SourceKind,
    Ticket,
)
from posthog_escalation.playbook import default_playbook
from posthog_escalation.tools.docs import DocHit, DocsAnswer, DocsIndex
from posthog_escalation.tools.hogql import LocalHogQL
from posthog_escalation.tools.issues import (
    KnownIssueCandidate,
    KnownIssueCandidates,
    LocalIssues,
    guess_route,
)
from posthog_escalation.understanding import Signals, extract_signals

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


async def _gather(
    request: EscalationRequest, backends: Backends, now: datetime = NOW, **kwargs: object
):
    signals = extract_signals(request.ticket, request.triage)
    book = default_playbook()
    return await gather(
        request.ticket, signals, backends, book, route=guess_route(signals, book), now=now, **kwargs
    )


async def test_demo_impact_matches_the_worlds_ground_truth(
    demo_request: EscalationRequest, demo_backends: Backends, demo_world: LocalHogQL
) -> None:
    pack = await _gather(demo_request, demo_backends)
    truth = demo_world.ground_truth().incidents["replay-safari-regression"]
    impact = pack.item("impact")
    assert impact is not None and impact.status == "ok"
    assert impact.figures["affected_orgs"] == truth.affected_orgs
    assert impact.figures["affected_persons"] == truth.affected_persons
    assert impact.figures["events"] == truth.events
    assert f"{truth.affected_orgs} organizations" in impact.finding
    assert "adoptedStyleSheets" in impact.query


async def test_ids_follow_the_role_order(
    demo_request: EscalationRequest, demo_backends: Backends
) -> None:
    pack = await _gather(demo_request, demo_backends)
    assert [i.id for i in pack.items] == [f"E{n}" for n in range(1, len(pack.items) + 1)]
    order = [
        ROLES.index(role) for role, _ in sorted(pack.roles.items(), key=lambda kv: int(kv[1][1:]))
    ]
    assert order == sorted(order)
    assert pack.roles["ticket"] == pack.items[-1].id


async def test_demo_pack_finds_the_customer_the_known_issue_and_no_docs_about_a_regression(
    demo_request: EscalationRequest, demo_backends: Backends
) -> None:
    """The replay troubleshooting page explains configuration causes of blank recordings;
    none of it names the TypeError or 1.201.0, so it is not about this regression."""
    pack = await _gather(demo_request, demo_backends)
    assert pack.customer_org is not None and pack.customer_org.name == "Northwind Health"
    assert {s.version for s in pack.customer_sdks if s.lib == "web"} >= {"1.200.3", "1.201.0"}
    assert pack.known is not None
    assert pack.known.candidates[0].key == "PostHog/posthog-js#2871"
    assert pack.docs == []
    docs = pack.item("docs")
    assert docs is not None and docs.url is None
    assert docs.finding.startswith("No docs section is about this problem")
    assert "Recordings are blank, missing or never start" in docs.result
    assert pack.impact is not None and pack.impact.starts_in_version is not None
    assert "1.201.0" in pack.impact.starts_in_version
    assert not pack.failures


async def test_the_ticket_row_states_each_commercial_figure_it_holds(
    demo_request: EscalationRequest, demo_backends: Backends
) -> None:
    """The revenue signal cites the ticket row; the row's finding says the plan, seats,
    ARR and renewal the customer record holds."""
    ticket = (await _gather(demo_request, demo_backends)).item("ticket")
    assert ticket is not None
    customer = demo_request.ticket.customer
    assert customer.arr is not None and customer.seats is not None
    assert f"ARR ${customer.arr:,.0f}" in ticket.finding
    assert f"{customer.seats} seats" in ticket.finding
    assert str(customer.renewal_date) in ticket.finding


class _BrokenDocs:
    def search(self, query: str, *, area: str | None = None, limit: int = 5) -> list:
        raise UnavailableError("docs index is corrupt", "run docs sync")

    def areas(self) -> list[str]:
        return []


class _SlowIssues:
    async def search(self, *args: object, **kwargs: object):
        await anyio.sleep(30)

    async def related_prs(self, repo: str, number: int) -> list:
        return []

    async def aclose(self) -> None:
        return None


async def test_a_failing_and_a_timing_out_source_become_rows(
    demo_request: EscalationRequest, demo_backends: Backends
) -> None:
    broken = replace(demo_backends, docs=_BrokenDocs(), issues=_SlowIssues())
    pack = await _gather(demo_request, broken, limits=GatherLimits(issues=0.2))
    docs, known = pack.item("docs"), pack.item("known_issues")
    assert docs is not None and docs.status == "failed"
    assert "docs index is corrupt" in docs.finding
    assert known is not None and known.status == "timeout"
    assert "timed out after 0.2 s" in known.finding
    assert pack.item("impact").status == "ok"
    assert len(pack.failures) == 2
    assert pack.cite("docs", "impact") == [pack.roles["impact"]]


async def test_exception_signature_is_valid_hogql(demo_world: LocalHogQL) -> None:
    ticket = Ticket(
        id="T1",
        subject="Replay broken",
        body="Console: TypeError: undefined is not an object "
        "(evaluating 'n.adoptedStyleSheets.length')",
    )
    derived = derive_signature(extract_signals(ticket))
    assert derived is not None
    condition, kind = derived
    assert kind == "exception"
    assert condition.startswith("event = '$exception' AND properties.$exception_message ILIKE '%")
    answer = await demo_world.query(f"SELECT count() FROM events WHERE {condition}")
    assert answer.results[0][0] > 0


async def test_like_pattern_escapes_quotes_and_wildcards(demo_world: LocalHogQL) -> None:
    pattern = like_pattern("it's_50%")
    answer = await demo_world.query(
        f"SELECT 'say it''s_50% now' ILIKE {pattern}, 'its-50x' ILIKE {pattern}"
    )
    assert answer.results[0] == [1, 0] or answer.results[0] == [True, False]


def test_version_signature_when_no_error_is_quoted() -> None:
    ticket = Ticket(
        id="T2",
        subject="Flags stopped evaluating",
        body="Since upgrading posthog-node from 4.18.0 to 5.0.1 our flags are all false.",
    )
    derived = derive_signature(extract_signals(ticket))
    assert derived == (
        "properties.$lib = 'posthog-node' AND properties.$lib_version = '5.0.1'",
        "version",
    )


def test_no_signature_without_error_or_version() -> None:
    ticket = Ticket(id="T3", subject="Dashboard feels slow", body="It is slow sometimes.")
    assert derive_signature(extract_signals(ticket)) is None


def test_hogql_string_escapes_quotes_and_backslashes() -> None:
    assert hogql_string("a'b\\c") == "'a\\'b\\\\c'"


async def test_documented_behaviour_adds_a_docs_row(demo_backends: Backends) -> None:
    request = EscalationRequest(
        ticket=Ticket(
            id="T4",
            subject="Recordings hide what users type",
            body="In session replay every input shows asterisks instead of the text. Bug?",
        )
    )
    pack = await _gather(request, demo_backends)
    assert pack.documented is not None and pack.documented.id == "replay-default-masking"
    row = pack.item("documented")
    assert row is not None and row.url and "session-replay" in row.url
    assert re.search("mask", row.result, re.IGNORECASE)


@pytest.mark.parametrize("route", ["session_replay", "ingestion"])
async def test_ingestion_warnings_are_checked_only_where_they_matter(
    demo_backends: Backends, demo_request: EscalationRequest, route: str
) -> None:
    signals = extract_signals(demo_request.ticket, demo_request.triage)
    pack = await gather(
        demo_request.ticket, signals, demo_backends, default_playbook(), route=route, now=NOW
    )
    assert ("warnings" in pack.roles) is (route == "ingestion")
    if route == "ingestion":
        assert pack.item("warnings").figures["ingestion_warnings"] > 0


def test_evidence_log_continues_after_the_pack() -> None:
    log = EvidenceLog()
    first = log.add(SourceKind.HOGQL, "SELECT 1", "one row")
    second = log.add(SourceKind.DOCS, "masking", "docs say masked", url="https://posthog.com/docs")
    assert (first.id, second.id) == ("E1", "E2")
    resumed = EvidenceLog(log.items)
    assert resumed.add(SourceKind.GITHUB, "q", "no match").id == "E3"
    assert resumed.get("E2") == second
    assert resumed.get("E9") is None


def test_evidence_log_gives_unique_ids_across_threads() -> None:
    log = EvidenceLog()

    def add_many() -> None:
        for _ in range(50):
            log.add(SourceKind.HOGQL, "q", "f")

    threads = [threading.Thread(target=add_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [item.id for item in log.items]
    assert len(set(ids)) == 200
    assert ids == [f"E{n}" for n in range(1, 201)]


# ------------------------------------------------ known-issue leaders, routes, new queries

EVALS = Path(__file__).resolve().parents[1] / "evals"


def _candidate(number: int, confidence: float, kind: str = "issue") -> KnownIssueCandidate:
    return KnownIssueCandidate(
        repo="PostHog/posthog",
        number=number,
        title=f"issue {number}",
        url=f"https://github.com/PostHog/posthog/issues/{number}",
        state="open",
        kind=kind,  # type: ignore[arg-type]
        confidence=confidence,
    )


def _known(*candidates: KnownIssueCandidate) -> KnownIssueCandidates:
    return KnownIssueCandidates(search_terms=["x"], candidates=list(candidates))


def test_every_confident_candidate_is_a_likely_match() -> None:
    below = round(MATCH_CONFIDENCE - 0.05, 2)
    found = likely_matches(_known(_candidate(1, 0.8), _candidate(2, 0.6), _candidate(3, below)))
    assert [c.number for c in found] == [1, 2]


def test_a_candidate_below_the_calibrated_threshold_is_not_claimed() -> None:
    below = round(MATCH_CONFIDENCE - 0.01, 2)
    assert likely_matches(_known(_candidate(1, below), _candidate(2, 0.05))) == []
    assert likely_matches(_known()) == []


def test_a_pull_request_is_never_a_matching_issue() -> None:
    listed = round(MATCH_CONFIDENCE + 0.01, 2)
    assert likely_matches(_known(_candidate(1, 0.9, "pr"), _candidate(2, listed))) == [
        _candidate(2, listed)
    ]


def test_a_wrapper_package_version_is_not_used_as_the_lib_version() -> None:
    s = extract_signals(
        Ticket(
            id="T",
            subject="Survey shown twice",
            body="We use @posthog/react 1.3.0 with posthog-js 1.204.0.",
        )
    )
    signature = derive_signature(s)
    assert signature is not None
    assert "'web'" in signature[0] and "'1.204.0'" in signature[0]


@pytest.fixture(scope="module")
def web_world(hogql_home: Path) -> LocalHogQL:
    return LocalHogQL.open(EVALS / "worlds" / "web.yaml", home=hogql_home)


@pytest.fixture
def web_backends(web_world: LocalHogQL, shipped_docs: DocsIndex) -> Backends:
    return Backends(
        hogql=web_world,
        docs=shipped_docs,
        issues=LocalIssues(EVALS / "issues" / "web.jsonl"),
        incidents=world_incidents(web_world),
    )


async def test_duplicates_are_counted_per_organization_as_the_ground_truth_says(
    web_backends: Backends, web_world: LocalHogQL
) -> None:
    request = EscalationRequest(
        ticket=Ticket(
            id="T-DUP",
            subject="Pageviews counted twice",
            body="Some $pageview events appear twice with the same uuid.",
            customer={"org_name": "Meridian Travel"},
        )
    )
    pack = await _gather(request, web_backends, now=web_world.now)
    truth = web_world.ground_truth().incidents["pageview-duplicates"]
    assert pack.duplicates is not None
    assert sorted(d.org for d in pack.duplicates) == truth.org_keys
    assert sum(d.extra_copies for d in pack.duplicates) == truth.events
    item = pack.item("duplicates")
    assert item is not None and item.figures["affected_orgs"] == truth.affected_orgs
    assert set(truth.org_names) <= set(item.private_terms)


async def test_flag_evaluations_show_which_sdk_reports_none(
    web_backends: Backends, web_world: LocalHogQL
) -> None:
    request = EscalationRequest(
        ticket=Ticket(
            id="T-EXP",
            subject="Experiment has no exposures",
            body="We call getFeatureFlag('pricing-page-test', id) from posthog-node 5.8.0.",
            customer={"org_name": "Tallgrass Finance", "org_id": "tallgrass-finance"},
        )
    )
    pack = await _gather(request, web_backends, now=web_world.now)
    item = pack.item("flag_calls")
    assert item is not None and item.status == "ok"
    assert pack.flag_calls and {c.lib for c in pack.flag_calls} == {"web"}
    assert "none from posthog-node" in item.finding
    assert "$group_0 = 'tallgrass-finance'" in item.query


async def test_an_exposure_is_never_explained_away_as_documented_masking(
    demo_backends: Backends,
) -> None:
    request = EscalationRequest(
        ticket=Ticket(
            id="T-EXP2",
            subject="Replay recordings show what users type",
            body="Our session recordings show exactly what customers type into the password "
            "field, although masking is configured.",
        )
    )
    pack = await _gather(request, demo_backends)
    assert pack.documented is None


# ------------------------------------------------ one clock, two projects, public rows


async def test_every_row_is_stamped_with_the_escalations_clock(
    demo_request: EscalationRequest, demo_backends: Backends
) -> None:
    pack = await _gather(demo_request, demo_backends)
    assert {item.collected_at for item in pack.items} == {NOW}
    assert not any(item.live for item in pack.items)


class _LiveWorld:
    """The demo world answering as a live backend would: no fixed clock."""

    name = "posthog"
    now = None

    def __init__(self, inner: LocalHogQL) -> None:
        self.inner = inner
        self.description = "PostHog US project 2"

    async def query(self, hogql: str, *, limit: int | None = None, offset: int = 0):
        return await self.inner.query(hogql, limit=limit, offset=offset)

    async def aclose(self) -> None:
        return None


async def test_a_live_backends_rows_carry_the_wall_clock_and_say_so(
    demo_request: EscalationRequest, demo_backends: Backends, demo_world: LocalHogQL
) -> None:
    live = _LiveWorld(demo_world)
    backends = replace(
        demo_backends,
        hogql=live,
        projects=HogQLProjects(cross_customer=cross_customer_project(live)),
    )
    started = datetime.now(UTC)
    pack = await _gather(demo_request, backends)
    hogql = [i for i in pack.items if i.source is SourceKind.HOGQL]
    assert hogql and all(i.live and i.collected_at >= started for i in hogql)
    others = [i for i in pack.items if i.source is not SourceKind.HOGQL]
    assert all(not i.live and i.collected_at == NOW for i in others)
    assert "PostHog US project 2" in pack.item("impact").finding


async def test_public_findings_name_no_organization_and_private_rows_have_none(
    demo_request: EscalationRequest, demo_backends: Backends, demo_world: LocalHogQL
) -> None:
    pack = await _gather(demo_request, demo_backends)
    names = [r[0] for r in (await demo_world.query("SELECT properties.name FROM groups")).results]
    keys = [r[0] for r in (await demo_world.query("SELECT key FROM groups")).results]
    for item in pack.items:
        for term in [*names, *keys]:
            assert term not in (item.public_finding or ""), (item.id, term)
    for role in ("top_orgs", "customer_impact", "customer_sdks", "ticket"):
        row = pack.item(role)
        assert row is not None and row.public_finding is None, role
    for role in ("impact", "trend", "versions", "environments", "org_sessions", "docs"):
        row = pack.item(role)
        assert row is not None and row.public_finding, role


async def test_shares_are_measured_since_the_start_with_the_baseline_before(
    demo_request: EscalationRequest, demo_backends: Backends
) -> None:
    pack = await _gather(demo_request, demo_backends)
    own = pack.customer_impact
    assert own is not None and own.org_key == "northwind-health"
    assert own.started_at is not None and own.baseline_affected_sessions == 0
    row = pack.item("customer_impact")
    assert f"{own.affected_sessions} of {own.sessions} sessions since" in row.finding
    assert f"({own.share:.0%})" in row.finding
    assert "0 of" in row.finding and "in the 8 days before it" in row.finding
    assert pack.customer_project == (
        "cross-customer data (embedded world 'demo'), organization northwind-health"
    )
    trend = pack.item("trend")
    assert "steady at about" in trend.finding and "growing" not in trend.finding.split(";")[0]


async def test_without_a_cross_customer_project_organizations_are_not_counted(
    demo_request: EscalationRequest, demo_backends: Backends, demo_world: LocalHogQL
) -> None:
    backends = replace(demo_backends, projects=HogQLProjects(customer=customer_project(demo_world)))
    pack = await _gather(demo_request, backends)
    impact = pack.item("impact")
    assert "affected_orgs" not in impact.figures
    assert "organizations" not in (impact.public_finding or "")
    assert "does not count other organizations" in impact.finding
    assert impact.finding.startswith("The customer's project (embedded world 'demo')")
    assert "top_orgs" not in pack.roles and "org_sessions" not in pack.roles
    assert pack.customer_org is None
    for role in ("customer_sdks", "customer_impact"):
        assert "$group_0" not in pack.item(role).query, role
    assert pack.impact is not None and not pack.impact.cross_customer


async def test_both_projects_count_organizations_in_one_and_the_customer_in_the_other(
    demo_request: EscalationRequest, demo_backends: Backends, demo_world: LocalHogQL
) -> None:
    own = _LiveWorld(demo_world)
    backends = replace(
        demo_backends,
        projects=HogQLProjects(
            customer=customer_project(own), cross_customer=cross_customer_project(demo_world)
        ),
    )
    pack = await _gather(demo_request, backends)
    assert pack.item("impact").figures["affected_orgs"] == 9
    assert pack.impact_project == "cross-customer data (embedded world 'demo')"
    assert pack.customer_project == "the customer's project (PostHog US project 2)"
    assert pack.item("customer_impact").live and not pack.item("impact").live
    assert "$group_0" not in pack.item("customer_impact").query


def _hit(snippet: str, route: str | None = "session_replay", title: str = "Replay") -> DocHit:
    return DocHit(
        id="x",
        title=title,
        breadcrumb=f"{title} > Section",
        url="https://posthog.com/docs/x",
        snippet=snippet,
        score=1.0,
        area="session-replay",
        route=route,
    )


def _signals(body: str) -> Signals:
    return extract_signals(Ticket(id="T-1", subject="Replay broken", body=body))


def test_a_docs_section_is_about_a_regression_only_when_it_names_its_error_or_version() -> None:
    regression = _signals(
        "After upgrading posthog-js from 1.200.3 to 1.201.0 we see\n"
        "TypeError: undefined is not an object (evaluating 'n.adoptedStyleSheets.length')"
    )
    assert not about_problem(_hit("Set disable_session_recording: false."), regression, None)
    assert about_problem(_hit("Fixed in 1.201.1: see 1.201.0 notes."), regression, None)
    assert about_problem(_hit("Errors on adoptedStyleSheets.length in Safari."), regression, None)


def test_otherwise_a_docs_section_in_the_tickets_area_is_about_it() -> None:
    plain = _signals("Our recordings show masked inputs as asterisks everywhere.")
    assert about_problem(_hit("Inputs are masked by default."), plain, "session_replay")
    assert not about_problem(_hit("Flags...", route="feature_flags"), plain, "session_replay")


def _answer(confidence: float) -> DocsAnswer:
    return DocsAnswer(
        url="https://posthog.com/docs/x",
        title="Replay",
        breadcrumb="Replay > Section",
        sentence="Inputs are masked by default.",
        confidence=confidence,
        strength=confidence,
        query="recordings masked inputs asterisks",
    )


def test_a_section_of_the_area_is_not_about_the_problem_when_the_best_answer_is_weak() -> None:
    plain = _signals("Our recordings show masked inputs as asterisks everywhere.")
    hit = _hit("Inputs are masked by default.")
    assert about_problem(hit, plain, "session_replay", _answer(0.9))
    assert not about_problem(hit, plain, "session_replay", _answer(0.35))
    named = _hit("Errors on adoptedStyleSheets.length in Safari.")
    regression = _signals("TypeError: n.adoptedStyleSheets.length since 1.201.0")
    assert about_problem(named, regression, None, _answer(0.35)), "naming the error still counts"


def test_the_expected_sentence_is_a_whole_sentence_that_says_what_should_happen() -> None:
    snippet = (
        "…of the page. Session replay masks all input fields by default. "
        "If you see asterisks, check the settings."
    )
    assert expected_sentence(snippet) == "Session replay masks all input fields by default."
    assert expected_sentence("…recording is captured when. Nothing else here") is None


def test_evidence_log_rows_take_the_packs_clock_or_say_they_are_live() -> None:
    fixed = EvidenceLog(
        [
            Evidence(
                id="E1",
                source=SourceKind.HOGQL,
                query="q",
                finding="f",
                collected_at=NOW,
            )
        ]
    )
    added = fixed.add(SourceKind.DOCS, "q", "f")
    assert (added.collected_at, added.live) == (NOW, False)
    fresh = EvidenceLog().add(SourceKind.DOCS, "q", "f")
    assert fresh.live and fresh.collected_at > NOW
