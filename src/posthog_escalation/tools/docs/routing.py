"""Docs product area -> playbook route key, for the drafter and the evidence table."""

from __future__ import annotations

AREA_ROUTES: dict[str, str] = {
    "session-replay": "session_replay",
    "feature-flags": "feature_flags",
    "experiments": "experiments",
    "error-tracking": "error_tracking",
    "surveys": "surveys",
    "product-analytics": "product_analytics",
    "web-analytics": "web_analytics",
    "sql": "data_warehouse",
    "hogql": "data_warehouse",
    "data-warehouse": "data_warehouse",
    "cdp": "cdp",
    "data-pipelines": "cdp",
    "webhooks": "cdp",
    "billing": "billing",
    "api": "infrastructure",
    "self-host": "infrastructure",
    "data": "ingestion",
    "libraries": "sdk_bug",
    "integrate": "sdk_bug",
}


def route_for_area(area: str) -> str | None:
    """The playbook route key for a docs area (``libraries/flutter`` -> ``sdk_bug``), or
    None when no single team owns the area: ``general``, ``advanced`` (reverse proxies,
    CSP, ad blockers: usually configuration), ``privacy`` (policy pages), unknown areas.
    """
    top = area.strip().lower().split("/", 1)[0]
    return AREA_ROUTES.get(top)
