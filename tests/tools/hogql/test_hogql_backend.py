"""Choosing a backend from settings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fixtures_hogql import small_spec
from posthog_escalation.config import Settings
from posthog_escalation.errors import ConfigError
from posthog_escalation.tools.hogql import LocalHogQL, RemotePostHog, open_backend


def settings(**values) -> Settings:
    return Settings(_env_file=None, **values)


def test_without_posthog_credentials_the_demo_world_is_used(hogql_settings: Settings) -> None:
    backend = open_backend(hogql_settings)
    assert isinstance(backend, LocalHogQL)
    assert backend.world.name == "demo"


def test_with_credentials_the_real_posthog_is_used(tmp_path: Path) -> None:
    backend = open_backend(
        settings(
            data_dir=tmp_path,
            backend="auto",
            posthog_api_key="phx_abcdefgh123",
            posthog_project_id="321",
            posthog_host="eu",
        )
    )
    assert isinstance(backend, RemotePostHog)
    assert backend.description == "PostHog EU project 321"


def test_remote_without_a_key_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="POSTHOG_API_KEY and POSTHOG_PROJECT_ID"):
        open_backend(
            settings(
                data_dir=tmp_path, backend="remote", posthog_api_key=None, posthog_project_id=None
            )
        )


def test_a_configured_world_spec_is_built_and_used(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.yaml"
    spec.write_text(yaml.safe_dump(small_spec(name="tiny-configured")), encoding="utf-8")
    backend = open_backend(settings(data_dir=tmp_path, backend="local", world=spec))
    assert isinstance(backend, LocalHogQL)
    assert backend.world.name == "tiny-configured"


def test_an_explicit_world_wins_over_credentials(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.yaml"
    spec.write_text(yaml.safe_dump(small_spec(name="tiny-explicit")), encoding="utf-8")
    backend = open_backend(
        settings(data_dir=tmp_path, posthog_api_key="phx_abcdefgh123", posthog_project_id="1"),
        world=spec,
    )
    assert isinstance(backend, LocalHogQL)
