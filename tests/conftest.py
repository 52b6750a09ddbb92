"""Shared fixtures. The embedded HogQL fixtures live in fixtures_hogql.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from posthog_escalation.loading import load_model
from posthog_escalation.models import Escalation

pytest_plugins = ["fixtures_hogql"]

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "posthog_escalation" / "examples"


@pytest.fixture
def example_escalation() -> Escalation:
    """The packaged reference escalation (a fresh copy per test)."""
    return load_model(EXAMPLES / "escalation.yaml", Escalation)
