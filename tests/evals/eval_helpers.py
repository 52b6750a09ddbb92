"""Helpers for the eval harness tests: case files written into a temporary folder."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx2
import yaml
from anthropic import AsyncAnthropic

ROOT = Path(__file__).resolve().parents[2]
EVALS = ROOT / "evals"
CASES = EVALS / "cases"
WORLDS = EVALS / "worlds"
ISSUES = EVALS / "issues"


def committed_case(name: str) -> dict[str, Any]:
    """A committed case as data, with its paths made absolute."""
    data = yaml.safe_load((CASES / f"{name}.yaml").read_text(encoding="utf-8"))
    data["world"] = str((CASES / data["world"]).resolve())
    if data.get("issues"):
        data["issues"] = str((CASES / data["issues"]).resolve())
    return data


def write_case(folder: Path, data: dict[str, Any], name: str | None = None) -> Path:
    """Write ``data`` as ``<folder>/<name or id>.yaml``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name or data['id']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def variant(name: str, **expect: Any) -> dict[str, Any]:
    """A committed case with some expectations replaced."""
    data = copy.deepcopy(committed_case(name))
    data["expect"].update(expect)
    return data


def scripted_messages_api(
    replies: list[dict[str, Any]], seen: list[dict[str, Any]]
) -> AsyncAnthropic:
    """An ``AsyncAnthropic`` whose ``POST /v1/messages`` answers with ``replies`` in turn:
    ``{"text": ...}`` for a reply, ``{"status": ..., "error": {...}}`` for an API error.
    Every request body is appended to ``seen``."""

    async def handle(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        seen.append(body)
        reply = replies[len(seen) - 1]
        if "status" in reply:
            return httpx2.Response(reply["status"], json={"type": "error", "error": reply["error"]})
        return httpx2.Response(
            200,
            json={
                "id": f"msg_{len(seen)}",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": [{"type": "text", "text": reply["text"]}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {
                    "input_tokens": 1200,
                    "output_tokens": 80,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                },
            },
        )

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handle))
    return AsyncAnthropic(api_key="sk-ant-test-0000000000", http_client=http, max_retries=0)
