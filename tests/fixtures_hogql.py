"""Fixtures for the embedded HogQL engine and seeded worlds (owned by the HogQL suite).

Worlds take seconds to build, so the whole test session shares one world home:
``hogql_home`` (autouse, session-scoped) pins a temporary folder before any test runs, and
every world of the session (the demo, small custom worlds) is built once in it. Code that
calls ``open_backend(settings)`` with any ``data_dir`` lands in the pinned home too; tests
that need a world elsewhere (another process, another folder) pass ``home`` explicitly.

Fixtures:
    hogql_home: the pinned world home (a temporary folder).
    hogql_settings: ``Settings`` that select the embedded engine and the pinned home.
    demo_world: a ``LocalHogQL`` on the packaged demo world (built once per session).
    build_world_from: ``build(spec_dict_or_WorldSpec) -> LocalHogQL`` for small worlds.
    fake_posthog: ``make(local, api_key=..., project_id=...) -> httpx2.MockTransport``, a
        PostHog query API served from a local world.
    remote_demo: a ``RemotePostHog`` talking to ``fake_posthog`` over the demo world.

Helper: ``small_spec(**overrides) -> dict``, a small world spec to start from.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from pydantic import SecretStr

from posthog_escalation.config import Settings
from posthog_escalation.errors import QueryError
from posthog_escalation.tools.hogql import (
    LocalHogQL,
    RemotePostHog,
    WorldSpec,
    packaged_world,
    parse_world_spec,
    pin_home,
)

FAKE_PROJECT_ID = "4242"
FAKE_API_KEY = "phx_FakeKeyForTests0123456789abcdef"

_SMALL_SPEC: dict[str, Any] = {
    "name": "small",
    "seed": 7,
    "now": "2026-06-10T12:00:00Z",
    "days": 6,
    "traffic": {"sessions_per_day": 1.0, "events_per_session": 6, "weekend_factor": 1.0},
    "organizations": [
        {
            "name": "Alpha Corp",
            "key": "alpha",
            "plan": "enterprise",
            "seats": 50,
            "arr": 50000,
            "persons": 12,
        },
        {
            "name": "Beta LLC",
            "key": "beta",
            "plan": "scale",
            "seats": 10,
            "arr": 9000,
            "persons": 8,
            "sdks": {"web": 1.0},
        },
        {
            "name": "Gamma GmbH",
            "key": "gamma",
            "plan": "startup",
            "seats": 5,
            "arr": 1200,
            "persons": 6,
            "sdks": {"posthog-ios": 1.0},
        },
    ],
    "sdks": [
        {
            "lib": "web",
            "weight": 3,
            "versions": [
                {"version": "1.0.0"},
                {"version": "1.1.0", "from": "-3d", "rollout_days": 0},
            ],
        },
        {"lib": "posthog-ios", "weight": 1, "versions": [{"version": "3.0.0"}]},
    ],
    "feature_flags": [{"key": "beta-feature", "rollout": 0.5}],
}


def small_spec(**overrides: Any) -> dict[str, Any]:
    """A deep copy of a small three-org world spec (about 1-2k events), with overrides."""
    spec = copy.deepcopy(_SMALL_SPEC)
    spec.update(copy.deepcopy(overrides))
    return spec


@pytest.fixture(scope="session", autouse=True)
def hogql_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's one world home; pinned so every world lookup lands in it."""
    home = tmp_path_factory.mktemp("hogql-home")
    pin_home(home)
    return home


@pytest.fixture(scope="session")
def hogql_settings(hogql_home: Path) -> Settings:
    """Settings that pick the embedded engine and the pinned home (no env, no keys)."""
    return Settings(data_dir=hogql_home, backend="local", _env_file=None)


@pytest.fixture(scope="session")
def demo_world(hogql_home: Path) -> LocalHogQL:
    """The packaged demo world, built once per session."""
    return LocalHogQL.open(packaged_world("demo"), home=hogql_home)


@pytest.fixture(scope="session")
def build_world_from(hogql_home: Path) -> Callable[[dict[str, Any] | WorldSpec], LocalHogQL]:
    """Build (or reuse) a world from a spec dict or WorldSpec in the session's home."""

    def build(spec: dict[str, Any] | WorldSpec) -> LocalHogQL:
        if not isinstance(spec, WorldSpec):
            spec = parse_world_spec(spec, source="test spec")
        return LocalHogQL.open(spec, home=hogql_home)

    return build


def _json_response(status: int, body: dict[str, Any]) -> httpx2.Response:
    return httpx2.Response(status, json=body)


def make_fake_posthog(
    local: LocalHogQL,
    *,
    api_key: str = FAKE_API_KEY,
    project_id: str = FAKE_PROJECT_ID,
    requests: list[dict[str, Any]] | None = None,
) -> httpx2.MockTransport:
    """A PostHog query API served from a local world, with PostHog's error shapes."""

    async def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path != f"/api/projects/{project_id}/query/":
            return _json_response(
                404,
                {
                    "type": "invalid_request",
                    "code": "not_found",
                    "detail": "Not found.",
                    "attr": None,
                },
            )
        if request.headers.get("authorization") != f"Bearer {api_key}":
            return _json_response(
                401,
                {
                    "type": "authentication_error",
                    "code": "authentication_failed",
                    "detail": "Personal API key found in request Authorization header is invalid.",
                    "attr": None,
                },
            )
        body = json.loads(request.content)
        if requests is not None:
            requests.append(body)
        query = body.get("query", {})
        if query.get("kind") != "HogQLQuery":
            return _json_response(
                400,
                {
                    "type": "validation_error",
                    "code": "parse_error",
                    "detail": "Unsupported query kind",
                    "attr": None,
                },
            )
        try:
            answer = await local.query(query["query"])
        except QueryError as exc:
            return _json_response(
                400,
                {
                    "type": "validation_error",
                    "code": "query_error",
                    "detail": exc.message,
                    "attr": None,
                },
            )
        payload = answer.model_dump(mode="json")
        payload.update(
            {
                "is_cached": False,
                "query_status": None,
                "modifiers": {},
                "cache_key": "cache_fake",
                "query": query["query"],
            }
        )
        return _json_response(200, payload)

    return httpx2.MockTransport(handler)


@pytest.fixture(scope="session")
def fake_posthog() -> Callable[..., httpx2.MockTransport]:
    """``make(local, api_key=..., project_id=..., requests=list)`` -> a MockTransport."""
    return make_fake_posthog


@pytest.fixture
def remote_demo(demo_world: LocalHogQL) -> Iterator[RemotePostHog]:
    """A RemotePostHog whose PostHog is the demo world behind a MockTransport."""
    backend = RemotePostHog(
        "https://us.posthog.com",
        FAKE_PROJECT_ID,
        SecretStr(FAKE_API_KEY),
        transport=make_fake_posthog(demo_world),
    )
    yield backend
