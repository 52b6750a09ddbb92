"""One contract, two backends: the embedded engine and the PostHog client.

The remote backend talks through ``httpx2.MockTransport`` to a fake PostHog query API
(``fixtures_hogql.make_fake_posthog``) that answers in PostHog's response and error
shapes from the demo world, so both backends must agree on every answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from posthog_escalation.errors import QueryError
from posthog_escalation.tools.hogql import (
    HogQLBackend,
    HogQLResponse,
    LocalHogQL,
    RemotePostHog,
    impact_summary,
)

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["local", "remote"])
async def backend(
    request: pytest.FixtureRequest, demo_world: LocalHogQL, remote_demo: RemotePostHog
) -> AsyncIterator[HogQLBackend]:
    chosen: HogQLBackend = demo_world if request.param == "local" else remote_demo
    yield chosen
    await chosen.aclose()


async def test_backend_is_a_hogql_backend(backend: HogQLBackend) -> None:
    assert isinstance(backend, HogQLBackend)
    assert backend.name in {"local", "posthog"}
    assert backend.description


async def test_answers_have_posthogs_response_shape(backend: HogQLBackend) -> None:
    response = await backend.query(
        "SELECT event, count() AS n FROM events WHERE event IN ('$pageview', '$identify') "
        "GROUP BY event ORDER BY event"
    )
    assert isinstance(response, HogQLResponse)
    assert response.columns == ["event", "n"]
    assert [t[0] for t in response.types] == ["event", "n"]
    assert [row[0] for row in response.results] == ["$identify", "$pageview"]
    assert all(isinstance(row[1], int) and row[1] > 0 for row in response.results)
    assert response.hogql and response.timings
    assert (response.limit, response.offset, response.hasMore) == (100, 0, False)


async def test_default_limit_is_100_with_has_more(backend: HogQLBackend) -> None:
    response = await backend.query("SELECT uuid FROM events")
    assert len(response.results) == 100
    assert response.hasMore


async def test_caller_limit_and_offset_page_through_rows(backend: HogQLBackend) -> None:
    query = "SELECT uuid FROM events ORDER BY uuid"
    first = await backend.query(query, limit=6)
    page = await backend.query(query, limit=3, offset=3)
    assert len(first.results) == 6 and first.hasMore
    assert page.results == first.results[3:6]


async def test_missing_properties_are_null(backend: HogQLBackend) -> None:
    response = await backend.query(
        "SELECT properties.$browser FROM events WHERE properties.$lib = 'posthog-node' LIMIT 1"
    )
    assert response.results == [[None]]


async def test_unknown_tables_are_query_errors_naming_the_table(backend: HogQLBackend) -> None:
    with pytest.raises(QueryError, match="evnts"):
        await backend.query("SELECT count() FROM evnts")


async def test_writes_are_query_errors(backend: HogQLBackend) -> None:
    with pytest.raises(QueryError):
        await backend.query("INSERT INTO events SELECT * FROM events")


async def test_syntax_errors_are_query_errors(backend: HogQLBackend) -> None:
    with pytest.raises(QueryError, match="Syntax error"):
        await backend.query("SELECT FROM WHERE")


async def test_impact_summary_is_the_same_through_both_backends(
    demo_world: LocalHogQL, remote_demo: RemotePostHog
) -> None:
    signature = "event = '$exception' AND properties.$exception_type = 'TypeError'"
    window = {"since": "2026-11-01T00:00:00Z", "until": "2026-11-20T12:00:00Z"}
    local = await impact_summary(demo_world, signature, **window)
    remote = await impact_summary(remote_demo, signature, **window)
    assert remote.backend == "PostHog US project 4242"
    assert remote.model_dump(exclude={"backend"}) == local.model_dump(exclude={"backend"})
