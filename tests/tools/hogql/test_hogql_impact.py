"""Impact summaries on the demo world, checked against the generator's ground truth.

The ground truth is counted by the generator from its staging rows; the summary is
computed with HogQL from the final tables, so agreement is a real check.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import anyio
import pytest

from posthog_escalation.errors import InputError, QueryError
from posthog_escalation.tools.hogql import (
    HogQLResponse,
    ImpactSummary,
    LocalHogQL,
    customer_impact,
    daily_trend,
    full_days,
    impact_queries,
    impact_summary,
    trend_phrase,
)

pytestmark = pytest.mark.anyio

SIGNATURE = "event = '$exception' AND properties.$exception_message ILIKE '%adoptedStyleSheets%'"
ALL_TIME = {"since": "2026-10-01T00:00:00Z", "until": "2026-11-20T12:00:00Z"}


@pytest.fixture(scope="module")
def summary(demo_world: LocalHogQL) -> ImpactSummary:
    return anyio.run(lambda: impact_summary(demo_world, SIGNATURE, **ALL_TIME))


def raw(world: LocalHogQL, sql: str) -> list[list]:
    return world.engine.rows(sql.format(db=f"`{world.world.database}`"))


def test_headline_numbers_match_the_ground_truth(
    summary: ImpactSummary, demo_world: LocalHogQL
) -> None:
    truth = demo_world.ground_truth().incidents["replay-safari-regression"]
    assert summary.affected_events == truth.events
    assert summary.affected_orgs == truth.affected_orgs
    assert summary.affected_persons == truth.affected_persons
    assert summary.affected_sessions == truth.affected_sessions
    assert summary.first_seen == truth.first_seen
    assert summary.last_seen == truth.last_seen
    assert sorted(o.name for o in summary.top_orgs) == truth.org_names
    per_day = {d.day.isoformat(): d.events for d in summary.events_per_day}
    assert per_day == truth.events_by_day


def test_top_org_is_northwind_with_its_plan_and_revenue(summary: ImpactSummary) -> None:
    top = summary.top_orgs[0]
    assert (top.key, top.name, top.plan, top.seats, top.arr) == (
        "northwind-health",
        "Northwind Health",
        "enterprise",
        420,
        186000.0,
    )
    assert top.events == max(o.events for o in summary.top_orgs)


def test_version_split_shows_where_it_starts(summary: ImpactSummary) -> None:
    assert summary.starts_in_version == "web 1.201.0"
    by_version = {(v.lib, v.version): v for v in summary.versions}
    assert by_version[("web", "1.201.0")].share_of_affected == 1.0
    assert by_version[("web", "1.200.3")].affected_events == 0
    assert by_version[("web", "1.200.3")].all_events > 0


def test_environment_split_shows_only_safari_is_hit(summary: ImpactSummary) -> None:
    hit = {(e.browser, e.os) for e in summary.environments if e.affected_events}
    assert hit == {("Safari", "Mac OS X"), ("Mobile Safari", "iOS")}
    assert sum(e.share_of_affected for e in summary.environments) == pytest.approx(1.0, abs=1e-3)


def test_the_demo_counts_are_steady_not_growing_once_partial_days_are_left_out(
    summary: ImpactSummary,
) -> None:
    """The first day (from 09:43) and the last (cut at 12:00) are partial; the full days
    rise over the weekend and then fall back, so the slope's sign does not hold."""
    trend = summary.trend
    assert trend is not None and trend.word == "steady"
    assert [d.isoformat() for d in trend.days] == [f"2026-11-{n}" for n in range(15, 20)]
    per_day = {d.day: d.events for d in summary.events_per_day}
    assert trend.counts == [per_day[d] for d in trend.days]
    assert trend.per_day == sorted(trend.counts)[2]
    assert trend.first_half_slope > 0 > trend.second_half_slope
    assert not summary.growing
    assert trend_phrase(trend) == f"steady at about {trend.per_day} a day (5 full days)"


FIRST = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
UNTIL = datetime(2026, 11, 9, 12, tzinfo=UTC)


def _days(*counts: int) -> dict[date, int]:
    return {date(2026, 11, 2) + timedelta(days=i): n for i, n in enumerate(counts)}


@pytest.mark.parametrize(
    ("counts", "word"),
    [
        ((100, 130, 160, 190, 220, 250, 280), "growing"),
        ((300, 260, 210, 170, 120, 90, 40), "shrinking"),
        ((100, 400, 420, 390, 410, 400, 395), "steady"),
        ((500, 510, 495, 505, 500, 498, 502), "steady"),
        ((100, 101, 102, 103, 104, 105, 106), "steady"),
        ((100, 200, 300), "too few days"),
    ],
    ids=["rising", "falling", "jump-then-flat", "flat", "tiny-drift", "three-days"],
)
def test_the_trend_word_follows_the_stated_test(counts: tuple[int, ...], word: str) -> None:
    until = datetime(2026, 11, 2, tzinfo=UTC) + timedelta(days=len(counts), hours=12)
    trend = daily_trend(_days(*counts), FIRST, until)
    assert trend is not None and trend.word == word
    assert trend.counts == list(counts)


def test_partial_first_and_last_days_and_missing_days_are_handled() -> None:
    per_day = {date(2026, 11, 1): 5, **_days(40, 0, 45), date(2026, 11, 9): 3}
    del per_day[date(2026, 11, 3)]
    trend = daily_trend(per_day, FIRST, UNTIL)
    assert trend is not None
    assert trend.days[0] == date(2026, 11, 2) and trend.days[-1] == date(2026, 11, 8)
    assert trend.counts[:3] == [40, 0, 45]
    assert daily_trend(per_day, None, UNTIL) is None


def test_a_start_at_midnight_keeps_its_first_day() -> None:
    midnight = datetime(2026, 11, 2, tzinfo=UTC)
    assert full_days(midnight, UNTIL)[0] == date(2026, 11, 2)
    assert full_days(FIRST, UNTIL)[0] == date(2026, 11, 2)


def test_session_shares_are_measured_since_the_first_matching_event(
    summary: ImpactSummary, demo_world: LocalHogQL
) -> None:
    start = summary.first_seen.strftime("%Y-%m-%d %H:%M:%S.%f")
    hit, total, hit_before, before = raw(
        demo_world,
        "SELECT uniqExactIf(`$session_id`, event = '$exception' AND "
        "JSONExtractString(properties, '$exception_message') LIKE '%adoptedStyleSheets%' "
        f"AND timestamp >= '{start}'), uniqExactIf(`$session_id`, timestamp >= '{start}'), "
        "uniqExactIf(`$session_id`, event = '$exception' AND timestamp < "
        f"'{start}'), uniqExactIf(`$session_id`, timestamp < '{start}') FROM {{db}}.events "
        "WHERE `$group_0` = 'northwind-health' AND `$session_id` != '' "
        "AND timestamp >= '2026-10-01 00:00:00'",
    )[0]
    northwind = next(o for o in summary.org_sessions if o.key == "northwind-health")
    assert (northwind.affected_sessions, northwind.sessions) == (hit, total)
    assert (northwind.baseline_affected_sessions, northwind.baseline_sessions) == (
        hit_before,
        before,
    )
    assert hit_before == 0 and northwind.baseline_share == 0.0
    assert northwind.name == "Northwind Health"
    assert 0 < summary.session_share < 1
    assert summary.baseline_session_share == 0.0


async def test_the_customers_own_share_starts_at_its_own_first_event(
    summary: ImpactSummary, demo_world: LocalHogQL
) -> None:
    own = await customer_impact(
        demo_world,
        SIGNATURE,
        since=summary.since,
        until=summary.until,
        org_key="northwind-health",
    )
    northwind = next(o for o in summary.org_sessions if o.key == "northwind-health")
    top = next(o for o in summary.top_orgs if o.key == "northwind-health")
    assert own.started_at is not None and own.started_at >= summary.first_seen
    assert (own.affected_events, own.affected_persons) == (top.events, top.persons)
    assert own.affected_sessions == northwind.affected_sessions
    assert own.share == pytest.approx(own.affected_sessions / own.sessions, abs=1e-4)
    assert own.baseline_affected_sessions == 0 and own.baseline_sessions > 0
    first, shares = own.hogql.split(";\n\n")
    again = [(await demo_world.query(q)).results[0] for q in (first, shares)]
    assert again[0] + again[1] == own.rows[0]


async def test_a_customer_without_the_problem_has_no_start(demo_world: LocalHogQL) -> None:
    own = await customer_impact(
        demo_world,
        SIGNATURE,
        since=datetime(2026, 11, 6, 12, tzinfo=UTC),
        until=demo_world.now,
        org_key="tyrell-travel",
    )
    assert own.started_at is None and own.share is None and own.affected_sessions == 0


async def test_a_customers_own_project_counts_no_organizations(demo_world: LocalHogQL) -> None:
    result = await impact_summary(demo_world, SIGNATURE, cross_customer=False)
    names = {f.name for f in result.figures}
    assert "affected_orgs" not in names and "top_orgs" not in names
    assert "org_sessions" not in names
    assert result.affected_orgs == 0 and result.top_orgs == [] and result.org_sessions == []
    assert result.affected_events > 0 and result.trend is not None
    assert not result.cross_customer


async def test_every_figure_reproduces_from_its_own_hogql(
    summary: ImpactSummary, demo_world: LocalHogQL
) -> None:
    names = {f.name for f in summary.figures}
    assert names >= {
        "affected_events",
        "affected_orgs",
        "affected_persons",
        "first_seen",
        "last_seen",
        "top_orgs",
        "events_per_day",
        "growing",
        "trend",
        "versions",
        "starts_in_version",
        "environments",
        "org_sessions",
        "session_share",
    }
    for figure in summary.figures:
        again = await demo_world.query(figure.hogql)
        assert again.results[: len(figure.rows)] == figure.rows, figure.name
        assert figure.columns == again.columns


async def test_window_defaults_to_fourteen_days_before_the_backends_clock(
    demo_world: LocalHogQL,
) -> None:
    result = await impact_summary(demo_world, "event = '$pageview'")
    assert result.until == datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert result.since == datetime(2026, 11, 6, 12, tzinfo=UTC)


async def test_relative_window_limits_the_counts(demo_world: LocalHogQL) -> None:
    result = await impact_summary(demo_world, SIGNATURE, since="-2d", until="-1d")
    truth = demo_world.ground_truth().incidents["replay-safari-regression"]
    expected = raw(
        demo_world,
        "SELECT count() FROM {db}.events WHERE event = '$exception' "
        "AND timestamp >= '2026-11-18 12:00:00' AND timestamp < '2026-11-19 12:00:00'",
    )[0][0]
    assert result.affected_events == expected
    assert 0 < expected < truth.events


async def test_a_signature_that_matches_nothing_gives_zeros(demo_world: LocalHogQL) -> None:
    result = await impact_summary(demo_world, "event = 'never happened'")
    assert (result.affected_events, result.affected_orgs, result.affected_persons) == (0, 0, 0)
    assert result.first_seen is None and result.last_seen is None
    assert not result.growing
    assert result.top_orgs == [] and result.starts_in_version is None
    assert result.errors == []


async def test_empty_window_is_refused(demo_world: LocalHogQL) -> None:
    with pytest.raises(InputError, match="window is empty"):
        await impact_summary(demo_world, SIGNATURE, since="-1d", until="-2d")


class Recorder:
    """A backend that delegates to a real one, recording or failing chosen queries."""

    name = "recorder"
    description = "recorder over the demo world"

    def __init__(self, inner: LocalHogQL, *, fail_on: str | None = None, barrier: int = 0) -> None:
        self.inner = inner
        self.now = inner.now
        self.fail_on = fail_on
        self.seen: list[str] = []
        self.barrier = barrier
        self.arrived = anyio.Event()

    async def query(
        self, hogql: str, *, limit: int | None = None, offset: int = 0
    ) -> HogQLResponse:
        self.seen.append(hogql)
        if self.barrier:
            if len(self.seen) == self.barrier:
                self.arrived.set()
            await self.arrived.wait()
        if self.fail_on and self.fail_on in hogql:
            raise QueryError("Unknown function boom", "fix it")
        return await self.inner.query(hogql, limit=limit, offset=offset)

    async def aclose(self) -> None:
        pass


async def test_an_invalid_signature_fails_before_any_query(demo_world: LocalHogQL) -> None:
    backend = Recorder(demo_world)
    with pytest.raises(QueryError):
        await impact_summary(backend, "1) OR (1")
    assert backend.seen == []


async def test_the_first_round_runs_in_parallel_then_the_shares_since_the_start(
    demo_world: LocalHogQL,
) -> None:
    """Each first-round query waits until all of them have started: sequential execution
    would hang. The session shares need the first matching event, so they come after."""
    since = datetime(2026, 11, 6, tzinfo=UTC)
    queries = impact_queries(SIGNATURE, since, demo_world.now)
    assert "org_sessions" not in queries
    backend = Recorder(demo_world, barrier=len(queries))
    with anyio.fail_after(30):
        result = await impact_summary(backend, SIGNATURE, since="2026-11-06T00:00:00Z")
    split = impact_queries(SIGNATURE, since, demo_world.now, result.first_seen)
    assert sorted(backend.seen[: len(queries)]) == sorted(queries.values())
    assert backend.seen[len(queries) :] == [split["org_sessions"]]
    assert result.affected_events > 0


async def test_a_failed_secondary_query_leaves_a_partial_summary(demo_world: LocalHogQL) -> None:
    backend = Recorder(demo_world, fail_on="AS lib")
    result = await impact_summary(backend, SIGNATURE)
    assert result.versions == []
    assert result.errors == ["versions: Unknown function boom — fix it"]
    assert result.affected_events > 0 and result.top_orgs


async def test_a_failed_main_query_raises(demo_world: LocalHogQL) -> None:
    backend = Recorder(demo_world, fail_on="AS first_seen,")
    with pytest.raises(QueryError, match="boom"):
        await impact_summary(backend, SIGNATURE)
