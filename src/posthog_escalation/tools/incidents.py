"""PostHog service incidents: server-side problems often look like SDK bugs to customers.

The real source is an Atlassian Statuspage-style ``incidents.json`` (PostHog's status
page); the embedded source is the list of status incidents in a world spec. Both answer
the same question: which incidents overlap a time window?
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

import httpx2
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)
from tenacity.wait import wait_base

from ..errors import UnavailableError


class Incident(BaseModel):
    """One service incident."""

    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    status: str = "resolved"
    impact: str = "minor"
    started_at: datetime
    resolved_at: datetime | None = None
    components: list[str] = Field(default_factory=list)
    region: str | None = None
    url: str | None = None
    summary: str = ""

    def overlaps(self, since: datetime, until: datetime) -> bool:
        """True when the incident was live at some point in ``[since, until]``."""
        end = self.resolved_at or until
        return self.started_at <= until and end >= since


class IncidentSource(Protocol):
    """Anything that lists PostHog service incidents."""

    name: str

    async def incidents(self, since: datetime, until: datetime) -> list[Incident]:
        """Incidents that overlap ``[since, until]``, newest first."""
        ...


class StaticIncidents:
    """Incidents from a fixed list (the embedded world's status page)."""

    def __init__(self, incidents: Iterable[Incident], name: str = "world status page") -> None:
        self._incidents = list(incidents)
        self.name = name

    async def incidents(self, since: datetime, until: datetime) -> list[Incident]:
        """Incidents that overlap ``[since, until]``, newest first."""
        found = [i for i in self._incidents if i.overlaps(since, until)]
        return sorted(found, key=lambda i: i.started_at, reverse=True)


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx2.TransportError):
        return True
    return isinstance(exc, httpx2.HTTPStatusError) and exc.response.status_code >= 500


def parse_statuspage(payload: object) -> list[Incident]:
    """Incidents from a Statuspage ``incidents.json`` body.

    Raises:
        UnavailableError: The body is not in the Statuspage shape.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("incidents"), list):
        raise UnavailableError(
            "status page answered without an 'incidents' list",
            "check POSTHOG_ESCALATION_INCIDENTS_URL points at a Statuspage incidents.json",
        )
    found = []
    for raw in payload["incidents"]:
        if not isinstance(raw, dict):
            continue
        updates = raw.get("incident_updates") or []
        try:
            found.append(
                Incident(
                    id=str(raw.get("id", "")),
                    name=str(raw.get("name", "")),
                    status=str(raw.get("status", "")),
                    impact=str(raw.get("impact", "")),
                    started_at=raw.get("started_at") or raw.get("created_at"),
                    resolved_at=raw.get("resolved_at"),
                    components=[c.get("name", "") for c in raw.get("components") or []],
                    url=raw.get("shortlink"),
                    summary=str(updates[-1].get("body", ""))[:500] if updates else "",
                )
            )
        except ValidationError:
            continue
    return found


class StatusPageIncidents:
    """Incidents from a Statuspage-style ``incidents.json`` over HTTP."""

    def __init__(
        self,
        url: str,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        attempts: int = 3,
        wait: wait_base | None = None,
    ) -> None:
        self.url = url
        self.name = f"status page {url}"
        self._attempts = attempts
        self._wait = wait or wait_exponential(multiplier=0.5, max=4)
        self._client = httpx2.AsyncClient(
            transport=transport, timeout=timeout, headers={"Accept": "application/json"}
        )

    async def incidents(self, since: datetime, until: datetime) -> list[Incident]:
        """Incidents that overlap ``[since, until]``, newest first.

        Raises:
            UnavailableError: The status page could not be reached or answered badly.
        """
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(_retryable),
                stop=stop_after_attempt(self._attempts) | stop_after_delay(30),
                wait=self._wait,
                reraise=True,
            ):
                with attempt:
                    response = await self._client.get(self.url)
                    response.raise_for_status()
        except httpx2.HTTPStatusError as exc:
            raise UnavailableError(
                f"status page answered HTTP {exc.response.status_code}",
                "try again later or check POSTHOG_ESCALATION_INCIDENTS_URL",
            ) from None
        except httpx2.TransportError as exc:
            raise UnavailableError(
                f"status page unreachable ({type(exc).__name__})",
                "check the network or POSTHOG_ESCALATION_INCIDENTS_URL",
            ) from None
        try:
            payload = response.json()
        except ValueError:
            raise UnavailableError("status page answered with invalid JSON", "") from None
        return await StaticIncidents(parse_statuspage(payload)).incidents(since, until)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()


def window_around(moment: datetime, days: int = 14) -> tuple[datetime, datetime]:
    """The window ``days`` before ``moment`` up to ``moment``."""
    return moment - timedelta(days=days), moment
