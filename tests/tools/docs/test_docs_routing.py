"""Docs area -> playbook route key."""

from __future__ import annotations

import pytest

from posthog_escalation.playbook import default_playbook
from posthog_escalation.tools.docs import AREA_ROUTES, route_for_area


def test_every_mapped_route_exists_in_the_playbook() -> None:
    assert set(AREA_ROUTES.values()) <= set(default_playbook().routes)


@pytest.mark.parametrize(
    ("area", "route"),
    [
        ("session-replay", "session_replay"),
        ("feature-flags", "feature_flags"),
        ("libraries/flutter", "sdk_bug"),
        ("libraries/node", "sdk_bug"),
        ("error-tracking", "error_tracking"),
        ("data", "ingestion"),
        ("sql", "data_warehouse"),
        ("api", "infrastructure"),
        ("self-host", "infrastructure"),
        ("cdp", "cdp"),
        ("billing", "billing"),
    ],
)
def test_areas_map_to_their_owning_route(area: str, route: str) -> None:
    assert route_for_area(area) == route


@pytest.mark.parametrize("area", ["general", "advanced", "privacy", "something-new"])
def test_areas_without_a_single_owner_have_no_route(area: str) -> None:
    assert route_for_area(area) is None
