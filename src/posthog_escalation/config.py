"""Settings from the environment (and an optional ``.env``), validated once at the edge.

No module reads ``os.environ`` itself: callers build a :class:`Settings` and pass the
pieces they need. Secrets are :class:`pydantic.SecretStr`, so they never print.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "claude-sonnet-5-5"
POSTHOG_HOSTS = {"us": "https://us.posthog.com", "eu": "https://eu.posthog.com"}
DEFAULT_INCIDENTS_URL = "https://status.posthog.com/api/v2/incidents.json"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) readable by the owner only (0700); an existing
    folder of ours is tightened to 0700. Returns ``path``.

    The data folder holds the escalation store, the installation secret, worlds and
    indexes: nobody else on the machine may read it.
    """
    path = Path(path).expanduser()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        if path.stat().st_uid == os.getuid() and path.stat().st_mode & 0o077:
            path.chmod(0o700)
    except OSError:
        pass
    return path


def default_data_dir() -> Path:
    """Where worlds, indexes and the escalation store live unless configured."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "posthog-escalation"


class Settings(BaseSettings):
    """Everything the doors (CLI, MCP server, Python API) may configure."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(
        default_factory=default_data_dir,
        validation_alias=AliasChoices("POSTHOG_ESCALATION_DATA_DIR", "data_dir"),
    )
    posthog_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("POSTHOG_API_KEY", "posthog_api_key")
    )
    posthog_host: str = Field(
        default=POSTHOG_HOSTS["us"],
        validation_alias=AliasChoices("POSTHOG_HOST", "posthog_host"),
    )
    posthog_project_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("POSTHOG_PROJECT_ID", "posthog_project_id"),
        description="The customer's own project: their persons, sessions, share of their "
        "traffic and SDK versions",
    )
    cross_customer_project_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "POSTHOG_CROSS_CUSTOMER_PROJECT_ID", "cross_customer_project_id"
        ),
        description="A project holding every customer's events with $group_0 as the "
        "customer's organization: how many organizations are hit",
    )
    cross_customer_host: str | None = Field(
        default=None,
        validation_alias=AliasChoices("POSTHOG_CROSS_CUSTOMER_HOST", "cross_customer_host"),
    )
    cross_customer_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("POSTHOG_CROSS_CUSTOMER_API_KEY", "cross_customer_api_key"),
    )
    github_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("GITHUB_TOKEN", "github_token")
    )
    anthropic_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ANTHROPIC_API_KEY", "anthropic_api_key")
    )
    model: str = Field(
        default=DEFAULT_MODEL,
        validation_alias=AliasChoices("POSTHOG_ESCALATION_MODEL", "model"),
    )
    docs_dir: Path | None = Field(
        default=None, validation_alias=AliasChoices("POSTHOG_ESCALATION_DOCS_DIR", "docs_dir")
    )
    issues_snapshot: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("POSTHOG_ESCALATION_ISSUES_SNAPSHOT", "issues_snapshot"),
    )
    world: Path | None = Field(
        default=None, validation_alias=AliasChoices("POSTHOG_ESCALATION_WORLD", "world")
    )
    incidents_url: str = Field(
        default=DEFAULT_INCIDENTS_URL,
        validation_alias=AliasChoices("POSTHOG_ESCALATION_INCIDENTS_URL", "incidents_url"),
    )
    mcp_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("POSTHOG_ESCALATION_MCP_TOKEN", "mcp_token")
    )
    backend: Literal["auto", "local", "remote"] = Field(
        default="auto", validation_alias=AliasChoices("POSTHOG_ESCALATION_BACKEND", "backend")
    )

    @field_validator("posthog_host", "cross_customer_host")
    @classmethod
    def _expand_region(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        return POSTHOG_HOSTS.get(value.lower(), value).rstrip("/")

    @property
    def keep_project_ids(self) -> bool:
        """Always False: the public copy never holds a project id or URL.

        (``POSTHOG_ESCALATION_KEEP_PROJECT_IDS`` is gone; callers still pass this to the
        redactor.)
        """
        return False

    @property
    def uses_remote_cross_customer(self) -> bool:
        """True when a cross-customer PostHog project is configured (id and a key)."""
        key = self.cross_customer_api_key or self.posthog_api_key
        return self.backend != "local" and bool(self.cross_customer_project_id) and key is not None

    @property
    def uses_remote_posthog(self) -> bool:
        """True when HogQL should go to the real PostHog API."""
        if self.backend == "local":
            return False
        configured = self.posthog_api_key is not None and self.posthog_project_id is not None
        return self.backend == "remote" or configured

    @property
    def uses_remote_github(self) -> bool:
        """True when issue search should call GitHub (a token is configured)."""
        return self.backend != "local" and self.github_token is not None

    def secrets(self) -> list[str]:
        """The configured secret values, for scrubbing from any text that leaves."""
        found = [
            self.posthog_api_key,
            self.cross_customer_api_key,
            self.github_token,
            self.anthropic_api_key,
            self.mcp_token,
        ]
        return [s.get_secret_value() for s in found if s and s.get_secret_value()]
