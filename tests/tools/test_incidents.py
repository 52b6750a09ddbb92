"""PostHog service incidents from a Statuspage feed or a world's list."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx2
import pytest
from tenacity import wait_none

from posthog_escalation.errors import UnavailableError
from posthog_escalation.tools.incidents import (
    Incident,
    StaticIncidents,
    StatusPageIncidents,
    parse_statuspage,
)

WINDOW = (datetime(2026, 11, 10, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))
FEED = {
    "page": {"id": "p1", "name": "PostHog"},
    "incidents": [
        {
            "id": "inc-1",
            "name": "Elevated 5xx on the EU query API",
            "status": "resolved",
            "impact": "major",
            "created_at": "2026-11-18T08:00:00Z",
            "started_at": "2026-11-18T07:55:00Z",
            "resolved_at": "2026-11-18T09:30:00Z",
            "shortlink": "https://stspg.io/abc",
            "components": [{"name": "Query API (EU)"}],
            "incident_updates": [{"body": "Resolved.", "status": "resolved"}],
        },
        {
            "id": "inc-0",
            "name": "Old ingestion delay",
            "status": "resolved",
            "impact": "minor",
            "created_at": "2026-10-01T08:00:00Z",
            "resolved_at": "2026-10-01T10:00:00Z",
            "components": [],
        },
        {"id": "broken", "name": "no start time"},
    ],
}


def _transport(
    responses: list[httpx2.Response], seen: list[httpx2.Request]
) -> httpx2.MockTransport:
    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return responses.pop(0)

    return httpx2.MockTransport(handler)


def test_parse_statuspage_reads_incidents_and_skips_malformed_ones() -> None:
    found = parse_statuspage(FEED)
    assert [i.id for i in found] == ["inc-1", "inc-0"]
    assert found[0].components == ["Query API (EU)"]
    assert found[0].url == "https://stspg.io/abc"
    assert found[0].summary == "Resolved."


def test_parse_statuspage_refuses_another_shape() -> None:
    with pytest.raises(UnavailableError, match="'incidents' list"):
        parse_statuspage({"status": "ok"})


def test_overlap_includes_unresolved_incidents() -> None:
    ongoing = Incident(id="x", name="ongoing", started_at=datetime(2026, 11, 1, tzinfo=UTC))
    assert ongoing.overlaps(*WINDOW)
    ended = ongoing.model_copy(update={"resolved_at": datetime(2026, 11, 2, tzinfo=UTC)})
    assert not ended.overlaps(*WINDOW)


async def test_static_source_filters_by_window_newest_first() -> None:
    incidents = parse_statuspage(FEED)
    found = await StaticIncidents(incidents).incidents(*WINDOW)
    assert [i.id for i in found] == ["inc-1"]


async def test_status_page_fetches_and_filters() -> None:
    seen: list[httpx2.Request] = []
    source = StatusPageIncidents(
        "https://status.example/api/v2/incidents.json",
        transport=_transport([httpx2.Response(200, json=FEED)], seen),
    )
    found = await source.incidents(*WINDOW)
    await source.aclose()
    assert [i.name for i in found] == ["Elevated 5xx on the EU query API"]
    assert seen[0].url.path == "/api/v2/incidents.json"


async def test_status_page_retries_server_errors_then_succeeds() -> None:
    seen: list[httpx2.Request] = []
    responses = [httpx2.Response(503), httpx2.Response(200, content=json.dumps(FEED).encode())]
    source = StatusPageIncidents(
        "https://status.example/i.json", transport=_transport(responses, seen), wait=wait_none()
    )
    found = await source.incidents(*WINDOW)
    assert len(seen) == 2
    assert len(found) == 1


async def test_status_page_gives_up_with_a_clear_error() -> None:
    seen: list[httpx2.Request] = []
    responses = [httpx2.Response(500) for _ in range(3)]
    source = StatusPageIncidents(
        "https://status.example/i.json",
        transport=_transport(responses, seen),
        attempts=3,
        wait=wait_none(),
    )
    with pytest.raises(UnavailableError, match="HTTP 500"):
        await source.incidents(*WINDOW)
    assert len(seen) == 3


async def test_status_page_does_not_retry_a_client_error() -> None:
    seen: list[httpx2.Request] = []
    source = StatusPageIncidents(
        "https://status.example/i.json", transport=_transport([httpx2.Response(404)], seen)
    )
    with pytest.raises(UnavailableError, match="HTTP 404"):
        await source.incidents(*WINDOW)
    assert len(seen) == 1


async def test_status_page_reports_invalid_json() -> None:
    source = StatusPageIncidents(
        "https://status.example/i.json",
        transport=_transport([httpx2.Response(200, content=b"<html>")], []),
    )
    with pytest.raises(UnavailableError, match="invalid JSON"):
        await source.incidents(*WINDOW)
