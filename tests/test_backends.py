"""Which HogQL project is the customer's own and which is cross-customer, from settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from posthog_escalation.backends import (
    Backends,
    HogQLProjects,
    customer_project,
    infer_projects,
    open_backends,
)
from posthog_escalation.config import Settings
from posthog_escalation.tools.docs import DocsIndex
from posthog_escalation.tools.hogql import LocalHogQL, RemotePostHog
from posthog_escalation.tools.incidents import StaticIncidents
from posthog_escalation.tools.issues import DEFAULT_SNAPSHOT, LocalIssues


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, _env_file=None, **values)


def test_the_embedded_world_is_the_cross_customer_project(demo_world: LocalHogQL) -> None:
    projects = infer_projects(demo_world)
    assert projects.customer is None
    assert projects.cross_customer is not None and projects.cross_customer.cross_customer
    assert projects.cross_customer.backend is demo_world
    assert projects.cross_customer.label == "cross-customer data (embedded world 'demo')"


def test_backends_built_without_projects_infer_them(
    demo_world: LocalHogQL, shipped_docs: DocsIndex
) -> None:
    backends = Backends(
        hogql=demo_world,
        docs=shipped_docs,
        issues=LocalIssues(DEFAULT_SNAPSHOT),
        incidents=StaticIncidents([]),
    )
    assert backends.projects.cross_customer is not None
    assert backends.projects.cross_customer.backend is demo_world
    given = HogQLProjects(customer=customer_project(demo_world))
    explicit = Backends(
        hogql=demo_world,
        docs=shipped_docs,
        issues=LocalIssues(DEFAULT_SNAPSHOT),
        incidents=StaticIncidents([]),
        projects=given,
    )
    assert explicit.projects is given


def test_a_cross_customer_project_alone_serves_every_hogql_query(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        posthog_api_key=SecretStr("phx_test_key_1234567890"),
        cross_customer_project_id="2",
    )
    backends = open_backends(settings)
    cross = backends.projects.cross_customer
    assert cross is not None and isinstance(cross.backend, RemotePostHog)
    assert cross.backend.project_id == "2"
    assert backends.hogql is cross.backend
    assert backends.projects.customer is None
    assert cross.label == "cross-customer data (PostHog US project 2)"


def test_both_projects_are_configured_apart(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        posthog_api_key=SecretStr("phx_customer_key_123456"),
        posthog_project_id="48213",
        cross_customer_project_id="2",
        cross_customer_host="eu",
        cross_customer_api_key=SecretStr("phx_internal_key_654321"),
    )
    backends = open_backends(settings)
    customer, cross = backends.projects.customer, backends.projects.cross_customer
    assert customer is not None and cross is not None
    assert isinstance(customer.backend, RemotePostHog) and customer.backend.project_id == "48213"
    assert isinstance(cross.backend, RemotePostHog) and cross.backend.project_id == "2"
    assert cross.backend.host == "https://eu.posthog.com"
    assert backends.hogql is customer.backend
    assert customer.label == "the customer's project (PostHog US project 48213)"
    assert "phx_internal_key_654321" in settings.secrets()


def test_the_customers_project_alone_counts_no_organizations(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path, posthog_api_key=SecretStr("phx_customer_key_123456"), posthog_project_id="7"
    )
    projects = open_backends(settings).projects
    assert projects.cross_customer is None
    assert projects.customer is not None and not projects.customer.cross_customer


@pytest.mark.parametrize("backend", ["local", "auto"])
def test_a_cross_customer_project_needs_an_id_a_key_and_a_remote_backend(
    tmp_path: Path, backend: str
) -> None:
    keyless = _settings(tmp_path, cross_customer_project_id="2", backend=backend)
    assert not keyless.uses_remote_cross_customer
    keyed = _settings(
        tmp_path,
        cross_customer_project_id="2",
        cross_customer_api_key=SecretStr("phx_internal_key_654321"),
        backend=backend,
    )
    assert keyed.uses_remote_cross_customer is (backend == "auto")


def test_project_ids_are_never_kept_in_the_public_copy(tmp_path: Path) -> None:
    assert _settings(tmp_path).keep_project_ids is False
