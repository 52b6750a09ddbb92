"""Shared fixtures. The embedded HogQL fixtures live in fixtures_hogql.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from posthog_escalation.backends import Backends, world_incidents
from posthog_escalation.loading import load_model
from posthog_escalation.models import Escalation, EscalationRequest
from posthog_escalation.tools.docs import DocsIndex, open_folder_index, shipped_docs_dir
from posthog_escalation.tools.hogql import LocalHogQL
from posthog_escalation.tools.issues import DEFAULT_SNAPSHOT, LocalIssues

pytest_plugins = ["fixtures_hogql"]

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "posthog_escalation" / "examples"


@pytest.fixture
def example_escalation() -> Escalation:
    """The packaged reference escalation (a fresh copy per test)."""
    return load_model(EXAMPLES / "escalation.yaml", Escalation)


@pytest.fixture(scope="session")
def shipped_docs(tmp_path_factory: pytest.TempPathFactory) -> DocsIndex:
    """The shipped docs, indexed once per test session."""
    return open_folder_index(shipped_docs_dir(), tmp_path_factory.mktemp("docs-index"))


@pytest.fixture
def demo_backends(demo_world: LocalHogQL, shipped_docs: DocsIndex) -> Backends:
    """The embedded backends on the demo world: what `demo` runs on."""
    return Backends(
        hogql=demo_world,
        docs=shipped_docs,
        issues=LocalIssues(DEFAULT_SNAPSHOT),
        incidents=world_incidents(demo_world),
    )


@pytest.fixture
def demo_request() -> EscalationRequest:
    """The bundled demo ticket and triage report."""
    return load_model(EXAMPLES / "demo_request.yaml", EscalationRequest)


NETWORK_SETTINGS = (
    "ANTHROPIC_API_KEY",
    "GITHUB_TOKEN",
    "POSTHOG_API_KEY",
    "POSTHOG_PROJECT_ID",
    "POSTHOG_HOST",
    "POSTHOG_CROSS_CUSTOMER_PROJECT_ID",
    "POSTHOG_CROSS_CUSTOMER_HOST",
    "POSTHOG_CROSS_CUSTOMER_API_KEY",
    "POSTHOG_ESCALATION_BACKEND",
    "POSTHOG_ESCALATION_WORLD",
    "POSTHOG_ESCALATION_DOCS_DIR",
    "POSTHOG_ESCALATION_ISSUES_SNAPSHOT",
    "POSTHOG_ESCALATION_MCP_TOKEN",
)


@pytest.fixture(autouse=True)
def _no_real_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never reach a real service, whatever the machine's environment holds; a
    developer's .env is not read either (each test runs from its own folder)."""
    for name in NETWORK_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
