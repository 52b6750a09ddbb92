"""The HogQL backend contract and how settings choose one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from ...config import Settings
from ...errors import ConfigError
from .local import LocalHogQL
from .models import HogQLResponse
from .remote import RemotePostHog
from .world import Progress, packaged_world
from .world_store import world_home


@runtime_checkable
class HogQLBackend(Protocol):
    """Something that answers HogQL in PostHog's response shape.

    Attributes:
        name: ``local`` or ``posthog``.
        description: Where the numbers come from, for evidence
            (``embedded world 'demo' ...``, ``PostHog US project 123``).
        now: The backend's fixed clock (a world's ``now``), or None for live data.
    """

    name: str

    @property
    def description(self) -> str: ...

    @property
    def now(self) -> datetime | None: ...

    async def query(
        self, hogql: str, *, limit: int | None = None, offset: int = 0
    ) -> HogQLResponse:
        """Run one HogQL SELECT.

        ``limit``/``offset`` apply when the query has no LIMIT of its own (default 100
        rows, at most 50,000). Raises ``QueryError`` for HogQL the caller can fix.
        :class:`LocalHogQL` and :class:`RemotePostHog` also take ``max_rows``, a cap
        that holds even against the query's own LIMIT.
        """
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


def open_backend(
    settings: Settings,
    *,
    world: Path | str | None = None,
    progress: Progress | None = None,
) -> HogQLBackend:
    """The real PostHog when configured, else the embedded engine on a world.

    The embedded world is ``world``, else ``settings.world``, else the packaged demo;
    it is built under ``settings.data_dir`` on first use and reopened afterwards.

    Raises:
        ConfigError: Remote was requested without a project id or key.
        InputError: The world spec is invalid.
    """
    if settings.uses_remote_posthog and world is None:
        if settings.posthog_api_key is None or not settings.posthog_project_id:
            raise ConfigError(
                "the remote PostHog backend needs POSTHOG_API_KEY and POSTHOG_PROJECT_ID",
                "set both, or use the embedded demo with POSTHOG_ESCALATION_BACKEND=local",
            )
        return RemotePostHog(
            settings.posthog_host, settings.posthog_project_id, settings.posthog_api_key
        )
    spec = Path(world) if world is not None else settings.world or packaged_world("demo")
    return LocalHogQL.open(spec, home=world_home(settings.data_dir), progress=progress)
