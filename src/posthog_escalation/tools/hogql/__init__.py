"""HogQL evidence: PostHog's query API, an embedded PostHog-shaped engine, seeded worlds
and the standard impact queries.

Typical use::

    backend = open_backend(settings)          # PostHog if configured, else the demo world
    summary = await impact_summary(backend, "event = '$exception' AND ...")
    await backend.aclose()
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ... import lazy

if TYPE_CHECKING:
    from .backend import HogQLBackend, open_backend
    from .engine import EngineLimits, get_engine
    from .impact import (
        customer_impact,
        customer_queries,
        daily_trend,
        full_days,
        impact_queries,
        impact_summary,
        trend_phrase,
    )
    from .local import LocalHogQL
    from .models import (
        CustomerImpact,
        DayCount,
        EnvironmentShare,
        GroundTruth,
        HogQLResponse,
        ImpactFigure,
        ImpactSummary,
        IncidentTruth,
        OrgImpact,
        OrgSessionShare,
        QueryTiming,
        StatusIncidentInfo,
        Trend,
        VersionShare,
        WorldInfo,
        WorldTotals,
    )
    from .remote import HogQLError, RemotePostHog
    from .spec import StatusIncident, WorldSpec, load_world_spec, parse_world_spec, resolve_time
    from .translate import Translation, translate, validate_expression
    from .world import build_world, database_name, load_ground_truth, packaged_world
    from .world_store import pin_home, pinned_home, world_folder, world_home

__getattr__, __dir__ = lazy.exports(__name__, __file__)

__all__ = [
    "CustomerImpact",
    "DayCount",
    "EngineLimits",
    "EnvironmentShare",
    "GroundTruth",
    "HogQLBackend",
    "HogQLError",
    "HogQLResponse",
    "ImpactFigure",
    "ImpactSummary",
    "IncidentTruth",
    "LocalHogQL",
    "OrgImpact",
    "OrgSessionShare",
    "QueryTiming",
    "RemotePostHog",
    "StatusIncident",
    "StatusIncidentInfo",
    "Translation",
    "Trend",
    "VersionShare",
    "WorldInfo",
    "WorldSpec",
    "WorldTotals",
    "build_world",
    "customer_impact",
    "customer_queries",
    "daily_trend",
    "database_name",
    "full_days",
    "get_engine",
    "impact_queries",
    "impact_summary",
    "load_ground_truth",
    "load_world_spec",
    "open_backend",
    "packaged_world",
    "parse_world_spec",
    "pin_home",
    "pinned_home",
    "resolve_time",
    "translate",
    "trend_phrase",
    "validate_expression",
    "world_folder",
    "world_home",
]
